"""Reading `Pulumi.<stack>.yaml` strictly: every YAML problem is one line with the file, line and column.

PyYAML's SafeLoader speaks YAML 1.1, where `no`, `on` and `yes` are booleans, `010` is octal and
`1_000` an integer, and a repeated key silently wins. The Pulumi CLI reads stack files with Go's
yaml.v3 (YAML 1.2's core schema), where `no` is the string "no". The loader here takes the stricter
of the two: only what both agree on becomes a bool or a number, so no value means one thing to this
program and another to `pulumi up`:

- booleans: `true`/`false` (also `True`, `TRUE`, ...); `yes`, `no`, `on`, `off`, `y`, `n` stay strings;
- integers: plain decimal ASCII digits (`-1`, `0`, `120`); `010`, `0x1F`, `0o17`, `1_000` and `+1`
  stay strings, so a strict integer key refuses them instead of reading 8, 31, 15 or 1000;
- floats: YAML 1.2's form (`1.5`, `1e3`), which a strict integer key refuses;
- null: `null`, `~` or nothing; dates stay strings (yaml.v3 hands them to Pulumi as text too);
- no duplicate keys, no tags other than the standard ones, UTF-8 text only.

`config` itself must be a map of `namespace:key` to values; an object `{secure: ...}` is an
encrypted value, which only the Pulumi CLI can decrypt.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^-?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^-?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


class StackFileError(Exception):
    """One or more problems in a stack file, each already one line naming the file, line and column."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


class StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-core scalars (see the module doc) and duplicate keys refused."""

    yaml_implicit_resolvers: dict = {}

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, "expected a map", node.start_mark)
        seen: dict[Any, Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise ConstructorError(None, None, f"keys must be strings, not {json.dumps(key, default=str)}",
                                       key_node.start_mark)
            if key in seen:
                first = seen[key].start_mark
                raise ConstructorError(None, None, f"duplicate key {key!r} (first at line {first.line + 1}, column "
                                       f"{first.column + 1}): one key, one value", key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


for _tag, _pattern, _first in (
        ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
        ("tag:yaml.org,2002:int", _INT, "-0123456789"),
        ("tag:yaml.org,2002:float", _FLOAT, "-.0123456789"),
        ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])):
    StrictLoader.add_implicit_resolver(_tag, _pattern, list(_first))


def _construct_bool(loader: StrictLoader, node: ScalarNode) -> bool:
    value = loader.construct_scalar(node)
    if not _BOOL.match(value):
        raise ConstructorError(None, None, f"{value!r} is not a boolean (true or false)", node.start_mark)
    return value.lower() == "true"


def _construct_int(loader: StrictLoader, node: ScalarNode) -> int:
    value = loader.construct_scalar(node)
    if not _INT.match(value):  # an explicit `!!int 010` would otherwise be read as octal
        raise ConstructorError(None, None, f"{value!r} is not a whole number in decimal digits", node.start_mark)
    return int(value)


StrictLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
# Timestamps, binary data, sets and the like mean nothing in Pulumi config: a tag for them is an error.
for _tag in ("timestamp", "binary", "set", "omap", "pairs"):
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", None)  # type: ignore[arg-type]
StrictLoader.yaml_constructors = {k: v for k, v in StrictLoader.yaml_constructors.items() if v is not None}


def _where(filename: str, mark: Any) -> str:
    return f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark is not None else filename


def _problem(filename: str, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if isinstance(error, ConstructorError) and problem.startswith("could not determine a constructor"):
        tag = problem.split("tag ", 1)[-1].replace("tag:yaml.org,2002:", "!!")
        problem = f"the YAML tag {tag} is not allowed in a stack file"
    context, start = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and not isinstance(error, ConstructorError):
        # "while scanning a quoted scalar": say where that scalar (or block) began, not only where it broke.
        began = f" that starts at line {start.line + 1}, column {start.column + 1}" if start and start != mark else ""
        problem = f"{problem} {context}{began}"
    return f"{_where(filename, mark)}: {' '.join(problem.split())}"


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise StackFileError([f"{filename}:{line}:{column}: is not UTF-8 text (byte 0x{data[error.start]:02x}); "
                              "save the file as UTF-8"]) from None


def parse(data: bytes | str, filename: str) -> Any:
    """The YAML document, strictly (see the module doc); StackFileError with one line per problem."""
    text = _decode(data, filename) if isinstance(data, bytes) else data
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as error:
        raise StackFileError([_problem(filename, error)]) from None


def _node_text(node: Node) -> str | None:
    """The literal text of a top-level scalar, as yaml.v3 hands it to Pulumi (`010` stays "010")."""
    if isinstance(node, ScalarNode):
        return "" if node.tag == "tag:yaml.org,2002:null" else node.value
    return None


def stack_entries(data: bytes | str, filename: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The `config` map of a stack file, and the literal text of each top-level scalar value.

    Top-level scalars reach the program as their text (that is all Pulumi keeps of them: `2024` and
    "2024" are the same string), objects and lists as JSON of their values.
    """
    text = _decode(data, filename) if isinstance(data, bytes) else data
    loader = StrictLoader(text)
    try:
        root = loader.get_single_node()
        document = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        raise StackFileError([_problem(filename, error)]) from None
    finally:
        loader.dispose()
    if document is None:
        return {}, {}
    if not isinstance(document, dict):
        raise StackFileError([f"{_where(filename, root.start_mark)}: a stack file is a map with a config key"])
    config_node = next((v for k, v in root.value if k.value == "config"), None)
    config = document.get("config")
    if config is None:
        return {}, {}
    if not isinstance(config, dict):
        raise StackFileError([f"{_where(filename, config_node.start_mark)}: config must be a map of "
                              "namespace:key to values, not a list or a single value"])
    texts = {}
    for key_node, value_node in config_node.value:
        literal = _node_text(value_node)
        if literal is not None:
            texts[key_node.value] = literal
    return config, texts
