"""The monthly rebuild: a scheduled workflow that bumps the rebuild marker in a pull request, and the
bump script it runs (offline/rebuild_marker.py), run here on a copy of the dev stack file."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from offline.plan import ROOT, plan
from offline.rebuild_marker import main
from tests.graph import TEMPLATE, resources

WORKFLOW = ROOT / ".github" / "workflows" / "monthly-rebuild.yml"


def test_it_validates_against_githubs_workflow_schema():
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                             str(WORKFLOW)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_the_week_after_patch_tuesday_with_least_privilege():
    flow = yaml.safe_load(WORKFLOW.read_text())
    # `on` is YAML 1.1's boolean true to PyYAML.
    [schedule] = flow[True]["schedule"]
    assert schedule["cron"] == "0 6 15-21 * *"  # the days the Tuesday after the second Tuesday falls on
    job = flow["jobs"]["bump"]
    assert '"$(date -u +%u)" != "2"' in job["steps"][0]["run"]  # ... and only on that Tuesday
    assert flow["permissions"] == {} and job["permissions"] == {"contents": "write", "pull-requests": "write"}
    uses = [s["uses"] for s in job["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", u) for u in uses)
    assert all(re.search(r"@[0-9a-f]{40} # v\d", line) for line in WORKFLOW.read_text().splitlines() if "uses:" in line)
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    assert "python -m offline.rebuild_marker Pulumi.dev.yaml" in next(s["run"] for s in job["steps"] if s.get("id") == "bump")


def test_the_bump_on_a_copy_rebuilds_every_image_and_changes_nothing_else(tmp_path, capsys):
    copy = tmp_path / "Pulumi.dev.yaml"
    original = (ROOT / "Pulumi.dev.yaml").read_text()
    copy.write_text(original)
    assert main([str(copy), "--month", "2031-01"]) == 0
    assert capsys.readouterr().out.startswith(f"{copy}: rebuild marker 2031-01 for win2025-base, win2025-app")
    bumped = copy.read_text()
    changed = [(a, b) for a, b in zip(original.splitlines(), bumped.splitlines()) if a != b]
    assert len(bumped.splitlines()) == len(original.splitlines())
    assert changed and all(b == '      rebuild: "2031-01"' and a.startswith("      rebuild: ") for a, b in changed)
    before = {t["name"]: t["inputs"]["imageTemplateName"] for t in resources(plan("dev"), TEMPLATE)}
    after = {t["name"]: t["inputs"]["imageTemplateName"] for t in resources(plan("dev", text=bumped), TEMPLATE)}
    assert set(before) == set(after) and all(before[n] != after[n] for n in before)  # new templates: new builds
    assert main([str(copy), "--month", "2031-01"]) == 3  # twice: nothing more to propose


def test_an_image_without_a_marker_gets_one_and_bad_input_is_one_line(tmp_path, capsys):
    copy = tmp_path / "Pulumi.dev.yaml"
    copy.write_text("\n".join(l for l in (ROOT / "Pulumi.dev.yaml").read_text().splitlines()
                              if not l.startswith("      rebuild: ")) + "\n")
    assert main([str(copy), "--month", "2031-02"]) == 0
    assert copy.read_text().count('      rebuild: "2031-02"') == 2
    assert main([str(copy), "--month", "2031-13"]) == 2
    assert capsys.readouterr().err == "error: --month 2031-13: give the month as YYYY-MM, e.g. 2027-01\n"
