"""`make mutation [MODULE=<name>] [JOBS=1]`: mutmut 3 on one module at a time, and its score.

The modules, their files and the tests run against them are in pyproject.toml
([tool.image-factory.mutation.<name>]); [tool.mutmut] holds mutmut's shared settings. Each module
gets its own work folder, .mutation/<name>/ (git ignores it), holding a pyproject.toml with that
module's only_mutate and test selection and links to the repository, because mutmut reads its
config from the folder it runs in. mutmut keeps its results there: a second run only re-tests what
changed. The score counts killed (and timed-out) mutants against all mutants that ran; survivors
listed in tests/mutation/equivalent.md (mutants that cannot change behaviour, with the reason) are
reported apart and count as killed. The exit status is 1 if a survivor is not listed there.

This file is not a test module (pytest collects test_*.py only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".mutation"
EQUIVALENT = ROOT / "tests" / "mutation" / "equivalent.md"
LINKED = ["components", "offline", "tests", "__main__.py", "pytest.ini", "Pulumi.yaml", "Pulumi.dev.yaml",
          "Pulumi.prod.yaml", "Pulumi.capture.yaml"]
KILLED = {1, 3}  # a failing test, pytest's internal error
# mutmut's timeouts. mutmut counts them as caught; here a timeout counts as not killed, because on a loaded
# machine a surviving mutant that runs every selected test can hit mutmut's CPU limit: it is re-run once. A
# mutant that times out again, in a row, hangs a test (e.g. a loop that no longer ends): killed, by hanging.
TIMEOUT = {36, 24, -24, 152, 255, -9}  # -9: killed after WALL_SECONDS (see _kill_stuck_workers)
SURVIVED = {0}
NO_TESTS = {33}  # no selected test reached the mutant (tried again once tests change)


def _toml_value(value) -> str:
    return json.dumps(value)  # TOML accepts JSON's strings, numbers, booleans and arrays


def modules() -> dict[str, dict]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data["tool"]["image-factory"]["mutation"]


def equivalent() -> dict[str, str]:
    """mutant name -> reason, from the table rows `| `name` | reason |` of equivalent.md."""
    found = {}
    for line in EQUIVALENT.read_text().splitlines():
        m = re.match(r"^\|\s*`([\w.]+__mutmut_\d+)`\s*\|\s*(.+?)\s*\|\s*$", line)
        if m:
            found[m[1]] = m[2]
    return found


def prepare(name: str, spec: dict) -> Path:
    base = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    settings = {**base, "only_mutate": spec["files"], "pytest_add_cli_args_test_selection": spec["tests"]}
    folder = WORK / name
    folder.mkdir(parents=True, exist_ok=True)
    for entry in LINKED:
        link = folder / entry
        if not link.is_symlink():
            link.symlink_to(ROOT / entry)
    text = "[tool.mutmut]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in settings.items())
    config = folder / "pyproject.toml"
    tests = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((ROOT / "tests").rglob("*.py")))).hexdigest()
    seen = folder / "tests.sha256"
    if not config.exists() or config.read_text() != text or not seen.exists() or seen.read_text() != tests:
        config.write_text(text)
        seen.write_text(tests)
        # New settings or tests: mutmut re-collects which tests reach which function.
        for stale in (folder / "mutants").glob("mutmut-stats.json"):
            stale.unlink()
    return folder


def results(folder: Path, spec: dict) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for source in spec["files"]:
        meta = folder / "mutants" / (source + ".meta")
        if meta.exists():
            out.update(json.loads(meta.read_text())["exit_code_by_key"])
    return out


# mutmut limits a worker's CPU time, not its wall-clock time: a mutant that turns a provider's wait into
# a long sleep would hang the run. A worker older than this is killed (mutmut records -9, counted as a
# timeout here, and tried once more).
WALL_SECONDS = float(os.environ.get("MUTATION_WALL_SECONDS", "180"))


def stuck_workers(root: int, procs: dict[int, tuple[int, str]], started: dict[int, float], now: float) -> list[int]:
    """This run's mutant workers older than WALL_SECONDS. procs: pid -> (parent pid, command line). A worker
    runs one mutant, two levels below root: mutmut -> its forkserver -> a worker per mutant (their command
    lines are mutmut's own; a 'mutmut: <mutant>' title, where setproctitle sets one, marks one too). Another
    run's processes are never descendants of root."""
    found = []
    for pid, (_parent, title) in procs.items():
        depth, ancestor = 0, pid
        while ancestor not in (None, 0, 1, root):
            ancestor, depth = procs.get(ancestor, (None, ""))[0], depth + 1
        titled = title.startswith("mutmut: ") and "__mutmut_" in title
        if ancestor == root and (depth >= 2 or titled) and now - started.setdefault(pid, now) > WALL_SECONDS:
            found.append(pid)
    return found


def _kill_stuck_workers(root: int, started: dict[int, float]) -> None:
    procs: dict[int, tuple[int, str]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                procs[int(proc.name)] = (int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]),
                                         (proc / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace"))
            except (OSError, ValueError, IndexError):
                continue
    for pid in stuck_workers(root, procs, started, time.monotonic()):
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def _mutmut(command: list[str], folder: Path, env: dict) -> None:
    with (folder / "mutmut.log").open("a") as log:
        child = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        started: dict[int, float] = {}
        try:
            while child.poll() is None:
                if sys.platform.startswith("linux"):
                    _kill_stuck_workers(child.pid, started)
                time.sleep(5)
        finally:
            if child.poll() is None:  # interrupted: stop mutmut and its workers, not only this script
                child.terminate()
                child.wait()


def run(name: str, spec: dict, jobs: int) -> tuple[str, int, int, int, int, list[str], float]:
    folder = prepare(name, spec)
    (folder / "mutmut.log").write_text("")
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut) if mutmut.exists() else "mutmut", "run", "--max-children", str(jobs)]
    started = time.monotonic()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    earlier = {m for m, c in results(folder, spec).items() if c in SURVIVED | TIMEOUT | NO_TESTS}
    _mutmut(command, folder, env)
    # mutmut keeps a verdict once given. Survivors, timeouts and untested mutants of an earlier run, and
    # this run's timeouts (a busy machine), are tried once more, by name, against the current tests.
    first = results(folder, spec)
    again = sorted(m for m, c in first.items() if c in TIMEOUT or (c in SURVIVED | NO_TESTS and m in earlier))
    if again:
        _mutmut(command + again, folder, env)
    elapsed = time.monotonic() - started
    codes = results(folder, spec)
    hung = {m for m in again if first[m] in TIMEOUT and codes.get(m) in TIMEOUT}  # twice in a row
    known = equivalent()
    killed = sum(1 for m, c in codes.items() if c in KILLED or m in hung)
    timeouts = sum(1 for m, c in codes.items() if c in TIMEOUT and m not in hung)
    alive = sorted(m for m, c in codes.items() if c not in KILLED and m not in hung)  # survived, timed out, no test
    listed = [m for m in alive if m in known]
    unexplained = [m for m in alive if m not in known]
    return name, len(codes), killed, timeouts, len(listed), unexplained, elapsed


def main() -> int:
    table = modules()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", nargs="?", default="all", help=f"one of: {', '.join(table)}, or all")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    args = parser.parse_args()
    chosen = list(table) if args.module == "all" else [args.module]
    unknown = [m for m in chosen if m not in table]
    if unknown:
        parser.error(f"unknown module {unknown[0]}: one of {', '.join(table)}")
    rows = [run(name, table[name], args.jobs) for name in chosen]
    print(f"\n{'module':<20} {'mutants':>7} {'killed':>7} {'timeout':>7} {'equiv.':>7} {'left':>5} {'killed%':>8}"
          f" {'score':>7} {'time':>6}")
    failed = False
    for name, total, killed, timeouts, listed, unexplained, elapsed in rows:
        raw = 100 * killed / total if total else 100.0
        score = 100 * (killed + listed) / total if total else 100.0
        print(f"{name:<20} {total:>7} {killed:>7} {timeouts:>7} {listed:>7} {len(unexplained):>5} {raw:>7.1f}%"
              f" {score:>6.1f}% {elapsed:>5.0f}s")
        failed |= bool(unexplained)
    print("killed% = killed / mutants; score = (killed + equivalent) / mutants (tests/mutation/equivalent.md); "
          "a timeout counts as not killed, unless the mutant timed out twice in a row (it hangs a test: killed)")
    for name, _total, _killed, _timeouts, _listed, unexplained, _elapsed in rows:
        for mutant in unexplained:
            print(f"  {name}: not killed and not in tests/mutation/equivalent.md: {mutant}"
                  f"  (see: cd .mutation/{name} && mutmut show {mutant})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
