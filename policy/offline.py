"""`make policy [STACK=dev|all] [FORMAT=text|json]`: the policy pack over the offline plan of each stack,
without the Pulumi CLI or its gRPC server. Exit status 1 when a policy is violated."""

from __future__ import annotations

import argparse
import json
import sys

from offline.plan import plan, stack_names

from . import POLICIES


def results(doc: dict) -> list[dict]:
    """One entry per policy: its name, description, document, and the violations (urn, message)."""
    out = []
    for p in POLICIES:
        found = p.evaluate(doc["resources"])
        out.append({"policy": p.name, "description": p.description, "doc": p.doc,
                    "violations": [{"urn": u, "message": m} for u, m in found]})
    return out


def render_text(stack: str, found: list[dict]) -> str:
    failed = sum(1 for r in found if r["violations"])
    lines = [f"Policies on stack '{stack}': {len(found) - failed} passed, {failed} failed"]
    for r in found:
        lines.append(f"  {'FAIL' if r['violations'] else 'pass'}  {r['policy']}: {r['description']}")
        for v in r["violations"]:
            lines.append(f"        {v['urn'].rsplit('::', 1)[-1]}: {v['message']} ({r['doc']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", help="a stack name, or 'all'")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    stacks = stack_names() if args.stack == "all" else [args.stack]
    found = {s: results(plan(s)) for s in stacks}
    if args.format == "json":
        print(json.dumps(found, indent=2, sort_keys=True))
    else:
        print("\n\n".join(render_text(s, f) for s, f in found.items()))
    return 1 if any(r["violations"] for f in found.values() for r in f) else 0


if __name__ == "__main__":
    sys.exit(main())
