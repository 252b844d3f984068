"""The CrossGuard policy pack: `pulumi preview --policy-pack policy` (Pulumi runs this file, which starts
the analyzer's gRPC server in PolicyPack()). Every rule is a plain function in firm.py, azure.py or platform.py;
here each becomes a ResourceValidationPolicy or a StackValidationPolicy, and CrossGuard's arguments
become the offline plan's resource shape (model.py). https://www.pulumi.com/docs/iac/using-pulumi/crossguard/
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# Pulumi runs the pack from policy/: the rules reuse the program's components/config.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_policy import (  # noqa: E402
    EnforcementLevel, PolicyConfigSchema, PolicyPack, ResourceValidationPolicy, StackValidationPolicy)
from pulumi_policy.proxy import UnknownValueError  # noqa: E402

from policy import POLICIES  # noqa: E402
from policy.model import UNKNOWN  # noqa: E402


def plain(value):
    """CrossGuard's props (proxies that raise on unknown values) as plain data with "[unknown]"."""
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = []
        for i in range(len(value)):
            try:
                items.append(plain(value[i]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def as_resource(r, dependencies=()) -> dict:
    parent = getattr(r, "parent", None)
    return {"urn": r.urn, "type": r.resource_type, "name": r.name, "custom": True, "inputs": plain(r.props),
            "options": {"protect": bool(getattr(r.opts, "protect", False))},
            "parent": getattr(parent, "urn", None), "dependsOn": [d.urn for d in dependencies]}


def config_schema(policy):
    """The policy's firm values as CrossGuard config: `pulumi preview --policy-pack-config
    policy/firm-config.json` supplies them, and the CLI checks them against this schema."""
    if policy.config_schema is None:
        return None
    return PolicyConfigSchema(properties=policy.config_schema, required=sorted(policy.config_schema))


def resource_policy(policy):
    def validate(args, report_violation):
        resource = as_resource(args)
        # A placeholder is refused by a real preview, as the program's own config check refuses it.
        for _, message in policy.evaluate([resource], args.get_config()) + policy.placeholders([resource]):
            report_violation(f"{message} ({policy.doc})")
    return ResourceValidationPolicy(name=policy.name, description=policy.description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY, config_schema=config_schema(policy))


def stack_policy(policy):
    def validate(args, report_violation):
        resources = [as_resource(r, r.dependencies or ()) for r in args.resources]
        for urn, message in policy.evaluate(resources, args.get_config()) + policy.placeholders(resources):
            report_violation(f"{message} ({policy.doc})", urn)
    return StackValidationPolicy(name=policy.name, description=policy.description, validate=validate,
                                 enforcement_level=EnforcementLevel.MANDATORY, config_schema=config_schema(policy))


def wrapped() -> list:
    """Per-resource rules as resource policies; rules that need the whole stack as stack policies."""
    return [stack_policy(p) if p.stack is not None else resource_policy(p) for p in POLICIES]


if __name__ == "__main__":
    PolicyPack(name="image-factory", enforcement_level=EnforcementLevel.MANDATORY, policies=wrapped())
