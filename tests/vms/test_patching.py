"""Fleets get patched: custom images get no automatic guest patching from Azure, and
AutomaticByPlatform switches Windows' own updates off, so every fleet VM is either on an Update Manager
schedule (AutomaticByPlatform with bypassPlatformSafetyChecksOnUserSchedule and a maintenance
configuration reaching it) or patches itself (AutomaticByOS)."""

from __future__ import annotations

import pytest

from components.config.loading import ConfigError
from offline.plan import plan
from tests.graph import FLEET, MAINTENANCE, MAINTENANCE_SCOPE, RG, VM, VMSS, by_urn, depends_on, each, resources

FLEET_VMS = (VM, VMSS)


def _windows(resource: dict) -> dict:
    inputs = resource["inputs"]
    return (inputs.get("osProfile") or inputs["virtualMachineProfile"]["osProfile"])["windowsConfiguration"]


def _fleet_machines(doc: dict) -> list[dict]:
    fleets = {f["urn"] for f in resources(doc, FLEET)}
    machines = [r for t in FLEET_VMS for r in resources(doc, t) if r["parent"] in fleets]
    assert machines, "no fleet VM or scale set in this plan: the check would be vacuous"
    return machines


def test_every_fleet_machine_is_patched_on_a_schedule_that_reaches_it(stack_plan):
    schedules = {r["inputs"]["resourceGroupName"]: r for r in resources(stack_plan, MAINTENANCE_SCOPE)}
    configurations = {r["urn"]: r for r in resources(stack_plan, MAINTENANCE)}
    for machine in _fleet_machines(stack_plan):
        settings = _windows(machine)["patchSettings"]
        if machine["type"] == VMSS:
            # Update Manager does not serve scale sets (issue 21 item 3): Windows Update inside each instance.
            assert settings["patchMode"] == "AutomaticByOS" and _windows(machine)["enableAutomaticUpdates"] is True
            scope = schedules.get(machine["inputs"]["resourceGroupName"])
            assert scope is None or machine["inputs"]["tags"]["fleet"] not in scope["inputs"]["filter"]["tagSettings"]["tags"]["fleet"]
            continue
        assert settings["patchMode"] == "AutomaticByPlatform"
        assert settings["automaticByPlatformSettings"]["bypassPlatformSafetyChecksOnUserSchedule"] is True
        scope = schedules[machine["inputs"]["resourceGroupName"]]  # a dynamic scope on the VM's own group
        assert machine["inputs"]["location"] in scope["inputs"]["filter"]["locations"]
        assert machine["inputs"]["tags"]["fleet"] in scope["inputs"]["filter"]["tagSettings"]["tags"]["fleet"]
        assert scope["inputs"]["filter"]["osTypes"] == ["Windows"]
        [configuration] = depends_on(stack_plan, scope, MAINTENANCE)
        assert configuration["urn"] in configurations
        assert configuration["inputs"]["maintenanceScope"] == "InGuestPatch"
        assert configuration["inputs"]["location"] == machine["inputs"]["location"]


def test_prod_patches_weekly_in_each_regions_local_night(plans):
    windows = {r["inputs"]["location"]: (r["inputs"]["recurEvery"], r["inputs"]["timeZone"], r["inputs"]["duration"])
               for r in each(plans["prod"], MAINTENANCE)}
    assert windows == {"uksouth": ("1Week Saturday", "GMT Standard Time", "03:55"),
                       "eastus": ("1Week Saturday", "Eastern Standard Time", "03:55")}
    for configuration in each(plans["prod"], MAINTENANCE):
        assert configuration["inputs"]["extensionProperties"] == {"InGuestPatchMode": "User"}
        assert "Security" in configuration["inputs"]["installPatches"]["windowsParameters"]["classificationsToInclude"]


def test_the_schedule_lives_in_the_fleet_group_it_scopes(plans):
    doc = plans["prod"]
    index = by_urn(doc)
    for scope in each(doc, MAINTENANCE_SCOPE):
        [group] = [index[u] for u in scope["dependsOn"] if index[u]["type"] == RG]
        assert group["inputs"]["resourceGroupName"] == scope["inputs"]["resourceGroupName"]


def test_automatic_by_os_leaves_it_to_windows_update():
    doc = plan("dev", overrides={"image-factory:patching": {"mode": "automaticByOS"}})
    assert not resources(doc, MAINTENANCE) and not resources(doc, MAINTENANCE_SCOPE)
    for machine in _fleet_machines(doc):
        windows = _windows(machine)
        assert windows["patchSettings"]["patchMode"] == "AutomaticByOS" and windows["enableAutomaticUpdates"] is True


@pytest.mark.parametrize("window, key, allowed", [
    ({"duration": "04:00"}, "window.duration", "'HH:mm' from 01:30 to 03:55"),
    ({"recurEvery": "weekly"}, "window.recurEvery", "a recurrence such as '1Week Saturday'"),
    ({"start": "Saturday 02:00"}, "window.start", "'yyyy-MM-dd HH:mm'"),
])
def test_bad_windows_are_refused_by_key(window, key, allowed):
    with pytest.raises(ConfigError) as error:
        plan("dev", overrides={"image-factory:patching": {"window": window}})
    assert f"image-factory:patching.{key} = " in str(error.value) and allowed in str(error.value)


# --- issue 21 item 6: the Maintenance API spells UpdateRollup ---------------------------------------

def _classifications(doc: dict) -> list[list[str]]:
    found = [r["inputs"]["installPatches"]["windowsParameters"]["classificationsToInclude"]
             for r in resources(doc, MAINTENANCE)]
    assert found, "no maintenance configuration in this plan: the check would be vacuous"
    return found


def test_update_rollups_are_sent_in_the_maintenance_apis_spelling(stack_plan):
    for sent in _classifications(stack_plan):
        assert "UpdateRollup" in sent and "UpdateRollUp" not in sent


def test_the_compute_apis_spelling_is_read_and_sent_as_the_maintenance_one():
    doc = plan("dev", overrides={"image-factory:patching": {"classifications": ["Security", "UpdateRollUp"]}})
    assert _classifications(doc) == [["Security", "UpdateRollup"]]
    with pytest.raises(ConfigError) as error:
        plan("dev", overrides={"image-factory:patching": {"classifications": ["Rollups"]}})
    assert ("image-factory:patching.classifications[0] = 'Rollups': must be one of Critical, Security, UpdateRollup, "
            "FeaturePack") in str(error.value)


# --- issue 21 item 3: every fleet has a patching path that serves it ---------------------------------------

def test_prods_scale_sets_patch_by_windows_update_and_the_schedules_serve_single_vms_only(plans):
    doc = plans["prod"]
    modes = {r["name"]: _windows(r)["patchSettings"]["patchMode"] for r in _fleet_machines(doc)}
    assert {n: m for n, m in modes.items() if n.startswith("vmss-")} == {"vmss-lon-web": "AutomaticByOS",
                                                                          "vmss-nyc-web": "AutomaticByOS"}
    served = sorted(f for scope in each(doc, MAINTENANCE_SCOPE) for f in scope["inputs"]["filter"]["tagSettings"]["tags"]["fleet"])
    assert served == ["lon-app", "nyc-app"]


def test_a_scale_set_on_update_manager_is_refused():
    fleets = {"web": {"region": "uksouth", "image": "win2025-base", "mode": "scaleset", "count": 2,
                      "patching": "updateManager"}}
    with pytest.raises(ConfigError) as error:
        plan("dev", overrides={"image-factory:fleets": fleets})
    assert ("Pulumi.dev.yaml: image-factory:fleets.web.patching = 'updateManager': must be automaticByOS for a scale "
            "set: Azure Update Manager does not patch Virtual Machine Scale Sets, so nothing would patch it") in str(error.value)
    fleets["web"]["patching"] = "automaticByOS"
    doc = plan("dev", overrides={"image-factory:fleets": fleets})
    assert not resources(doc, MAINTENANCE)  # no fleet left for Update Manager in uksouth: no schedule


def test_a_single_vm_fleet_may_choose_windows_update():
    from tests.graph import stack_value
    fleets = stack_value("dev", "image-factory:fleets")
    fleets["dev-app"]["patching"] = "automaticByOS"
    doc = plan("dev", overrides={"image-factory:fleets": fleets})
    assert all(_windows(m)["patchSettings"]["patchMode"] == "AutomaticByOS" for m in _fleet_machines(doc))
    assert not resources(doc, MAINTENANCE_SCOPE)
