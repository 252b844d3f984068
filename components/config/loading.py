"""Reads the stack's `image-factory:*` config once and turns every problem into one readable line.

A bad stack file must stop the program before it registers a single resource (never a half-applied
graph) and without a traceback: ConfigError is a pulumi.RunError, which Pulumi prints as plain text.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Annotated, Any, Iterable, Union, get_args, get_origin

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from . import messages, wire
from .cross_checks import cross_check
from .fleets import Egress
from .import_checks import import_notes
from .placeholders import offline, placeholders
from .sources import unknown_generation
from .images import Customizer
from .bastion_checks import bastion_warnings
from .secrets import INLINE_SECRET_FIX, SECRET, SECRET_KEYS, inline_literals, looks_secret, redact, scrub
from .stack import NAMESPACE, StackConfig
from .strict_yaml import StackFileError, stack_entries

_MAX_VALUE_CHARS = 80
_HEAD_CHARS = 30
# The `type` tags of the customizer union, which pydantic inserts into error locations.
_CUSTOMIZER_TYPES = frozenset(get_args(m.model_fields["type"].annotation)[0] for m in get_args(get_args(Customizer)[0]))
_EGRESS_TYPES = frozenset(get_args(m.model_fields["type"].annotation)[0] for m in get_args(get_args(Egress)[0]))
_NULL = object()  # a key the user set to null; None in a problem means "no value to show"


class ConfigError(pulumi.RunError):
    pass


@functools.lru_cache(maxsize=8)
def _file_problems(path: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    try:
        stack_entries(path.read_bytes(), path.name)
    except StackFileError as error:
        return tuple(error.lines)
    return ()


def stack_file_problems(stack: str, folder: Path | None = None) -> list[str]:
    """YAML problems of Pulumi.<stack>.yaml (duplicate keys, tabs, ...) where the program can see the file.

    Under `pulumi up` the CLI has parsed the file already and hands over values only, in its own words
    where it fails; reading the file too gives every YAML problem the same one-line form as `make plan`
    does. Without the file (a deployment that passes config another way) there is nothing more to read.
    """
    path = (folder or Path.cwd()) / f"Pulumi.{stack}.yaml"
    try:
        stat = path.stat()
    except OSError:
        return []
    return list(_file_problems(path, stat.st_mtime_ns, stat.st_size))


def _show(value: Any) -> str:
    if value is _NULL:
        return "null"
    if value == SECRET:  # redacted (a SAS-signed URI): shown as every secret is
        return SECRET
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    # A long value keeps its start and its end: what tells two resource IDs apart is usually at the end
    # (.../virtualNetworks/<vnet>/subnets/<subnet>).
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_HEAD_CHARS] + "..." + text[_HEAD_CHARS + 3 - _MAX_VALUE_CHARS:]


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


def _loc_key(loc: Iterable, names: dict[int, str] | None = None) -> str:
    parts: list[str] = []
    previous: Any = None
    for i, part in enumerate(loc):
        after_index, after_egress, previous = isinstance(previous, int), previous == "egress", part
        if isinstance(part, int) and names and i in names:
            parts[-1] = f"{parts[-1]}{messages.item_label(names[i])}"  # a customizer by its name, not its place
        elif isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]"
        elif part in _CUSTOMIZER_TYPES and after_index:
            # pydantic names the matched union member right after the list index; the user never wrote
            # it. Anywhere else `PowerShell` is the user's own key (an image or a tag named so).
            continue
        elif part in _EGRESS_TYPES and after_egress:
            continue  # likewise the egress member pydantic matched (natGateway, hub)
        elif part == "[key]":
            continue  # pydantic's marker for "the map key itself is bad": the key is already named
        else:
            parts.append(str(part))
    return ".".join(parts)


def _one_line(text: str) -> str:
    """Escape newlines and other non-printables (in user-written keys and tags) to keep one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _explain(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        loc = tuple(error["loc"])
        model = _model_at(loc)
        if model is None:
            return "is not a known key"
        # The secrets are keys of the stack file too, read apart from the model (they never enter it).
        keys = sorted(wire.field_keys(model) + (list(SECRET_KEYS) if model is StackConfig else []))
        return f"is not a known key{messages.did_you_mean(str(loc[-1]), keys)}; allowed keys: {', '.join(keys)}"
    return messages.explain(kind, error["msg"], error.get("ctx") or {}, error.get("input"))


def problems_from(error: ValidationError, document: Any = None) -> list[tuple[str, Any, str]]:
    """(key, value, what is allowed) per pydantic error; document (the raw config) names list items."""
    lines = []
    for e in error.errors(include_url=False):
        loc = tuple(e["loc"])
        value = None if e["type"] == "missing" else _NULL if e.get("input") is None else e["input"]
        if e["type"] == "union_tag_invalid":  # the bad value is the item's `type`, not the whole item
            loc, value = loc + ("type",), (e.get("ctx") or {}).get("tag")
        lines.append((_loc_key(loc, messages.named(loc, document)), value, _explain(e)))
    return lines


def _is_secret(key: str) -> bool:
    if isinstance(key, wire.FullKey):
        return looks_secret(key) or runtime_config.is_config_secret(key)
    # The top-level key may itself contain '.' (`image-factory:admin.password`): try each prefix.
    parts = key.split(".")
    return looks_secret(key) or any(
        runtime_config.is_config_secret(f"{NAMESPACE}:{'.'.join(parts[:i])}") for i in range(1, len(parts) + 1))


def format_problems(stack: str, problems: list[tuple[str, Any, str]], hidden: Iterable[str] = ()) -> str:
    """One line per problem; never a secret's value (hidden: every secret string known to the caller)."""
    hidden = set(hidden)
    lines = []
    for key, value, allowed in problems:
        full_key = key if isinstance(key, wire.FullKey) else f"{NAMESPACE}:{key}" if key else NAMESPACE
        shown = "" if value is None else f" = {_show(redact(value))}"
        if value is not None and (_is_secret(key) or (isinstance(value, str) and value in hidden)):
            shown = f" = {SECRET}"
        # The file name and key stay as written; a secret that slipped into a value or a message does not.
        lines.append(f"Pulumi.{stack}.yaml: {_one_line(full_key)}{scrub(shown, hidden)}: {scrub(_one_line(allowed), hidden)}")
    return "\n".join(lines)


def _inline_secrets(raw: dict) -> tuple[list[tuple[str, Any, str]], set[str]]:
    """Every inline PowerShell line (customizers and validations) that writes a password: one problem
    each, and the literals to hide from every other line (an error may show the whole customizer)."""
    found, literals = [], set()
    images = raw.get("images") if isinstance(raw.get("images"), dict) else {}
    for image, spec in images.items():
        spec = spec if isinstance(spec, dict) else {}
        validate = spec.get("validate") if isinstance(spec.get("validate"), dict) else {}
        for where, steps in (("customize", spec.get("customize")), ("validate.inVMValidations", validate.get("inVMValidations"))):
            for i, step in enumerate(steps if isinstance(steps, list) else []):
                lines = step.get("inline") if isinstance(step, dict) else None
                for j, text in enumerate(lines if isinstance(lines, list) else []):
                    values = inline_literals(text) if isinstance(text, str) else []
                    if values:
                        literals.update(values)
                        name = step.get("name")
                        label = messages.item_label(name) if isinstance(name, str) and name else f"[{i}]"
                        found.append((f"images.{image}.{where}{label}.inline[{j}]", SECRET, INLINE_SECRET_FIX))
    return found, literals


def default_patch_windows(stack: str, config: StackConfig) -> list[str]:
    """A line per scheduled fleet region without a window of its own: the plan states the default it gets
    (when its VMs may restart), so a new region never takes one silently."""
    window = config.patching.window
    stated = "the stack's patching.window" if "window" in config.patching.model_fields_set else "the program's default window"
    return [f"Pulumi.{stack}.yaml: {NAMESPACE}:patching.windows.{region}: not set: the fleets in {region} patch and "
            f"restart in {stated}, every {window.recur_every} from {window.start[-5:]} for {window.duration} "
            f"({window.time_zone}); give {region} a window of its own to choose when"
            for region in config.patch_regions if region not in config.patching.windows]


def load(stack: str | None = None) -> StackConfig:
    """The stack's config, or ConfigError listing every problem before any resource exists."""
    stack = stack or pulumi.get_stack()
    file_problems = stack_file_problems(stack)
    if file_problems:
        raise ConfigError("\n".join(file_problems))
    raw, problems, hidden = wire.read()
    raw.setdefault("environment", stack)
    found, literals = _inline_secrets(raw)
    problems, hidden = problems + found, hidden | literals
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(format_problems(stack, problems + problems_from(error, raw), hidden)) from None
    problems += cross_check(config, frozenset(k for k in SECRET_KEYS if secret(k) is not None))
    for name, image in config.built_images.items():
        source = image.source
        existing = ("imageVersionId" if source.image_version_id else "managedImageId") if source.existing_id else None
        if unknown_generation(source) or existing:
            what = (f"the {existing} given" if existing else f"{source.publisher}/{source.offer}/{source.sku}")
            pulumi.log.warn(f"Pulumi.{stack}.yaml: image-factory:images.{name}.source: the Hyper-V generation of "
                            f"{what} cannot be known offline; Image Builder refuses a generation 1 source into "
                            "these V2 definitions")
    for line in default_patch_windows(stack, config):
        pulumi.log.warn(line)
    warned = bastion_warnings(config) + import_notes(config)  # connectivity made outside the stack (issue 21), and
    # a generation 1 disk's fleets running without Trusted Launch: warnings, never errors
    if warned:
        for line in format_problems(stack, warned, hidden).split("\n"):
            pulumi.log.warn(line)
    found = placeholders(config)
    if found and offline():
        for line in format_problems(stack, found, hidden).split("\n"):
            pulumi.log.warn(f"{line} (the offline plan shows it; a real preview refuses it)")
    elif found:
        problems += found
    if problems:
        raise ConfigError(format_problems(stack, problems, hidden))
    return config


def secret(key: str) -> pulumi.Output[str] | None:
    """A secret from the stack file (`pulumi config set --secret`), as a secret Output, or None."""
    assert key in SECRET_KEYS, key
    if not runtime_config.is_config_secret(f"{NAMESPACE}:{key}"):
        return None  # a plain-text password is refused by load(); never pass it on
    return pulumi.Config(NAMESPACE).get_secret(key)
