"""The policy pack's config: policy/firm-config.json, the file `pulumi preview --policy-pack-config`
takes (https://www.pulumi.com/docs/iac/using-pulumi/crossguard/configuration/), read by `make policy` too,
so the firm's values (allowed regions, required tags, protected stacks) have one home and no copy in code.

Its form is CrossGuard's: `{"all": "<level>", "<policy>": "<level>" | {"enforcementLevel": ..., <key>: <value>}}`.
Each policy's values are checked against its config_schema here as the Pulumi CLI checks them there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import jsonschema

from .model import Policy

CONFIG = Path(__file__).resolve().parent / "firm-config.json"
LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PackConfigError(Exception):
    """The pack config is not what the policies take: one line per problem, with the fix."""


def schema_of(policy: Policy) -> dict:
    """The JSON Schema of a policy's config, as PolicyConfigSchema sends it (every key required)."""
    props = policy.config_schema or {}
    return {"type": "object", "properties": {**props, "enforcementLevel": {"enum": list(LEVELS)}},
            "required": sorted(props), "additionalProperties": False}


def load(policies: list[Policy], path: Optional[Path] = None) -> dict[str, dict]:
    """policy name -> its config values (without enforcementLevel); PackConfigError on any problem."""
    path = path or CONFIG
    name = path.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PackConfigError(f"{name}: cannot be read as JSON ({error})") from None
    if not isinstance(raw, dict):
        raise PackConfigError(f"{name}: must be a JSON object of policy name -> config")
    known = {p.name: p for p in policies}
    problems, out = [], {}
    for key, value in raw.items():
        if key != "all" and key not in known:
            problems.append(f"{name}: {key}: is not a policy of this pack; its policies: {', '.join(sorted(known))}")
        elif isinstance(value, str) and value not in LEVELS:
            problems.append(f"{name}: {key} = {value!r}: must be an enforcement level: {', '.join(LEVELS)}")
    for policy in policies:
        value = raw.get(policy.name, {})
        value = {} if isinstance(value, str) else value
        if policy.config_schema is None and not set(value) <= {"enforcementLevel"}:
            problems.append(f"{name}: {policy.name}: takes no config but enforcementLevel")
            continue
        if policy.config_schema is None:
            continue
        for error in jsonschema.Draft7Validator(schema_of(policy)).iter_errors(value):
            where = ".".join([policy.name, *map(str, error.absolute_path)])
            what = (f"needs {', '.join(k for k in policy.config_schema if k not in value)}: "
                    f"{policy.config_schema[next(k for k in policy.config_schema if k not in value)]['description']}"
                    if error.validator == "required" else _plain(error))
            problems.append(f"{name}: {where}: {what}")
        out[policy.name] = {k: v for k, v in value.items() if k != "enforcementLevel"}
    if problems:
        raise PackConfigError("\n".join(problems))
    return out


def _plain(error: jsonschema.ValidationError) -> str:
    """jsonschema's finding in this file's words."""
    shown = json.dumps(error.instance)
    return {"type": f"{shown} must be {error.validator_value}", "minItems": "must name at least one",
            "uniqueItems": f"{shown} names one twice", "minLength": "must not be empty",
            "additionalProperties": "has a key the policy does not take",
            "enum": f"{shown} must be one of {', '.join(map(str, error.validator_value))}"}.get(
        error.validator, f"{shown} is not valid here")
