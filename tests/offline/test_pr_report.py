"""The Markdown the offline CI job puts in the job summary and in one PR comment per stack."""

from __future__ import annotations

import copy

from offline import pr_report
from policy import POLICIES
from tests.graph import VM, one


def _fake(monkeypatch, plans, head: dict, base: dict | None):
    monkeypatch.setattr(pr_report, "plan", lambda stack: head)
    monkeypatch.setattr(pr_report, "plan_at", lambda ref, stack: base)


def test_a_clean_change_reports_its_consequences_policies_plan_and_graph(monkeypatch, plans, tmp_path):
    _fake(monkeypatch, plans, plans["dev"], None)
    assert pr_report.main(["--base", "origin/main", "--out", str(tmp_path), "--stack", "dev"]) == 0
    text = (tmp_path / "dev.md").read_text()
    assert text.splitlines()[0] == "<!-- image-factory-preview:dev -->"  # what .ci/pr-comment matches on
    assert "### `dev`: offline preview against `origin/main`" in text
    assert ":information_source: image win2025-base will be built" in text
    assert f"**Policies:** {len(POLICIES) - 2} passed, 0 failed, 2 not applicable" in text  # prod-protected, checksums
    assert "```mermaid\nflowchart LR" in text and "<summary>Offline plan</summary>" in text


def test_a_policy_failure_is_listed_and_fails_the_job(monkeypatch, plans, tmp_path):
    head = copy.deepcopy(plans["dev"])
    one(head, VM, "vm-dev-app-000")["inputs"]["location"] = "westeurope"
    _fake(monkeypatch, plans, head, plans["dev"])
    assert pr_report.main(["--base", "origin/main", "--out", str(tmp_path), "--stack", "dev"]) == 1
    text = (tmp_path / "dev.md").read_text()
    assert f"**Policies:** {len(POLICIES) - 4} passed, 2 failed, 2 not applicable" in text  # the moved VM also has no replica in its region
    assert "- :x: `replica-counts`" in text
    assert "- :x: `allowed-regions`" in text and "vm-dev-app-000: location is westeurope" in text


def test_a_long_report_is_cut_below_githubs_comment_limit(monkeypatch, plans):
    _fake(monkeypatch, plans, plans["prod"], None)
    monkeypatch.setattr(pr_report, "MAX_BODY", 2000)
    text, _ = pr_report.report("prod", "origin/main")
    assert len(text) < 2200 and text.rstrip().endswith("`make diff` show everything)")


def test_readme_links_become_absolute_in_github_actions(monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "contoso/image-factory")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    assert pr_report._link("README.md#stacks") == "https://github.com/contoso/image-factory/blob/abc123/README.md#stacks"
    assert pr_report._link("https://learn.microsoft.com/x") == "https://learn.microsoft.com/x"
    monkeypatch.delenv("GITHUB_SHA")
    assert pr_report._link("README.md#stacks") == "README.md#stacks"
