"""What a policy is here: a plain function over resources in the offline plan's shape.

A resource is a dict {"urn", "type", "name", "inputs" (camelCase, as sent to the provider),
"options": {"protect", ...}, "parent", "dependsOn"}: exactly a resource of `make plan FORMAT=json`.
__main__.py turns CrossGuard's arguments into this shape, so one function serves `pulumi preview
--policy-pack policy`, the offline job and the tests. Values not known yet read "[unknown]", and a
policy never fails on what it cannot know (a real preview with credentials sees more).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Optional

UNKNOWN = "[unknown]"
ResourceCheck = Callable[..., Iterable[str]]  # (resource) or, with a config schema, (resource, config)
StackCheck = Callable[..., Iterable[tuple[str, str]]]  # (resources) or (resources, config)
Applies = Callable[[list[dict], dict], Optional[str]]  # why the policy does not apply, or None


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    doc: str  # where the rule comes from
    resource: Optional[ResourceCheck] = None  # one resource -> messages
    stack: Optional[StackCheck] = None  # every resource -> (urn, message)
    # The firm's values this policy compares against: JSON Schema properties of CrossGuard's policy
    # config (PolicyConfigSchema), all required. The values live in policy/firm-config.json, the file
    # `pulumi preview --policy-pack-config` takes and `make policy` reads; never defaults in code.
    config_schema: Optional[dict[str, dict]] = None
    applies: Optional[Applies] = None
    # Values that hold a shipped placeholder (the all-zero SHA-256): not checked, so never a pass.
    placeholder: Optional[ResourceCheck] = None

    def placeholders(self, resources: list[dict]) -> list[tuple[str, str]]:
        """(urn, message) for every placeholder this policy cannot check."""
        if self.placeholder is None:
            return []
        return [(r["urn"], m) for r in resources if r.get("custom", True) for m in self.placeholder(r)]

    def not_applicable(self, resources: list[dict], config: Optional[dict] = None) -> Optional[str]:
        """Why the policy does not apply to these resources (said instead of `pass`), or None."""
        return self.applies(resources, self.settings(config)) if self.applies is not None else None

    def settings(self, config: Optional[dict]) -> dict:
        """This policy's config values, every one the schema requires present."""
        config = dict(config or {})
        config.pop("enforcementLevel", None)
        missing = [k for k in self.config_schema or {} if k not in config]
        if missing:
            raise PolicyConfigError(f"{self.name}: the policy config has no {', '.join(missing)}; "
                                    f"set it in policy/firm-config.json under \"{self.name}\"")
        return config

    def evaluate(self, resources: list[dict], config: Optional[dict] = None) -> list[tuple[str, str]]:
        """(urn, message) for every violation among resources (config: this policy's part of the pack
        config, for a policy with a config schema)."""
        args = (self.settings(config),) if self.config_schema is not None else ()
        found: list[tuple[str, str]] = []
        if self.resource is not None:
            found += [(r["urn"], m) for r in resources if r.get("custom", True) for m in self.resource(r, *args)]
        if self.stack is not None:
            found += list(self.stack(resources, *args))
        return found


class PolicyConfigError(Exception):
    """The policy pack config lacks a value a policy compares against."""


def known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def get(value: Any, path: str, default: Any = None) -> Any:
    """value["a"]["b"] for path "a.b", or default where any step is missing."""
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return default
        value = value[step]
    return value


def walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every key in a nested input."""
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else k
            yield here, k, v
            yield from walk(v, here)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


def stack_of(urn: str) -> str:
    """The stack name in a URN: urn:pulumi:<stack>::<project>::<type chain>::<name>."""
    return urn.split("::", 1)[0].split(":")[2]


def in_component(resource: dict, component_type: str) -> bool:
    """Whether the resource lives inside a component of this type (the URN's type chain says)."""
    chain = resource["urn"].split("::")[2]
    return component_type in chain.split("$")


def arm_id_name(value: Any, collection: str) -> Optional[str]:
    """The name in an ARM ID .../<collection>/<name>, case-insensitive; None otherwise."""
    if not isinstance(value, str):
        return None
    match = re.search(rf"/{collection}/([^/]+)$", value, re.I)
    return match.group(1).lower() if match else None
