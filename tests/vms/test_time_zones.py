"""Each fleet's VMs run in the fleet's time zone from config (fleets.<name>.timeZone), not a hard-coded
London: the shipped prod stack runs New York's fleets on Eastern Standard Time."""

from __future__ import annotations

import pytest

from tests.config.loading import dev_text, line, text_problems
from tests.graph import VM, resources


def _zones(doc, type_):
    out = {}
    for r in resources(doc, type_):
        inputs = r["inputs"]
        profile = inputs.get("osProfile") or inputs.get("virtualMachineProfile", {}).get("osProfile", {})
        out[r["name"]] = profile["windowsConfiguration"]["timeZone"]
    return out


def test_prod_runs_london_on_gmt_and_new_york_on_eastern_time(plans):
    vms = _zones(plans["prod"], VM)
    assert vms and all(z == "GMT Standard Time" for n, z in vms.items() if n.startswith("vm-lon-"))
    assert {z for n, z in vms.items() if n.startswith("vm-nyc-")} == {"Eastern Standard Time"}
    sets = _zones(plans["prod"], "azure-native:compute:VirtualMachineScaleSet")
    assert sets == {"vmss-lon-web": "GMT Standard Time", "vmss-nyc-web": "Eastern Standard Time"}


@pytest.mark.parametrize("value, fix", [
    ("Eastern Time", "(did you mean Eastern Standard Time?)"),
    ("gmt standard time", "(did you mean GMT Standard Time?)"),
    ("America/New_York", "(an IANA name such as Europe/London is not one)"),
])
def test_a_time_zone_windows_does_not_know_is_refused_with_the_nearest(value, fix):
    text = dev_text("      count: 2", f"      count: 2\n      timeZone: {value}")
    assert text_problems(text) == [line("fleets.dev-app.timeZone", repr(value), "must be a Windows time zone ID as "
                                        "tzutil /l lists it, such as GMT Standard Time or Eastern Standard Time " + fix)]


def test_a_patch_windows_time_zone_is_checked_by_the_same_table():
    text = dev_text("timeZone: UTC}", "timeZone: Eastern Time}")
    assert text_problems(text) == [line("patching.windows.uksouth.timeZone", "'Eastern Time'", "must be a Windows time zone "
                                          "ID as tzutil /l lists it, such as GMT Standard Time or Eastern Standard Time "
                                          "(did you mean Eastern Standard Time?)")]


def test_a_fleet_region_without_its_own_patch_window_is_stated_in_the_plan():
    from offline.plan import plan

    text = dev_text('      uksouth: {start: "2026-01-03 02:00", duration: "03:00", recurEvery: 1Week Saturday, '
                    'timeZone: UTC}\n', "      {}\n").replace("    windows:\n      {}\n", "    mode: scheduled\n")
    from tests.config.loading import load_text
    from components.config.loading import default_patch_windows

    assert default_patch_windows("dev", load_text(text)) == [
        "Pulumi.dev.yaml: image-factory:patching.windows.uksouth: not set: the fleets in uksouth patch and restart in "
        "the program's default window, every 1Week Saturday from 02:00 for 03:00 (UTC); give uksouth a window of "
        "its own to choose when"]
    assert default_patch_windows("dev", load_text(dev_text("timeZone: UTC}", "timeZone: UTC}"))) == []
    assert not [w for w in plan("prod")["warnings"] if "patching.windows" in w]  # prod gives every region its own


def test_a_new_time_zone_replaces_the_vms_azure_will_not_change_it_in_place(plans):
    vm = next(r for r in resources(plans["prod"], VM) if r["name"] == "vm-nyc-app-000")
    assert "osProfile.windowsConfiguration.timeZone" in vm["options"]["replaceOnChanges"]
