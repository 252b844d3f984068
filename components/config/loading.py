"""Reads the stack's `image-factory:*` config once and turns every problem into one readable line.

A bad stack file must stop the program before it registers a single resource (never a half-applied
graph) and without a traceback: ConfigError is a pulumi.RunError, which Pulumi prints as plain text.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Iterable, Union, get_args, get_origin

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from .cross_checks import cross_check
from .images import Customizer
from .stack import NAMESPACE, StackConfig

_MAX_VALUE_CHARS = 80
# The `type` tags of the customizer union, which pydantic inserts into error locations.
_CUSTOMIZER_TYPES = frozenset(get_args(m.model_fields["type"].annotation)[0] for m in get_args(get_args(Customizer)[0]))
_NULL = object()  # a key the user set to null; None in a problem means "no value to show"
# Secrets never enter the model (which could print them); components take them as secret Outputs.
SECRET_KEYS = ("adminPassword", "domainJoinPassword")


class ConfigError(pulumi.RunError):
    pass


def _raw_namespace() -> dict[str, Any]:
    """Every key set under our namespace, parsed from Pulumi's string form (objects arrive as JSON)."""
    keys = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw = {}
    for full_key in keys:
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE or key in SECRET_KEYS:
            continue
        value = runtime_config.get_config(full_key)
        try:
            raw[key] = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            raw[key] = value
    return raw


def _show(value: Any) -> str:
    if value is _NULL:
        return "null"
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def _field_keys(model: type[BaseModel]) -> list[str]:
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _unwrap(annotation: Any) -> Any:
    """Optional[X] -> X and Annotated[X, ...] -> X, leaving models and containers."""
    while get_origin(annotation) in (Union, Annotated) or type(annotation).__name__ == "UnionType":
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0]
    return annotation


def _union_member(annotation: Any, tag: Any) -> type[BaseModel] | None:
    """The member of a discriminated union whose `type` is tag (pydantic puts the tag in loc)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    for member in get_args(annotation) if get_origin(annotation) is Union else ():
        field = member.model_fields.get("type") if isinstance(member, type) and issubclass(member, BaseModel) else None
        if field is not None and get_args(field.annotation) == (tag,):
            return member
    return None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class that owns the last segment of loc, for listing the keys it allows."""
    annotation: Any = StackConfig
    for part in loc[:-1]:
        member = _union_member(annotation, part)
        if member is not None:
            annotation = member
            continue
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = next((f for n, f in annotation.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) in (dict, list):
            annotation = get_args(annotation)[-1]  # part is a map key or a list index
        else:
            return None
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _loc_key(loc: Iterable) -> str:
    parts = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]"
        elif part in _CUSTOMIZER_TYPES and parts:
            continue  # pydantic names the matched union member; the user never wrote it
        elif part == "[key]":
            continue  # pydantic's marker for "the map key itself is bad": the key is already named
        else:
            parts.append(str(part))
    return ".".join(parts)


def _one_line(text: str) -> str:
    """Escape newlines and other non-printables (in user-written keys and tags) to keep one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _explain(error: dict) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        model = _model_at(tuple(error["loc"]))
        allowed = f"; allowed keys: {', '.join(_field_keys(model))}" if model else ""
        return f"is not a known key{allowed}"
    message = message.removeprefix("Value error, ")
    message = re.sub(r" or instance of \w+", "", message)  # a Python class name means nothing here
    return message[0].lower() + message[1:]


def problems_from(error: ValidationError) -> list[tuple[str, Any, str]]:
    lines = []
    for e in error.errors(include_url=False):
        value = None if e["type"] == "missing" else _NULL if e.get("input") is None else e["input"]
        lines.append((_loc_key(e["loc"]), value, _explain(e)))
    return lines


def format_problems(stack: str, problems: list[tuple[str, Any, str]]) -> str:
    lines = []
    for key, value, allowed in problems:
        full_key = f"{NAMESPACE}:{key}" if key else NAMESPACE
        shown = "" if value is None else f" = {_show(value)}"
        # The top-level key may itself contain '.' (`image-factory:admin.password`): try each prefix.
        parts = key.split(".")
        if any(runtime_config.is_config_secret(f"{NAMESPACE}:{'.'.join(parts[:i])}") for i in range(1, len(parts) + 1)):
            shown = " = [secret]"
        lines.append(f"Pulumi.{stack}.yaml: {_one_line(full_key)}{shown}: {_one_line(allowed)}")
    return "\n".join(lines)


def load(stack: str | None = None) -> StackConfig:
    stack = stack or pulumi.get_stack()
    raw = _raw_namespace()
    raw.setdefault("environment", stack)
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(format_problems(stack, problems_from(error))) from None
    problems = cross_check(config, frozenset(k for k in SECRET_KEYS if secret(k) is not None))
    if problems:
        raise ConfigError(format_problems(stack, problems))
    return config


def secret(key: str) -> pulumi.Output[str] | None:
    """A secret from the stack file (`pulumi config set --secret`), as a secret Output, or None."""
    assert key in SECRET_KEYS, key
    return pulumi.Config(NAMESPACE).get_secret(key)
