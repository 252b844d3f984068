"""ImageBuild: run an Azure Image Builder template once and return the gallery image version it made.

The template is content-addressed (its name hashes everything that shapes the image), so a build runs
exactly when the template name changes: that is a replacement here. A template whose last run already
succeeded is not built again (to rebuild, change the template). Poll interval, timeout, API
version and endpoint are tuning and update in place, keeping the built artifact. Deleting an
ImageBuild cancels a run still in progress on its template (a trigger's, or one a timed-out create left
behind), because Image Builder refuses to delete a template during a run and the template is deleted right
after its ImageBuild; the image version stays (DefinitionVersions removes versions where a stack allows).

Operational notes:
- All Python dynamic resources of a program share one provider process with 4 worker threads. A build
  holds a thread for its whole run (often 30-90 min for Windows), so at most 4 builds wait at once and
  any fifth dynamic-resource operation, even a diff, queues behind them. Keep concurrent builds <= 4.
- `custom_timeouts` are not enforced for dynamic resources; the wait is bounded here by the build
  timeout plus a margin. Within it, ARM outages, 429s, 401s (a new credential and client) and failed token
  refreshes are retried until that deadline (arm.call_until_deadline), and so is the final read of the run output. Interrupting `pulumi up` twice leaves Azure building: the next `up` adopts the
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
from components.providers.arm import (DEFAULT_ARM_ENDPOINT, ArmCallFailed, ArmRetry, call_until_deadline,
                                      call_with_retry, describe_error, final_read_deadline, lro_polling)
from components.providers.base import ArmDynamicProvider, ArmDynamicResource, human_duration, resource_props
from components.providers.image_builder_run import (IN_PROGRESS, ImageBuildError, Run, RunWatch,
                                                    broken_template_message, failure_message, still_running_hint,
                                                    timeout_message, where)

API_VERSION = "2024-02-01"  # azure-mgmt-imagebuilder 2.0.0 would send 2025-10-01
REPLACE_KEYS = ("subscription_id", "resource_group_name", "template_name", "run_output_name")
# template_urn only feeds the recovery advice (which resource the refresh drops), and cancel_timeout_minutes bounds
# delete: neither must rebuild the image.
TUNING_KEYS = ("build_timeout_minutes", "poll_interval_seconds", "api_version", "arm_endpoint", "template_urn",
               "cancel_timeout_minutes")
INPUT_KEYS = REPLACE_KEYS + TUNING_KEYS
OUTPUT_KEYS = ("artifact_id", "version_name", "run_started", "run_ended")
DEFAULTS = {"build_timeout_minutes": 0, "poll_interval_seconds": 30, "api_version": API_VERSION,
            "arm_endpoint": DEFAULT_ARM_ENDPOINT, "template_urn": "", "cancel_timeout_minutes": 30}
_ADOPTED, _PROVISIONING = object(), object()
# A template that ARM still shows Creating (or Updating): a replica that lags behind the PUT azure-native waited
# for. Image Builder refuses a run until the template is provisioned (a 409), so the build waits for it.
PROVISIONING = frozenset({"Creating", "Updating"})
# A run output can answer 404 for a while after the run succeeded (a replica that has not seen it yet; the list
# of run outputs may already show it). It is read this many times, one poll interval apart, before giving up.
RUN_OUTPUT_READS = 5
__all__ = ["ImageBuild", "ImageBuildArgs", "ImageBuildError", "ImageBuildProvider"]


class ImageBuildProvider(ArmDynamicProvider):
    """check/diff/update/read: see components/providers/base.py. read in particular keeps what we recorded:
    the run output can later point at another run (someone re-running the template), and adopting that
    on refresh would silently move fleets to an image this stack did not build. delete: see the module doc."""

    REPLACE_KEYS, TUNING_KEYS, DEFAULTS, CLIENT = REPLACE_KEYS, TUNING_KEYS, DEFAULTS, ImageBuilderClient
    RANGES = {"build_timeout_minutes": (0, rules.BUILD_TIMEOUT_MAX_MINUTES), "poll_interval_seconds": (0.001, 3600),
              "cancel_timeout_minutes": (0.001, 240)}
    _wait_margin_seconds: float = 1800.0  # queueing, staging and distribution beyond buildTimeoutInMinutes

    def __init__(self, *, credential: Any = None, client_kwargs: Optional[dict] = None,
                 retry: Optional[ArmRetry] = None, wait_margin_seconds: float = 1800.0) -> None:
        super().__init__(credential=credential, client_kwargs=client_kwargs, retry=retry)
        self._wait_margin_seconds = float(wait_margin_seconds)

    def _invalid(self, key: str, value: Any) -> Optional[str]:
        if key in ("template_name", "run_output_name") and isinstance(value, str) and value \
                and not rules.TEMPLATE_NAME.fullmatch(value):
            return f"{value!r} is not a valid Image Builder name ({rules.TEMPLATE_NAME_RULE})"
        if key == "template_urn":  # optional: only used in messages
            return None if isinstance(value, str) else f"template_urn must be a string, got {value!r}"
        return super()._invalid(key, value)

    def create(self, props: dict) -> CreateResult:
        a = self._with_defaults(props)
        started = time.monotonic()
        deadline = started + self._budget_seconds(a)
        with self._session(a) as session:
            watch = RunWatch(session, a, self.arm_retry, deadline)
            try:
                run = self._run_to_end(watch, started)
                if run.state != "Succeeded":
                    raise ImageBuildError(failure_message(a, watch))
                artifact_id = self._artifact_id(watch)
            except (AzureError, ArmCallFailed) as exc:
                raise ImageBuildError(f"ImageBuild for {where(a)}: {describe_error(exc)}. {watch.context()}") from exc
        return CreateResult(artifact_id, {
            **{k: a[k] for k in INPUT_KEYS},
            "artifact_id": artifact_id,
            "version_name": artifact_id.rstrip("/").rsplit("/", 1)[-1],
            "run_started": run.start,
            "run_ended": run.end,
        })

    def delete(self, _id: str, props: dict) -> None:
        """Cancel a run still in progress, within cancel_timeout_minutes, so that the template's own delete,
        which Pulumi runs right after this one (the template is what this resource depends on), is not refused.
        A template already gone, or not running, needs nothing."""
        a = self._with_defaults(props)
        deadline = time.monotonic() + self._cancel_seconds(a)
        with self._session(a) as session:
            watch = RunWatch(session, a, self.arm_retry, deadline)
            try:
                if watch.read().state in IN_PROGRESS:
                    watch.cancel(float(a["poll_interval_seconds"]))
            except ResourceNotFoundError:
                return
            except (AzureError, ArmCallFailed) as exc:
                raise ImageBuildError(f"ImageBuild delete could not stop the run of {where(a)}: {describe_error(exc)}. "
                                      f"{watch.context()} {still_running_hint(a)}") from exc

    # -- the build ---------------------------------------------------------------------------------

    # autoRun: the template is created with autoRun Disabled and this resource is the single starter.
    # autoRun's run is invisible to Pulumi (template creation does not wait for it), and a provider
    # that also POSTs /run would start a second build or get a 409. We still adopt a run that is already
    # in progress (autoRun enabled by someone, or our own POST whose answer was lost).
    def _run_to_end(self, watch: RunWatch, started: float) -> Run:
        a = watch.a
        watch.read()
        baseline = self._await_provisioned(watch, started)
        if watch.provisioning_state == "Failed":
            raise ImageBuildError(broken_template_message(a, watch))
        if baseline.state == "Succeeded":
            # Same template = same image, already built (e.g. our create was interrupted after the run).
            return baseline
        stale = None
        if baseline.state not in IN_PROGRESS:
            stale = baseline
            poller = self._start(watch, baseline, started)
            if poller is not None:
                try:
                    # Returns None, without raising, when time is up; instead of poller.done(),
                    # _await_end re-reads lastRunStatus and enforces the deadline. The poller's thread
                    # dies when the client closes at the end of create: nothing polls on afterwards.
                    poller.result(timeout=max(0.0, watch.deadline - time.monotonic()))
                except AzureError:
                    # Failed/Canceled runs raise thin errors, polling can give up on an ARM hiccup, and a
                    # 401 ends the poller while the build goes on: lastRunStatus below says which it was.
                    pass
        try:
            return self._await_end(watch, stale, started)
        except (AzureError, ArmCallFailed) as exc:
            raise ImageBuildError(
                f"Lost track of the Image Builder run of template '{a['template_name']}': {describe_error(exc)}. "
                f"{watch.context()} {still_running_hint(a)}") from exc

    def _await_provisioned(self, watch: RunWatch, started: float) -> Run:
        """Wait, within the build's deadline, while the template shows provisioningState Creating or Updating."""
        a = watch.a
        while watch.provisioning_state in PROVISIONING:
            remaining = watch.deadline - time.monotonic()
            if remaining <= 0:
                raise ImageBuildError(
                    f"Image Builder {where(a)} is still in provisioningState {watch.provisioning_state} after "
                    f"{human_duration(time.monotonic() - started)}, so no build was started (Image Builder refuses a "
                    f"run until the template is provisioned). Check with `az image builder show -g "
                    f"{a['resource_group_name']} -n {a['template_name']} --query provisioningState`, then run "
                    f"`pulumi up` again. {watch.context()}")
            time.sleep(min(float(a["poll_interval_seconds"]), remaining))
            watch.read()
        return watch.last

    def _start(self, watch: RunWatch, baseline: Run, started: float) -> Any:
        """POST /run; returns its poller, or None when a run turned out to be going already. A 409 from a template
        that turns out to be still Creating is waited for, and the run sent again."""
        while True:
            result = self._post_run(watch, baseline)
            if result is not _PROVISIONING:
                return None if result is _ADOPTED else result
            self._await_provisioned(watch, started)

    def _post_run(self, watch: RunWatch, baseline: Run) -> Any:
        a = watch.a

        def started_already(run: Run) -> bool:
            return run.state in IN_PROGRESS or (run.state is not None and run.start != baseline.start)

        def post() -> Any:
            try:
                # retry_total=0: azure-core would re-POST on 500/503/504 without checking whether the
                # run started; call_with_retry checks lastRunStatus first.
                return watch.ops.begin_run(a["resource_group_name"], a["template_name"], retry_total=0,
                                           polling=lro_polling(float(a["poll_interval_seconds"]), a["arm_endpoint"]))
            except ResourceExistsError:
                if started_already(watch.read()):
                    return _ADOPTED
                if watch.provisioning_state in PROVISIONING:
                    return _PROVISIONING
                raise

        return call_with_retry(post, what=f"POST imageTemplates/{a['template_name']}/run",
                               retry=self.arm_retry, session=watch.session,
                               settled=lambda _exc: _ADOPTED if started_already(watch.read()) else None)

    def _await_end(self, watch: RunWatch, stale: Optional[Run], started: float) -> Run:
        a = watch.a
        while True:
            run = watch.read()
            # `stale` is the previous run: lastRunStatus can lag behind the run we just started.
            if run.state not in IN_PROGRESS and run.state is not None and (stale is None or run.start != stale.start):
                return run
            remaining = watch.deadline - time.monotonic()
            if remaining <= 0:
                raise ImageBuildError(timeout_message(a, watch, time.monotonic() - started, self._wait_margin_seconds))
            time.sleep(min(float(a["poll_interval_seconds"]), remaining))

    def _artifact_id(self, watch: RunWatch) -> str:
        """The run output's artifactId: read with the same retries as the wait, and at least
        retry.final_read_seconds, however late the build finished. A 404, or a run output without an artifactId,
        is read again (RUN_OUTPUT_READS times): ARM's replicas can lag behind a run that has just succeeded."""
        a, session = watch.a, watch.session
        rg, name, output = a["resource_group_name"], a["template_name"], a["run_output_name"]
        deadline = final_read_deadline(watch.deadline, self.arm_retry)
        interval = float(a["poll_interval_seconds"])

        def read(what: str, call: Any) -> Any:
            return call_until_deadline(call, what=what, deadline=deadline, retry=self.arm_retry, session=session)

        listed: dict[str, Any] = {}
        for attempt in range(RUN_OUTPUT_READS):
            if attempt:
                time.sleep(interval)
            try:
                artifact = (read(f"GET imageTemplates/{name}/runOutputs/{output}",
                                 lambda: watch.ops.get_run_output(rg, name, output)).properties or {}).get("artifactId")
            except ResourceNotFoundError:
                artifact = None
            if artifact:
                return artifact
            outputs = read(f"GET imageTemplates/{name}/runOutputs", lambda: list(watch.ops.list_run_outputs(rg, name)))
            listed = {o.name: (o.properties or {}).get("artifactId") for o in outputs}
            if listed.get(output):  # the list's replica has it already
                return listed[output]
        tried = f"{RUN_OUTPUT_READS} reads, {human_duration(interval)} apart"
        if output in listed:
            raise ImageBuildError(f"Image Builder run of template '{name}' succeeded, and Image Builder lists its run "
                                  f"output '{output}', but the run output gave no artifactId in {tried}. ARM's "
                                  f"replicas can lag behind a finished run: `pulumi up` reads it again (the template "
                                  f"is not built again: its last run succeeded). {watch.context()}")
        known = ", ".join(listed) or "none"
        raise ImageBuildError(f"Image Builder run of template '{name}' succeeded but has no run output "
                              f"'{output}' with an artifactId (it has: {known}). run_output_name must equal "
                              f"the distributor's runOutputName ({tried}). {watch.context()}")

    def _budget_seconds(self, a: dict) -> float:
        minutes = float(a["build_timeout_minutes"]) or rules.BUILD_TIMEOUT_DEFAULT_MINUTES
        return minutes * 60 + self._wait_margin_seconds

    def _cancel_seconds(self, a: dict) -> float:
        return float(a["cancel_timeout_minutes"]) * 60


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
    template_urn: pulumi.Input[str] = ""  # the template's URN, named in the recovery advice
    cancel_timeout_minutes: pulumi.Input[float] = 30  # delete: how long a cancel may take


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
