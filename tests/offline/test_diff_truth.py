"""The offline diff tells the truth about the everyday changes (issue 19): what Azure and Pulumi will do,
per fleet, from one classification that the summary, the resource list and the estimate all render."""

from __future__ import annotations

import copy
import functools
import re
from collections import Counter

import pytest

from components.config.loading import ConfigError
from offline import diff_cli
from offline.compare import compare
from offline.diff import diff_plans, render_text
from offline.diff_text import WIDTH, show_pair
from offline.durations import TABLE
from offline.plan import plan, stack_names
from tests.conftest import _cached_plan
from tests.graph import BUILDS, plan_stack, stack_value

@functools.lru_cache(maxsize=None)
def _builds() -> dict:
    return plan_stack(BUILDS)


NEW_CUSTOMIZER = {"type": "PowerShell", "name": "set-locale", "inline": ["Set-WinSystemLocale en-GB"]}


def _fleets(**changes):
    fleets = stack_value(BUILDS, "image-factory:fleets")
    for name, values in changes.items():
        fleets[name.replace("_", "-")].update(values)
    return {"fleets": fleets}


def _images(edit):
    images = stack_value(BUILDS, "image-factory:images")
    edit(images)
    return {"images": images}


LAYERED = {"description": "Windows Server 2025 with SQL Server client tools, on the base image.",
           "identifier": {"publisher": "ContosoFinance", "offer": "WindowsServer2025", "sku": "datacenter-azure-edition-sql"},
           "source": {"image": "win2025-base"}, "build": {"vmSize": "Standard_D8ds_v5", "private": True},
           "customize": [{"type": "PowerShell", "name": "sql-tools", "inline": ["Write-Output sql-tools"]}],
           "regions": [{"name": "uksouth", "storageAccountType": "Standard_ZRS"}], "versioning": {"major": 1}}
AT_ONCE = {"rolloutBatch": 6}
NEW_FLEET = {"region": "uksouth", "image": "win2025-base", "count": 2, "size": "Standard_D4s_v5", "zones": ["1", "2"]}

EDITS = {
    "scale down": _fleets(lon_app={"count": 4}),
    "scale set in": _fleets(lon_web={"count": 60}),
    # rolloutBatch 6: every VM of the fleet in one wave, at once (the default is a zone at a time, issue 20)
    "resize": _fleets(lon_app={"size": "Standard_D8s_v5", "rolloutBatch": 6}, lon_web={"size": "Standard_D4s_v5"}),
    "admin username": {"adminUsername": "opsadmin", **_fleets(lon_app=AT_ONCE, nyc_app=AT_ONCE)},
    "customizer insert": {**_images(lambda i: i["win2025-app"]["customize"].insert(1, NEW_CUSTOMIZER)),
                          **_fleets(lon_app=AT_ONCE, nyc_app=AT_ONCE)},
    "customizer in waves": _images(lambda i: i["win2025-app"]["customize"].insert(1, NEW_CUSTOMIZER)),
    "region add": _images(lambda i: i["win2025-base"]["regions"].append(
        {"name": "ukwest", "storageAccountType": "Standard_LRS"})),
    "layered image": _images(lambda i: i.update({"win2025-sql": LAYERED})),
    "fleet add": {"fleets": {**stack_value(BUILDS, "image-factory:fleets"), "lon-batch": NEW_FLEET}},
}


@pytest.fixture(scope="module")
def edited():
    """Each everyday edit of prod as it builds its own images (the prod-builds fixture: the shipped prod
    promotes dev's, tests/images/test_promotion.py), diffed against it."""
    return {name: diff_plans(_builds(), plan_stack(BUILDS, overrides=overrides)) for name, overrides in EDITS.items()}


def texts(diff: dict, level: str) -> list[str]:
    return [c["text"] for c in diff["consequences"] if c["level"] == level]


def _every_diff(edited) -> dict[str, dict]:
    out = dict(edited)
    for stack in stack_names():
        doc = _cached_plan(stack)
        out[f"{stack} unchanged"] = diff_plans(doc, doc)
        out[f"{stack} new"] = diff_plans(None, doc)
    return out


def test_the_summary_and_the_resource_list_agree_over_every_stack_and_edit(edited):
    for name, diff in _every_diff(edited).items():
        text = render_text(diff)
        summary = re.search(r"^Resources: (\d+) to add, (\d+) to delete, (\d+) to update in place, (\d+) to update "
                            r"with a restart, (\d+) to replace", text, re.M)
        listed = Counter(m.group(1) for m in re.finditer(r"^ ?(?:\+-|~!|[+~-]) (add|delete|update|restart|replace)\b",
                                                         text, re.M))
        said = dict(zip(("add", "delete", "update", "restart", "replace"), map(int, summary.groups())))
        assert said == {a: listed.get(a, 0) for a in said}, name
        assert said == {a: diff["summary"][a] for a in said}, name  # the JSON says what the text says


def test_fleet_counts_in_the_consequences_are_the_changes_of_that_fleet(edited):
    for name, diff in edited.items():
        for c in diff["consequences"]:
            m = re.match(r"fleet ([\w-]+): (\d+) VM\(s\) (removed|recreated|restarted)", c["text"])
            if m:
                action = {"removed": "delete", "recreated": "replace", "restarted": "restart"}[m.group(3)]
                vms = [x for x in diff["changes"] if x["component"] == m.group(1) and x["action"] == action
                       and x["type"].endswith(":VirtualMachine")]
                assert len(vms) == int(m.group(2)), (name, c["text"])


def test_scaling_a_fleet_down_removes_vms_and_says_so(edited):
    diff = edited["scale down"]
    assert [c["text"] for c in diff["consequences"]] == [
        "fleet lon-app: 2 VM(s) removed (6 -> 4): vm-lon-app-004, vm-lon-app-005 deleted, with their OS disks"]
    assert diff["consequences"][0]["level"] == "warning"
    assert {c["action"] for c in diff["changes"]} == {"delete"}
    assert diff["estimate"]["minutes"] == round(TABLE["delete"].minutes)


def test_a_scale_set_scaled_in_removes_instances_in_place(edited):
    diff = edited["scale set in"]
    assert [(c["action"], c["azureName"]) for c in diff["changes"]] == [("update", "vmss-lon-web")]
    assert [(c["level"], c["text"]) for c in diff["consequences"]] == [
        ("warning", "fleet lon-web: scale set vmss-lon-web 80 -> 60 instances: 20 instance(s) removed")]


def test_a_resize_restarts_and_a_whole_vms_fleet_restarting_at_once_is_an_error(edited):
    diff = edited["resize"]
    vms = [c for c in diff["changes"] if c["component"] == "lon-app"]
    assert len(vms) == 6 and {c["action"] for c in vms} == {"restart"}
    assert "hardwareProfile.vmSize: Azure restarts a running machine" in vms[0]["restartReasons"][0]
    assert "learn.microsoft.com/azure/virtual-machines/sizes/resize-vm" in vms[0]["restartReasons"][0]
    assert texts(diff, "error")[0].startswith("fleet lon-app: 6 VM(s) restarted at once to resize "
                                              "(hardwareProfile.vmSize): the fleet is down while they are")
    assert ("fleet lon-web: scale set vmss-lon-web: its 80 instance(s) restart to the new size, 20% a batch "
            "(Rolling upgrade policy): at most 20% are down at a time") in texts(diff, "warning")
    assert diff["summary"]["restart"] == 7 and diff["summary"]["update"] == 0


def test_an_admin_username_change_takes_every_fleet_down_an_error_per_fleet(edited):
    errors = texts(edited["admin username"], "error")
    assert [e.split(":", 1)[0] for e in errors] == ["fleet lon-app", "fleet lon-web", "fleet nyc-app", "fleet nyc-web"]
    assert "6 VM(s) recreated at once" in errors[0]
    # A scale set keeps its name: Pulumi would create its replacement first, which azure-native refuses.
    assert "create-first under the same name: azure-native refuses" in errors[1] and "80 instance(s)" in errors[1]
    assert edited["admin username"]["summary"]["replaceDeleteFirst"] == 12


def test_a_new_customizer_is_one_added_item_and_rebuilds(edited):
    diff = edited["customizer insert"]
    template = next(c for c in diff["changes"] if c["type"].endswith(":VirtualMachineImageTemplate"))
    customize = {p: v for p, v in template["properties"].items() if p.startswith("customize")}
    assert list(customize) == ["customize[name=set-locale]"]
    assert customize["customize[name=set-locale]"][0] is None
    assert customize["customize[name=set-locale]"][1]["inline"] == NEW_CUSTOMIZER["inline"]
    # what this change's `pulumi up` costs: the rebuild, its replicas and the app fleets, not a new stack
    assert 60 < diff["estimate"]["minutes"] < _builds()["criticalPath"]["minutes"]
    assert [link["name"] for link in diff["estimate"]["path"]][:2] == ["win2025-app-template", "win2025-app-build"]


def test_a_new_region_replicates_in_place_without_rebuild_or_rollout(edited):
    diff = edited["region add"]
    assert [(c["action"], c["azureName"]) for c in diff["changes"]] == [("add", "win2025-base-replicas-ukwest")]
    assert texts(diff, "info") == ["image win2025-base: its version is replicated to ukwest in place (VersionReplicas "
                                   "win2025-base-replicas-ukwest, add): no rebuild, no VM touched"]
    assert diff["estimate"]["minutes"] == TABLE["replication, another region"].minutes
    assert render_text(diff).splitlines()[-1] == "this change ≈ 30 min: win2025-base-replicas-ukwest (add)"


def test_a_new_layered_image_and_a_new_fleet_are_creates_only(edited):
    image, fleet = edited["layered image"], edited["fleet add"]
    assert {c["action"] for c in image["changes"]} == {"add"}
    # a new `vms` fleet joins its region's Update Manager schedule, which picks VMs by their fleet tag (issue 21)
    assert [(c["action"], c["azureName"], list(c["properties"])) for c in fleet["changes"] if c["action"] != "add"] == [
        ("update", "patch-imgfactory-prod-uks", ["filter.tagSettings.tags.fleet"])]
    template = next(c["azureName"] for c in image["changes"] if c["type"].endswith(":VirtualMachineImageTemplate"))
    assert texts(image, "info") == [f"image win2025-sql will be built: new template {template}"]
    assert texts(fleet, "info") == ["fleet lon-batch: new: 2 VM(s) created"]
    # the new image's build after its base's existing version: build and its replica step, no base rebuild
    assert [link["name"] for link in image["estimate"]["path"]][-2:] == ["win2025-sql-build", "win2025-sql-replicas-uksouth"]


def test_an_unchanged_stack_has_nothing_to_estimate():
    doc = _cached_plan("dev")
    diff = diff_plans(doc, doc)
    assert diff["estimate"]["minutes"] == 0
    assert render_text(diff).splitlines()[-1] == "Time of this change's `pulumi up`: nothing to do."


# --- acknowledgements -----------------------------------------------------------------------------

ACK = {"fleet": "lon-app", "reason": "CHG0012345: Saturday window agreed with the app owners"}


@pytest.fixture(scope="module")
def customizer_plan():
    return plan_stack(BUILDS, overrides=EDITS["customizer insert"])


def _acked(doc: dict, acks: list[dict]) -> dict:
    out = copy.deepcopy(doc)
    out["acknowledgements"] = acks
    return out


def test_an_acknowledged_fleet_is_a_warning_and_the_other_fleet_stays_an_error(customizer_plan):
    head = plan_stack(BUILDS, overrides={**EDITS["customizer insert"], "acknowledge": [ACK]})
    assert head["acknowledgements"] == [ACK]  # the stack file's key, as the program validated it
    diff = diff_plans(_builds(), head)
    lon = next(c for c in diff["consequences"] if c["text"].startswith("fleet lon-app"))
    assert lon["level"] == "warning" and lon["acknowledged"] == ACK["reason"]
    assert lon["text"] == ("fleet lon-app: 6 VM(s) recreated at once, each deleted before its replacement is created "
                           "(storageProfile.imageReference.id): the fleet is down while they are "
                           f"(acknowledged: {ACK['reason']})")
    assert [t.split(":", 1)[0] for t in texts(diff, "error")] == ["fleet nyc-app"]


def test_an_acknowledgement_the_change_does_not_need_is_an_error(customizer_plan):
    stale = {"fleet": "lon-web", "reason": "typo"}
    diff = diff_plans(_builds(), _acked(customizer_plan, [stale]))
    assert ("Pulumi.prod.yaml: image-factory:acknowledge names fleet lon-web, but this change does not need it "
            "(nothing of fleet lon-web is taken down, replaced or deleted): remove the entry, or fix its name"
            ) in texts(diff, "error")


def test_an_acknowledgement_from_an_earlier_change_counts_no_more(customizer_plan):
    diff = diff_plans(_acked(_builds(), [ACK]), _acked(customizer_plan, [ACK]))
    assert any(t.startswith("fleet lon-app: 6 VM(s) recreated at once") for t in texts(diff, "error"))
    assert ("Pulumi.prod.yaml: image-factory:acknowledge still names fleet lon-app from an earlier change; it counts "
            "no more: remove it") in texts(diff, "info")


def test_an_acknowledgement_names_one_thing_and_why():
    with pytest.raises(ConfigError) as error:
        plan_stack(BUILDS, overrides={"acknowledge": [{"fleet": "lon-app", "resource": "win2025-base", "reason": "x"}]})
    assert "image-factory:acknowledge[0]" in str(error.value) and "exactly one of fleet or resource" in str(error.value)


def test_make_diff_exits_1_on_an_error_and_0_once_acknowledged(monkeypatch, capsys, customizer_plan):
    monkeypatch.setattr(diff_cli, "plan_at", lambda ref, stack: _builds())
    monkeypatch.setattr(diff_cli, "plan", lambda stack: customizer_plan)
    assert diff_cli.main(["--base", "origin/main", "--stack", "prod"]) == 1
    assert "ERROR: fleet lon-app" in capsys.readouterr().out
    both = [ACK, {"fleet": "nyc-app", "reason": "same window"}]
    monkeypatch.setattr(diff_cli, "plan", lambda stack: _acked(customizer_plan, both))
    assert diff_cli.main(["--base", "origin/main", "--stack", "prod", "--format", "json"]) == 0


# --- lists by natural key, long values --------------------------------------------------------------

def test_lists_are_compared_by_their_natural_key():
    old = {"targetRegions": [{"name": "uksouth", "replicaCount": 1}, {"name": "eastus", "replicaCount": 1}],
           "securityRules": [{"name": "deny-all", "priority": 4096}], "zones": ["1", "2"]}
    new = {"targetRegions": [{"name": "eastus", "replicaCount": 2}, {"name": "uksouth", "replicaCount": 1}],
           "securityRules": [{"name": "allow-bastion", "priority": 100}, {"name": "deny-all", "priority": 4096}],
           "zones": ["1", "2", "3"]}
    assert compare(old, new) == {
        "securityRules[name=allow-bastion]": [None, {"name": "allow-bastion", "priority": 100}],
        "targetRegions[name=eastus].replicaCount": [1, 2],
        "targetRegions (order)": [["uksouth", "eastus"], ["eastus", "uksouth"]],
        "zones": [["1", "2"], ["1", "2", "3"]]}


def test_a_long_value_shows_the_part_that_changed():
    was = "/subscriptions/x/resourceGroups/rg-aib-staging-it-win2025-app-" + "a" * 80 + "-064e76718a"
    now = was.replace("064e76718a", "c62aa048ae")
    a, b = show_pair(was, now)
    assert a.endswith('064e76718a"') and b.endswith('c62aa048ae"') and a.startswith("…")
    assert len(a) <= WIDTH + 2 and len(b) <= WIDTH + 2


def _dev_vms_replaced(chain: bool) -> dict:
    old = _cached_plan("dev")
    new = copy.deepcopy(old)
    vms = sorted((r for r in new["resources"] if r["type"].endswith(":VirtualMachine")), key=lambda r: r["name"])
    for r in vms:
        r["inputs"]["osProfile"]["adminUsername"] = "opsadmin"
    extensions = {r["urn"] for r in new["resources"] if r["type"].endswith(":VirtualMachineExtension")}
    for r in vms:  # no waves: no VM waits for another's health extension (dev plans waves: issue 20)
        r["dependsOn"] = [d for d in r["dependsOn"] if d not in extensions]
    if chain:  # a second wave: the later VM waits for the first (what a rollout in waves would plan)
        vms[1]["dependsOn"] = sorted(vms[1]["dependsOn"] + [vms[0]["urn"]])
    return diff_plans(old, new)


def test_vms_recreated_together_take_the_fleet_down_vms_in_waves_do_not():
    together, waves = _dev_vms_replaced(False), _dev_vms_replaced(True)
    assert texts(together, "error")[0].startswith("fleet dev-app: 2 VM(s) recreated at once")
    assert texts(waves, "error") == []
    [warning] = texts(waves, "warning")
    assert warning.startswith("fleet dev-app: 2 of 2 VM(s) recreated or restarted (osProfile.adminUsername")
    assert " in 2 waves, at most 1 at a time, each once the one before runs and reports healthy: at least 1 keep " \
           "running (wave 1: vm-dev-app-000; wave 2: vm-dev-app-001)" in warning


def test_a_rebuilt_image_rolls_a_vms_fleet_in_waves_that_the_diff_names(edited):
    # prod's fleets span zones 1-3: a wave a zone, so the change is a warning, never the whole fleet at once
    diff = edited["customizer in waves"]
    assert not [t for t in texts(diff, "error") if t.startswith("fleet ")]
    [lon] = [t for t in texts(diff, "warning") if t.startswith("fleet lon-app:")]
    assert lon.endswith("in 3 waves, at most 2 at a time, each once the one before runs and reports healthy: at least "
                        "4 keep running (wave 1: vm-lon-app-000, vm-lon-app-003; wave 2: vm-lon-app-001, vm-lon-app-004; "
                        "wave 3: vm-lon-app-002, vm-lon-app-005)")
