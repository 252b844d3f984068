"""The workflows that hold the keys to prod (issue 21, item 15): zizmor, GitHub Actions' security linter, offline,
finds nothing at medium severity or above; every action is pinned by commit SHA with its version in a comment, on
a major that runs on node24 (GitHub removes node20 from its runners); checkouts keep no token; only the jobs that
log in to Azure may ask for an OIDC token, and the workflows grant nothing by default."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from offline.plan import ROOT

GITHUB = ROOT / ".github"
FILES = sorted([*(GITHUB / "workflows").glob("*.yml"), *(GITHUB / "actions").glob("*/action.yml")])
# Each action's majors and the runtime its action.yml declares (`runs.using`), read at the major's tag in the
# action's repository. node20 leaves GitHub's runners (announced for 2026-09-23): its majors would not start.
RUNTIMES = {
    "actions/checkout": {4: "node20", 5: "node24", 6: "node24", 7: "node24"},
    "actions/setup-python": {4: "node16", 5: "node20", 6: "node24", 7: "node24"},
    "actions/setup-node": {4: "node20", 5: "node24", 6: "node24", 7: "node24"},
    "pulumi/actions": {4: "node16", 5: "node20", 6: "node20", 7: "node24"},
}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")
SEVERE = {"Medium", "High"}


def uses_lines() -> list[tuple[str, str, str]]:
    found = []
    for path in FILES:
        for line in path.read_text().splitlines():
            if (m := USES.match(line)) and not m["ref"].startswith("./"):
                found.append((path.name, m["ref"], (m["comment"] or "").strip()))
    return found


def test_zizmor_offline_finds_nothing_at_medium_or_above():
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    assert zizmor, "zizmor is pinned in requirements-dev.txt: `make venv` installs it"
    done = subprocess.run([zizmor, "--offline", "--no-config", "--format=json", str(GITHUB)],
                          capture_output=True, text=True, cwd=ROOT)
    findings = json.loads(done.stdout or "[]")
    assert done.returncode in (0, 10, 11, 12, 13, 14), done.stderr  # 1x: findings, judged below
    severe = [f"{f['ident']} ({f['determinations']['severity']}): {f['desc']} at "
              f"{f['locations'][0]['symbolic']['key']['Local']['verbatim_path']}:"
              f"{f['locations'][0]['concrete']['location']['start_point']['row'] + 1}"
              for f in findings if f["determinations"]["severity"] in SEVERE]
    assert not severe, "\n".join(severe)


def test_every_action_is_pinned_by_sha_with_its_version_on_a_node24_major():
    found = uses_lines()
    assert {ref.split("@")[0] for _, ref, _ in found} == set(RUNTIMES), "a new action needs its row in RUNTIMES"
    for name, ref, comment in found:
        action, _, sha = ref.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", sha), f"{name}: {ref} is not pinned by a commit SHA"
        version = re.fullmatch(r"v(\d+)\.\d+\.\d+", comment)
        assert version, f"{name}: {ref} needs its version in a comment (`# vX.Y.Z`), got {comment!r}"
        runtime = RUNTIMES[action].get(int(version[1]))
        assert runtime == "node24", f"{name}: {action} {comment} runs on {runtime or 'an unknown runtime'}"


@pytest.mark.parametrize("action, major", [(a, m) for a, majors in RUNTIMES.items() for m in majors])
def test_the_runtime_table_refuses_the_node20_era(action, major):
    # The table is the check's knowledge: a major on node20 or older must never pass.
    assert (RUNTIMES[action][major] == "node24") == (major >= {"actions/checkout": 5, "actions/setup-python": 6,
                                                               "actions/setup-node": 5, "pulumi/actions": 7}[action])


def steps_of(job: dict) -> list[dict]:
    return job.get("steps", [])


@pytest.mark.parametrize("path", sorted((GITHUB / "workflows").glob("*.yml")), ids=lambda p: p.name)
def test_least_permissions_and_no_persisted_token(path):
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {}, f"{path.name}: grant nothing at the top, per job what it uses"
    for name, job in workflow["jobs"].items():
        logs_in = any(s.get("uses") == "./.github/actions/pulumi-azure" for s in steps_of(job))
        wants_token = (job.get("permissions") or {}).get("id-token") == "write"
        assert wants_token == logs_in, f"{path.name} job {name}: id-token: write only where it logs in to Azure"
        for step in steps_of(job):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert (step.get("with") or {}).get("persist-credentials") is False, f"{path.name} job {name}"
