"""Validate ARM request bodies against Azure's published type definitions (bicep-types-az types.json).

The data is never vendored: it is found through AZURE_SCHEMA_DIR or at <repo>/../shared/azure-schema.
Format: Azure/bicep-types src/bicep-types/src/types.ts. A file is a JSON array of types; {"$ref": "#/12"}
indexes into the same array.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from offline.azure_types import AzureType, azure_type

REQUIRED, READ_ONLY, IDENTIFIER = 1, 2, 16
PLACEHOLDERS = frozenset({"[secret]", "[unknown]"})  # values an offline plan cannot see
HOW_TO_GET = (
    "ARM schema data not found. Get github.com/Azure/bicep-types-az (its generated/ folder holds "
    "<provider>/<namespace>/<api-version>/types.json) and set AZURE_SCHEMA_DIR to the clone, to its "
    "generated/ folder, or to a folder containing bicep-types-az/ (default: <repo>/../shared/azure-schema)."
)
# Used only when a type has no schema: the properties ARM keeps outside "properties".
_ENVELOPE = frozenset({"location", "tags", "identity", "sku", "zones", "plan", "extendedLocation", "kind", "etag"})


def find_schema_dir() -> Path | None:
    """The `generated` folder of bicep-types-az, or None if there is no data."""
    env = os.environ.get("AZURE_SCHEMA_DIR")
    base = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "azure-schema"
    for cand in (base / "bicep-types-az" / "generated", base / "generated", base):
        if cand.is_dir() and next(cand.glob("*/*/*/types.json"), None):
            return cand
    if env:  # an explicit setting that points nowhere is a mistake, not "data absent"
        raise FileNotFoundError(f"AZURE_SCHEMA_DIR={env!r} holds no */<namespace>/<version>/types.json. {HOW_TO_GET}")
    return None


@dataclass(frozen=True)
class ResourceSchema:
    arm_type: str
    requested_version: str
    version: str  # the version actually validated against
    types: tuple
    body: int  # index of the body ObjectType
    source: Path


@lru_cache(maxsize=None)
def _load(path: Path) -> tuple:
    return tuple(json.loads(path.read_text(encoding="utf-8")))


def _stable(v: str) -> bool:
    return "preview" not in v.lower()


def load_resource_type(arm_type: str, api_version: str, schema_dir: Path | None = None) -> ResourceSchema | None:
    """Exact version if the snapshot has it, else the nearest newer stable one that defines the type."""
    root = schema_dir or find_schema_dir()
    if root is None:
        raise FileNotFoundError(HOW_TO_GET)
    namespace = arm_type.split("/")[0].lower()
    # One namespace can be split over several provider folders (compute, compute_1, ...).
    files = sorted(root.glob(f"*/{namespace}/*/types.json"), key=lambda p: p.parent.name)
    wanted = f"{arm_type}@".lower()
    candidates = [p for p in files if p.parent.name == api_version]
    candidates += [p for p in files if p.parent.name > api_version and _stable(p.parent.name)]
    for path in candidates:
        for t in _load(path):
            if t["$type"] == "ResourceType" and t["name"].lower() == wanted + path.parent.name.lower():
                return ResourceSchema(arm_type, api_version, path.parent.name, _load(path),
                                      _ref(t["body"]), path)
    return None


def _ref(r: dict) -> int:
    return int(r["$ref"].split("/")[-1])


def _is_placeholder(v) -> bool:
    return isinstance(v, str) and v in PLACEHOLDERS


def _object_props(types, t: dict, value) -> dict | None:
    """Declared properties of an ObjectType, or of the chosen DiscriminatedObjectType element."""
    if t["$type"] == "ObjectType":
        return t.get("properties", {})
    if t["$type"] == "DiscriminatedObjectType":
        props = dict(t.get("baseProperties", {}))
        tag = value.get(t["discriminator"]) if isinstance(value, dict) else None
        elements = [t["elements"][tag]] if tag in t["elements"] else list(t["elements"].values())
        for e in elements:
            props.update(types[_ref(e)].get("properties", {}))
        return props
    return None


# --- azure-native inputs -> ARM body -------------------------------------------------------------

def to_arm_body(az: AzureType | str, inputs: dict, schema: ResourceSchema | None = None,
                default_location: str | None = None) -> dict:
    """Undo azure-native's input shape: path parameters leave the body, renamed inputs get their ARM
    names back (roleType -> type), x-ms-client-flatten'ed
    `properties` are nested again (at every level the schema has one), and userAssignedIdentities
    given as a list of IDs become the ARM map {id: {}}."""
    az = azure_type(az) if isinstance(az, str) else az
    if schema is None:
        schema = load_resource_type(az.arm_type, az.api_version)
    params = re.findall(r"{(\w+)}", az.id_template)
    body: dict = {}
    for key, value in inputs.items():
        if key in az.path_params:
            continue
        *outer, last = dict(az.wire_names).get(key, key).split(".")
        node = body
        for part in outer:  # an input azure-native flattened out of a nested object goes back into it
            node = node.setdefault(part, {})
        node[last] = value
    if schema is None:
        out = {k: v for k, v in body.items() if k in _ENVELOPE}
        rest = {k: v for k, v in body.items() if k not in _ENVELOPE}
        return out | ({"properties": rest} if rest else {})
    out = _shape(schema.types, schema.body, body)
    top = schema.types[schema.body]["properties"]
    if default_location and "location" in top and "location" not in out:
        out["location"] = default_location  # azure-native defaults it from config / the resource group
    if params and inputs.get(params[-1]) is not None:
        out["name"] = inputs[params[-1]]  # lets the schema's name pattern check the path segment
    return out


def _shape(types, idx: int, value):
    t = types[idx]
    if _is_placeholder(value):
        return value
    if t["$type"] == "ArrayType" and isinstance(value, list):
        return [_shape(types, _ref(t["itemType"]), v) for v in value]
    props = _object_props(types, t, value)
    if props is None:
        return value
    addl = t.get("additionalProperties")
    if isinstance(value, list) and addl and not props and all(isinstance(v, str) for v in value):
        return {v: {} for v in value}
    if not isinstance(value, dict):
        return value
    if addl and not props:
        return {k: _shape(types, _ref(addl), v) for k, v in value.items()}
    nest = props.get("properties")
    inner = None
    if nest and not nest["flags"] & READ_ONLY:
        inner = _object_props(types, types[_ref(nest["type"])], {})
    out, moved = {}, {}
    for k, v in value.items():
        p = props.get(k)
        stays = p is not None and (not p["flags"] & READ_ONLY or k not in (inner or {}))
        if stays or inner is None or k == "properties":
            out[k] = _shape(types, _ref(p["type"]), v) if p else v
        else:
            moved[k] = v
    if moved:
        merged = {**(out.get("properties") if isinstance(out.get("properties"), dict) else {}), **moved}
        out["properties"] = _shape(types, _ref(nest["type"]), merged)
    return out


# --- validation ----------------------------------------------------------------------------------

def validate(body, schema: ResourceSchema) -> list[str]:
    """Every way `body` breaks the schema, one line each: '<json path>: <problem>'."""
    errors: list[str] = []
    _check(schema.types, schema.body, body, "", errors, root=True)
    return errors


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_$][\w$@-]*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def _check(types, idx: int, v, path: str, errs: list[str], root: bool = False) -> None:
    if _is_placeholder(v):
        return
    t = types[idx]
    kind = t["$type"]
    where = path or "<body>"
    if kind == "AnyType":
        return
    if kind == "NullType":
        if v is not None:
            errs.append(f"{where}: expected null, got {v!r}")
    elif kind == "BooleanType":
        if not isinstance(v, bool):
            errs.append(f"{where}: expected boolean, got {v!r}")
    elif kind == "IntegerType":
        # Pulumi carries numbers as doubles, so 120.0 is the integer 120.
        if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, float) and v.is_integer())):
            errs.append(f"{where}: expected integer, got {v!r}")
        elif "minValue" in t and v < t["minValue"]:
            errs.append(f"{where}: {v} is below the minimum {t['minValue']}")
        elif "maxValue" in t and v > t["maxValue"]:
            errs.append(f"{where}: {v} is above the maximum {t['maxValue']}")
    elif kind in ("StringType", "StringLiteralType"):
        errs.extend(f"{where}: {e}" for e in _string_errors(t, v))
    elif kind == "UnionType":
        _check_union(types, t, v, path, errs)
    elif kind == "ArrayType":
        if not isinstance(v, list):
            errs.append(f"{where}: expected array, got {type(v).__name__}")
            return
        if len(v) < t.get("minLength", 0) or len(v) > t.get("maxLength", len(v)):
            errs.append(f"{where}: {len(v)} items, allowed {t.get('minLength', 0)}..{t.get('maxLength', 'any')}")
        for i, item in enumerate(v):
            _check(types, _ref(t["itemType"]), item, _join(path, i), errs)
    elif kind in ("ObjectType", "DiscriminatedObjectType"):
        _check_object(types, t, v, path, errs, root)
    else:
        errs.append(f"{where}: schema type {kind} cannot appear in a request body")


def _string_errors(t: dict, v) -> list[str]:
    if t["$type"] == "StringLiteralType":
        return [] if v == t["value"] else [f"expected {t['value']!r}, got {v!r}"]
    if not isinstance(v, str):
        return [f"expected string, got {type(v).__name__}"]
    errs = []
    if len(v) < t.get("minLength", 0) or len(v) > t.get("maxLength", len(v)):
        errs.append(f"length {len(v)} outside {t.get('minLength', 0)}..{t.get('maxLength', 'any')}")
    if "pattern" in t and not _pattern(t["pattern"]).search(v):
        errs.append(f"{v!r} does not match pattern {t['pattern']!r}")
    return errs


@lru_cache(maxsize=None)
def _pattern(net: str) -> re.Pattern:
    """.NET regex -> Python re. Like Regex.IsMatch it is used unanchored (search): swagger patterns
    carry their own ^...$. .NET reads '-' next to a class escape inside [...] as a literal; Python
    rejects it ("bad character range \\w-."), so it is escaped. Uncompilable patterns fail loudly."""
    py = re.sub(r"(?<=\\[wWdDsS])-(?!])|-(?=\\[wWdDsS])", r"\\-", net)
    py = re.sub(r"\(\?<(?![=!])", "(?P<", py)
    return re.compile(py)


def _check_union(types, t: dict, v, path: str, errs: list[str]) -> None:
    members = [types[_ref(e)] for e in t["elements"]]
    if all(m["$type"] in ("StringLiteralType", "StringType") for m in members):
        if any(not _string_errors(m, v) for m in members):
            return
        literals = [m["value"] for m in members if m["$type"] == "StringLiteralType"]
        errs.append(f"{path or '<body>'}: {v!r} is not one of {literals}")
        return
    for e in t["elements"]:
        sub: list[str] = []
        _check(types, _ref(e), v, path, sub)
        if not sub:
            return
    errs.append(f"{path or '<body>'}: {v!r} matches none of the union's members")


def _check_object(types, t: dict, v, path: str, errs: list[str], root: bool) -> None:
    where = path or "<body>"
    if not isinstance(v, dict):
        errs.append(f"{where}: expected object, got {type(v).__name__}")
        return
    if t["$type"] == "DiscriminatedObjectType":
        disc, tag = t["discriminator"], v.get(t["discriminator"])
        if tag is None:
            errs.append(f"{_join(path, disc)}: missing discriminator (one of {sorted(t['elements'])})")
            return
        if _is_placeholder(tag):
            return
        if tag not in t["elements"]:
            errs.append(f"{_join(path, disc)}: unknown {disc} {tag!r} (one of {sorted(t['elements'])})")
            return
    props = _object_props(types, t, v)
    addl = t.get("additionalProperties")
    for k, item in v.items():
        p = props.get(k)
        if p is None:
            if addl is not None:
                _check(types, _ref(addl), item, _join(path, k), errs)
                continue
            hint = next((n for n in props if n.lower() == str(k).lower()), None)
            errs.append(f"{_join(path, k)}: unknown property" +
                        (f" (did you mean {hint!r}? names are case-sensitive)" if hint else ""))
        elif p["flags"] & READ_ONLY:
            errs.append(f"{_join(path, k)}: read-only property must not be sent")
        else:
            _check(types, _ref(p["type"]), item, _join(path, k), errs)
    for k, p in props.items():
        # The body's `name` comes from the URL (flags Required|DeployTimeConstant, no Identifier bit).
        exempt = p["flags"] & (READ_ONLY | IDENTIFIER) or (root and k == "name")
        if p["flags"] & REQUIRED and not exempt and k not in v:
            errs.append(f"{_join(path, k)}: required property missing")
