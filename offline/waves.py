"""The rollout waves of each `vms` fleet, read from a plan document's graph (components/vms/fleet.py).

A wave is the set of a fleet's VMs that wait for the same gates (the previous wave's health extensions):
Pulumi replaces a wave's VMs together, and the next wave only once these are back and healthy. The diff
(offline/diff.py) and the pull-request report call `fleet_waves` / `describe` to say how an image change
rolls out; the graph itself is the source, so what is printed is what the engine will do.
"""

from __future__ import annotations

from .fleet_impact import VM, _in_fleet, _waves


def fleet_waves(doc: dict) -> dict[str, list[list[str]]]:
    """{fleet name: [[VM names of wave 1], [wave 2], ...]} for every fleet of single VMs: the waves the diff
    counts (offline/fleet_impact.py's, one computation for both)."""
    after = {r["urn"]: r for r in doc["resources"]}
    fleets = sorted({r["parent"].rsplit("::", 1)[-1] for r in doc["resources"] if r["type"] == VM and _in_fleet(r)})
    result = {}
    for fleet in fleets:
        wave = _waves(after, fleet)
        result[fleet] = [sorted(n for n, w in wave.items() if w == k) for k in sorted(set(wave.values()))]
    return result


def describe(doc: dict) -> list[str]:
    """One line per fleet: how an image change replaces its VMs."""
    lines = []
    for fleet, waves in fleet_waves(doc).items():
        sizes = ", ".join(str(len(w)) for w in waves)
        lines.append(f"{fleet}: an image change replaces {len(waves)} wave(s) one after another ({sizes} VMs), "
                     f"each once the previous wave runs and reports healthy: "
                     + "; ".join(f"wave {k + 1}: {', '.join(w)}" for k, w in enumerate(waves)))
    return lines
