"""The offline plan: the real __main__.py, one real stack file, Pulumi's in-process mock engine.

No Azure account, no Pulumi CLI and no network. `make plan` runs this module; the tests call `plan()`
so that what they assert is exactly what a user sees.

    python -m offline --stack dev [--format text|json|mermaid|dot]
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import json
import logging
import os
import pickle
import re
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.rpc_manager import RPCManager
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from components.config.loading import ConfigError
from components.config.placeholders import OFFLINE_ENV
from components.config.strict_yaml import StackFileError, parse, stack_entries

from .azure_types import azure_type
from .critical_path import critical_path, long_waits, render
from .graph import render_dot, render_mermaid
from .demo_vhd import ensure as ensure_demo_files
from .mock_engine import AzureMocks, RecordingMonitor
from .uploads import render as render_uploads
from .uploads import uploads
from .stack_refs import read_stack_outputs, referenced_stacks

ROOT = Path(__file__).resolve().parents[1]
# A value the stack file holds encrypted (`secure: v1:...`): the offline plan cannot decrypt it and
# never needs to; it stays a secret, and this stands in for it.
UNDECRYPTABLE = "offline-plan-placeholder-secret"


def project_name() -> str:
    return parse((ROOT / "Pulumi.yaml").read_bytes(), "Pulumi.yaml")["name"]


def stack_names() -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def _wire(value: Any) -> str:
    """A value as the Pulumi CLI passes a top-level key: scalars as their text, objects as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, default=str)


def stack_config(stack: str, overrides: dict[str, Any] | None = None, secrets: dict[str, str] | None = None,
                 text: str | bytes | None = None) -> tuple[dict[str, str], list[str]]:
    """Pulumi's wire form of a stack's config, as the engine would hand it to the program: full keys,
    top-level scalars as the text the file wrote, objects as JSON, secret keys listed. The file is read
    with the program's strict loader (duplicate keys, YAML problems: one line each, with line and
    column). text: the file's content instead of reading it (the property tests)."""
    path = ROOT / f"Pulumi.{stack}.yaml"
    if text is None:
        if not path.exists():
            raise SystemExit(f"no stack file {path.name}; stacks here: {', '.join(stack_names())}")
        text = path.read_bytes()
    project = project_name()
    try:
        entries, literals = stack_entries(text, path.name)
    except StackFileError as error:
        raise ConfigError("\n".join(error.lines)) from None
    wire = {key: literals.get(key, value) for key, value in entries.items()}
    wire.update(overrides or {})
    config, secret_keys = {}, []
    for key, value in wire.items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            value = UNDECRYPTABLE
            secret_keys.append(full)
        config[full] = _wire(value)
    for key, value in (secrets or {}).items():
        full = key if ":" in key else f"{project}:{key}"
        config[full] = value
        secret_keys.append(full)
    return config, secret_keys


async def _resolve(value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        if await value.is_secret():
            return "[secret]"
        if not await value.is_known():
            return "[unknown]"
        return await _resolve(await value.future())
    if isinstance(value, pulumi.Resource):
        return await _resolve(value.urn)
    if isinstance(value, dict):
        return {k: await _resolve(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [await _resolve(v) for v in value]
    return value


# pulumi's serialize_provider (pulumi/dynamic/dynamic.py) wraps pickle's _batch_setitems once per
# dynamic resource it pickles and never unwraps it: one process that plans many stacks (the test suite)
# grows the chain until pickling overflows the stack. Each run starts from the original again.
_BATCH_SETITEMS = pickle._Pickler._batch_setitems


def _run(stack: str, config: dict[str, str], secret_keys: list[str], replicas: dict | None = None,
         stack_outputs: dict | None = None) -> dict:
    project = project_name()
    pickle._Pickler._batch_setitems = _BATCH_SETITEMS
    runtime_config.set_all_config(config, secret_keys)
    # set_mocks replaces neither the RPC manager nor the set of pending outputs, and a fresh context
    # falls back to the process-wide ones: without this, what a failed run left pending (and its first
    # error) would be awaited, and raised, by the next run.
    runtime_settings.SETTINGS.rpc_manager = RPCManager()
    runtime_settings.SETTINGS.outputs = set()
    mocks = AzureMocks(replicas, stack_outputs)
    monitor = RecordingMonitor(mocks)
    warnings = _WarningLog()
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor, logger=warnings)
    os.environ[OFFLINE_ENV] = "1"  # placeholders in a stack file are shown here, refused by a real preview
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")))
    except BaseException:
        _cancel_pending()
        raise
    finally:
        os.environ.pop(OFFLINE_ENV, None)
    outputs = _sync_await(_resolve(get_root_resource().outputs))

    custom = {r.urn for r in monitor.registrations if r.custom}
    return {
        "stack": stack,
        "project": project,
        "resources": [
            {
                "urn": r.urn, "type": r.type, "name": r.name, "custom": r.custom, "parent": r.parent,
                "dependsOn": sorted({d for d in r.dependencies if d in custom}),
                "inputs": r.inputs,
                "options": r.options,
            }
            # Registration order depends on async timing: sort, so two plans of one config are equal.
            for r in sorted(monitor.registrations, key=lambda r: (r.parent is not None, r.urn))
        ],
        "outputs": outputs,
        # What the program warned about (pulumi.log.warn), e.g. placeholders a real preview refuses.
        "warnings": warnings.lines,
    }


class _WarningLog(logging.Logger):
    """The mock engine's log: the program's warnings, kept for the plan document instead of printed."""

    def __init__(self) -> None:
        super().__init__("offline-plan")
        self.lines: list[str] = []

    def warning(self, msg, *args, **kwargs) -> None:  # type: ignore[override]
        self.lines.append(str(msg))


def _cancel_pending() -> None:
    """A failed run stops at its first error with work still queued; end it here, not in the next run."""
    loop = _ensure_event_loop()
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def plan(stack: str, overrides: dict[str, Any] | None = None, secrets: dict[str, str] | None = None,
         text: str | bytes | None = None, replicas: dict[str, list[str]] | None = None,
         stack_outputs: dict[str, dict] | None = None, _planning: tuple[str, ...] = ()) -> dict:
    """The plan document of one stack (text: the stack file's content instead of the file). Each call
    runs in a fresh context: Pulumi's runtime state (config, root stack, settings) lives in context
    variables, so runs cannot leak into each other. replicas: what Azure would answer about existing
    image versions (see AzureMocks). stack_outputs: {stack: its outputs} for the stacks this one
    references (`pulumi stack output --json`); a referenced stack not given is planned offline here,
    and its plan's outputs answer (what is unknown before its `pulumi up` stays unknown)."""
    config, secret_keys = stack_config(stack, overrides, secrets, text)
    ensure_demo_files(ROOT)  # the onprem stack's tiny VHD, made where a clean clone has none
    outputs = dict(stack_outputs or {})
    for other in referenced_stacks(config, project_name()):
        if other not in outputs and other not in (*_planning, stack) and other in stack_names():
            outputs[other] = plan(other, _planning=(*_planning, stack))["outputs"]
    doc = contextvars.Context().run(_run, stack, config, secret_keys, replicas, outputs)
    uploaded = uploads(doc, ROOT)  # before the estimate, which reads each upload's data
    # Added after the first version of the format (consumers of the original keys are unaffected): how
    # long `pulumi up` of this stack is estimated to take, and whether dynamic providers would queue.
    doc["criticalPath"], doc["longWaits"] = critical_path(doc), long_waits(doc)
    # The stack file's acknowledgements, as the program validated them: what the offline diff reads.
    doc["acknowledgements"] = json.loads(config.get(f"{doc['project']}:acknowledge") or "[]")
    doc["uploads"] = uploaded  # added with imports (issue 22): what `pulumi up` sends, per file
    return doc


# --- text rendering, in the shape of `pulumi preview` ----------------------------------------------

def _summary(resource: dict) -> str:
    inputs = resource["inputs"]
    bits = []
    if resource["custom"] and resource["type"].startswith("azure-native:"):
        own_name = re.findall(r"{(\w+)}", azure_type(resource["type"]).id_template)[-1]
        arm_name = inputs.get(own_name)
        if arm_name:
            bits.append(arm_name)
        if "location" in inputs:
            bits.append(f"@{inputs['location']}")
    if resource["options"]["protect"]:
        bits.append("[protected]")
    return " ".join(bits)


def render_text(doc: dict) -> str:
    children: dict[str | None, list[dict]] = {}
    for r in sorted(doc["resources"], key=lambda r: (r["type"].startswith("pulumi-python"), r["name"])):
        children.setdefault(r["parent"], []).append(r)
    rows: list[tuple[str, str, str]] = []

    def walk(resource: dict, prefix: str, last: bool, depth: int) -> None:
        branch = "" if depth == 0 else prefix + ("└─ " if last else "├─ ")
        rows.append((branch + resource["type"], resource["name"], _summary(resource)))
        kids = children.get(resource["urn"], [])
        for i, kid in enumerate(kids):
            walk(kid, prefix + ("" if depth == 0 else ("   " if last else "│  ")), i == len(kids) - 1, depth + 1)

    for root in children.get(None, []):
        walk(root, "", True, 0)
    width_type = max(len(r[0]) for r in rows) + 2
    width_name = max(len(r[1]) for r in rows) + 2
    lines = [
        f"Offline plan of stack '{doc['stack']}' (project {doc['project']}): Pulumi mock engine, "
        "no Azure account, no Pulumi CLI. Values Azure would compute show as [unknown].",
        "",
        f"     {'Type':<{width_type}}{'Name':<{width_name}}Azure name / notes",
    ]
    lines += [f" +   {t:<{width_type}}{n:<{width_name}}{s}" for t, n, s in rows]
    if doc.get("warnings"):
        lines += ["", "Warnings:"] + [f"    {w}" for w in doc["warnings"]]
    lines += render_uploads(doc.get("uploads", []))
    lines += ["", "Outputs:"]
    lines += [f"    {k}: {json.dumps(v)}" for k, v in sorted(doc["outputs"].items())]
    custom = sum(1 for r in doc["resources"] if r["custom"])
    lines += ["", f"Resources: {len(doc['resources'])} to create ({custom} custom resources, "
                  f"{len(doc['resources']) - custom - 1} components and the stack)", ""]
    lines += render(doc["criticalPath"], doc["longWaits"])  # the last line: the critical path
    return "\n".join(lines)


def render_json(doc: dict) -> str:
    """Keys sorted: input maps arrive in an order that varies from run to run, and a reviewer's diff
    of two plans must show only real changes."""
    return json.dumps(doc, indent=2, sort_keys=True)


FORMATS = {"text": render_text, "json": render_json, "mermaid": render_mermaid, "dot": render_dot}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--format", choices=tuple(FORMATS), default="text")
    parser.add_argument("--stack-outputs", action="append", default=[], metavar="STACK=FILE",
                        help="a referenced stack's outputs (pulumi stack output --json) instead of its offline plan")
    args = parser.parse_args(argv)
    given, problem = read_stack_outputs(args.stack_outputs)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        doc = plan(args.stack, **({"stack_outputs": given} if given else {}))
    except pulumi.RunError as error:
        print(f"error: the stack configuration is not valid:\n{error}", file=sys.stderr)
        return 2
    print(FORMATS[args.format](doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
