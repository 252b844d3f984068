"""Placeholders in a stack file: values a shipped example holds until the user puts their own there.

The committed prod stack names the firm's artifact store and a reviewed script by placeholder (the
all-zero subscription, an all-zero SHA-256). The offline plan shows what they would create; a real
`pulumi preview` or `up` refuses them, one line each, before anything reaches Azure: Image Builder
would only fail at template submission, leaving a failed template behind (see the README's recovery).
"""

from __future__ import annotations

import os
from typing import Any, Iterator

from .messages import NAMED_LISTS, item_label
from .stack import StackConfig

# Set by the offline plan (offline/plan.py): there placeholders are shown, not refused.
OFFLINE_ENV = "IMAGE_FACTORY_OFFLINE_PLAN"
ZERO_SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000/"
ZERO_SHA256 = "0" * 64
WHAT_TO_PUT = {
    "artifactStorageAccountId": "your artifact storage account's ID (az storage account show -n <name> --query id)",
    "definitionId": "the ID of the image definition the version lives in (az sig image-definition show ... --query id)",
    "subnetId": "your subnet's ID (az network vnet subnet show ... --query id)",
    "sha256Checksum": "the SHA-256 of the file at sourceUri/scriptUri (Get-FileHash -Algorithm SHA256, or sha256sum)",
}


def offline() -> bool:
    return os.environ.get(OFFLINE_ENV) == "1"


def placeholders(config: StackConfig) -> list[tuple[str, Any, str]]:
    """(key, value, what to put there) for every placeholder in the config."""
    found = []
    for key, value in _leaves(config.model_dump(by_alias=True, exclude_none=True)):
        leaf = key.rsplit(".", 1)[-1].split("[")[0]
        if isinstance(value, str) and (ZERO_SUBSCRIPTION in value.lower() or value == ZERO_SHA256):
            found.append((key, value, f"is a placeholder: put {WHAT_TO_PUT.get(leaf, 'your own value')} here"))
    return found


def _leaves(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{key}.{k}" if key else str(k))
    elif isinstance(node, list):
        # Customizers and validations by their name, as every other error line names them.
        named = key.rsplit(".", 1)[-1] in NAMED_LISTS
        for i, v in enumerate(node):
            label = item_label(v["name"]) if named and isinstance(v, dict) and v.get("name") else f"[{i}]"
            yield from _leaves(v, f"{key}{label}")
    else:
        yield key, node
