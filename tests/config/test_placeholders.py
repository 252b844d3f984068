"""The prod-builds fixture (prod as it built its images) holds placeholders (the firm's artifact store, a reviewed script's digest).
The offline plan shows them; a real preview refuses them, one line each, before anything reaches Azure."""

from __future__ import annotations

from tests.graph import BUILDS, BUILDS_FILE, plan_stack
import contextvars

import pytest
from pulumi.runtime import config as runtime_config

from components.config.loading import ConfigError, load
from offline.plan import plan, render_text, stack_config

ZERO_SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/"
PROD_LINES = [
    "Pulumi.prod.yaml: image-factory:images.win2025-app.customize[app-prereqs-installer].sha256Checksum = "
    "'0000000000000000000000000000000000000000000000000000000000000000': is a placeholder: put the SHA-256 of the "
    "file at sourceUri/scriptUri (Get-FileHash -Algorithm SHA256, or sha256sum) here",
    "Pulumi.prod.yaml: image-factory:artifactStorageAccountId = '/subscriptions/00000000-0000-"
    "...oft.Storage/storageAccounts/stcontosoartifacts': is a placeholder: put your artifact storage account's ID (az storage account "
    "show -n <name> --query id) here",
]


def _load_as_pulumi_would(stack: str, overrides: dict | None = None, text: bytes | None = None):
    """load() with the stack's config as the engine hands it over, outside the offline plan."""
    config, secret_keys = stack_config(stack, overrides, text=text)

    def run():
        runtime_config.set_all_config(config, secret_keys)
        return load(stack)

    return contextvars.Context().run(run)


def test_a_real_preview_refuses_each_placeholder_of_the_prod_stack():
    with pytest.raises(ConfigError) as error:
        _load_as_pulumi_would("prod", text=BUILDS_FILE.read_bytes())  # prod as it built (promotion needs neither)
    assert str(error.value).split("\n") == PROD_LINES


def test_the_offline_plan_shows_them_and_plans():
    doc = plan_stack(BUILDS)
    assert any(r["inputs"].get("scope", "").startswith(ZERO_SUB) for r in doc["resources"])
    expected = [f"{line} (the offline plan shows it; a real preview refuses it)" for line in PROD_LINES]
    # after them, what the program cannot see (a private-only Bastion's reach, tests/vms/test_network.py)
    assert [w for w in doc["warnings"] if "placeholder" in w] == expected
    assert f"    {expected[0]}\n" in render_text(doc).split("\nWarnings:\n")[1]
    assert plan("dev")["warnings"] == [] and not [w for w in plan("prod")["warnings"] if "placeholder" in w]


def test_a_zero_subscription_anywhere_is_a_placeholder():
    subnet = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network" \
             "/virtualNetworks/v/subnets/s"
    fleets = {"x": {"region": "uksouth", "image": "win2025-base", "count": 1, "subnetId": subnet}}
    with pytest.raises(ConfigError) as error:
        _load_as_pulumi_would("dev", {"image-factory:fleets": fleets})
    assert str(error.value).endswith(": is a placeholder: put your subnet's ID (az network vnet subnet show ... "
                                     "--query id) here")


def test_the_other_shipped_stacks_have_none():
    for stack in ("dev", "capture"):
        assert _load_as_pulumi_would(stack).environment
