"""The config as the Pulumi engine hands it to the program, read back into values, with the checks that
only this form allows: namespaces, secret-ness and the provider's own keys.

What Pulumi passes: every key as `namespace:key` and a string. A top-level object or list arrives as
JSON. A top-level scalar arrives as its YAML text, so `resourceGroup: 2024` and `resourceGroup: "2024"`
are the same string "2024", and `protect: yes` is the string "yes": the program cannot tell a quoted
scalar from a plain one. It therefore decodes each top-level key by the type the model gives it: a
string key keeps the text as written ("2024" stays a string), a boolean key takes only true/false, a
map or list key is JSON. Below the top level, values keep the types YAML gave them (see strict_yaml).
"""

from __future__ import annotations

import difflib
import json
from typing import Any, Union, get_args, get_origin

from pulumi.runtime import config as runtime_config
from pydantic import BaseModel

from .azure_rules import REGIONS
from .messages import region_hint
from .secrets import NAMED_KEYS, SECRET, SECRET_KEYS, looks_secret, secret_strings
from .stack import NAMESPACE, StackConfig

Problem = tuple[str, Any, str]


class FullKey(str):
    """A problem key already written with its namespace (`azure-native:location`); other problem keys
    are relative to image-factory, whatever characters the user put in them."""
PROVIDER = "azure-native"
# azure-native's documented provider keys (pulumi_azure_native/config/vars.py of the pinned version;
# tests/config/test_wire.py holds this list to the installed package).
PROVIDER_KEYS = frozenset({
    "auxiliaryTenantIds", "clientCertificatePassword", "clientCertificatePath", "clientId", "clientSecret",
    "disableInstanceDiscovery", "disablePulumiPartnerId", "environment", "location", "metadataHost", "msiEndpoint",
    "oidcRequestToken", "oidcRequestUrl", "oidcToken", "oidcTokenFilePath", "partnerId", "subscriptionId",
    "tenantId", "useDefaultAzureCredential", "useMsi", "useOidc"})
PROVIDER_BOOLS = frozenset({"disableInstanceDiscovery", "disablePulumiPartnerId", "useDefaultAzureCredential",
                            "useMsi", "useOidc"})
# Pulumi reads booleans as yaml.v3 does; anything else (yes, on, 1) is not one.
TRUE, FALSE = ("true", "True", "TRUE"), ("false", "False", "FALSE")


def _kind(annotation: Any) -> str:
    while get_origin(annotation) is Union or type(annotation).__name__ == "UnionType":
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    while hasattr(annotation, "__metadata__"):  # Annotated[X, ...]
        annotation = get_args(annotation)[0]
    if annotation is bool:
        return "bool"
    if annotation is str:
        return "str"
    return "json"


_KINDS = {field.alias or name: _kind(field.annotation) for name, field in StackConfig.model_fields.items()}


def decode(key: str, value: Any) -> Any:
    """A top-level value from its wire form, by the kind of key (see the module doc)."""
    if not isinstance(value, str):
        return value
    kind = _KINDS.get(key, "json")
    if kind == "str":
        # An object or list arrives as its JSON text too: `owner: {a: 1}` must not become the owner
        # '{"a": 1}'. No owner, name or ID this program takes begins with '{' or '[' and parses as JSON.
        if value[:1] in "{[":
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                pass
        return value
    if kind == "bool":
        return True if value in TRUE else False if value in FALSE else value
    if not value.strip():
        return None  # `key:` with no value, which Pulumi passes as ""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _provider_problems(key: str, value: Any) -> list[Problem]:
    full = FullKey(f"{PROVIDER}:{key}")
    if key not in PROVIDER_KEYS:
        return [(full, value, f"is not a key azure-native documents{_did_you_mean(key, sorted(PROVIDER_KEYS))}; "
                 f"its keys: {', '.join(sorted(PROVIDER_KEYS))}")]
    if key == "location" and value not in REGIONS:
        return [(full, value, "must be an Azure region name such as uksouth or eastus" + region_hint(value))]
    if key in PROVIDER_BOOLS and value not in TRUE + FALSE:
        return [(full, value, "must be true or false")]
    return []


def read() -> tuple[dict[str, Any], list[Problem], set[str]]:
    """(the image-factory keys decoded, the problems of the wire form, every secret value to hide)."""
    keys = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    hidden: set[str] = set()
    for full_key in sorted(keys):
        namespace, _, key = full_key.partition(":")
        value = runtime_config.get_config(full_key)
        secret = runtime_config.is_config_secret(full_key)
        if secret or looks_secret(key):
            hidden |= secret_strings(value, "", True) | secret_strings(decode(key, value), "", True)
        else:
            hidden |= secret_strings(decode(key, value))
        shown = SECRET if secret or looks_secret(key) else value
        if namespace == NAMESPACE and key in SECRET_KEYS:
            if not secret:
                problems.append((key, SECRET, f"must be a secret, encrypted in the stack file: "
                                 f"pulumi config set --secret {NAMESPACE}:{key} <value>"))
        elif namespace == NAMESPACE:
            raw[key] = decode(key, value)
            if secret and key in NAMED_KEYS:
                problems.append((key, SECRET, "must not be a secret: it becomes part of Azure resource names or "
                                 "tags, which Azure shows in plain text; set it without --secret"))
        elif namespace == PROVIDER:
            problems += [(k, SECRET if shown == SECRET else v, a) for k, v, a in _provider_problems(key, value)]
        else:
            guess = difflib.get_close_matches(namespace, [NAMESPACE, PROVIDER], n=1, cutoff=0.5)
            hint = f" (did you mean {guess[0]}:{key}?)" if guess else ""
            problems.append((FullKey(full_key), shown, f"is not a namespace this program reads{hint}; it reads "
                             f"{NAMESPACE}:* and {PROVIDER}:* only"))
    return raw, problems, hidden


def field_keys(model: type[BaseModel]) -> list[str]:
    return sorted(f.alias or name for name, f in model.model_fields.items())
