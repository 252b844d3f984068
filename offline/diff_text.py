"""The offline diff as text (`make diff`): consequences first, then the counts, the resources with each
changed property, and last the estimated time of this change's `pulumi up`. Everything here renders the
one classification offline/diff.py makes; nothing is decided here.
"""

from __future__ import annotations

import json
from typing import Any

WIDTH = 90  # a value longer than this is cut, around the part that changed
CONTEXT = 24  # characters kept on each side of the change

SYMBOL = {"add": "+", "delete": "-", "update": "~", "restart": "~!", "replace": "+-"}
TITLE = {"add": "add", "delete": "delete", "update": "update", "restart": "restart", "replace": "replace"}
MARKS = {"error": "ERROR", "warning": "WARNING", "info": "note"}


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if value is not None else "(none)"


def _cut(text: str, start: int, end: int) -> str:
    """text[start:end], widened by CONTEXT, with … where it is cut."""
    lo, hi = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    if hi - lo > WIDTH:
        hi = lo + WIDTH
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")


def show_pair(was: Any, now: Any) -> tuple[str, str]:
    """Two values as a reviewer reads them: whole when short, else each cut around where they differ."""
    a, b = _text(was), _text(now)
    if len(a) <= WIDTH and len(b) <= WIDTH:
        return a, b
    if was is None or now is None:  # an item added or removed: all of it is the change
        return a if len(a) <= 3 * WIDTH else a[:3 * WIDTH] + "…", b if len(b) <= 3 * WIDTH else b[:3 * WIDTH] + "…"
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return _cut(a, prefix, len(a) - suffix), _cut(b, prefix, len(b) - suffix)


def summary_line(s: dict) -> str:
    """The counts, as the text diff and the PR comment print them."""
    order = ""
    if s["replace"]:
        order = f" ({s['replaceDeleteFirst']} delete-first, {s['replaceCreateFirst']} create-first)"
    return (f"{s['add']} to add, {s['delete']} to delete, {s['update']} to update in place, {s['restart']} to "
            f"update with a restart, {s['replace']} to replace{order}, {s['same']} unchanged")


def estimate_lines(estimate: dict) -> list[str]:
    """The closing lines: how long this change's `pulumi up` takes on the deployed stack."""
    if not estimate["minutes"] and not estimate["path"]:
        return ["Time of this change's `pulumi up`: nothing to do."]
    path = " → ".join(f"{link['name']} ({link['action']})" for link in estimate["path"])
    return [f"Time of this change's `pulumi up` on the deployed stack, {estimate['note']}.",
            f"this change ≈ {estimate['minutes']} min: {path}"]


def render_text(diff: dict, base: str = "base", head: str = "working tree") -> str:
    lines = [f"Offline diff of stack '{diff['stack']}': {base} -> {head}", "", "Consequences:"]
    lines += [f"  {MARKS[c['level']]}: {c['text']}" for c in diff["consequences"]] or ["  none"]
    lines += ["", f"Resources: {summary_line(diff['summary'])}", ""]
    for c in diff["changes"]:
        action = c["action"] + (f" {c['replaceOrder']}" if c["replaceOrder"] else "")
        title = f"{SYMBOL[c['action']]:>2} {action:<20} {c['azureType']} {c['azureName']}"
        if c["oldAzureName"] and c["oldAzureName"] != c["azureName"]:
            title += f" (was {c['oldAzureName']})"
        lines.append(title + (" [protected]" if c["protected"] else ""))
        for path, (was, now) in c["properties"].items():
            a, b = show_pair(was, now)
            lines.append(f"       {path}: {a} -> {b}")
        lines += [f"       replaces because {why}" for why in c["replaceReasons"][:3]]
        lines += [f"       restarts because {why}" for why in c["restartReasons"][:3]]
    lines += [""] + estimate_lines(diff["estimate"])
    return "\n".join(lines)
