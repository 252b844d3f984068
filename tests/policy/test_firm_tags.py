"""The program's own tags yield to the firm's: a stack tag the program also sets (Environment, compared
ignoring case as Azure does) wins on every resource, and the program's value moves to image-factory-<name>,
so a firm policy requiring `Environment: Non-Prod` can be met."""

from __future__ import annotations

from offline.plan import plan
from policy import POLICIES, firm, pack_config
from tests.config.loading import dev_text, load_text

CONFIG = pack_config.load(POLICIES)
FIRM_TAG = dev_text("    cost-centre: it-platform-dev", "    cost-centre: it-platform-dev\n    Environment: Non-Prod")


def test_a_firm_tag_the_program_also_sets_is_accepted():
    assert load_text(FIRM_TAG).tags["Environment"] == "Non-Prod"


def test_it_wins_on_every_tagged_resource_and_the_programs_value_moves():
    doc = plan("dev", text=FIRM_TAG)
    tagged = [r for r in doc["resources"] if r["type"].startswith("azure-native:") and r["inputs"].get("tags")]
    assert tagged
    for r in tagged:
        tags = r["inputs"]["tags"]
        assert tags.get("Environment") == "Non-Prod" and "environment" not in tags, r["name"]
        assert tags.get("image-factory-environment") == "dev", r["name"]
    # The pack's own required tags (environment among them, compared ignoring case) are still met.
    assert firm.TAGS.evaluate(doc["resources"], CONFIG["required-tags"]) == []
