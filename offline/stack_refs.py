"""The stacks a stack reads through a StackReference, and their outputs for the offline plan.

Offline, a referenced stack answers with its own offline plan's outputs (plan.py plans it first), or with
a file of its real outputs (`pulumi stack output --json --stack dev > dev.json`, then
`python -m offline --stack prod --stack-outputs dev=dev.json`).
"""

from __future__ import annotations

import json
from pathlib import Path


def referenced_stacks(config: dict[str, str], project: str) -> list[str]:
    """The stacks a stack's wire config reads: images.<name>.promote.fromStack (its last segment)."""
    try:
        images = json.loads(config.get(f"{project}:images", "{}"))
    except ValueError:
        return []
    if not isinstance(images, dict):
        return []
    found = {str(i["promote"].get("fromStack", "")).rsplit("/", 1)[-1]
             for i in images.values() if isinstance(i, dict) and isinstance(i.get("promote"), dict)}
    return sorted(found - {""})


def read_stack_outputs(items: list[str]) -> tuple[dict[str, dict], str | None]:
    """--stack-outputs STACK=FILE, each: ({stack: outputs}, None), or ({}, the one line that says what is wrong)."""
    given: dict[str, dict] = {}
    for item in items:
        name, _, path = item.partition("=")
        try:
            outputs = json.loads(Path(path).read_text()) if name and path else None
        except (OSError, ValueError) as error:
            outputs = None
            reason = f"cannot read {path} ({error.__class__.__name__})"
        else:
            reason = "give STACK=FILE" if outputs is None else "the file must hold a JSON object"
        if not isinstance(outputs, dict):
            return {}, (f"error: --stack-outputs {item}: {reason}: the JSON of `pulumi stack output --json "
                        f"--stack {name or 'STACK'}`")
        given[name] = outputs
    return given, None
