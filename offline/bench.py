"""`make bench`: how long the offline plan takes, reported as ratios (never asserted in tests).

Cold: the whole `make plan` command in a fresh interpreter (imports included), as a user runs it.
Warm: `plan()` again in one process, which isolates the cost of the graph itself, so that ratios
show how planning scales: a 1,000-instance scale set should cost what a 2-instance one does.
Beside each, the plan's estimate of what users really wait for: the critical path of `pulumi up`
(offline/critical_path.py), in minutes of Azure time, and a mark where long waits would queue.
Then the upload of a VHD to a managed disk's page blob against Azurite (offline/upload_bench.py), or a line
saying why it was skipped.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from . import upload_bench
from .plan import ROOT, plan

REPEAT = 5


def _fleet(mode: str, count: int) -> dict:
    return {"image-factory:fleets": {"bench": {"region": "uksouth", "image": "win2025-base", "mode": mode,
                                               "count": count, "zones": ["1", "2", "3"]}}}


CASES = {
    "dev": ("dev", None),
    "prod": ("prod", None),
    "capture": ("capture", None),
    "scaleset x2": ("capture", _fleet("scaleset", 2)),
    "scaleset x1000": ("capture", _fleet("scaleset", 1000)),
    "vms x10": ("capture", _fleet("vms", 10)),
    "vms x100": ("capture", _fleet("vms", 100)),
}


def _median(fn) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plan_facts(stack: str, overrides: dict | None = None) -> dict:
    """What a plan says besides its timing: resources, the critical path's minutes and its last step."""
    doc = plan(stack, overrides=overrides)
    path = doc["criticalPath"]
    return {"resources": len(doc["resources"]), "minutes": path["minutes"],
            "ends": path["path"][-1]["name"] if path["path"] else "", "queues": bool(doc["longWaits"]["warning"])}


def main() -> int:
    cold = {}
    for stack in ("dev", "prod", "capture"):
        cold[stack] = _median(lambda s=stack: subprocess.run(
            [sys.executable, "-m", "offline", "--stack", s], cwd=ROOT, check=True,
            stdout=subprocess.DEVNULL))
    warm = {name: _median(lambda s=stack, o=overrides: plan(s, overrides=o)) for name, (stack, overrides) in CASES.items()}
    facts = {name: plan_facts(stack, o) for name, (stack, o) in CASES.items()}
    counts = {name: f["resources"] for name, f in facts.items()}

    print(f"Offline plan benchmark, median of {REPEAT} runs ({sys.platform}, Python {sys.version.split()[0]})\n")
    print(f"{'cold `make plan`':<20}{'seconds':>9}{'x dev':>8}   critical path of `pulumi up` (estimate)")
    for stack, t in cold.items():
        f = facts[stack]
        print(f"{stack:<20}{t:>9.2f}{t / cold['dev']:>8.2f}   ≈ {f['minutes']} min, ends with {f['ends']}"
              + ("  [long waits queue]" if f["queues"] else ""))
    print(f"\n{'warm plan()':<20}{'resources':>10}{'seconds':>9}{'x dev':>8}{'≈ min up':>10}")
    for name, t in warm.items():
        print(f"{name:<20}{counts[name]:>10}{t:>9.3f}{t / warm['dev']:>8.2f}{facts[name]['minutes']:>10}")
    print(f"\nscale set 1000 / scale set 2: {warm['scaleset x1000'] / warm['scaleset x2']:.2f}x time, "
          f"{counts['scaleset x1000'] / counts['scaleset x2']:.2f}x resources")
    print(f"vms 100 / vms 10: {warm['vms x100'] / warm['vms x10']:.2f}x time, "
          f"{counts['vms x100'] / counts['vms x10']:.2f}x resources")
    print("\nMinutes of `pulumi up` are estimates from nominal durations (offline/durations.py); what shortens "
          "them: docs/design.md, 'Time to a running fleet'.")
    upload_bench.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
