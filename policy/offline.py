"""`make policy [STACK=dev|all] [FORMAT=text|json]`: the policy pack over the offline plan of each stack,
without the Pulumi CLI or its gRPC server, with the config `pulumi preview --policy-pack-config
policy/firm-config.json` takes. Exit status 1 when a policy is violated or the config is not valid."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

from offline.plan import plan, stack_names

from . import POLICIES
from . import pack_config

# What each policy outcome prints: a policy that does not apply, or meets a placeholder, never says pass.
STATUS = {"pass": "pass", "fail": "FAIL", "n/a": "n/a ", "placeholder": "TODO"}


def results(doc: dict, config: Optional[dict] = None) -> list[dict]:
    """One entry per policy: its name, description, document, status (pass, fail, n/a, placeholder), why
    it does not apply, the violations and the placeholders it met (urn, message)."""
    config = pack_config.load(POLICIES) if config is None else config
    out = []
    for p in POLICIES:
        found = p.evaluate(doc["resources"], config.get(p.name))
        waiting = p.placeholders(doc["resources"])
        reason = p.not_applicable(doc["resources"], config.get(p.name))
        status = "fail" if found else "placeholder" if waiting else "n/a" if reason else "pass"
        out.append({"policy": p.name, "description": p.description, "doc": p.doc, "status": status,
                    "reason": reason, "violations": [{"urn": u, "message": m} for u, m in found],
                    "placeholders": [{"urn": u, "message": m} for u, m in waiting]})
    return out


def counts(found: list[dict]) -> str:
    """"7 passed, 1 failed, 2 not applicable, 1 placeholder" (the parts that are not zero after failed)."""
    n = {s: sum(1 for r in found if r["status"] == s) for s in STATUS}
    extra = [f"{n['n/a']} not applicable"] * bool(n["n/a"]) + [f"{n['placeholder']} with a placeholder"] * bool(n["placeholder"])
    return ", ".join([f"{n['pass']} passed", f"{n['fail']} failed", *extra])


def render_text(stack: str, found: list[dict]) -> str:
    lines = [f"Policies on stack '{stack}': {counts(found)}"]
    for r in found:
        tail = f" (does not apply: {r['reason']})" if r["status"] == "n/a" else ""
        lines.append(f"  {STATUS[r['status']]}  {r['policy']}: {r['description']}{tail}")
        for v in r["violations"] + r["placeholders"]:
            lines.append(f"        {v['urn'].rsplit('::', 1)[-1]}: {v['message']} ({r['doc']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", help="a stack name, or 'all'")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--config", type=Path, default=pack_config.CONFIG,
                        help="the policy pack config (default policy/firm-config.json)")
    args = parser.parse_args(argv)
    try:
        config = pack_config.load(POLICIES, args.config)
    except pack_config.PackConfigError as error:
        print(error, file=sys.stderr)
        return 1
    stacks = stack_names() if args.stack == "all" else [args.stack]
    found = {s: results(plan(s), config) for s in stacks}
    if args.format == "json":
        print(json.dumps(found, indent=2, sort_keys=True))
    else:
        print("\n\n".join(render_text(s, f) for s, f in found.items()))
    return 1 if any(r["violations"] for f in found.values() for r in f) else 0


if __name__ == "__main__":
    sys.exit(main())
