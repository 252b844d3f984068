import pytest

from components.images.replica_plan import derived_replicas
from tests.graph import BUILD, REPLICAS, TEMPLATE, depends_on, each, one, parent_name, resources, stack_value
from tests.graph import BUILDS, plan_stack
from offline.plan import plan


@pytest.mark.parametrize("vms, replicas", [(0, 1), (1, 1), (50, 1), (51, 2), (120, 3), (4999, 100), (20000, 100)])
def test_one_replica_per_50_concurrent_deployments_within_azure_limits(vms, replicas):
    assert derived_replicas(vms) == replicas


def _replicas(doc: dict) -> dict:
    out = {}
    for r in each(doc, REPLICAS):
        out.setdefault(parent_name(r), {}).update(
            {t["name"]: t["regional_replica_count"] for t in r["inputs"]["target_regions"]})
    return out


def test_prod_replica_counts_follow_the_fleets(plans):
    # lon-web 80 VMs, nyc-web 120 on win2025-base; 6 + 6 app VMs on win2025-app.
    assert _replicas(plans[BUILDS]) == {"win2025-base": {"uksouth": 2, "eastus": 3},
                                        "win2025-app": {"uksouth": 1, "eastus": 1}}


def test_configured_replica_count_wins(plans):
    assert _replicas(plans["dev"]) == {"win2025-base": {"uksouth": 1}, "win2025-app": {"uksouth": 1}}  # explicit 1 in Pulumi.dev.yaml
    # 1000-VM scale set; the image built on the capture serves no fleet: one replica.
    assert _replicas(plans["capture"]) == {"win2025-base": {"uksouth": 20}, "win2025-ref-hardened": {"uksouth": 1}}


def test_the_template_distributes_one_replica_to_the_home_region_only(building_plan):
    # Image Builder's run ends only when distribution to every target region is done: a further region in
    # the template would hold back the home region's fleets until its copy had landed.
    for template in each(building_plan, TEMPLATE):
        [shared] = [d for d in template["inputs"]["distribute"] if d["type"] == "SharedImage"]
        assert [(r["name"], r["replicaCount"]) for r in shared["targetRegions"]] == [(template["inputs"]["location"], 1)]


def test_each_region_gets_its_replicas_from_its_own_step(plans):
    prod = plans[BUILDS]
    steps = {r["name"]: [t["name"] for t in r["inputs"]["target_regions"]] for r in resources(prod, REPLICAS)}
    assert steps == {f"{image}-replicas-{region}": [region] for image in ("win2025-base", "win2025-app")
                     for region in ("uksouth", "eastus")}
    for step in resources(prod, REPLICAS):
        # Each step waits for the build and for no other step: the provider serializes one version's
        # updates (a lock per version), so that no region's fleets wait for another region's replicas.
        assert [d["name"] for d in depends_on(prod, step, BUILD)] == [f"{parent_name(step)}-build"]
        assert not depends_on(prod, step, REPLICAS)


def test_scaling_a_fleet_changes_replicas_in_place_not_the_template(plans):
    fleets = stack_value(BUILDS, "image-factory:fleets")
    fleets["nyc-web"]["count"] = 200
    scaled = plan_stack(BUILDS, overrides={"image-factory:fleets": fleets})
    assert _replicas(scaled)["win2025-base"] == {"uksouth": 2, "eastus": 4}
    before = {parent_name(t): t["inputs"]["imageTemplateName"] for t in resources(plans[BUILDS], TEMPLATE)}
    after = {parent_name(t): t["inputs"]["imageTemplateName"] for t in resources(scaled, TEMPLATE)}
    assert before == after


def test_replicas_are_set_on_the_version_the_build_produced(plans):
    dev = plans["dev"]
    replicas = one(dev, REPLICAS, "win2025-base-replicas-uksouth")
    assert [b["name"] for b in depends_on(dev, replicas, BUILD)] == ["win2025-base-build"]
    assert replicas["inputs"]["version_id"] == "[unknown]"  # the build's artifact_id


def test_the_plans_replica_inputs_pass_the_providers_own_check(plans):
    # The keys replica_plan hands VersionReplicas (regional_replica_count, storage_account_type) are the
    # ones its provider reads: the plan never runs the provider's check, so run it here.
    from components.providers.version_replicas import VersionReplicasProvider
    version = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute"
               "/galleries/g/images/i/versions/1.0.0")
    for name, doc in ((n, d) for n, d in plans.items() if n != "prod"):  # prod promotes: no replica steps
        for replicas in each(doc, REPLICAS):
            news = {**replicas["inputs"], "version_id": version,
                    "subscription_id": "00000000-0000-0000-0000-000000000000"}
            result = VersionReplicasProvider().check({}, news)
            assert result.failures == [], (name, result.failures)
            assert {r["storage_account_type"] for r in result.inputs["target_regions"]} <= {
                "Standard_LRS", "Standard_ZRS", "Premium_LRS"}
