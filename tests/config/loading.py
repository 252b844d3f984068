"""Loading stack config the way Pulumi hands it to the program, for the config tests
(tests/test_config*.py): load() on chosen `image-factory:*` keys without running the program, the
dev stack's keys to start from, edits at a dotted path, and the exact line a user sees.
"""

from __future__ import annotations

import contextvars
import copy
import re
from typing import Any

import pytest
from pulumi.runtime import config as runtime_config

from components.config import strict_yaml
from tests.config import model
from components.config.loading import ConfigError, load
from offline.plan import ROOT, stack_config

NS = "image-factory"
IMG = "win2025-base"  # the dev stack's image
NOT_A_SECRET = ("must not be a secret: it becomes part of Azure resource names or tags, which Azure shows in "
                "plain text; set it without --secret")
REGIONS_TAIL = "must be an Azure region name such as uksouth or eastus"
SUBNET = "/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/workload"
FILE_CUSTOMIZER = {
    "type": "File", "name": "app-prereqs-installer", "sourceUri": "https://example.blob.core.windows.net/s/a.ps1",
    "destination": "C:\\ImageFactory\\a.ps1", "sha256Checksum": "9f" * 32,
}


def allowed_keys(cls: type) -> str:
    """The keys a model allows, as its camelCase aliases: the list an unknown-key line must give."""
    return ", ".join(sorted(f.alias or name for name, f in cls.model_fields.items()))


# The secrets are keys of the stack file too (read apart from the model): an unknown key's line lists them.
TOP_KEYS = ", ".join(sorted([f.alias or n for n, f in model.StackConfig.model_fields.items()]
                            + ["adminPassword", "artifactSasToken", "domainJoinPassword"]))


def dev_raw() -> dict[str, Any]:
    """The dev stack's `image-factory:*` keys, without the namespace, as parsed YAML."""
    entries = strict_yaml.parse((ROOT / "Pulumi.dev.yaml").read_bytes(), "Pulumi.dev.yaml")["config"]
    return {k.partition(":")[2]: v for k, v in entries.items() if k.startswith(f"{NS}:")}


def load_raw(raw: dict[str, Any], secret: tuple[str, ...] = ()) -> model.StackConfig:
    """load() on exactly these `image-factory:*` keys (plus the dev file's other namespaces), in Pulumi's
    wire form (stack_config: objects as JSON), in a fresh context so that no run leaks into another."""
    config, secret_keys = stack_config("dev", {f"{NS}:{k}": v for k, v in raw.items()})
    config = {k: v for k, v in config.items() if not k.startswith(f"{NS}:") or k[len(NS) + 1:] in raw}
    secret_keys += [f"{NS}:{k}" for k in secret]

    def run() -> model.StackConfig:
        runtime_config.set_all_config(config, secret_keys)
        return load("dev")

    return contextvars.Context().run(run)


DEV_TEXT = (ROOT / "Pulumi.dev.yaml").read_text()


def load_text(text: str | bytes, secrets: dict[str, str] | None = None, stack: str = "dev") -> model.StackConfig:
    """load() on a whole stack file's text, read as the offline plan reads it (the strict loader, then
    Pulumi's wire form), in a fresh context."""
    def run() -> model.StackConfig:
        config, secret_keys = stack_config(stack, secrets=secrets, text=text)
        runtime_config.set_all_config(config, secret_keys)
        return load(stack)

    return contextvars.Context().run(run)


def text_problems(text: str | bytes, secrets: dict[str, str] | None = None) -> list[str]:
    """The lines of the ConfigError that loading this stack file text must raise."""
    with pytest.raises(ConfigError) as caught:
        load_text(text, secrets)
    return str(caught.value).split("\n")


def dev_text(old: str, new: str, count: int = 1) -> str:
    """The dev stack file with old replaced by new (old must be there)."""
    assert DEV_TEXT.count(old) >= count, old
    return DEV_TEXT.replace(old, new, count)


def problems(raw: dict[str, Any], secret: tuple[str, ...] = ()) -> list[str]:
    """The lines of the ConfigError that loading raw must raise."""
    with pytest.raises(ConfigError) as caught:
        load_raw(raw, secret)
    return str(caught.value).split("\n")


def path_of(dotted: str) -> tuple:
    """A dotted path as its parts; `[i]` indexes a list: "a.b[0].c" -> ("a", "b", 0, "c")."""
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", dotted))


def _by_name(node: Any, part: Any) -> Any:
    """A list item given by its `name` (`customize[baseline-settings]`, as error lines name it): its index,
    or the list's length (a new item) when no item has that name."""
    if isinstance(node, list) and isinstance(part, str):
        return next((i for i, item in enumerate(node) if isinstance(item, dict) and item.get("name") == part), len(node))
    return part


def with_(path: str, value: Any, raw: dict | None = None) -> dict[str, Any]:
    """A copy of the dev config (or raw) with value at a dotted path; `[i]` indexes a list, `[name]` finds
    a customizer or validation by its name."""
    raw = copy.deepcopy(dev_raw() if raw is None else raw)
    parts = path_of(path)
    node = raw
    for part in parts[:-1]:
        part = _by_name(node, part)
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    parts = parts[:-1] + (_by_name(node, parts[-1]),)
    if isinstance(node, list) and parts[-1] == len(node):
        node.append(value)
    else:
        node[parts[-1]] = value
    return raw


def without(path: str, raw: dict | None = None) -> dict[str, Any]:
    raw = copy.deepcopy(dev_raw() if raw is None else raw)
    *parents, last = path_of(path)
    node = raw
    for part in parents:
        node = node[_by_name(node, part)]
    del node[_by_name(node, last)]
    return raw


def fleet(**fields) -> dict[str, Any]:
    return {"region": "uksouth", "image": IMG, "count": 3, "subnetId": SUBNET, **fields}


def clipped(shown: str) -> str:
    """A value as an error line shows it: up to 80 characters, else its first 30 and last 47 around '...'."""
    return shown if len(shown) <= 80 else shown[:30] + "..." + shown[-47:]


def line(key: str, value: str | None, allowed: str) -> str:
    shown = "" if value is None else f" = {value}"
    return f"Pulumi.dev.yaml: {NS}:{key}{shown}: {allowed}"
