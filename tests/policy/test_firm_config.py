"""The firm's values live in policy/firm-config.json (CrossGuard's policy pack config), not in code:
the pack declares a config_schema for each policy that compares against them, `make policy` reads the
same file, and a policy that does not apply or meets a placeholder never says `pass`."""

from __future__ import annotations

import copy
import json
import re
import runpy
from pathlib import Path

import pytest

from policy import POLICIES, firm, pack_config
from policy.offline import main as policy_main, render_text, results
from tests.graph import BUILDS, TEMPLATE, VM, one, resources

ROOT = Path(__file__).resolve().parents[2]
CONFIG = pack_config.load(POLICIES)


def test_the_allowed_regions_come_from_the_config_file(plans):
    doc = copy.deepcopy(plans["dev"])
    one(doc, VM, "vm-dev-app-000")["inputs"]["location"] = "westeurope"
    assert firm.ALLOWED.evaluate(doc["resources"], {"allowedRegions": ["uksouth", "westeurope"]}) == []
    found = firm.ALLOWED.evaluate(plans["dev"]["resources"], {"allowedRegions": ["eastus"]})
    assert found and all("allowed regions are eastus (policy/firm-config.json" in m for _, m in found)


def test_no_firm_value_is_left_in_the_code():
    source = (ROOT / "policy" / "firm.py").read_text()
    assert "uksouth" not in source and "eastus" not in source
    assert "BASE_TAGS" not in source and '== "prod"' not in source


def test_the_pack_declares_a_config_schema_for_every_configured_policy():
    pack = runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="not_main")
    wrapped = {p.name: p for p in pack["wrapped"]()}
    raw = json.loads((ROOT / "policy" / "firm-config.json").read_text())
    configured = {k for k, v in raw.items() if isinstance(v, dict)}
    assert configured == {"allowed-regions", "required-tags", "prod-protected"}
    for name in configured:
        schema = wrapped[name].config_schema
        assert schema is not None and set(schema.required) == set(raw[name]) == set(schema.properties)


def test_the_crossguard_wrapper_reads_the_policy_config(plans):
    from types import SimpleNamespace

    from pulumi_policy.proxy import unknown_checking_proxy

    pack = runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="not_main")
    policy = next(p for p in pack["wrapped"]() if p.name == "allowed-regions")
    args = SimpleNamespace(urn="urn:pulumi:dev::p::azure-native:network:NetworkInterface::nic", name="nic",
                           resource_type="azure-native:network:NetworkInterface", opts=SimpleNamespace(protect=False),
                           props=unknown_checking_proxy({"location": "westeurope"}),
                           get_config=lambda: {"allowedRegions": ["uksouth"]})
    reported: list[str] = []
    policy.validate(args, reported.append)
    assert reported == ["location is westeurope: the firm's allowed regions are uksouth (policy/firm-config.json: "
                        "allowed-regions.allowedRegions) (docs/firm-settings.md#allowed-regions)"]


@pytest.mark.parametrize("text, line", [
    ('{"allowed-regions": {}, "required-tags": {"requiredTags": ["owner"]}, "prod-protected": {"protectedStacks": ["prod"]}}',
     "firm-config.json: allowed-regions: needs allowedRegions: Azure region names (the name column"),
    ('{"allowed-regions": {"allowedRegions": "uksouth"}, "required-tags": {"requiredTags": ["owner"]}, '
     '"prod-protected": {"protectedStacks": ["prod"]}}', 'allowed-regions.allowedRegions: "uksouth" must be array'),
    ('{"allowed-region": {}}', "firm-config.json: allowed-region: is not a policy of this pack"),
])
def test_a_bad_config_file_is_one_line_per_problem_with_the_fix(tmp_path, capsys, text, line):
    path = tmp_path / "firm-config.json"
    path.write_text(text)
    assert policy_main(["--stack", "dev", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert line in err and "Traceback" not in err


def test_a_policy_that_does_not_apply_says_so(plans):
    found = {r["policy"]: r for r in results(plans["dev"], CONFIG)}
    assert found["prod-protected"]["status"] == "n/a"
    text = render_text("dev", list(found.values()))
    assert "  pass  prod-protected" not in text
    assert ("  n/a   prod-protected: The protected stacks' gallery, image definitions and delete lock are protected. "
            "(does not apply: stack dev is not one of protectedStacks (prod) in policy/firm-config.json)") in text
    assert {r["policy"]: r["status"] for r in results(plans["prod"], CONFIG)}["prod-protected"] == "pass"


def test_a_placeholder_checksum_is_not_a_pass(plans):
    found = {r["policy"]: r for r in results(plans[BUILDS], CONFIG)}
    checksums = found["customizer-checksums"]
    assert checksums["status"] == "placeholder" and not checksums["violations"]
    text = render_text("prod", list(found.values()))
    assert "pass  customizer-checksums" not in text and "TODO  customizer-checksums" in text
    assert re.search(r"customizer \S+ downloads \S+ with the placeholder sha256Checksum 0000\.\.\.0000: put the "
                     r"file's SHA-256 there", text)
    assert "with a placeholder" in text.splitlines()[0]


def test_a_real_checksum_passes(plans):
    doc = copy.deepcopy(plans[BUILDS])
    for template in resources(doc, TEMPLATE):
        for step in template["inputs"]["customize"]:
            if step.get("sha256Checksum") == "0" * 64:
                step["sha256Checksum"] = "ab" * 32
    assert {r["policy"]: r["status"] for r in results(doc, CONFIG)}["customizer-checksums"] == "pass"


def test_the_policy_documents_state_the_values_the_config_gives(plans):
    doc = (ROOT / "docs" / "firm-settings.md").read_text()
    anchors = set(re.findall(r"^#+ .*?\{#([a-z-]+)\}|^<a id=\"([a-z-]+)\"", doc, re.M))
    for policy in POLICIES:
        if policy.doc.startswith("docs/firm-settings.md#"):
            anchor = policy.doc.split("#", 1)[1]
            assert f'<a id="{anchor}"></a>' in doc, anchor
    for values in CONFIG.values():
        for value in next(iter(values.values())):
            assert f"`{value}`" in doc, value
    assert anchors is not None
