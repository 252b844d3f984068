"""The offline diff: two known configs of prod, and what a reviewer reads at the top."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest

from offline import diff_cli
from offline.diff import diff_plans, render_text
from offline.plan import ROOT, plan, render_json
from offline.replacement import replace_reasons
from tests.conftest import _cached_plan
from tests.graph import BUILDS, TEMPLATE, one, plan_stack, stack_value


@pytest.fixture(scope="module")
def changed_prod():
    """prod with a new build VM for win2025-app (a new recipe) and a new identifier for win2025-base's
    definition (which Azure cannot change in place, on a protected resource)."""
    images = stack_value(BUILDS, "image-factory:images")
    images["win2025-app"]["build"]["vmSize"] = "Standard_D16ds_v5"
    images["win2025-base"]["identifier"]["sku"] = "datacenter-azure-edition-base-v2"
    return plan_stack(BUILDS, overrides={"images": images})


@pytest.fixture(scope="module")
def prod_diff(changed_prod):
    return diff_plans(_cached_plan(BUILDS), changed_prod)


def texts(diff: dict, level: str) -> list[str]:
    return [c["text"] for c in diff["consequences"] if c["level"] == level]


def test_a_new_recipe_rebuilds_the_image(prod_diff):
    rebuilt = [t for t in texts(prod_diff, "warning") if t.startswith("image win2025-app will be rebuilt")]
    assert len(rebuilt) == 1 and "template it-win2025-app-" in rebuilt[0]
    assert not any("win2025-base will be rebuilt" in t for t in texts(prod_diff, "warning"))


def test_a_rebuilt_image_rolls_every_vms_fleet_in_waves_not_at_once(prod_diff):
    # issue 20: a zone at a time, each wave after the one before reports healthy; issue 19: never "at once"
    warnings = texts(prod_diff, "warning")
    for fleet in ("lon-app", "nyc-app"):
        assert any(t.startswith(f"fleet {fleet}: 6 of 6 VM(s) recreated or restarted (storageProfile.imageReference.id) "
                                "in 3 waves, at most 2 at a time") for t in warnings), warnings
    assert not [t for t in texts(prod_diff, "error") if t.startswith("fleet ")]
    assert not any("one at a time" in c["text"] for c in prod_diff["consequences"])


def test_a_protected_resource_replacement_is_an_error(prod_diff):
    errors = [t for t in texts(prod_diff, "error") if not t.startswith("fleet ")]
    assert errors == ["protected Microsoft.Compute/galleries/images win2025-base would be replaced: Pulumi refuses "
                      "while it is protected (`pulumi state unprotect` on its URN first), and fleets and versions "
                      "depend on it. To go ahead, add {resource: win2025-base, reason: <why it is fine now>} to "
                      "image-factory:acknowledge in Pulumi.prod.yaml",
                      # and the definition keeps its name: Pulumi's create-first replacement would fail
                      "Microsoft.Compute/galleries/images win2025-base would be replaced create-first under the same "
                      "name (identifier.sku): azure-native refuses to create a resource that exists, so `pulumi up` "
                      "fails there. Revert that change, or the program must replace it delete-first "
                      "(deleteBeforeReplace)"]


def test_the_text_puts_the_consequences_first_and_shows_each_property(prod_diff):
    text = render_text(prod_diff, "origin/main")
    head, _, body = text.partition("Resources:")
    assert "ERROR: protected" in head and "WARNING: image win2025-app will be rebuilt" in head
    assert 'vmProfile.vmSize: "Standard_D8ds_v5" -> "Standard_D16ds_v5"' in body
    assert "replaces because imageTemplateName: part of the resource ID" in body


def test_an_in_place_update_of_a_template_is_an_error():
    old = _cached_plan("dev")
    new = copy.deepcopy(old)
    one(new, TEMPLATE, "win2025-base-template")["inputs"]["tags"]["extra"] = "x"  # same name, new content: what must never happen
    diff = diff_plans(old, new)
    assert [c["action"] for c in diff["changes"]] == ["update"]
    assert texts(diff, "error")[0].startswith("in-place update of image template it-win2025-base-")


def test_an_unchanged_stack_has_no_changes_and_a_new_stack_adds_everything():
    doc = _cached_plan("dev")
    assert diff_plans(doc, doc)["changes"] == []
    fresh = diff_plans(None, doc)
    assert fresh["summary"]["add"] == sum(1 for r in doc["resources"] if r["custom"]) and fresh["summary"]["same"] == 0


def test_replace_or_update_comes_from_the_id_the_options_and_the_table():
    vm = {"type": "azure-native:compute:VirtualMachine", "options": {"replaceOnChanges": ["osProfile.adminPassword"]}}
    assert replace_reasons(vm, ["tags.owner"]) == []
    assert "part of the resource ID" in replace_reasons(vm, ["vmName"])[0]
    assert "replaceOnChanges" in replace_reasons(vm, ["osProfile.adminPassword"])[0]
    assert "Azure cannot change it in place" in replace_reasons(vm, ["zones[0]"])[0]
    assert "Azure cannot change it in place" in replace_reasons(vm, ["location"])[0]


def test_json_plans_are_byte_identical_run_to_run(plans):
    assert render_json(plan("prod")) == render_json(plans["prod"])


def test_the_base_is_planned_by_its_own_plan_module(tmp_path: Path):
    (tmp_path / "tests/harness").mkdir(parents=True)
    (tmp_path / "tests/harness/offline_plan.py").write_text("")
    assert diff_cli.plan_module(tmp_path) == "tests.harness.offline_plan"
    (tmp_path / "offline").mkdir()
    (tmp_path / "offline/__main__.py").write_text("")
    assert diff_cli.plan_module(tmp_path) == "offline"


def test_make_diff_against_a_git_ref_in_a_temporary_worktree(capsys):
    assert diff_cli.main(["--base", "HEAD", "--stack", "dev", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["base"] == "HEAD" and result["stack"] == "dev" and "consequences" in result
    listed = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "image-factory-base-" not in listed  # the temporary worktree is gone


def test_an_unknown_ref_is_a_clear_error(capsys):
    assert diff_cli.main(["--base", "no-such-ref-anywhere", "--stack", "dev"]) == 2
    assert "no-such-ref-anywhere" in capsys.readouterr().err


def test_the_docs_example_comment_is_what_the_offline_job_writes(changed_prod, monkeypatch):
    from offline import pr_report

    monkeypatch.setattr(pr_report, "plan", lambda stack: changed_prod)
    monkeypatch.setattr(pr_report, "plan_at", lambda ref, stack: _cached_plan(BUILDS))
    text, problem = pr_report.report("prod", "origin/main")
    summary = text[:text.index("<details>")].rstrip()
    assert problem and summary in (ROOT / "docs/diff.md").read_text(), "docs/diff.md's example comment is stale"
