"""Issue 11's promise over prod's dependency graph (transitive closure): a fleet waits for its own
region's readiness and for nothing of the image's that targets another region."""

import pytest

from tests.graph import FLEET, REPLICAS, mentions, resources, upstream
from tests.graph import BUILDS, plan_stack

PROD_REGIONS = ("uksouth", "eastus")


def _fleet_resources(doc: dict, region: str) -> list[dict]:
    fleets = {f["urn"] for f in resources(doc, FLEET)}
    return [r for r in doc["resources"] if r["parent"] in fleets and r["custom"] and mentions(r, region)]


def test_no_uksouth_fleet_resource_waits_for_anything_that_targets_eastus(plans):
    prod = plans[BUILDS]
    london = _fleet_resources(prod, "uksouth")
    assert len(london) > 10
    for resource in london:
        eastus = [u["name"] for u in upstream(prod, resource) if mentions(u, "eastus")]
        assert not eastus, f"{resource['name']} waits for {eastus}"


@pytest.mark.parametrize("region, other", [("eastus", "uksouth"), ("uksouth", "eastus")])
def test_each_fleet_resource_waits_for_its_regions_step_and_no_other_regions(plans, region, other):
    prod = plans[BUILDS]
    fleet_resources = _fleet_resources(prod, region)
    assert len(fleet_resources) > 10
    for resource in fleet_resources:
        if resource["type"].endswith(("VirtualMachine", "VirtualMachineScaleSet")):
            steps = [u["name"] for u in upstream(prod, resource) if u["type"] == REPLICAS]
            assert len(steps) == 1 and steps[0].endswith(f"-replicas-{region}"), (resource["name"], steps)
        assert not [u for u in upstream(prod, resource) if u["type"] == REPLICAS and mentions(u, other)], \
            resource["name"]


def test_nics_do_not_wait_for_the_image(plans):
    # A NIC needs the subnet, not the image: it is created while the image builds, off the critical path.
    from tests.graph import BUILD, NIC, VM
    for stack in ("dev", BUILDS):
        doc = plans[stack]
        for nic in resources(doc, NIC):
            assert not [u for u in upstream(doc, nic) if u["type"] in (BUILD, REPLICAS)], nic["name"]
            assert "image-version" not in nic["inputs"]["tags"]
        for vm in resources(doc, VM):
            assert vm["inputs"]["tags"]["image-version"] == "[unknown]"
