"""What a change does to each fleet's running machines, in plain words and counted: the one function
(fleet_consequences) that turns a fleet's classified changes into what a reviewer reads.

How Pulumi and Azure carry the changes out, which the words follow:
- `vms` fleets: each VM is its own resource, and Pulumi runs the steps of independent resources in
  parallel, so every VM a change replaces or restarts is replaced or restarted at the same time. A VM is
  replaced delete-first (its names are fixed: components/vms/fleet.py), so it is gone until its
  replacement has booted. When that is every VM of the fleet, the fleet is down: an error, unless the
  change acknowledges it (offline/acknowledge.py). VMs that wait for other VMs of the fleet (a rollout
  in waves) go wave by wave: only a wave that holds every VM takes the fleet down. A VM resize restarts
  a running VM ("Resize a virtual machine", https://learn.microsoft.com/azure/virtual-machines/sizes/resize-vm).
- `scaleset` fleets: one resource. A model change (image, size, profile) rolls over the instances by the
  Rolling upgrade policy, 20% a batch; a capacity change adds or removes instances; a replacement
  recreates them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VM = "azure-native:compute:VirtualMachine"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
FLEET = "image-factory:fleet:VmFleet"
ROLLING_BATCH_PERCENT = 20  # components/vms/fleet.py: max_batch_instance_percent


@dataclass
class FleetChanges:
    """One fleet's machines before and after, and the classified changes of its VMs or scale set."""
    name: str
    mode: str  # "vms" or "scaleset"
    before: list[str] = field(default_factory=list)  # VM names (vms) or the scale set's name
    after: list[str] = field(default_factory=list)
    capacity: tuple[int | None, int | None] = (None, None)  # scale sets: instances before, after
    changes: list[dict] = field(default_factory=list)
    # vms fleets: each VM's wave, the longest chain of the fleet's own VMs it waits for (0: it waits for none).
    # Pulumi starts a VM's step once all it depends on is done, so the VMs of one wave go at the same time.
    wave: dict[str, int] = field(default_factory=dict)


def _in_fleet(resource: dict) -> bool:
    """Whether the resource's parent is a VmFleet (a parent URN's type part ends with the fleet's type)."""
    parts = (resource.get("parent") or "").split("::")
    return len(parts) >= 2 and parts[-2].endswith(FLEET)


def fleets_of(before: dict[str, dict], after: dict[str, dict], changes: list[dict]) -> list[FleetChanges]:
    """Every fleet that exists on either side, with its machines and the changes of its machines."""
    found: dict[str, FleetChanges] = {}
    for side, resources in (("before", before), ("after", after)):
        for r in resources.values():
            if r["type"] not in (VM, VMSS) or not _in_fleet(r):
                continue
            name = r["parent"].rsplit("::", 1)[-1]
            fleet = found.setdefault(name, FleetChanges(name, "scaleset" if r["type"] == VMSS else "vms"))
            getattr(fleet, side).append(r["inputs"].get("vmName") or r["inputs"].get("vmScaleSetName") or r["name"])
            if r["type"] == VMSS:
                capacity = (r["inputs"].get("sku") or {}).get("capacity")
                fleet.capacity = (capacity, fleet.capacity[1]) if side == "before" else (fleet.capacity[0], capacity)
    for c in changes:
        if c["type"] in (VM, VMSS) and c["component"] in found:
            found[c["component"]].changes.append(c)
    for fleet in found.values():
        fleet.wave = _waves(after, fleet.name)
    return [found[n] for n in sorted(found)]


def _waves(after: dict[str, dict], fleet: str) -> dict[str, int]:
    """Each VM of the fleet (by Azure name) with its wave: how many of the fleet's VMs it waits for in a row,
    through any resources between them."""
    vms = {u: r["inputs"].get("vmName") or r["name"] for u, r in after.items()
           if r["type"] == VM and _in_fleet(r) and r["parent"].rsplit("::", 1)[-1] == fleet}
    upstream: dict[str, frozenset[str]] = {}

    def vms_before(urn: str) -> frozenset[str]:  # the fleet's VMs that urn waits for, transitively
        if urn not in upstream:
            upstream[urn] = frozenset()
            found: set[str] = set()
            for dep in (after.get(urn) or {}).get("dependsOn", []):
                found |= ({dep} if dep in vms else set()) | vms_before(dep)
            upstream[urn] = frozenset(found)
        return upstream[urn]

    depth: dict[str, int] = {}

    def wave(urn: str) -> int:
        if urn not in depth:
            depth[urn] = max((wave(u) + 1 for u in vms_before(urn)), default=0)
        return depth[urn]

    return {name: wave(u) for u, name in vms.items()}


def _say(level: str, fleet: str, text: str, acknowledge: bool = False) -> dict:
    out = {"level": level, "text": f"fleet {fleet}: {text}", "fleet": fleet}
    if acknowledge:
        out["acknowledge"] = {"fleet": fleet}
    return out


def _names(names: list[str]) -> str:
    return ", ".join(sorted(names))


def _why(changes: list[dict]) -> str:
    """The changed properties that replace or restart, each once."""
    return ", ".join(sorted({r.split(":", 1)[0] for c in changes for r in c["replaceReasons"] + c["restartReasons"]}))


def _vms(f: FleetChanges) -> list[dict]:
    by = {a: [c["azureName"] for c in f.changes if c["action"] == a] for a in ("add", "delete", "replace", "restart",
                                                                              "update")}
    out: list[dict] = []
    if not f.after:
        return [_say("warning", f.name, f"removed: its {len(f.before)} VM(s) deleted: {_names(f.before)}")]
    if not f.before:
        return [_say("info", f.name, f"new: {len(f.after)} VM(s) created")]
    if by["add"]:
        out.append(_say("info", f.name, f"{len(by['add'])} VM(s) added ({len(f.before)} -> {len(f.after)}): "
                                        f"{_names(by['add'])}"))
    if by["delete"]:
        out.append(_say("warning", f.name, f"{len(by['delete'])} VM(s) removed ({len(f.before)} -> {len(f.after)}): "
                                           f"{_names(by['delete'])} deleted, with their OS disks"))
    staying = [n for n in f.after if n in f.before]
    down = set(by["replace"]) | set(by["restart"])
    why = _why([c for c in f.changes if c["action"] in ("replace", "restart")])
    because = f" ({why})" if why else ""
    waves = sorted({f.wave.get(n, 0) for n in down})
    at_once = max((sum(1 for n in down if f.wave.get(n, 0) == w) for w in waves), default=0)
    if staying and down >= set(staying) and at_once == len(staying):
        what = []
        if by["replace"]:
            what.append(f"{len(by['replace'])} VM(s) recreated at once, each deleted before its replacement is created")
        if by["restart"]:
            what.append(f"{len(by['restart'])} VM(s) restarted at once to resize")
        out.append({**_say("error", f.name, f"{' and '.join(what)}{because}: the fleet is down while they are",
                           acknowledge=True),
                    "otherwise": f"let it roll in waves (fleets.{f.name}.rolloutBatch smaller than its count, or "
                                 "zones), or stage it with `pulumi up --target` on a few VMs at a time"})
    elif len(waves) > 1:
        # A replaced VM's health extension is replaced with it, so the next wave waits for the new VM to report
        # healthy; a restart leaves the extension as it was, so the next wave waits for the update to finish only.
        gate = ("each once the one before runs and reports healthy" if by["replace"]
                else "each once the one before has restarted")
        order = "; ".join(f"wave {k + 1}: {_names(sorted(n for n in down if f.wave.get(n, 0) == w))}"
                          for k, w in enumerate(waves))
        out.append(_say("warning", f.name, f"{len(down)} of {len(staying)} VM(s) recreated or restarted{because} in "
                                           f"{len(waves)} waves, at most {at_once} at a time, {gate}: at least "
                                           f"{len(staying) - at_once} keep running ({order})"))
    else:
        if by["replace"]:
            out.append(_say("warning", f.name, f"{len(by['replace'])} of {len(staying)} VM(s) recreated at once, each "
                                               f"deleted first{because}: {_names(by['replace'])}; the others keep running"))
        if by["restart"]:
            out.append(_say("warning", f.name, f"{len(by['restart'])} of {len(staying)} VM(s) restarted at once to "
                                               f"resize{because}: {_names(by['restart'])}; the others keep running"))
    if by["update"]:
        out.append(_say("info", f.name, f"{len(by['update'])} VM(s) updated in place, no restart"))
    return out


def _scale_set(f: FleetChanges) -> list[dict]:
    (old, new), out = f.capacity, []
    for c in f.changes:
        name = c["azureName"]
        if c["action"] == "add":
            out.append(_say("info", f.name, f"new scale set {name}: {new} instance(s) created"))
        elif c["action"] == "delete":
            out.append(_say("warning", f.name, f"removed: scale set {name} deleted with its {old} instance(s)"))
        elif c["action"] == "replace" and c["sameAzureId"]:
            out.append(_say("error", f.name, f"scale set {name} would be replaced ({_why([c])}), create-first under the "
                                             "same name: azure-native refuses to create a resource that exists, so "
                                             "`pulumi up` fails there; deleted first instead, all its "
                                             f"{old} instance(s) would be down until recreated. Revert this change for "
                                             "this fleet (or move it to a new fleet name and remove the old one)"))
        elif c["action"] == "replace":
            out.append(_say("error", f.name, f"scale set {name} replaced ({_why([c])}): "
                                             f"all {old} instance(s) recreated at once: the fleet is down while they are",
                            acknowledge=True))
        else:
            props = list(c["properties"])
            if old != new and old is not None and new is not None:
                verb = f"{new - old} instance(s) added" if new > old else f"{old - new} instance(s) removed"
                out.append(_say("warning" if new < old else "info", f.name,
                                f"scale set {name} {old} -> {new} instances: {verb}"))
            rolls = [p for p in props if p.startswith("virtualMachineProfile.")]
            if c["action"] == "restart" or rolls:
                what = "restart to the new size" if c["action"] == "restart" else "are updated to the new model"
                out.append(_say("warning", f.name, f"scale set {name}: its {new} instance(s) {what}, "
                                                   f"{ROLLING_BATCH_PERCENT}% a batch (Rolling upgrade policy): "
                                                   f"at most {ROLLING_BATCH_PERCENT}% are down at a time"))
    return out


def fleet_consequences(f: FleetChanges) -> list[dict]:
    """What a change does to one fleet, in plain words, counted. The one place a rollout's consequence is
    computed: a rollout strategy (waves of VMs, say) changes this function and nothing else."""
    if not f.changes:
        return []
    return _vms(f) if f.mode == "vms" else _scale_set(f)
