"""What differs between two input documents of one resource, path by path, with lists matched by their
natural key: what the offline diff shows a reviewer.

A list whose items are objects that each carry a unique `name` (customizers, validations, target regions,
NSG rules, IP configurations), `runOutputName` (distribution targets) or `id` (network interfaces) is
compared item by item under that key: inserting one customizer is one added item, `customize[name=x]`,
not a shift of every item after it. A list of plain values (zones, inline script lines) is one value: its
change shows as that list before and after, cut around the part that changed (offline/diff_text.py).
When the keyed items are the same but their order changed, `<path> (order)` says so: the order of
customizers is the order they run in.
"""

from __future__ import annotations

from typing import Any

NATURAL_KEYS = ("name", "runOutputName", "id")


def natural_key(items: list) -> str | None:
    """The key that names every item of a list of objects uniquely, or None (compared by position)."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in NATURAL_KEYS:
        values = [i.get(key) for i in items]
        if all(isinstance(v, str) and v for v in values) and len(set(values)) == len(values):
            return key
    return None


def _keyed(items: list, key: str) -> dict[str, Any]:
    return {i[key]: i for i in items}


def compare(old: Any, new: Any, path: str = "") -> dict[str, list]:
    """{path: [old value, new value]} for each difference; a value missing on one side is None there."""
    if old == new:
        return {}
    if isinstance(old, dict) and isinstance(new, dict):
        out: dict[str, list] = {}
        for k in sorted(set(old) | set(new)):
            out.update(compare(old.get(k), new.get(k), f"{path}.{k}" if path else k))
        return out
    if isinstance(old, list) and isinstance(new, list):
        key = natural_key(old) if old else natural_key(new)
        if key and key == (natural_key(new) if new else key):
            before, after = _keyed(old, key), _keyed(new, key)
            out = {}
            for name in sorted(set(before) | set(after)):
                out.update(compare(before.get(name), after.get(name), f"{path}[{key}={name}]"))
            kept_old = [n for n in before if n in after]
            kept_new = [n for n in after if n in before]
            if kept_old != kept_new:
                out[f"{path} (order)"] = [kept_old, kept_new]
            return out
        if (len(old) == len(new) and old and all(isinstance(v, dict) for v in old + new)):
            out = {}
            for i, (o, n) in enumerate(zip(old, new)):
                out.update(compare(o, n, f"{path}[{i}]"))
            return out
    return {path: [old, new]}


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaves of a nested value by path (a.b[0].c): where a value Azure computes sits in a resource."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k in sorted(value):
            out.update(flatten(value[k], f"{path}.{k}" if path else k))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{path}[{i}]"))
        return out
    return {path: value}
