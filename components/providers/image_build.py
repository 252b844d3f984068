"""ImageBuild: run an Azure Image Builder template once and return the gallery image version it made.

The template is content-addressed (its name hashes everything that shapes the image), so a build runs
exactly when the template name changes: that is a replacement here. A template whose last run already
succeeded is not built again (to rebuild, change the template). Poll interval, timeout, API
version and endpoint are tuning and update in place, keeping the built artifact. Deleting an
ImageBuild does nothing in Azure: the image version stays (retention is a separate policy).

Operational notes:
- All Python dynamic resources of a program share one provider process with 4 worker threads. A build
  holds a thread for its whole run (often 30-90 min for Windows), so at most 4 builds wait at once and
  any fifth dynamic-resource operation, even a diff, queues behind them. Keep concurrent builds <= 4.
- `custom_timeouts` are not enforced for dynamic resources; the wait is bounded here by the build
  timeout plus a margin. Interrupting `pulumi up` twice leaves Azure building: the next `up` adopts the
  run still in progress instead of starting another.
- Credentials: DefaultAzureCredential (AZURE_* variables, not azure-native's ARM_*; see components/providers/arm.py).
  `pulumi.Config()` is empty inside a provider, so everything arrives as inputs and is copied to outputs
  (delete and read only see outputs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.imagebuilder import ImageBuilderClient
from pulumi.dynamic import CreateResult

from components.config import azure_rules as rules
from components.providers.arm import DEFAULT_ARM_ENDPOINT, ArmCallFailed, ArmRetry, call_with_retry, describe_error, lro_polling
from components.providers.base import ArmDynamicProvider, ArmDynamicResource, human_duration, resource_props

API_VERSION = "2024-02-01"  # azure-mgmt-imagebuilder 2.0.0 would send 2025-10-01
REPLACE_KEYS = ("subscription_id", "resource_group_name", "template_name", "run_output_name")
TUNING_KEYS = ("build_timeout_minutes", "poll_interval_seconds", "api_version", "arm_endpoint")
INPUT_KEYS = REPLACE_KEYS + TUNING_KEYS
OUTPUT_KEYS = ("artifact_id", "version_name", "run_started", "run_ended")
DEFAULTS = {"build_timeout_minutes": 0, "poll_interval_seconds": 30, "api_version": API_VERSION,
            "arm_endpoint": DEFAULT_ARM_ENDPOINT}
IN_PROGRESS = frozenset({"Running", "Canceling"})
_ADOPTED = object()


class ImageBuildError(Exception):
    """The build did not produce an image; the message is the whole explanation."""


@dataclass(frozen=True)
class _Run:
    """The template's lastRunStatus: the source of truth for how a run went."""
    state: Optional[str] = None
    sub_state: Optional[str] = None
    message: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None


class ImageBuildProvider(ArmDynamicProvider):
    """check/diff/update/delete/read: see components/providers/base.py. read in particular keeps what we recorded:
    the run output can later point at another run (someone re-running the template), and adopting that
    on refresh would silently move fleets to an image this stack did not build."""

    REPLACE_KEYS, TUNING_KEYS, DEFAULTS, CLIENT = REPLACE_KEYS, TUNING_KEYS, DEFAULTS, ImageBuilderClient
    RANGES = {"build_timeout_minutes": (0, rules.BUILD_TIMEOUT_MAX_MINUTES), "poll_interval_seconds": (0.001, 3600)}
    _wait_margin_seconds: float = 1800.0  # queueing, staging and distribution beyond buildTimeoutInMinutes

    def __init__(self, *, credential: Any = None, client_kwargs: Optional[dict] = None,
                 retry: Optional[ArmRetry] = None, wait_margin_seconds: float = 1800.0) -> None:
        super().__init__(credential=credential, client_kwargs=client_kwargs, retry=retry)
        self._wait_margin_seconds = float(wait_margin_seconds)

    def _invalid(self, key: str, value: Any) -> Optional[str]:
        if key in ("template_name", "run_output_name") and isinstance(value, str) and value \
                and not rules.TEMPLATE_NAME.fullmatch(value):
            return f"{value!r} is not a valid Image Builder name ({rules.TEMPLATE_NAME_RULE})"
        return super()._invalid(key, value)

    def create(self, props: dict) -> CreateResult:
        a = self._with_defaults(props)
        where = f"template '{a['template_name']}' (resource group '{a['resource_group_name']}')"
        started = time.monotonic()
        deadline = started + self._budget_seconds(a)
        try:
            with self._client(a) as client:
                ops = client.virtual_machine_image_templates
                run, staging = self._run_to_end(ops, a, started, deadline)
                if run.state != "Succeeded":
                    raise ImageBuildError(self._failure_message(a, run, staging))
                artifact_id = self._artifact_id(ops, a)
        except (AzureError, ArmCallFailed) as exc:
            raise ImageBuildError(f"ImageBuild for {where}: {describe_error(exc)}") from exc
        return CreateResult(artifact_id, {
            **{k: a[k] for k in INPUT_KEYS},
            "artifact_id": artifact_id,
            "version_name": artifact_id.rstrip("/").rsplit("/", 1)[-1],
            "run_started": run.start,
            "run_ended": run.end,
        })

    # -- the build ---------------------------------------------------------------------------------

    # autoRun: the template is created with autoRun Disabled and this resource is the single starter.
    # autoRun's run is invisible to Pulumi (template creation does not wait for it), and a provider
    # that also POSTs /run would start a second build or get a 409. We still adopt a run that is already
    # in progress (autoRun enabled by someone, or our own POST whose answer was lost).
    def _run_to_end(self, ops: Any, a: dict, started: float, deadline: float) -> tuple[_Run, Optional[str]]:
        baseline, staging = self._read_run(ops, a)
        if baseline.state == "Succeeded":
            # Same template = same image, already built (e.g. our create was interrupted after the run).
            return baseline, staging
        stale = None
        if baseline.state not in IN_PROGRESS:
            stale = baseline
            poller = self._start(ops, a, baseline)
            if poller is not None:
                try:
                    # Returns None, without raising, when time is up; instead of poller.done(),
                    # _await_end re-reads lastRunStatus and enforces the deadline. The poller's thread
                    # dies when the client closes at the end of create: nothing polls on afterwards.
                    poller.result(timeout=max(0.0, deadline - time.monotonic()))
                except AzureError:
                    # Failed/Canceled runs raise thin errors, and polling can give up on an ARM hiccup
                    # while the build goes on: lastRunStatus below says which it was.
                    pass
        try:
            return self._await_end(ops, a, stale, started, deadline)
        except (AzureError, ArmCallFailed) as exc:
            raise ImageBuildError(
                f"Lost track of the Image Builder run of template '{a['template_name']}': {describe_error(exc)}. "
                f"{self._still_running_hint(a)}") from exc

    def _start(self, ops: Any, a: dict, baseline: _Run) -> Any:
        """POST /run; returns its poller, or None when a run turned out to be going already."""
        def started_already(run: _Run) -> bool:
            return run.state in IN_PROGRESS or (run.state is not None and run.start != baseline.start)

        def post() -> Any:
            try:
                # retry_total=0: azure-core would re-POST on 500/503/504 without checking whether the
                # run started; call_with_retry checks lastRunStatus first.
                return ops.begin_run(a["resource_group_name"], a["template_name"], retry_total=0,
                                     polling=lro_polling(float(a["poll_interval_seconds"]), a["arm_endpoint"]))
            except ResourceExistsError:
                if started_already(self._read_run(ops, a)[0]):
                    return _ADOPTED
                raise

        result = call_with_retry(post, what=f"POST imageTemplates/{a['template_name']}/run",
                                 retry=self.arm_retry,
                                 settled=lambda _exc: _ADOPTED if started_already(self._read_run(ops, a)[0]) else None)
        return None if result is _ADOPTED else result

    def _await_end(self, ops: Any, a: dict, stale: Optional[_Run], started: float,
                   deadline: float) -> tuple[_Run, Optional[str]]:
        while True:
            run, staging = self._read_run(ops, a)
            # `stale` is the previous run: lastRunStatus can lag behind the run we just started.
            if run.state not in IN_PROGRESS and run.state is not None and (stale is None or run.start != stale.start):
                return run, staging
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ImageBuildError(self._timeout_message(a, run, time.monotonic() - started))
            time.sleep(min(float(a["poll_interval_seconds"]), remaining))

    def _read_run(self, ops: Any, a: dict) -> tuple[_Run, Optional[str]]:
        template = call_with_retry(lambda: ops.get(a["resource_group_name"], a["template_name"]),
                                   what=f"GET imageTemplates/{a['template_name']}", retry=self.arm_retry)
        p = template.properties
        s = p.last_run_status if p is not None else None
        staging = p.exact_staging_resource_group.rstrip("/").rsplit("/", 1)[-1] \
            if p is not None and p.exact_staging_resource_group else None
        if s is None:
            return _Run(), staging
        # The model is a mapping over the wire JSON: plain strings, and timestamps exactly as Azure wrote them.
        return _Run(*(s.get(k) for k in ("runState", "runSubState", "message", "startTime", "endTime"))), staging

    def _artifact_id(self, ops: Any, a: dict) -> str:
        rg, name, output = a["resource_group_name"], a["template_name"], a["run_output_name"]
        try:
            artifact = (ops.get_run_output(rg, name, output).properties or {}).get("artifactId")
        except ResourceNotFoundError:
            artifact = None
        if not artifact:
            known = ", ".join(o.name for o in ops.list_run_outputs(rg, name)) or "none"
            raise ImageBuildError(f"Image Builder run of template '{name}' succeeded but has no run output "
                                  f"'{output}' with an artifactId (it has: {known}). run_output_name must equal "
                                  f"the distributor's runOutputName.")
        return artifact

    # -- messages ----------------------------------------------------------------------------------

    def _failure_message(self, a: dict, run: _Run, staging: Optional[str]) -> str:
        rg, name = a["resource_group_name"], a["template_name"]
        verdict = {
            "Failed": "failed",
            "Canceled": "was canceled (az image builder cancel, the portal, or Image Builder itself)",
            "PartiallySucceeded": "ended PartiallySucceeded, which ImageBuild treats as a failure "
                                  "(the image did not reach every distribution target)",
        }.get(run.state or "", f"ended in unexpected state {run.state!r}")
        return "\n".join([
            f"Image Builder run of template '{name}' (resource group '{rg}') {verdict}.",
            f"  runState: {run.state}, runSubState: {run.sub_state}",
            f"  message: {run.message or '(empty)'}",
            f"  customization log: customization.log in container 'packerlogs' of the storage account in "
            f"staging resource group '{staging or f'IT_{rg}_{name}_<id>'}'",
            f"  details: az image builder show -g {rg} -n {name} --query lastRunStatus",
            "Running `pulumi up` again runs the same template again.",
        ])

    def _timeout_message(self, a: dict, run: _Run, waited: float) -> str:
        rg, name = a["resource_group_name"], a["template_name"]
        return (
            f"Image Builder run of template '{name}' (resource group '{rg}') timed out: gave up waiting after "
            f"{human_duration(waited)} (build timeout {float(a['build_timeout_minutes']):g} min + "
            f"{human_duration(self._wait_margin_seconds)} margin); last seen runState: {run.state}, runSubState: "
            f"{run.sub_state}. {self._still_running_hint(a)}")

    @staticmethod
    def _still_running_hint(a: dict) -> str:
        rg, name = a["resource_group_name"], a["template_name"]
        return (f"The build may still be running in Azure: check with `az image builder show -g {rg} -n {name} "
                f"--query lastRunStatus`, stop it with `az image builder cancel -g {rg} -n {name}`. The next "
                f"`pulumi up` adopts a run still in progress instead of starting another.")

    def _budget_seconds(self, a: dict) -> float:
        minutes = float(a["build_timeout_minutes"]) or rules.BUILD_TIMEOUT_DEFAULT_MINUTES
        return minutes * 60 + self._wait_margin_seconds


@dataclass
class ImageBuildArgs:
    subscription_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    template_name: pulumi.Input[str]  # pass template.name so the build depends on the template
    run_output_name: pulumi.Input[str]  # the distributor's runOutputName
    build_timeout_minutes: pulumi.Input[float] = 0  # the template's buildTimeoutInMinutes (0 = 240)
    poll_interval_seconds: pulumi.Input[float] = 30
    api_version: pulumi.Input[str] = API_VERSION
    arm_endpoint: pulumi.Input[str] = DEFAULT_ARM_ENDPOINT


class ImageBuild(ArmDynamicResource, module="image_build", name="ImageBuild"):
    """One Image Builder run of one template. Type token: pulumi-python:dynamic/image_build:ImageBuild."""

    artifact_id: pulumi.Output[str]  # gallery image version ID
    version_name: pulumi.Output[str]
    run_started: pulumi.Output[str]
    run_ended: pulumi.Output[str]
    template_name: pulumi.Output[str]
    run_output_name: pulumi.Output[str]
    build_timeout_minutes: pulumi.Output[float]

    def __init__(self, resource_name: str, args: ImageBuildArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(ImageBuildProvider(), resource_name, resource_props(args, OUTPUT_KEYS), opts)
