"""`make diff BASE=<git ref> [STACK=dev] [FORMAT=text|json]`: plan a stack at a base revision and in
this working tree, offline, and print what changes. Exit status 1 when the diff has an error (a fleet
taken down at once that the change does not acknowledge, a protected resource replaced or deleted, a
change Azure refuses: docs/diff.md), 2 when a side cannot be planned, else 0.

The base is planned by its own code, in a temporary `git worktree` (https://git-scm.com/docs/git-worktree)
that is removed afterwards: its own offline plan module (`offline`, or `tests.harness.offline_plan` in
revisions older than the `offline/` package), with this interpreter. A stack file the base does not
have is a new stack: everything is added.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pulumi

from .diff import diff_plans, render_text
from .plan import ROOT, plan

# Where each generation of this repository keeps its offline plan, newest first: (file, module).
PLAN_MODULES = (("offline/__main__.py", "offline"), ("tests/harness/offline_plan.py", "tests.harness.offline_plan"))


class BaseError(RuntimeError):
    pass


def _git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise BaseError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def plan_module(tree: Path) -> str:
    for path, module in PLAN_MODULES:
        if (tree / path).exists():
            return module
    raise BaseError(f"no offline plan in {tree} (looked for {', '.join(p for p, _ in PLAN_MODULES)})")


def plan_at(ref: str, stack: str) -> dict | None:
    """The plan of stack at ref, by ref's own code; None if ref has no such stack file."""
    commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    scratch = Path(tempfile.mkdtemp(prefix="image-factory-base-"))
    tree = scratch / "base"
    _git("worktree", "add", "--detach", "--quiet", str(tree), commit)
    try:
        if not (tree / f"Pulumi.{stack}.yaml").exists():
            return None
        env = {**os.environ, "PYTHONPATH": str(tree)}
        done = subprocess.run([sys.executable, "-m", plan_module(tree), "--stack", stack, "--format", "json"],
                              cwd=tree, env=env, capture_output=True, text=True)
        if done.returncode:
            raise BaseError(f"the plan of '{stack}' at {ref} failed:\n{done.stderr.strip()[-2000:]}")
        return json.loads(done.stdout)
    finally:
        _git("worktree", "remove", "--force", str(tree))
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="a git ref: HEAD~1, origin/main, a commit")
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        old = plan_at(args.base, args.stack)
        new = plan(args.stack)
    except BaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except pulumi.RunError as error:
        print(f"error: the stack configuration is not valid:\n{error}", file=sys.stderr)
        return 2
    result = diff_plans(old, new)
    result["base"] = args.base
    print(json.dumps(result, indent=2, sort_keys=True) if args.format == "json" else render_text(result, args.base))
    errors = [c for c in result["consequences"] if c["level"] == "error"]
    if errors:
        print(f"make diff: {len(errors)} error(s) above: this change must not merge as it is", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
