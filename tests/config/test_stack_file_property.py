"""The property over whole stack files, as a new user edits them: one mutation at any leaf of a shipped
`Pulumi.<stack>.yaml`, written back as YAML text and read the way the offline plan reads it (strict
loader, Pulumi's wire form, the config model and the cross checks), ends in a valid config or in clean
one-line errors that name the mutated key; never a traceback, never a secret's value.

Mutation classes: type swaps, YAML 1.1 traps written as plain scalars (`no`, `on`, `010`, `1e3`, ...),
boundary numbers, bad strings, unknown keys (some named like secrets, holding a secret), missing keys,
lists where maps belong (and maps where lists belong), and broken YAML text (tabs, indentation,
unclosed quotes, tags, duplicate keys, bytes that are not UTF-8). Each case also sets the secret
adminPassword, whose value must never appear either.
"""

from __future__ import annotations

import copy
import re
import time
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config import strict_yaml
from components.config.loading import ConfigError
from components.config.placeholders import OFFLINE_ENV
from offline.plan import ROOT, plan, stack_names
from tests.config.loading import load_text

CASES = 1000
SECRET = "Sekr3t-Hunter2-value"  # planted as the adminPassword secret and under secret-looking keys
STACKS = {name: strict_yaml.parse((ROOT / f"Pulumi.{name}.yaml").read_bytes(), name) for name in stack_names()}
TEXTS = {name: (ROOT / f"Pulumi.{name}.yaml").read_text() for name in stack_names()}

KEY_LINE = re.compile(r"^Pulumi\.(?P<stack>[a-z]+)\.yaml: (?P<key>[^\s=]+(?: [^\s=:]+)*?)(?: = (?P<value>.*?))?: \S.*$")
YAML_LINE = re.compile(r"^Pulumi\.[a-z]+\.yaml:\d+:\d+: \S.*$")
NOT_IN_A_LINE = ("Traceback", "<class", "pydantic", "object at 0x", "instance of", "validation error", "File \"")


class Raw(str):
    """A scalar written into the YAML as is, unquoted: `no`, `010`, `1e3`, ..."""


class Dumper(yaml.SafeDumper):
    pass


def _raw(dumper: Dumper, value: Raw) -> yaml.ScalarNode:
    # Tag it as PyYAML's own resolver reads the text, so the emitter writes it plain, not quoted.
    return yaml.ScalarNode(dumper.resolve(yaml.ScalarNode, str(value), (True, False)), str(value))


Dumper.add_representer(Raw, _raw)

TRAPS = [Raw(t) for t in ("no", "yes", "on", "off", "y", "n", "010", "0x1F", "0o17", "1e3", "1_000", "+1", ".5",
                          "~", "null", "True", "FALSE", "2034-10-10", "12:30")]
BAD_STRINGS = ["", " ", "x" * 600, "\u0661\u0662\u0663", "a\nb", "tab\there", "<>%&\\?/", "${owner}", "\u00e9t\u00e9",
               "\U0001F600", "-", ".", "0", "a" * 81, "Standard_", "https://", "10.0.0.0/33", "1.0", "latest "]
BOUNDARIES = [0, -1, 1, 2, 30, 126, 127, 240, 960, 961, 1000, 1001, 10000, 2**31 - 1, 2**31, -(2**31) - 1, 10**20]
UNKNOWN_KEYS = ["colour", "Region", "adminPasword", "apiKey", "client_secret", "x.y", "PowerShell", "type2", ""]


def leaves(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path] if path else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found += leaves(child, path + (key,))
    return found


def maps(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path] if isinstance(node, dict) else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found += maps(child, path + (key,))
    return found


PATHS = {name: leaves(doc["config"], ()) for name, doc in STACKS.items()}
MAPS = {name: [p for p in maps(doc["config"], ()) if p] for name, doc in STACKS.items()}


def at(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


def swap(value: Any) -> st.SearchStrategy:
    """A value of another kind than value."""
    kinds = {
        "str": st.sampled_from(["text", "Standard_D2s_v5", "uksouth"]),
        "int": st.sampled_from([0, 7, 128]),
        "bool": st.booleans(),
        "float": st.sampled_from([1.5, 2.0, -0.25]),
        "list": st.sampled_from([[], ["a"], [1, 2]]),
        "map": st.sampled_from([{}, {"a": 1}, {"name": "x"}]),
        "null": st.none(),
    }
    mine = ("bool" if isinstance(value, bool) else "int" if isinstance(value, int) else "float" if isinstance(value, float)
            else "str" if isinstance(value, str) else "list" if isinstance(value, list)
            else "map" if isinstance(value, dict) else "null")
    return st.one_of(*(s for k, s in kinds.items() if k != mine))


def value_mutation(stack: str) -> st.SearchStrategy:
    def for_path(path: tuple) -> st.SearchStrategy:
        value = at(STACKS[stack]["config"], path)
        classes = [st.tuples(st.just("type swap"), swap(value)), st.tuples(st.just("YAML 1.1 trap"), st.sampled_from(TRAPS)),
                   st.tuples(st.just("bad string"), st.sampled_from(BAD_STRINGS))]
        if isinstance(value, int) and not isinstance(value, bool):
            classes.append(st.tuples(st.just("boundary number"), st.sampled_from(BOUNDARIES + [value - 1, value + 1])))
        if isinstance(value, dict):
            classes.append(st.tuples(st.just("list for a map"), st.just([value]) | st.just(list(value.values()))))
        if isinstance(value, list):
            classes.append(st.tuples(st.just("map for a list"), st.just({str(i): v for i, v in enumerate(value)})))
        return st.one_of(*classes).map(lambda kv, p=path: (kv[0], p, kv[1]))

    return st.sampled_from(PATHS[stack]).flatmap(for_path)


def key_mutation(stack: str) -> st.SearchStrategy:
    unknown = st.tuples(st.sampled_from(MAPS[stack]), st.sampled_from(UNKNOWN_KEYS)).map(
        lambda t: ("unknown key", t[0] + (t[1],), SECRET if "ass" in t[1] or "ey" in t[1] or "ecret" in t[1] else "x"))
    missing = st.sampled_from([p for p in PATHS[stack] if isinstance(p[-1], str)]).map(
        lambda p: ("missing key", p, None))
    return st.one_of(unknown, missing)


TEXT_MUTATIONS = [
    ("tab", lambda t: t.replace("\n  ", "\n\t", 1)),
    ("bad indentation", lambda t: t.replace("\n  image-factory:location", "\n   image-factory:location", 1)),
    ("unclosed quote", lambda t: t.replace("image-factory:owner: ", "image-factory:owner: 'open ", 1)),
    ("YAML tag", lambda t: t.replace("image-factory:location: ", "image-factory:location: !region ", 1)),
    ("duplicate key", lambda t: t.replace("\n  image-factory:location:", "\n  image-factory:location: eastus"
                                          "\n  image-factory:location:", 1)),
    ("config as a list", lambda t: t.replace("config:\n", "config:\n  - x: 1\n", 1)),
    ("not UTF-8", lambda t: t.replace("@contoso", "@contos\udcf6", 1).encode("utf-8", "surrogateescape")),
]


def text_mutation(stack: str) -> st.SearchStrategy:
    return st.sampled_from(TEXT_MUTATIONS).map(lambda m: ("broken YAML", m[0], m[1]))


def apply(stack: str, kind: str, path: tuple, value: Any) -> str:
    doc = copy.deepcopy(STACKS[stack])
    parent = at(doc["config"], path[:-1])
    if kind == "missing key":
        del parent[path[-1]]
    elif isinstance(parent, list) and path[-1] >= len(parent):
        parent.append(value)
    else:
        parent[path[-1]] = value
    return yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=10**6)


def names_the_key(lines: list[str], path: tuple, original: Any) -> bool:
    """Some line names the mutated key, one of its parents or children, or mentions it (a key another
    key refers to, such as a capture a fleet boots from, is named by the line of the referring key)."""
    namespace, _, top = str(path[0]).partition(":")
    dotted = f"{namespace}:" + top + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])
    words = [top] + [p for p in path[1:] if isinstance(p, str)]
    words += list(original) if isinstance(original, dict) else []
    for one in lines:
        match = KEY_LINE.match(one)
        key = match["key"] if match else ""
        if key and (key.startswith(dotted) or dotted.startswith(key)):
            return True
        if any(word and word in one.partition(": ")[2] for word in words):
            return True
    return False


def check_lines(text: str) -> list[str]:
    lines = text.split("\n")
    for one in lines:
        assert KEY_LINE.match(one) or YAML_LINE.match(one), f"not a problem line: {one!r}"
        assert not any(bad in one for bad in NOT_IN_A_LINE), one
        assert SECRET not in one, f"a secret printed: {one!r}"
    return lines


def test_property_whole_stack_files_end_in_a_valid_config_or_clean_lines(monkeypatch):
    # Loaded as the offline plan loads them: prod's placeholders (tests/config/test_placeholders.py)
    # would otherwise add their own lines to every prod case.
    monkeypatch.setenv(OFFLINE_ENV, "1")
    cases = CASES
    started = time.monotonic()
    seen: list[str] = []

    @settings(max_examples=cases, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(sorted(STACKS)).flatmap(lambda stack: st.tuples(
        st.just(stack), st.one_of(value_mutation(stack), value_mutation(stack), key_mutation(stack),
                                  text_mutation(stack)))))
    def check(case):
        stack, (kind, path, value) = case
        if kind == "broken YAML":
            text = value(TEXTS[stack])
        else:
            text = apply(stack, kind, path, value)
        data = text if isinstance(text, bytes) else text.encode()
        try:
            load_text(data, secrets={"image-factory:adminPassword": SECRET}, stack=stack)
        except ConfigError as error:
            lines = check_lines(str(error))
            if kind == "broken YAML":
                assert all(YAML_LINE.match(one) for one in lines), lines
            elif kind not in ("boundary number",):  # a valid-typed number may break a cross-key rule elsewhere
                original = at(STACKS[stack]["config"], path) if kind != "unknown key" else None
                assert names_the_key(lines, path, original), f"{kind} at {path} = {value!r}: {lines}"
            seen.append(f"{kind}: error")
        else:
            seen.append(f"{kind}: valid")

    check()
    counts = {outcome: seen.count(outcome) for outcome in sorted(set(seen))}
    elapsed = time.monotonic() - started
    print(f"\n{len(seen)} cases in {elapsed:.1f}s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    assert len(seen) >= cases
    assert {o.split(":")[0] for o in seen} >= {"type swap", "YAML 1.1 trap", "bad string", "boundary number",
                                              "list for a map", "map for a list", "unknown key", "missing key",
                                              "broken YAML"}


NOT_UTF8 = TEXTS["dev"].replace("it-platform@", "it-platf\udcf6rm@").encode("utf-8", "surrogateescape")


@pytest.mark.parametrize("stack, text", [
    ("dev", TEXTS["dev"].replace("      count: 2", "      count: yes")),
    ("prod", TEXTS["prod"].replace("image-factory:protect: true", "image-factroy:protect: true")),
    ("prod", TEXTS["prod"].replace("      size: Standard_D4s_v5", "      size: Standard_D4_v5", 1)),
    ("capture", TEXTS["capture"].replace("      count: 1000", "      count: 1000\n      count: 10")),
    ("dev", NOT_UTF8),
    ("dev", TEXTS["dev"] + "  image-factory:adminPassword: " + SECRET + "\n"),
])
def test_full_offline_plans_of_broken_stack_files_stop_cleanly(stack, text):
    with pytest.raises(ConfigError) as caught:
        plan(stack, secrets={"image-factory:domainJoinPassword": SECRET}, text=text)
    check_lines(str(caught.value))


@pytest.mark.parametrize("stack, text", [
    ("dev", TEXTS["dev"].replace("      count: 2", "      count: 3")),
    ("capture", TEXTS["capture"].replace("image-factory:environment: capture", "image-factory:environment: cap2024")),
])
def test_full_offline_plans_of_edited_stack_files(stack, text):
    assert plan(stack, text=text)["resources"]
