"""What the offline CI job shows on a pull request: one Markdown report per stack (plan summary,
offline diff against the PR's base, policy results, the graph), each starting with a hidden marker
so that the workflow updates its own comment instead of adding one per push.

    python -m offline.pr_report --base <git ref> --out reports/   # one <stack>.md per stack
Exit status 1 when a policy fails or the diff has an error-level consequence (after writing them all).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pulumi

from .diff import diff_plans, render_text as render_diff
from .diff_text import estimate_lines, summary_line
from .diff_cli import BaseError, plan_at
from .graph import render_mermaid
from .plan import plan, render_text as render_plan, stack_names

MARKER = "<!-- image-factory-preview:{stack} -->"
# GitHub refuses comment bodies over 65,536 characters; leave room for the notice.
MAX_BODY = 60_000


def _link(doc: str) -> str:
    """A policy's document as a link that works in a PR comment: README anchors made absolute from the
    variables GitHub Actions sets (https://docs.github.com/actions/reference/variables-reference)."""
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if doc.startswith(("README.md", "docs/")) and server and repo and sha:
        return f"{server}/{repo}/blob/{sha}/{doc}"
    return doc


def _details(summary: str, body: str, lang: str = "") -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", f"```{lang}", body, "```", "", "</details>", ""]


def behind_lines(doc: dict) -> list[str]:
    """Drift: each fleet that runs an older version than the newest of its image (the `fleetVersions` output)."""
    behind = {f: v for f, v in (doc["outputs"].get("fleetVersions") or {}).items() if v.get("behind")}
    return [f"- :warning: fleet `{f}` runs {v['image']} {v['runs']}; the newest version of its image is "
            f"{v['newest']}: move it (fleets.{f}.imageVersion) or say why it stays" for f, v in behind.items()]


def report(stack: str, base: str) -> tuple[str, bool]:
    """(Markdown, whether it found a problem) for one stack."""
    from policy.offline import counts, results  # the pack lives beside offline/, and depends on it

    lines = [MARKER.format(stack=stack), f"### `{stack}`: offline preview against `{base}`", ""]
    try:
        new = plan(stack)
    except pulumi.RunError as error:
        return "\n".join(lines + ["**The stack configuration is not valid:**", "", "```", str(error), "```"]), True
    problem = False
    try:
        diff = diff_plans(plan_at(base, stack), new)
        problem |= any(c["level"] == "error" for c in diff["consequences"])
        lines += [f"**{summary_line(diff['summary'])}**", ""]
        icon = {"error": ":x:", "warning": ":warning:", "info": ":information_source:"}
        lines += [f"- {icon[c['level']]} {c['text']}" for c in diff["consequences"]] or ["- no consequences to review"]
        lines += ["", estimate_lines(diff["estimate"])[-1], ""] + _details("Property-level diff", render_diff(diff, base, "this PR"), "diff")
    except BaseError as error:
        lines += [f"The base `{base}` could not be planned: {error}", ""]
    found = results(new)
    failed = [r for r in found if r["violations"]]
    problem |= bool(failed)
    lines += [f"**Policies:** {counts(found)}", ""]
    for r in failed:
        lines += [f"- :x: `{r['policy']}` ([rule]({_link(r['doc'])})): {v['urn'].rsplit('::', 1)[-1]}: {v['message']}"
                  for v in r["violations"]]
    lines += behind_lines(new)
    lines += [""] + _details("Offline plan", render_plan(new)) + _details("Graph", render_mermaid(new), "mermaid")
    text = "\n".join(lines)
    if len(text) > MAX_BODY:
        text = text[:MAX_BODY] + "\n```\n\n(truncated: the job summary and `make diff` show everything)\n"
    return text, problem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stack", action="append", help="default: every Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    problems = []
    for stack in args.stack or stack_names():
        text, problem = report(stack, args.base)
        (args.out / f"{stack}.md").write_text(text + "\n")
        if problem:
            problems.append(stack)
    if problems:
        print(f"problems in: {', '.join(problems)} (see the reports)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
