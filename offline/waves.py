"""The rollout waves of each `vms` fleet, read from a plan document's graph (components/vms/fleet.py).

A wave is the set of a fleet's VMs that wait for the same gates (the previous wave's health extensions):
Pulumi replaces a wave's VMs together, and the next wave only once these are back and healthy. The diff
(offline/diff.py) and the pull-request report call `fleet_waves` / `describe` to say how an image change
rolls out; the graph itself is the source, so what is printed is what the engine will do.
"""

from __future__ import annotations

VM = "azure-native:compute:VirtualMachine"
EXTENSION = "azure-native:compute:VirtualMachineExtension"
FLEET = "image-factory:fleet:VmFleet"


def fleet_waves(doc: dict) -> dict[str, list[list[str]]]:
    """{fleet name: [[VM names of wave 1], [wave 2], ...]} for every fleet of single VMs."""
    index = {r["urn"]: r for r in doc["resources"]}
    fleets = {u: r["name"] for u, r in index.items() if r["type"] == FLEET}
    found: dict[str, dict[tuple, list[str]]] = {}
    for r in doc["resources"]:
        if r["type"] == VM and r["parent"] in fleets:
            gates = tuple(sorted(d for d in r["dependsOn"] if index[d]["type"] == EXTENSION))
            found.setdefault(fleets[r["parent"]], {}).setdefault(gates, []).append(r["inputs"].get("vmName", r["name"]))
    # A wave's gates are the previous wave's extensions: waves are ordered by how many come before them.
    result = {}
    for fleet, by_gate in sorted(found.items()):
        depth = {gates: _depth(gates, index) for gates in by_gate}
        result[fleet] = [sorted(by_gate[g]) for g in sorted(by_gate, key=lambda g: depth[g])]
    return result


def _depth(gates: tuple, index: dict[str, dict]) -> int:
    """How many waves come before one that waits for `gates`."""
    if not gates:
        return 0
    vm = next(index[d] for d in index[gates[0]]["dependsOn"] if index[d]["type"] == VM)
    return 1 + _depth(tuple(sorted(d for d in vm["dependsOn"] if index[d]["type"] == EXTENSION)), index)


def describe(doc: dict) -> list[str]:
    """One line per fleet: how an image change replaces its VMs."""
    lines = []
    for fleet, waves in fleet_waves(doc).items():
        sizes = ", ".join(str(len(w)) for w in waves)
        lines.append(f"{fleet}: an image change replaces {len(waves)} wave(s) one after another ({sizes} VMs), "
                     f"each once the previous wave runs and reports healthy: "
                     + "; ".join(f"wave {k + 1}: {', '.join(w)}" for k, w in enumerate(waves)))
    return lines
