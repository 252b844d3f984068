"""docs/config.md: the config reference, rendered from the model's JSON Schema (offline/config_docs.py writes it).

One row per key: its path in the stack file, type, default, limits, what it is and what changing it does,
the last two split from its Field description at "Changing it: ".
"""

from __future__ import annotations

import json

from components.config.secrets import SECRET_DESCRIPTIONS, SECRET_KEYS
from components.config.stack import NAMESPACE

CHANGE = "Changing it: "


def _resolve(node: dict, defs: dict) -> dict:
    while "$ref" in node:
        node = {**defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _optional(node: dict) -> dict:
    """anyOf [X, null] -> X (the default says it may be left out)."""
    options = [o for o in node.get("anyOf", ()) if o.get("type") != "null"]
    if "anyOf" in node and len(options) == 1:
        return {**{k: v for k, v in node.items() if k != "anyOf"}, **options[0]}
    return node


def _type(node: dict, defs: dict) -> str:
    node = _resolve(_optional(node), defs)
    if "oneOf" in node:
        return "one of: " + ", ".join(f"`{_resolve(m, defs)['properties']['type']['const']}`" for m in node["oneOf"])
    if "anyOf" in node:
        return " or ".join(_type(o, defs) for o in node["anyOf"])
    if "const" in node:
        return f"`{node['const']}`"
    if "enum" in node:
        return " / ".join(f"`{v}`" for v in node["enum"])
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type(node.get('items', {}), defs)}"
    if kind == "object" and "properties" in node:
        return "map"
    if kind == "object":
        value = node.get("additionalProperties")
        if isinstance(value, dict) and "properties" in _resolve(value, defs):
            return "map of maps (keys below)"
        return f"map of {_type(value, defs)}" if isinstance(value, dict) else "map"
    if node.get("format") == "date":
        return "date `YYYY-MM-DD`"
    return {"string": "string", "integer": "integer", "boolean": "boolean"}.get(kind, "any")


def _limits(node: dict, defs: dict) -> str:
    node = _resolve(_optional(node), defs)
    parts = []
    if "minimum" in node or "maximum" in node:
        parts.append(f"{node.get('minimum', '')}-{node.get('maximum', '')}".strip("-"))
    if "minLength" in node and "maxLength" in node:
        parts.append(f"{node['minLength']}-{node['maxLength']} characters")
    for key, word in (("minLength", "at least {} character(s)"), ("maxLength", "at most {} characters"),
                      ("minItems", "at least {} item(s)"), ("minProperties", "at least {} entry")):
        if key in node and not ({"minLength", "maxLength"} <= set(node) and key in ("minLength", "maxLength")):
            parts.append(word.format(node[key]))
    if "pattern" in node:
        parts.append(f"`{node['pattern']}`")
    if node.get("type") == "array" and "items" in node:
        inner = _limits(node["items"], defs)
        parts += [f"each {inner}"] if inner else []
    return ", ".join(parts)


def _default(node: dict, defs: dict, required: bool) -> str:
    if required:
        return "required"
    if "properties" in _resolve(_optional(node), defs) and node.get("default") is not None:
        return "its keys' defaults"
    if "default" not in node or node["default"] is None:
        return "none"
    return f"`{json.dumps(node['default'], separators=(', ', ': '))}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _split(description: str) -> tuple[str, str]:
    what, _, change = description.partition(CHANGE)
    return what.strip(), change.strip()


def _rows(node: dict, defs: dict, path: str) -> list[tuple[str, str, str, str, str, str]]:
    """(key, type, default, limits, what it is, what a change does) for every key under node."""
    node = _resolve(node, defs)
    rows = []
    required = set(node.get("required", ()))
    for name, prop in node.get("properties", {}).items():
        key = f"{path}.{name}" if path else name
        what, change = _split(prop.get("description", ""))
        if name == "environment" and not path:
            rows.append((key, _type(prop, defs), "the stack's name", _limits(prop, defs), what, change))
        else:
            rows.append((key, _type(prop, defs), _default(prop, defs, name in required), _limits(prop, defs), what, change))
        rows += _children(prop, defs, key)
    return rows


def _children(prop: dict, defs: dict, key: str) -> list:
    inner = _resolve(_optional(prop), defs)
    if "properties" in inner:
        return _rows(inner, defs, key)
    if inner.get("type") == "object" and isinstance(inner.get("additionalProperties"), dict):
        placeholder = {"images": "<image>", "fleets": "<fleet>", "captures": "<capture>", "network": "<region>",
                       "windows": "<region>", "existingVersions": "<version>"}.get(key.rsplit(".", 1)[-1], "<name>")
        return _children(inner["additionalProperties"], defs, f"{key}.{placeholder}")
    if inner.get("type") == "array":
        return _children(inner.get("items", {}), defs, f"{key}[]")
    members = inner.get("oneOf") or [o for o in inner.get("anyOf", ()) if "$ref" in o]
    rows = []
    for member in members:
        resolved = _resolve(member, defs)
        tag = resolved.get("properties", {}).get("type", {}).get("const")
        rows += _rows(resolved, defs, f"{key} ({{type: {tag}}})" if tag else key)
    return rows


def config_md() -> str:
    from .config_docs import model_schema

    schema = model_schema()
    defs = schema["$defs"]
    rows = _rows(schema, defs, "")
    rows += [(key, "secret", "none", "", *_split(SECRET_DESCRIPTIONS[key])) for key in SECRET_KEYS]
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `make docs` from the config model (components/config); a test fails when stale. -->",
        "",
        f"Every key lives in the `{NAMESPACE}` namespace of `Pulumi.<stack>.yaml`: write `{NAMESPACE}:<key>` "
        "under `config:`, nested keys as YAML maps. The key names are camelCase. Editors that run the YAML "
        "language server complete and check keys from [stack-config.schema.json](stack-config.schema.json), "
        "which the shipped stack files name in their first line. A problem stops the program before any "
        "resource is registered, one line per problem naming the file, the key, the value and the fix.",
        "",
        "The last column says what changing a key does to a deployed stack: **nothing**, **in place** (an "
        "update Azure makes while everything runs), **restart** (Azure restarts or deallocates the VMs), "
        "**rebuild image** (a new template and build, after which the fleets roll to the new version: each VM "
        "of a `vms` fleet recreated, a scale set 20% at a time) or **replace** (resources recreated; "
        "**replace VMs**: the fleet's VMs). `make diff BASE=<ref>` shows the consequence for a real change.",
        "",
        "Secrets (`adminPassword`, `domainJoinPassword`, `artifactSasToken`) are set with "
        f"`pulumi config set --secret {NAMESPACE}:<key>` and never enter the model.",
        "",
    ]
    sections: dict[str, list[str]] = {"Stack": [], "Secrets": []}
    for key, kind, default, limits, what, change in rows:
        top = key.split(".", 1)[0].split("[", 1)[0]
        group = (f"`{top}`" if top in ("images", "fleets", "captures", "network", "patching", "gallery")
                 else "Secrets" if kind == "secret" else "Stack")
        sections.setdefault(group, []).append(
            f"| `{_cell(key)}` | {_cell(kind)} | {_cell(default)} | {_cell(limits)} | {_cell(what)} | {_cell(change)} |")
    sections["Secrets"] = sections.pop("Secrets")  # last
    for title, table in sections.items():
        lines += [f"## {title}", "", "| Key | Type | Default | Allowed | What it is | Changing it |",
                  "|---|---|---|---|---|---|", *table, ""]
    return "\n".join(lines).rstrip("\n") + "\n"
