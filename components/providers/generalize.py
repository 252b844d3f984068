"""Generalize: sysprep a reference VM and mark it generalized, inside the Pulumi graph.

    reference VM (marketplace Windows Server 2025) -> Generalize -> compute.Image(sourceVirtualMachine)

Steps, bounded together by timeout_minutes and polled every poll_interval_seconds: look up the VM ->
start sysprep (Run Command) -> wait for PowerState/stopped -> deallocate, wait for PowerState/deallocated
-> POST generalize, check OSState/generalized.

Azure cannot capture a managed image from a Trusted Launch (or Confidential) VM, so the reference VM must
use securityType Standard; the program does that, and this provider fails before sysprep otherwise.

Create is idempotent (a failed create records nothing; `pulumi up` runs it again): a generalized VM
succeeds at once, a stopped or deallocated one skips sysprep. Caveat: Azure cannot tell "stopped by
sysprep" from "stopped by a person"; keep the reference VM to this stack. A VM replaced under the same
name keeps its ARM ID, so nothing here re-runs: replace this resource with it.
Delete does nothing in Azure: the VM belongs to its own resource, and generalized cannot be undone.
As for ImageBuild: a wait holds one of the provider process's 4 threads, custom_timeouts are not
enforced (hence timeout_minutes), credentials as in arm.py.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import pulumi
from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError
from azure.mgmt.compute import ComputeManagementClient
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult

from components.providers.arm import (DEFAULT_ARM_ENDPOINT, ArmCallFailed, ArmRetry, ArmSession, call_until_deadline,
                                      describe_error, is_auth_failure, is_transient, lro_polling)
from components.providers.base import ArmDynamicProvider, ArmDynamicResource, human_duration, resource_props
from components.providers.sysprep import PANTHER, SYSPREP_SCRIPT, run_command_report

API_VERSION = "2024-11-01"  # azure-mgmt-compute 39 would send 2026-04-01; it takes the version per call only
REPLACE_KEYS = ("subscription_id", "resource_group_name", "vm_name", "vm_id")
TUNING_KEYS = ("timeout_minutes", "poll_interval_seconds", "api_version", "arm_endpoint")
INPUT_KEYS = REPLACE_KEYS + TUNING_KEYS
OUTPUT_KEYS = ("generalized_at",)  # plus vm_id, which is an optional input and always an output
DEFAULTS = {"timeout_minutes": 30, "poll_interval_seconds": 15, "api_version": API_VERSION,
            "arm_endpoint": DEFAULT_ARM_ENDPOINT}
STOPPING, STOPPED, DEALLOCATING = "PowerState/stopping", "PowerState/stopped", "PowerState/deallocating"
DEALLOCATED, GENERALIZED = "PowerState/deallocated", "OSState/generalized"
SHUT_DOWN = frozenset({STOPPED, DEALLOCATING, DEALLOCATED})
GOING_DOWN = SHUT_DOWN | {STOPPING}  # what sysprep's /shutdown looks like from outside
CANNOT_CAPTURE = frozenset({"trustedlaunch", "confidentialvm"})


class GeneralizeError(Exception):
    """The VM was not generalized; the message is the whole explanation."""


@dataclass(frozen=True)
class _View:
    power: Optional[str]  # e.g. "PowerState/running"; None when Azure shows no power state
    codes: tuple[str, ...]
    # The last Run Command's report as the instance view shows it (the RunCommandWindows extension): its
    # statuses and substatuses (StdOut, StdErr), or () before any Run Command has reported.
    run_command: tuple = ()


class GeneralizeProvider(ArmDynamicProvider):
    """check/diff/update/delete/read: see components/dynamic.py. read keeps what we recorded: generalizing
    is a past event, and the VM's own resource refreshes the VM."""

    REPLACE_KEYS, TUNING_KEYS, DEFAULTS, CLIENT = REPLACE_KEYS, TUNING_KEYS, DEFAULTS, ComputeManagementClient
    RANGES = {"timeout_minutes": (0.001, 1440), "poll_interval_seconds": (0.001, 3600)}

    def check(self, olds: dict, news: dict) -> CheckResult:
        result = super().check(olds, news)
        vm_id, name = result.inputs.get("vm_id"), result.inputs.get("vm_name")
        if isinstance(vm_id, str) and isinstance(name, str) and \
                not vm_id.lower().endswith(f"/providers/microsoft.compute/virtualmachines/{name.lower()}"):
            result.failures.append(CheckFailure("vm_id", f"vm_id {vm_id!r} is not the ARM ID of VM {name!r}"))
        return result

    def _invalid(self, key: str, value: Any) -> Optional[str]:
        if key == "vm_id" and value is None:  # optional
            return None
        return super()._invalid(key, value)

    def _differs(self, key: str, old: Any, new: Any) -> bool:
        if key == "vm_id":  # optional: compared only when given, case-insensitively (ARM IDs)
            return new is not None and str(old or "").lower() != new.lower()
        return super()._differs(key, old, new)

    def create(self, props: dict) -> CreateResult:
        a = self._with_defaults(props)
        with self._session(a) as session:
            job = _Job(session, a, self.arm_retry)
            try:
                vm_id = job.run()
            except (AzureError, ArmCallFailed) as exc:
                raise GeneralizeError(f"Generalize step '{job.step}' failed for {job.vm}: {describe_error(exc)}. "
                                      f"Last seen: {job.last.power or 'no power state'}; sysprep's logs are in "
                                      f"{PANTHER} on the VM.") from exc
        at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")  # or when found generalized
        return CreateResult(vm_id, {**{k: a.get(k) for k in INPUT_KEYS}, "vm_id": vm_id, "generalized_at": at})


class _Job:
    """One create: the steps, the deadline, and what was seen last (for the error messages)."""

    def __init__(self, session: ArmSession, a: dict, retry: ArmRetry) -> None:
        self.session, self.a, self.retry = session, a, retry
        # api_version goes on every call: azure-mgmt-compute 39 ignores the client's (see arm.management_client).
        self.rg, self.name, self.api = a["resource_group_name"], a["vm_name"], a["api_version"]
        self.vm = f"VM {self.name} (resource group {self.rg})"
        self.interval = float(a["poll_interval_seconds"])
        self.started = time.monotonic()
        self.deadline = self.started + float(a["timeout_minutes"]) * 60
        self.step, self.last = "look up the VM", _View(None, ())
        self.report_before: Optional[tuple] = None  # the Run Command report seen before our POST; None: no POST

    @property
    def ops(self) -> Any:
        return self.session.client.virtual_machines  # the current client: a 401 renews it

    def run(self) -> str:
        vm = self._call(f"GET virtualMachines/{self.name}", lambda: self.ops.get(self.rg, self.name, api_version=self.api))
        wanted = self.a.get("vm_id")
        if wanted and wanted.lower() != (vm.id or "").lower():
            raise GeneralizeError(f"Generalize: vm_id {wanted} does not match {self.vm}, whose ID is {vm.id}.")
        profile = vm.properties.security_profile if vm.properties else None
        kind = str((profile.as_dict() if profile else {}).get("securityType") or "")  # the wire string
        if kind.lower() in CANNOT_CAPTURE:
            raise GeneralizeError(
                f"Generalize refused {self.vm}: its securityType is '{kind}', and Azure cannot capture a managed "
                f"image (compute.Image with sourceVirtualMachine) from a Trusted Launch or Confidential VM. "
                f"Sysprep was not started. Create the reference VM with securityProfile.securityType 'Standard', "
                f"or capture into a gallery image version (source virtualMachineId) instead.")
        power = self._view().power
        if GENERALIZED in self.last.codes:
            return vm.id  # done by an earlier, interrupted create
        if power not in SHUT_DOWN:
            if power != STOPPING:  # stopping: sysprep (ours, from a lost answer) is already finishing
                self._start_sysprep()
            self.step = "wait for sysprep to shut the VM down"
            power = self._wait_for(SHUT_DOWN, f"sysprep may have failed; look at {PANTHER}\\setupact.log and "
                                              f"setuperr.log on the VM (RDP or Bastion), fix the cause (often an "
                                              f"app installed for one user only, or a pending reboot), then run "
                                              f"`pulumi up` again")
        if power != DEALLOCATED:
            self.step = "deallocate"
            poller = None if power == DEALLOCATING else self._call(
                f"POST virtualMachines/{self.name}/deallocate",
                lambda: self.ops.begin_deallocate(self.rg, self.name, api_version=self.api,
                                                  polling=lro_polling(self.interval, self.a["arm_endpoint"])))
            self._wait_for({DEALLOCATED}, f"check `az vm get-instance-view -g {self.rg} -n {self.name}` and the "
                                          f"activity log, then run `pulumi up` again (sysprep is not repeated)",
                           poller)
        self.step = "mark generalized"
        self._call(f"POST virtualMachines/{self.name}/generalize",
                   lambda: self.ops.generalize(self.rg, self.name, api_version=self.api))
        os_states = [c for c in self._view().codes if c.startswith("OSState/")]
        if os_states and GENERALIZED not in os_states:  # an instance view without OSState: the 200 will do
            raise GeneralizeError(f"Generalize: {self.vm} answered the generalize call but shows {os_states[0]}.")
        return vm.id

    def _start_sysprep(self) -> None:
        self.step = "start sysprep (Run Command)"
        self.report_before = self.last.run_command  # run() has just looked: an earlier Run Command's report
        body = {"commandId": "RunPowerShellScript", "script": SYSPREP_SCRIPT}

        def post() -> Any:
            try:
                # retry_total=0: azure-core would re-POST on a 500 without looking; call_with_retry first
                # asks `settled` whether the VM is already going down.
                return self.ops.begin_run_command(self.rg, self.name, body, api_version=self.api, retry_total=0,
                                                  polling=lro_polling(self.interval, self.a["arm_endpoint"]))
            except ResourceExistsError:
                return None  # 409: a Run Command is executing already (ours, whose answer was lost)

        poller = self._call(f"POST virtualMachines/{self.name}/runCommand", post,
                            settled=lambda _exc: False if self._view().power in GOING_DOWN else None)
        while poller:
            if poller.done():
                try:
                    self._check_output(poller.result())
                except AzureError as exc:
                    if _poller_lost_track(exc):
                        return  # not the Run Command's outcome: the VM's power state decides from here
                    if not isinstance(exc, HttpResponseError):
                        raise
                    if self._view().power not in GOING_DOWN:  # else: it failed because sysprep shut the VM down
                        raise GeneralizeError(
                            f"Generalize step '{self.step}' failed for {self.vm}: the Run Command failed "
                            f"({describe_error(exc)}) and the VM is still '{self.last.power}', so sysprep did "
                            f"not run; the VM was neither deallocated nor generalized. Check the VM agent "
                            f"(az vm get-instance-view -g {self.rg} -n {self.name}) and run `pulumi up` again.") from exc
                return
            if self._view().power in GOING_DOWN:
                return  # sysprep was quicker than the Run Command's report; the shutdown says enough
            pause = self._remaining(f"the Run Command has not reported and the VM is still up, so the VM agent may be "
                                    f"unhealthy: check `az vm get-instance-view -g {self.rg} -n {self.name}` "
                                    f"(vmAgent), then run `pulumi up` again")
            try:
                poller.wait(pause)  # returns early when the Run Command ends
            except HttpResponseError:
                pass  # wait() re-raises a failed operation; handled by done() above

    def _check_output(self, result: Any) -> None:
        self._check_statuses(list(getattr(result, "value", None) or []))

    def _check_report(self) -> None:
        """Sysprep's outcome from the instance view, for when the Run Command's own answer is lost (its POST's
        answer, then a 409 on the POST sent again): a report that changed since our POST, on a VM still up, is
        this Run Command's. Its failure is raised with sysprep's own output, as _check_output does."""
        report = self.last.run_command
        if self.report_before is None or not report or report == self.report_before or self.last.power in GOING_DOWN:
            return
        waiting, self.step = self.step, "start sysprep (Run Command)"  # what failed, if it did
        self._check_statuses([s for s in report if "/stdout" in s.code.lower() or "/stderr" in s.code.lower()
                              or "/failed" in s.code.lower() or s.level == "Error"])
        self.step = waiting

    def _check_statuses(self, statuses: list) -> None:
        out = {("stderr" if "/StdErr" in (s.code or "") else "stdout"): (s.message or "").strip() for s in statuses}
        # level is the SDK's StatusLevelTypes, a str enum: str() of it reads "StatusLevelTypes.ERROR", == compares the value.
        failed = [s.code for s in statuses if "/failed" in (s.code or "").lower() or s.level == "Error"]
        if failed or out.get("stderr"):
            raise GeneralizeError("\n".join([
                f"Generalize step '{self.step}' failed for {self.vm}: the Run Command reported an error, so the "
                f"VM was neither deallocated nor generalized.",
                f"  status: {', '.join(s.code or '?' for s in statuses) or '(none)'}",
                f"  stdout: {out.get('stdout') or '(empty)'}",
                f"  stderr: {out.get('stderr') or '(empty)'}",
                f"Sysprep's logs are in {PANTHER} on the VM. Fix the cause and run `pulumi up` again."]))

    def _wait_for(self, wanted: set, advice: str, poller: Any = None) -> str:
        while True:
            power = self._view().power
            if power in wanted:
                return power
            self._check_report()
            if poller is not None and poller.done():
                try:
                    poller.result()  # raises when the operation failed; success: the instance view lags
                except AzureError as exc:
                    if not _poller_lost_track(exc):
                        raise
                poller = None
            time.sleep(self._remaining(advice))

    def _remaining(self, advice: str) -> float:
        """Seconds to sleep before the next look, or the timeout error."""
        now = time.monotonic()
        if now >= self.deadline:
            raise GeneralizeError(
                f"Generalize step '{self.step}' timed out: {self.vm} still '{self.last.power or 'no power state'}' "
                f"after {human_duration(now - self.started)} (timeout_minutes={self.a['timeout_minutes']}): {advice}.")
        return min(self.interval, self.deadline - now)

    def _view(self) -> _View:
        view = self._call(f"GET virtualMachines/{self.name}/instanceView",
                          lambda: self.ops.instance_view(self.rg, self.name, api_version=self.api))
        codes = tuple(s.code for s in (view.statuses or []) if s.code)
        self.last = _View(next((c for c in codes if c.startswith("PowerState/")), None), codes,
                          run_command_report(view))
        return self.last

    def _call(self, what: str, call: Callable[[], Any], settled: Optional[Callable] = None) -> Any:
        # Every step is part of one wait: transient failures (401s and token errors included) are retried
        # until its deadline, and the POSTs among them ask `settled` (or are harmless to repeat).
        return call_until_deadline(call, what=what, retry=self.retry, deadline=self.deadline, settled=settled,
                                   session=self.session)


def _poller_lost_track(exc: BaseException) -> bool:
    """A long-running operation's poller failed for a reason of its own: its client's token was revoked (the
    session renews the client, not the poller's), or ARM was unreachable. The operation itself may be fine."""
    return is_auth_failure(exc) or is_transient(exc)


@dataclass
class GeneralizeArgs:
    subscription_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    vm_name: pulumi.Input[str]  # pass vm.name so this runs after the VM exists
    vm_id: Optional[pulumi.Input[str]] = None  # the VM's ARM ID (vm.id), checked against Azure when given
    timeout_minutes: pulumi.Input[float] = 30  # for all steps together
    poll_interval_seconds: pulumi.Input[float] = 15
    api_version: pulumi.Input[str] = API_VERSION
    arm_endpoint: pulumi.Input[str] = DEFAULT_ARM_ENDPOINT


class Generalize(ArmDynamicResource, module="generalize", name="Generalize"):
    """Sysprep + deallocate + generalize one VM. Type token: pulumi-python:dynamic/generalize:Generalize."""

    vm_id: pulumi.Output[str]  # ARM ID of the generalized VM: compute.Image's sourceVirtualMachine.id
    generalized_at: pulumi.Output[str]
    vm_name: pulumi.Output[str]
    timeout_minutes: pulumi.Output[float]

    def __init__(self, resource_name: str, args: GeneralizeArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(GeneralizeProvider(), resource_name, resource_props(args, OUTPUT_KEYS), opts)
