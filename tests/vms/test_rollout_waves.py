"""A `vms` fleet takes a new image in waves (components/vms/fleet.py): the graph must make the engine
replace at most one wave at a time, and the next only after the previous one's health extensions."""

from __future__ import annotations

from offline.plan import plan
from offline.waves import describe, fleet_waves
from tests.graph import EXTENSION, FLEET, VM, plan_error, resources, stack_value


def _fleet(doc: dict, fleet: str, type_: str) -> dict[str, dict]:
    return {r["name"]: r for r in resources(doc, type_) if r["parent"].endswith(f"{FLEET}::{fleet}")}


def _deletable_first(doc: dict, fleet: str) -> set[str]:
    """VMs Pulumi may delete at once when every VM is replaced (delete-before-replace): a VM's replacement
    starts when its registration reaches the engine, i.e. once everything in its dependsOn has finished,
    and replacing a VM deletes no dependent through a dependsOn-only edge (only through its inputs)."""
    vms = _fleet(doc, fleet, VM)
    in_fleet = {r["urn"] for r in [*vms.values(), *_fleet(doc, fleet, EXTENSION).values()]}
    return {name for name, vm in vms.items() if not set(vm["dependsOn"]) & in_fleet}


def test_prods_app_fleet_is_replaced_one_zone_at_a_time(plans):
    doc = plans["prod"]
    vms, health = _fleet(doc, "lon-app", VM), _fleet(doc, "lon-app", EXTENSION)
    by_zone = {z: sorted(n for n, v in vms.items() if v["inputs"]["zones"] == [z]) for z in "123"}
    assert by_zone == {"1": ["vm-lon-app-000", "vm-lon-app-003"], "2": ["vm-lon-app-001", "vm-lon-app-004"],
                       "3": ["vm-lon-app-002", "vm-lon-app-005"]}
    gate = {z: {health[n.replace("vm-", "health-")]["urn"] for n in by_zone[z]} for z in "123"}
    for name in by_zone["1"]:
        assert not set(vms[name]["dependsOn"]) & {r["urn"] for r in [*vms.values(), *health.values()]}
    for before, after in (("1", "2"), ("2", "3")):
        for name in by_zone[after]:
            # The whole previous zone's gates, and no VM of it directly: a dependsOn edge only.
            assert gate[before] <= set(vms[name]["dependsOn"])
            assert not set(vms[name]["dependsOn"]) & {vms[n]["urn"] for n in by_zone[before]}
    for name, ext in health.items():  # each gate is the Application Health extension of its own VM
        vm = vms[name.replace("health-", "vm-")]
        assert vm["urn"] in ext["dependsOn"] and ext["inputs"]["vmName"] == vm["inputs"]["vmName"]
        assert ext["inputs"]["type"] == "ApplicationHealthWindows"
    assert _deletable_first(doc, "lon-app") == set(by_zone["1"])
    assert all(v["options"]["deleteBeforeReplace"] for v in vms.values())


def test_a_rollout_batch_sets_the_wave_size():
    fleets = stack_value("dev", "image-factory:fleets")
    fleets["dev-app"].update(count=5, rolloutBatch=2)
    doc = plan("dev", overrides={"image-factory:fleets": fleets})
    assert fleet_waves(doc) == {"dev-app": [["vm-dev-app-000", "vm-dev-app-001"], ["vm-dev-app-002", "vm-dev-app-003"],
                                            ["vm-dev-app-004"]]}
    assert _deletable_first(doc, "dev-app") == {"vm-dev-app-000", "vm-dev-app-001"}


def test_the_waves_are_described_for_the_diff(plans):
    assert describe(plans["prod"])[0] == (
        "lon-app: an image change replaces 3 wave(s) one after another (2, 2, 2 VMs), each once the previous "
        "wave runs and reports healthy: wave 1: vm-lon-app-000, vm-lon-app-003; wave 2: vm-lon-app-001, "
        "vm-lon-app-004; wave 3: vm-lon-app-002, vm-lon-app-005")


def test_the_estimate_counts_the_waves(plans):
    path = [link["name"] for link in plans["prod"]["criticalPath"]["path"]]
    nyc = [n for n in path if n.startswith(("vm-nyc-app", "health-nyc-app"))]
    assert len(nyc) == 6  # three waves of a VM and its health check, one after another


def test_rollout_batch_is_refused_for_scale_sets_and_above_the_count():
    fleets = stack_value("prod", "image-factory:fleets")
    fleets["lon-web"]["rolloutBatch"] = 10
    fleets["lon-app"]["rolloutBatch"] = 7
    message = plan_error("prod", {"image-factory:fleets": fleets})
    assert "image-factory:fleets.lon-web" in message and "rolloutBatch is for mode vms" in message
    assert "image-factory:fleets.lon-app" in message and "rolloutBatch (7) must not exceed count (6)" in message
