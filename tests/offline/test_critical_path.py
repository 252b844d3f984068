"""The plan's estimate of how long `pulumi up` takes: one table of nominal durations with their sources,
the critical path at the end of the text plan and in the JSON, and no silent queueing behind the four
dynamic-provider threads."""

from __future__ import annotations

import re


from offline import durations
from offline.critical_path import critical_path, long_waits, simulate
from offline.plan import plan, render_text
from tests.graph import BUILDS
from tests.graph import REPLICAS, resources, stack_value

ROLE_PROPAGATION = "pulumi-python:dynamic/role_propagation:RolePropagation"


def test_every_duration_comes_from_a_microsoft_document():
    for name, row in durations.TABLE.items():
        assert row.minutes >= 0 and row.basis and row.title, name
        assert row.url.startswith("https://learn.microsoft.com/"), name
    assert durations.PROVIDER_THREADS == 4


def test_the_text_plan_ends_with_the_critical_path_and_says_it_is_an_estimate(plans):
    lines = render_text(plans["prod"]).splitlines()
    assert re.fullmatch(r"critical path ≈ \d+ min: [\w-]+( → [\w-]+)+", lines[-1]), lines[-1]
    assert "estimate" in lines[-3] and "offline/durations.py" in lines[-3]
    assert lines[-2] == "fleets running: " + ", ".join(
        f"{name} ≈ {m} min" for name, m in plans["prod"]["criticalPath"]["fleetsReady"].items())
    assert lines[-1] == f"critical path ≈ {plans['prod']['criticalPath']['minutes']} min: " + " → ".join(
        link["name"] for link in plans["prod"]["criticalPath"]["path"])


def test_the_json_gains_critical_path_and_long_waits_and_keeps_its_keys(stack_plan):
    assert list(stack_plan) == ["stack", "project", "resources", "outputs", "warnings", "criticalPath", "longWaits",
                               "acknowledgements", "uploads"]
    entry = stack_plan["criticalPath"]
    assert entry["estimate"] is True and "estimate" in entry["note"] and entry["minutes"] > 0
    urns = {r["urn"] for r in stack_plan["resources"]}
    assert all(link["urn"] in urns for link in entry["path"])


def test_each_link_starts_when_the_one_before_it_ends(stack_plan):
    sim = simulate(stack_plan)
    path = stack_plan["criticalPath"]["path"]
    assert sim["start"][path[0]["urn"]] == 0
    for before, after in zip(path, path[1:]):
        assert sim["start"][after["urn"]] == sim["finish"][before["urn"]], (before["name"], after["name"])
    assert stack_plan["criticalPath"]["minutes"] == int(sim["finish"][path[-1]["urn"]] + 0.5)


def test_prod_path_runs_through_the_build_and_one_version_update_at_a_time(plans):
    path = plans[BUILDS]["criticalPath"]["path"]
    names = [link["name"] for link in path]
    # The app image is layered on the base (issue 12): its build follows the base's, so the longest chain
    # runs through both builds and ends at a New York app VM.
    at = names.index("win2025-base-build")
    assert names[at:at + 6] == ["win2025-base-build", "win2025-app-template", "win2025-app-build",
                                "win2025-app-replicas-uksouth", "win2025-app-replicas-eastus", "vm-nyc-app-003"]
    assert names[-1] == "health-nyc-app-005"  # then the fleet's waves, one after another
    # eastus's step has no dependency on uksouth's: it waits for the version's lock (one update at a time).
    assert path[at + 4]["startsAfter"] == "the version's lock"
    # London's fleets run before New York's replicas have landed: they wait for their own region only.
    ready = plans[BUILDS]["criticalPath"]["fleetsReady"]
    assert max(ready["lon-app"], ready["lon-web"]) < ready["nyc-app"] == plans[BUILDS]["criticalPath"]["minutes"]
    build = next(r for r in resources(plans[BUILDS], "pulumi-python:dynamic/image_build:ImageBuild")
                 if r["name"] == "win2025-base-build")
    index = {r["urn"]: r for r in plans[BUILDS]["resources"]}
    t = durations.TABLE
    assert durations.minutes(build, index) == (t["windows build"].minutes + t["boot optimization"].minutes
                                               + t["distribution, home region"].minutes)
    eastus = next(r for r in resources(plans[BUILDS], REPLICAS) if r["name"] == "win2025-base-replicas-eastus")
    assert durations.minutes(eastus, index) == (t["replication, another region"].minutes
                                                + t["more replicas in a region"].minutes)


def _doc(n: int, type_: str = ROLE_PROPAGATION) -> dict:
    return {"resources": [{"urn": f"u{i}", "type": type_, "name": f"wait-{i}", "custom": True, "parent": None,
                           "dependsOn": [], "inputs": {}, "options": {}} for i in range(n)]}


def test_a_fifth_long_wait_queues_behind_the_four_threads():
    minutes = durations.TABLE["role propagation"].minutes
    assert critical_path(_doc(4))["minutes"] == minutes and long_waits(_doc(4))["warning"] is None
    five = critical_path(_doc(5))
    assert five["minutes"] == 2 * minutes
    assert [link["startsAfter"] for link in five["path"]] == [None, "a provider thread"]
    waits = long_waits(_doc(5))
    assert waits["peak"] == 5 and waits["queued"] == ["wait-4"] and "separate stacks" in waits["warning"]
    # Azure-native resources run in the engine itself: no thread limit applies to them.
    assert critical_path(_doc(8, "azure-native:network:BastionHost"))["minutes"] == \
        durations.TABLE["bastion host"].minutes


def test_five_builds_in_one_stack_are_announced_not_queued_silently():
    images = stack_value("dev", "image-factory:images")
    base = images["win2025-base"]
    images = {f"img{i}": {**base, "identifier": {**base["identifier"], "sku": f"sku-{i}"}} for i in range(5)}
    doc = plan("dev", overrides={"image-factory:images": images, "image-factory:fleets": {}})
    waits = doc["longWaits"]
    assert waits["peak"] > 4 and waits["warning"]
    assert any(line.startswith("warning: ") and "4 threads" in line for line in render_text(doc).splitlines())
    assert "a provider thread" in [link["startsAfter"] for link in doc["criticalPath"]["path"]]


def test_shipped_stacks_fit_in_four_threads(stack_plan):
    assert stack_plan["longWaits"]["warning"] is None


def test_bench_reports_each_stacks_critical_path_beside_its_timings(plans):
    from offline import bench
    facts = bench.plan_facts("prod")
    assert facts == {"resources": len(plans["prod"]["resources"]), "minutes": plans["prod"]["criticalPath"]["minutes"],
                     "ends": "health-nyc-app-005", "queues": False}


def test_the_design_notes_table_matches_the_plans(plans):
    from offline.plan import ROOT
    readme = (ROOT / "docs" / "design.md").read_text()
    for stack, doc in plans.items():
        ready = ", ".join(f"{name} {m}" for name, m in sorted(doc["criticalPath"]["fleetsReady"].items(),
                                                               key=lambda item: (item[1], item[0])))
        assert f"| `{stack}` | ≈ {doc['criticalPath']['minutes']} min | {ready} |" in readme, stack


def test_boot_optimization_counts_the_35_minutes_microsoft_states():
    # issue 21 item 11: "about 35 minutes for a 127 GB Windows image"; the table used to assume 10.
    row = durations.TABLE["boot optimization"]
    assert row.minutes == 35 and row.title == "VM optimization for gallery images with Azure VM Image Builder"


def test_the_design_notes_nominal_figures_are_the_duration_table():
    # docs/design.md repeats the table's figures in words: each pair below must agree with offline/durations.py.
    from offline.plan import ROOT
    text = " ".join((ROOT / "docs" / "design.md").read_text().split())
    said = {"Windows build": "windows build", "boot optimization +": "boot optimization",
            "distribution to the home region": "distribution, home region",
            "replication to another region": "replication, another region", "role propagation": "role propagation",
            "template": "image template", "Bastion host": "bastion host", "scale set": "scale set",
            "generalize": "generalize", "managed image": "managed image",
            "gallery version from an image": "gallery version from an image",
            "copy from another gallery": "copy from another gallery, same region",
            "VHD upload": "vhd upload, per GiB of data"}
    for words, key in said.items():
        figure = f"{durations.TABLE[key].minutes:g}"
        assert f"{words} {figure}" in text or f"{words}{figure}" in text, f"docs/design.md: {words} {figure}"
