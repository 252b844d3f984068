"""The offline diff of two plans of one stack: what a reviewer needs to know about a change.

Resources are matched by URN (Pulumi's identity for a resource). A resource whose inputs changed is
updated in place or replaced, as offline/replacement.py decides. A value Azure computes ([unknown] in
a plan) counts as changed when a resource it depends on is replaced: that is how a rebuilt image
reaches the VMs that boot it, as in `pulumi preview`. At the top, the consequences in plain words.
"""

from __future__ import annotations

import json
from typing import Any

from .graph import azure_label
from .replacement import replace_reasons

TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
VM = "azure-native:compute:VirtualMachine"
DISK = "azure-native:compute:Disk"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
UNKNOWN = "[unknown]"


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaves of a nested value by path: a.b[0].c."""
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


def _order(resources: dict[str, dict]) -> list[str]:
    """URNs with every resource after the resources it depends on."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(urn: str) -> None:
        if urn in seen or urn not in resources:
            return
        seen.add(urn)
        for dep in resources[urn].get("dependsOn", []):
            visit(dep)
        done.append(urn)

    for urn in sorted(resources):
        visit(urn)
    return done


def diff_plans(old: dict | None, new: dict) -> dict:
    """The change from old (None: the stack is new) to new, as a JSON-able document."""
    before = {r["urn"]: r for r in (old or {"resources": []})["resources"] if r.get("custom")}
    after = {r["urn"]: r for r in new["resources"] if r.get("custom")}
    changes: list[dict] = []
    replaced: set[str] = set()
    for urn in _order(after):
        r = after[urn]
        if urn not in before:
            changes.append(_change("add", r, None))
            continue
        o, n = flatten(before[urn].get("inputs", {})), flatten(r.get("inputs", {}))
        props = {p: [o.get(p), n.get(p)] for p in sorted(set(o) | set(n)) if o.get(p) != n.get(p)}
        computed = [d for d in r.get("dependsOn", []) if d in replaced]
        if computed:
            for p, v in n.items():
                if v == UNKNOWN and p not in props:
                    props[p] = [UNKNOWN, f"{UNKNOWN} (from replaced {computed[0].rsplit('::', 1)[-1]})"]
        if not props:
            continue
        reasons = replace_reasons(r, sorted(props))
        if reasons:
            replaced.add(urn)
        changes.append(_change("replace" if reasons else "update", r, before[urn], props, reasons))
    for urn in sorted(set(before) - set(after)):
        changes.append(_change("delete", before[urn], before[urn]))
    summary = {a: sum(1 for c in changes if c["action"] == a) for a in ("add", "delete", "update", "replace")}
    summary["same"] = len(after) - summary["add"] - summary["update"] - summary["replace"]
    return {"stack": new["stack"], "summary": summary,
            "consequences": consequences(changes, after, before), "changes": changes}


def _change(action: str, r: dict, old: dict | None, props: dict | None = None, reasons: list | None = None) -> dict:
    kind, name = azure_label(r)
    old_name = azure_label(old)[1] if old else None
    return {"action": action, "urn": r["urn"], "type": r["type"], "azureType": kind, "azureName": name,
            "oldAzureName": old_name, "component": (r.get("parent") or "").rsplit("::", 1)[-1],
            "protected": bool(old and old.get("options", {}).get("protect")),
            "properties": props or {}, "replaceReasons": reasons or []}


def consequences(changes: list[dict], after: dict, before: dict) -> list[dict]:
    """What the change means, in plain words: level is 'error' (must never merge as is), 'warning'
    (a reviewer must agree) or 'info'."""
    out: list[dict] = []

    def say(level: str, text: str) -> None:
        out.append({"level": level, "text": text})

    for c in changes:
        if c["type"] == TEMPLATE:
            image = c["component"]
            if c["action"] == "replace":
                say("warning", f"image {image} will be rebuilt: template {c['oldAzureName']} -> {c['azureName']} "
                               "(the name is a hash of the recipe)")
            elif c["action"] == "add":
                say("info", f"image {image} will be built: new template {c['azureName']}")
            elif c["action"] == "update":
                say("error", f"in-place update of image template {c['azureName']} ({', '.join(c['properties'])}): "
                             "Azure refuses it (409, update of image templates is not supported); every input "
                             "must be in the template's name hash")
            elif c["action"] == "delete":
                say("info", f"image {image}: template {c['azureName']} will be deleted")
        if c["type"] == DISK and c["action"] == "replace":  # its name carries the file's fingerprint (naming.py)
            say("warning", f"import {c['component']}: the VHD changed: new disk {c['azureName']} (was "
                           f"{c['oldAzureName']}), uploaded again; a new managed image and gallery version follow")
        if c["protected"] and c["action"] in ("replace", "delete"):
            verb = "replaced" if c["action"] == "replace" else "deleted"
            say("error", f"protected {c['azureType']} {c['oldAzureName']} would be {verb}: Pulumi refuses while it "
                         "is protected, and fleets and versions depend on it")
    fleets: dict[str, list[str]] = {}
    for c in changes:
        if c["type"] == VM and c["action"] in ("replace", "delete"):
            fleets.setdefault(c["component"], []).append(c["azureName"])
    for fleet, vms in sorted(fleets.items()):
        say("warning", f"fleet {fleet}: {len(vms)} VM(s) replaced, one at a time, old VM first "
                       f"(delete-before-replace): {', '.join(sorted(vms))}")
    for c in changes:
        if c["type"] != VMSS or c["action"] == "add":
            continue
        capacity = ((after.get(c["urn"]) or before.get(c["urn"]))["inputs"].get("sku") or {}).get("capacity", "?")
        if c["action"] in ("replace", "delete"):
            what = "recreated" if c["action"] == "replace" else "deleted"
            say("warning", f"fleet {c['component']}: scale set {c['azureName']} {c['action']}d, "
                           f"{capacity} instance(s) {what}")
        elif any(p.startswith("virtualMachineProfile.") for p in c["properties"]):
            say("warning", f"fleet {c['component']}: scale set {c['azureName']} model changes; its {capacity} "
                           "instance(s) roll in place, 20% a batch (Rolling upgrade policy)")
    return out


def _short(value: Any) -> str:
    text = json.dumps(value) if value is not None else "(none)"
    return text if len(text) <= 90 else text[:87] + "..."


SYMBOL = {"add": "+", "delete": "-", "update": "~", "replace": "+-"}


def render_text(diff: dict, base: str = "base", head: str = "working tree") -> str:
    s = diff["summary"]
    lines = [f"Offline diff of stack '{diff['stack']}': {base} -> {head}", "", "Consequences:"]
    marks = {"error": "ERROR", "warning": "WARNING", "info": "note"}
    lines += [f"  {marks[c['level']]}: {c['text']}" for c in diff["consequences"]] or ["  none"]
    lines += ["", f"Resources: {s['add']} to add, {s['delete']} to delete, {s['update']} to update, "
                  f"{s['replace']} to replace, {s['same']} unchanged", ""]
    for c in diff["changes"]:
        title = f"{SYMBOL[c['action']]:>2} {c['action']:<8} {c['azureType']} {c['azureName']}"
        if c["oldAzureName"] and c["oldAzureName"] != c["azureName"]:
            title += f" (was {c['oldAzureName']})"
        lines.append(title + (" [protected]" if c["protected"] else ""))
        for path, (was, now) in c["properties"].items():
            lines.append(f"       {path}: {_short(was)} -> {_short(now)}")
        lines += [f"       replaces because {why}" for why in c["replaceReasons"][:3]]
    return "\n".join(lines)
