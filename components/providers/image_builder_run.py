"""Watching one Image Builder template's runs, for ImageBuild (image_build.py): reading lastRunStatus with the
shared retry policy, cancelling a run, and the messages that tell a person what happened and what to do.

Not a provider module: nothing here is pickled into the state, so it may move freely.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

from azure.core.exceptions import ResourceExistsError

from components.providers.arm import ArmRetry, ArmSession, call_until_deadline, call_with_retry
from components.providers.base import human_duration

IN_PROGRESS = frozenset({"Running", "Canceling"})


class ImageBuildError(Exception):
    """The build did not produce an image (or its run could not be stopped); the message is the whole explanation."""


@dataclass(frozen=True)
class Run:
    """The template's lastRunStatus: the source of truth for how a run went."""
    state: Optional[str] = None
    sub_state: Optional[str] = None
    message: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None


class RunWatch:
    """The reads of one template during one provider operation, remembering what was seen last, so that every
    failure message can say the last run state and where the logs are."""

    def __init__(self, session: ArmSession, a: dict, retry: ArmRetry, deadline: float) -> None:
        self.session, self.a, self.retry, self.deadline = session, a, retry, deadline
        self.last, self.staging = Run(), None
        self.provisioning_state: Optional[str] = None
        self.provisioning_error: Optional[str] = None

    @property
    def ops(self) -> Any:
        return self.session.client.virtual_machine_image_templates  # the current client: renewals replace it

    def read(self, deadline: Optional[float] = None) -> Run:
        a = self.a
        template = call_until_deadline(lambda: self.ops.get(a["resource_group_name"], a["template_name"]),
                                       what=f"GET imageTemplates/{a['template_name']}", retry=self.retry,
                                       deadline=deadline or self.deadline, session=self.session)
        p = template.properties
        if p is not None and p.exact_staging_resource_group:
            self.staging = p.exact_staging_resource_group.rstrip("/").rsplit("/", 1)[-1]
        raw = p if p is not None else {}  # the model is a mapping over the wire JSON (camelCase keys)
        self.provisioning_state = raw.get("provisioningState")
        error = raw.get("provisioningError") or {}
        self.provisioning_error = " ".join(str(v) for v in (error.get("provisioningErrorCode"), error.get("message"))
                                           if v) or None
        s = p.last_run_status if p is not None else None
        # The model is a mapping over the wire JSON: plain strings, and timestamps exactly as Azure wrote them.
        self.last = Run(*(s.get(k) for k in ("runState", "runSubState", "message", "startTime", "endTime"))) \
            if s is not None else Run()
        return self.last

    def cancel(self, interval: float) -> Run:
        """Cancel the run in progress and wait until it has ended, by self.deadline (Image Builder refuses to
        delete a template while a run is in progress). Returns the run as last seen."""
        a = self.a
        run = self.read()
        if run.state == "Running":
            def post() -> Any:
                # retry_total=0, as for /run: our policy retries, after looking at lastRunStatus. polling=False:
                # nothing waits on the cancel's operation, the loop below follows lastRunStatus (which also sees
                # a cancel someone else sent); a poller would only poll it again from a thread of its own.
                try:
                    return self.ops.begin_cancel(a["resource_group_name"], a["template_name"], retry_total=0,
                                                 polling=False)
                except ResourceExistsError:  # 409: nothing to cancel any more (it ended, or is being canceled)
                    return None
            call_with_retry(post, what=f"POST imageTemplates/{a['template_name']}/cancel", retry=self.retry,
                            session=self.session,
                            settled=lambda _exc: False if self.read().state != "Running" else None)
        while self.read().state in IN_PROGRESS:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise ImageBuildError(
                    f"Could not stop the Image Builder run of {where(a)}: still {self.last.state} when the cancel's "
                    f"time ran out. Image Builder refuses to delete a template while a run is in progress. "
                    f"{self.context()} Cancel it with `az image builder cancel -g {a['resource_group_name']} -n "
                    f"{a['template_name']}`, wait for runState Canceled, then run the delete again.")
            time.sleep(min(interval, remaining))
        return self.last

    def context(self) -> str:
        """The last run state seen and where the logs are: part of every failure message."""
        a, run = self.a, self.last
        return (f"Last seen: runState {run.state or '(none)'}, runSubState {run.sub_state or '(none)'}"
                + (f", template provisioningState {self.provisioning_state}" if self.provisioning_state not in
                   (None, "Succeeded") else "") + f". Logs: {logs(a, self.staging)}.")


def where(a: dict) -> str:
    return f"template '{a['template_name']}' (resource group '{a['resource_group_name']}')"


def logs(a: dict, staging: Optional[str]) -> str:
    rg, name = a["resource_group_name"], a["template_name"]
    return (f"customization.log in container 'packerlogs' of the storage account in staging resource group "
            f"'{staging or f'IT_{rg}_{name}_<id>'}'")


def recreate_command(a: dict) -> str:
    """Delete the broken template first, then let Pulumi create it again under the same name. Not `pulumi up
    --replace <URN>`: Pulumi replaces create-before-delete, and a template's name is its recipe's hash, so the new
    template would carry the old one's name and Image Builder answers 409 again. Not deleteBeforeReplace on the
    template either: a recipe change is a new name (no clash), and delete-before-replace would take every resource
    replaced with it, the fleets booting its image among them, down before their replacements exist. The az delete
    works whether or not the failed create reached the state; the refresh then drops it from the state."""
    rg, name, urn = a["resource_group_name"], a["template_name"], a.get("template_urn")
    target = f"'{urn}'" if isinstance(urn, str) and urn.startswith("urn:") else "the template"
    return (f"`az image builder delete -g {rg} -n {name}`, then `pulumi up --refresh` (the refresh finds {target} "
            f"gone, and the update creates it anew under the same name)")


def recovery(a: dict) -> str:
    """What to do after a failed build. Image Builder accepts no update of an existing template (a PUT gets 409
    "Update/Upgrade of image templates is currently not supported"), so "run it again" is right only for a
    transient failure; a broken template has to be deleted and created anew, in that order."""
    return "\n".join([
        "  Next:",
        "  - recipe error (a customizer, a checksum): fix it in the stack file; the new recipe names a new template.",
        "  - transient error (capacity, quota, a timeout in Azure): `pulumi up` runs this same template again.",
        f"  - template broken (provisioningState Failed, or `pulumi up` now fails on the template with 409 "
        f"\"Update/Upgrade of image templates is currently not supported\"): delete it first, {recreate_command(a)}. "
        f"Not `pulumi up --replace`: it creates before it deletes, and the same name gets the same 409.",
    ])


def failure_message(a: dict, watch: RunWatch) -> str:
    rg, name, run = a["resource_group_name"], a["template_name"], watch.last
    verdict = {
        "Failed": "failed",
        "Canceled": "was canceled (az image builder cancel, the portal, or Image Builder itself)",
        "PartiallySucceeded": "ended PartiallySucceeded, which ImageBuild treats as a failure "
                              "(the image did not reach every distribution target)",
    }.get(run.state or "", f"ended in unexpected state {run.state!r}")
    return "\n".join([
        f"Image Builder run of {where(a)} {verdict}.",
        f"  runState: {run.state}, runSubState: {run.sub_state}",
        f"  message: {run.message or '(empty)'}",
        f"  customization log: {logs(a, watch.staging)}",
        f"  details: az image builder show -g {rg} -n {name} --query lastRunStatus",
        recovery(a),
    ])


def broken_template_message(a: dict, watch: RunWatch) -> str:
    return "\n".join([
        f"Image Builder {where(a)} is in provisioningState {watch.provisioning_state}: "
        f"{watch.provisioning_error or '(no provisioningError given)'}. A template that failed at submission "
        f"cannot be run or updated. {watch.context()}",
        recovery(a),
    ])


def timeout_message(a: dict, watch: RunWatch, waited: float, margin: float) -> str:
    run = watch.last
    return (f"Image Builder run of {where(a)} timed out: gave up waiting after {human_duration(waited)} (build "
            f"timeout {float(a['build_timeout_minutes']):g} min + {human_duration(margin)} margin); last seen "
            f"runState: {run.state}, runSubState: {run.sub_state}. Logs: {logs(a, watch.staging)}. "
            f"{still_running_hint(a)}")


def still_running_hint(a: dict) -> str:
    rg, name = a["resource_group_name"], a["template_name"]
    return (f"The build may still be running in Azure: check with `az image builder show -g {rg} -n {name} "
            f"--query lastRunStatus`, stop it with `az image builder cancel -g {rg} -n {name}` (Image Builder "
            f"refuses to delete a template while a run is in progress). The next `pulumi up` adopts a run still "
            f"in progress instead of starting another.")
