"""The offline diff of two plans of one stack: what a reviewer needs to know about a change.

One classification, which everything renders from: `changes`, one entry per custom resource that
changes, with the action Azure and Pulumi will carry out:
- add, delete;
- update: in place, nothing restarts;
- restart: in place, but Azure restarts the machine to do it (a VM or scale-set resize:
  offline/replacement.py RESTARTS);
- replace: a new resource for the old, `replaceOrder` delete-first (the resource's deleteBeforeReplace
  option: down until the new one is up) or create-first (Pulumi's default).
The summary counts that list, the consequences read it (per fleet: offline/fleet_impact.py), the
resource list prints it, and the estimate times it: they cannot disagree.

Resources are matched by URN (Pulumi's identity for a resource). Inputs are compared with lists matched
by natural key (offline/compare.py). A value Azure computes ([unknown] in a plan) counts as changed when a
resource it depends on is replaced: that is how a rebuilt image reaches the VMs that boot it, as in
`pulumi preview`. A consequence at level "error" must not merge as is (make diff exits 1, the PR job
fails) unless the change acknowledges it (offline/acknowledge.py).
"""

from __future__ import annotations

from .acknowledge import apply as acknowledge
from .compare import compare, flatten
from .critical_path import change_estimate
from .diff_text import render_text  # noqa: F401  (the text rendering, re-exported)
from .fleet_impact import VM, VMSS, fleet_consequences, fleets_of
from .graph import azure_label
from .replacement import replace_order, replace_reasons, restart_reasons, same_azure_id

BUILD = "pulumi-python:dynamic/image_build:ImageBuild"
REPLICAS = "pulumi-python:dynamic/version_replicas:VersionReplicas"
TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
DISK = "azure-native:compute:Disk"
UNKNOWN = "[unknown]"
FLEET_TYPES = (VM, VMSS)
ACTIONS = ("add", "delete", "update", "restart", "replace")


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


def classify(before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    """The one list of classified changes (see the module's docstring), dependencies first, deletes last."""
    changes: list[dict] = []
    replaced: set[str] = set()
    for urn in _order(after):
        r = after[urn]
        if urn not in before:
            changes.append(_change("add", r, None))
            continue
        props = compare(before[urn].get("inputs", {}), r.get("inputs", {}))
        computed = [d for d in r.get("dependsOn", []) if d in replaced]
        if computed:
            for p, v in flatten(r.get("inputs", {})).items():
                if v == UNKNOWN and p not in props:
                    props[p] = [UNKNOWN, f"{UNKNOWN} (from replaced {computed[0].rsplit('::', 1)[-1]})"]
        reasons = replace_reasons(r, sorted(props))
        reasons += [f"replaceWith: {u.rsplit('::', 1)[-1]} is replaced"
                    for u in r["options"].get("replaceWith") or [] if u in replaced]
        if not props and not reasons:
            continue
        if reasons:
            replaced.add(urn)
            changes.append(_change("replace", r, before[urn], props, reasons))
        else:
            restarts = restart_reasons(r, sorted(props))
            changes.append(_change("restart" if restarts else "update", r, before[urn], props, restarts=restarts))
    for urn in sorted(set(before) - set(after)):
        changes.append(_change("delete", before[urn], before[urn]))
    return changes


def _change(action: str, r: dict, old: dict | None, props: dict | None = None, reasons: list | None = None,
            restarts: list | None = None) -> dict:
    kind, name = azure_label(r)
    order = replace_order(r) if action == "replace" else None
    return {"action": action, "urn": r["urn"], "type": r["type"], "azureType": kind, "azureName": name,
            "oldAzureName": azure_label(old)[1] if old else None,
            "component": (r.get("parent") or "").rsplit("::", 1)[-1],
            "protected": bool(old and old.get("options", {}).get("protect")),
            "retained": bool(old and old.get("options", {}).get("retainOnDelete")),
            "properties": props or {}, "replaceReasons": reasons or [], "restartReasons": restarts or [],
            "replaceOrder": order,
            # a create-first replacement that keeps its Azure ID: azure-native refuses to create it
            "sameAzureId": bool(order == "create-first" and old and same_azure_id(old, r))}


def summarize(changes: list[dict], after: dict[str, dict]) -> dict:
    """Counts of the classified changes, by action (and replacements by order)."""
    summary = {a: sum(1 for c in changes if c["action"] == a) for a in ACTIONS}
    summary["replaceDeleteFirst"] = sum(1 for c in changes if c["replaceOrder"] == "delete-first")
    summary["replaceCreateFirst"] = sum(1 for c in changes if c["replaceOrder"] == "create-first")
    summary["same"] = len(after) - sum(summary[a] for a in ACTIONS if a != "delete")
    return summary


def diff_plans(old: dict | None, new: dict) -> dict:
    """The change from old (None: the stack is new) to new, as a JSON-able document."""
    before = {r["urn"]: r for r in (old or {"resources": []})["resources"] if r.get("custom")}
    after = {r["urn"]: r for r in new["resources"] if r.get("custom")}
    changes = classify(before, after)
    found = consequences(changes, before, after)
    found = acknowledge(found, (old or {}).get("acknowledgements") or [], new.get("acknowledgements") or [],
                        new["stack"])
    return {"stack": new["stack"], "summary": summarize(changes, after), "consequences": found,
            "changes": changes, "estimate": change_estimate(new, changes, before)}


def consequences(changes: list[dict], before: dict, after: dict) -> list[dict]:
    """What the change means, in plain words: level is 'error' (must never merge as is), 'warning'
    (a reviewer must agree) or 'info'. An error a change may acknowledge carries `acknowledge`."""
    out: list[dict] = []

    def say(level: str, text: str, **extra) -> None:
        out.append({"level": level, "text": text, **extra})

    # images whose build runs in this change: their replica steps are part of that build, not news of their own
    built = {c["component"] for c in changes if c["type"] == BUILD and c["action"] in ("add", "replace")}
    for c in changes:
        if c["type"] == TEMPLATE:
            image = c["component"]
            if c["action"] == "replace":
                say("warning", f"image {image} will be rebuilt: template {c['oldAzureName']} -> {c['azureName']} "
                               "(the name is a hash of the recipe)")
            elif c["action"] == "add":
                say("info", f"image {image} will be built: new template {c['azureName']}")
            elif c["action"] in ("update", "restart"):
                say("error", f"in-place update of image template {c['azureName']} ({', '.join(c['properties'])}): "
                             "Azure refuses it (409, update of image templates is not supported); every input "
                             "must be in the template's name hash")
            elif c["action"] == "delete":
                say("info", f"image {image}: template {c['azureName']} will be deleted")
        if c["type"] == REPLICAS and c["action"] in ("add", "update") and c["component"] not in built:
            regions = ", ".join(r["name"] for r in after[c["urn"]]["inputs"].get("target_regions") or [])
            say("info", f"image {c['component']}: its version is replicated to {regions} in place (VersionReplicas "
                        f"{c['azureName']}, {c['action']}): no rebuild, no VM touched")
        if c["type"] == DISK and c["action"] == "replace":  # its name carries the file's fingerprint (naming.py)
            say("warning", f"import {c['component']}: the VHD changed: new disk {c['azureName']} (was "
                           f"{c['oldAzureName']}), uploaded again; a new managed image and gallery version follow")
        if c["protected"] and c["action"] in ("replace", "delete"):
            verb = "replaced" if c["action"] == "replace" else "deleted"
            say("error", f"protected {c['azureType']} {c['oldAzureName']} would be {verb}: Pulumi refuses while it "
                         "is protected (`pulumi state unprotect` on its URN first), and fleets and versions depend on it",
                acknowledge={"resource": c["oldAzureName"]})
        if c["retained"] and c["action"] in ("replace", "delete"):  # retain_on_delete: Pulumi forgets, Azure keeps
            say("info", f"{c['azureType']} {c['oldAzureName']} leaves the stack but stays in Azure (retainOnDelete): "
                        "what still boots it keeps running; retention deletes it once nothing does")
        if c["sameAzureId"] and c["type"] not in FLEET_TYPES:  # a fleet's own: fleet_impact says it
            say("error", f"{c['azureType']} {c['azureName']} would be replaced create-first under the same name "
                         f"({', '.join(r.split(':', 1)[0] for r in c['replaceReasons'])}): azure-native refuses to "
                         "create a resource that exists, so `pulumi up` fails there. Revert that change, or the "
                         "program must replace it delete-first (deleteBeforeReplace)")
    for fleet in fleets_of(before, after, changes):
        out += fleet_consequences(fleet)
    return out
