"""`make bench`: how long the offline plan takes, reported as ratios (never asserted in tests).

Cold: the whole `make plan` command in a fresh interpreter (imports included), as a user runs it.
Warm: `plan()` again in one process, which isolates the cost of the graph itself, so that ratios
show how planning scales: a 1,000-instance scale set should cost what a 2-instance one does.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

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


def main() -> int:
    cold = {}
    for stack in ("dev", "prod", "capture"):
        cold[stack] = _median(lambda s=stack: subprocess.run(
            [sys.executable, "-m", "offline", "--stack", s], cwd=ROOT, check=True,
            stdout=subprocess.DEVNULL))
    warm = {name: _median(lambda s=stack, o=overrides: plan(s, overrides=o)) for name, (stack, overrides) in CASES.items()}
    counts = {name: len(plan(stack, overrides=o)["resources"]) for name, (stack, o) in CASES.items()}

    print(f"Offline plan benchmark, median of {REPEAT} runs ({sys.platform}, Python {sys.version.split()[0]})\n")
    print(f"{'cold `make plan`':<20}{'seconds':>9}{'x dev':>8}")
    for stack, t in cold.items():
        print(f"{stack:<20}{t:>9.2f}{t / cold['dev']:>8.2f}")
    print(f"\n{'warm plan()':<20}{'resources':>10}{'seconds':>9}{'x dev':>8}")
    for name, t in warm.items():
        print(f"{name:<20}{counts[name]:>10}{t:>9.3f}{t / warm['dev']:>8.2f}")
    print(f"\nscale set 1000 / scale set 2: {warm['scaleset x1000'] / warm['scaleset x2']:.2f}x time, "
          f"{counts['scaleset x1000'] / counts['scaleset x2']:.2f}x resources")
    print(f"vms 100 / vms 10: {warm['vms x100'] / warm['vms x10']:.2f}x time, "
          f"{counts['vms x100'] / counts['vms x10']:.2f}x resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
