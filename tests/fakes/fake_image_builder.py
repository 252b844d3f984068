"""Image Builder routes for the fake ARM server (Microsoft.VirtualMachineImages, API 2024-02-01):
image templates, their runs and run outputs, and the async operations behind a run.

Behaviour modelled on ARM (every route rejects other api-versions with a 400, like ARM):
- POST /run answers 202 with Azure-AsyncOperation and/or Location (`async_headers`); a second run while
  one is running gets a 409 Conflict.
- A run moves only when observed (operation polls or template GETs), as its `RunPlan` says, so tests
  decide how many polls a build takes; a successful run leaves a run output pointing at a version.
- A PartiallySucceeded run shows as a succeeded operation: only lastRunStatus tells the real story.
- Refusals Azure makes (each has a test in tests/fakes/test_fakes_refuse_like_azure.py):
  a PUT on an existing template gets 409 "Update/Upgrade of image templates is currently not supported"
  (since API 2024-02-01 only PATCH of identity, tags and vmProfile changes a template); a DELETE while a
  run is in progress gets 409; POST /cancel moves a running run to Canceling, then (after
  `RunPlan.cancel_polls` observations) Canceled, and gets 409 when there is no run to cancel.
- Lag (ARM's replicas): a template can still show provisioningState Creating for `creating_polls` template
  GETs after it was created, and refuses a run with 409 until it is Succeeded; a run output can answer 404 for
  `run_output_404s` GETs after the run succeeded, while the list of run outputs already shows it.

Fixture: `fake_image_builder` (server + Image Builder routes).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional

import pytest

from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm, FakeRequest, Handler, Reply, arm_error

_TEMPLATE = (r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
             r"/providers/Microsoft\.VirtualMachineImages/imageTemplates/(?P<name>[^/]+)")
_OPERATION = (r"/subscriptions/[^/]+/providers/Microsoft\.VirtualMachineImages/locations/[^/]+"
              r"/(?P<kind>operations|operationresults)/(?P<op>[^/]+)")
_SUB_STATES = ["Queued", "Building", "Customizing", "Distributing"]
IN_PROGRESS = ("Running", "Canceling")
NOT_SUPPORTED = ("Update/Upgrade of image templates is currently not supported. Please change the name of the "
                 "template you are submitting.")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class RunPlan:
    """How a run goes: it ends with `outcome` after `polls` observations (operation polls or template
    GETs); polls=None never ends. `sub_state`/`message` are what lastRunStatus shows at the end."""
    outcome: str = "Succeeded"  # Succeeded | Failed | Canceled | PartiallySucceeded
    polls: Optional[int] = 2
    sub_state: Optional[str] = None
    message: str = ""
    cancel_polls: int = 2  # observations from Canceling to Canceled


@dataclass
class FakeRun:
    plan: RunPlan
    number: int
    start: str = field(default_factory=_now)
    end: Optional[str] = None
    state: str = "Running"
    ticks: int = 0

    canceling_ticks: int = 0

    def status(self) -> dict:
        running = self.state in IN_PROGRESS
        sub = _SUB_STATES[min(self.ticks, 3)] if running else (self.plan.sub_state or "Distributing")
        message = "" if running else ("Build was canceled." if self.state == "Canceled" and self.canceling_ticks
                                      else self.plan.message)
        return {"startTime": self.start, "runState": self.state, "runSubState": sub,
                "message": message} | ({"endTime": self.end} if self.end else {})


@dataclass
class FakeTemplate:
    name: str
    resource_group: str
    run_output_name: str
    gallery_image_id: str
    staging_resource_group: str
    next_run: RunPlan = field(default_factory=RunPlan)
    run: Optional[FakeRun] = None  # the latest run: what lastRunStatus shows
    runs_started: int = 0
    run_outputs: dict[str, str] = field(default_factory=dict)
    # A template whose submission failed (the identity's role not effective yet, a File checksum): Azure
    # keeps it with provisioningState Failed and a provisioningError; it can neither run nor be updated.
    provisioning_state: str = "Succeeded"
    provisioning_error: Optional[dict] = None
    creating_polls: int = 0  # template GETs still showing provisioningState Creating (then Succeeded)
    run_output_404s: int = 0  # GETs of a run output answering 404 after the run succeeded (replica lag)

    def creating(self, polls: int) -> "FakeTemplate":
        """The template as a lagging replica shows it right after its creation: Creating for `polls` GETs."""
        self.provisioning_state, self.creating_polls = "Creating", polls
        return self

    def artifact_id(self, number: int) -> str:
        return f"{self.gallery_image_id}/versions/1.0.{number}"

    def start_run(self, plan: Optional[RunPlan] = None) -> FakeRun:
        """Start a run as POST /run does, or as autoRun does right after the template is created."""
        self.run = FakeRun(plan or self.next_run, self.runs_started)
        self.runs_started += 1
        return self.run

    def observe(self) -> Optional[FakeRun]:
        run = self.run
        if run and run.state == "Canceling":
            run.canceling_ticks += 1
            if run.canceling_ticks >= run.plan.cancel_polls:
                run.state, run.end = "Canceled", _now()
        elif run and run.state == "Running":
            run.ticks += 1
            if run.plan.polls is not None and run.ticks >= run.plan.polls:
                run.state, run.end = run.plan.outcome, _now()
                if run.state in ("Succeeded", "PartiallySucceeded"):
                    self.run_outputs[self.run_output_name] = self.artifact_id(run.number)
        return run


class ImageBuilderFake:
    RUN_PATH, TEMPLATE_PATH, OPERATION_PATH = _TEMPLATE + "/run", _TEMPLATE, _OPERATION

    def __init__(self, fake: FakeArm, location: str = "westeurope") -> None:
        self.fake, self.location = fake, location
        self.templates: dict[str, FakeTemplate] = {}
        self.operations: dict[str, FakeTemplate] = {}
        self.cancel_operations: set[str] = set()
        self.finished_operations: set[str] = set()
        self.deleted: list[str] = []  # names of templates deleted, in order
        self.async_headers = ("Azure-AsyncOperation", "Location")  # which ones the 202 carries
        self._lock = threading.Lock()
        for method, path, handler in (("GET", _TEMPLATE, self._get_template), ("POST", _TEMPLATE + "/run", self._run),
                                      ("GET", _TEMPLATE + "/runOutputs", self._list_run_outputs),
                                      ("GET", _TEMPLATE + "/runOutputs/(?P<output>[^/]+)", self._get_run_output),
                                      ("GET", _OPERATION, self._get_operation),
                                      ("POST", _TEMPLATE + "/cancel", self._cancel),
                                      ("DELETE", _TEMPLATE, self._delete_template)):
            fake.route(method, path, self._locked(handler), api_versions={"2024-02-01"})
        fake.route("PUT", _TEMPLATE, self._put_template, api_versions={"2024-02-01"})

    def add_template(self, name: str, resource_group: str = "rg-images", run_output_name: str = "win2022-gallery",
                     next_run: Optional[RunPlan] = None) -> FakeTemplate:
        gallery_image = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{resource_group}/providers"
                         f"/Microsoft.Compute/galleries/galimages/images/win2022")
        t = FakeTemplate(name, resource_group, run_output_name, gallery_image,
                         f"IT_{resource_group}_{name}_{uuid.uuid4().hex[:8]}", next_run or RunPlan())
        self.templates[name.lower()] = t
        return t

    def _locked(self, handler: Callable) -> Handler:
        def locked(req: FakeRequest, m) -> Reply:
            with self._lock:
                if "name" not in m.groupdict():
                    return handler(req, m, None)
                t = self.templates.get(m["name"].lower())
                if t is None or t.resource_group.lower() != m["rg"].lower():
                    return arm_error(404, "ResourceNotFound", f"The Resource 'Microsoft.VirtualMachineImages/"
                                     f"imageTemplates/{m['name']}' under resource group '{m['rg']}' was not found.")
                return handler(req, m, t)
        return locked

    def _get_template(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        run = t.observe()
        if t.provisioning_state == "Creating":
            if t.creating_polls <= 0:
                t.provisioning_state = "Succeeded"
            t.creating_polls -= 1
        props = {"provisioningState": t.provisioning_state, "buildTimeoutInMinutes": 120, "autoRun": {"state": "Disabled"},
                 "exactStagingResourceGroup": f"/subscriptions/{m['sub']}/resourceGroups/{t.staging_resource_group}",
                 "distribute": [{"type": "SharedImage", "galleryImageId": t.gallery_image_id,
                                 "runOutputName": t.run_output_name}]}
        if run:
            props["lastRunStatus"] = run.status()
        if t.provisioning_error:
            props["provisioningError"] = t.provisioning_error
        return Reply(200, {"id": req.path, "name": t.name, "location": self.location,
                           "type": "Microsoft.VirtualMachineImages/imageTemplates", "properties": props})

    def _put_template(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            if m["name"].lower() in self.templates:
                return arm_error(409, "Conflict", NOT_SUPPORTED)
            distribute = (((req.json or {}).get("properties") or {}).get("distribute") or [{}])[0]
            t = self.add_template(m["name"], m["rg"], distribute.get("runOutputName", "out"))
            t.gallery_image_id = distribute.get("galleryImageId", t.gallery_image_id)
        reply = self._get_template(req, m, t)
        return Reply(201, reply.body)

    def _delete_template(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        if t.run and t.run.state in IN_PROGRESS:
            # Image Builder's wording is not published; the code and the reason are what matter here.
            return arm_error(409, "Conflict", f"The image template '{t.name}' cannot be deleted while a build "
                                              f"is in progress (runState {t.run.state}). Cancel the build first.")
        del self.templates[t.name.lower()]
        self.deleted.append(t.name)
        op = uuid.uuid4().hex
        self.finished_operations.add(op)  # deleting the staging resource group takes a while in Azure
        return Reply(202, None, {"Azure-AsyncOperation": self._operation_url(req, m, op)})

    def _cancel(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        if not t.run or t.run.state not in IN_PROGRESS:
            return arm_error(409, "Conflict", f"Image template '{t.name}' has no build in progress to cancel.")
        t.run.state = "Canceling"
        return self._accepted(req, m, t, cancel=True)

    def _accepted(self, req: FakeRequest, m, t: FakeTemplate, cancel: bool = False) -> Reply:
        op = uuid.uuid4().hex
        self.operations[op] = t
        if cancel:
            self.cancel_operations.add(op)
        urls = {"Azure-AsyncOperation": self._operation_url(req, m, op),
                "Location": self._operation_url(req, m, op, "operationresults")}
        return Reply(202, None, {h: urls[h] for h in self.async_headers})

    def _operation_url(self, req: FakeRequest, m, op: str, kind: str = "operations") -> str:
        return (f"{self.fake.base_url}/subscriptions/{m['sub']}/providers/Microsoft.VirtualMachineImages"
                f"/locations/{self.location}/{kind}/{op}?api-version={req.query['api-version']}")

    def _run(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        if t.provisioning_state == "Failed":
            return arm_error(400, "BadRequest", f"Image template '{t.name}' is in a failed provisioning state.")
        if t.provisioning_state == "Creating":
            # Image Builder's wording is not published; the code and the reason are what matter here.
            return arm_error(409, "Conflict", f"Image template '{t.name}' is still being created (provisioningState "
                                              f"Creating); run it once it is provisioned.")
        if t.run and t.run.state in IN_PROGRESS:
            return arm_error(409, "Conflict", f"Image template '{t.name}' already has a run in progress.")
        t.start_run()
        return self._accepted(req, m, t)

    def _get_operation(self, req: FakeRequest, m, _t: None) -> Reply:
        if m["op"] in self.finished_operations:
            return Reply(200, {"name": m["op"], "status": "Succeeded"} if m["kind"] == "operations" else None)
        if m["op"] not in self.operations:
            return arm_error(404, "OperationNotFound", m["op"])
        run = self.operations[m["op"]].observe()
        assert run is not None
        if m["kind"] == "operationresults":
            return Reply(202 if run.state in IN_PROGRESS else 200)
        # PartiallySucceeded shows as a succeeded operation, and a failed one carries no useful error:
        # only the template's lastRunStatus tells the real story. A cancel succeeds when the run is Canceled.
        status = {"Running": "InProgress", "Canceling": "InProgress", "PartiallySucceeded": "Succeeded"}.get(
            run.state, run.state)
        if m["op"] in self.cancel_operations and status == "Canceled":
            status = "Succeeded"
        return Reply(200, {"name": m["op"], "status": status, "startTime": run.start}
                     | ({"endTime": run.end} if run.end else {}))

    @staticmethod
    def _output_body(t: FakeTemplate, template_path: str, name: str) -> dict:
        return {"id": f"{template_path}/runOutputs/{name}", "name": name,
                "type": "Microsoft.VirtualMachineImages/imageTemplates/runOutputs",
                "properties": {"artifactId": t.run_outputs[name], "provisioningState": "Succeeded"}}

    def _get_run_output(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        if m["output"] not in t.run_outputs or t.run_output_404s > 0:
            if m["output"] in t.run_outputs:
                t.run_output_404s -= 1  # a replica that has not seen the run output yet
            return arm_error(404, "ResourceNotFound", f"Run output '{m['output']}' was not found.")
        return Reply(200, self._output_body(t, req.path.rsplit("/runOutputs/", 1)[0], m["output"]))

    def _list_run_outputs(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        base = req.path.rsplit("/runOutputs", 1)[0]
        return Reply(200, {"value": [self._output_body(t, base, n) for n in t.run_outputs]})


@pytest.fixture
def fake_image_builder(fake_arm: FakeArm) -> ImageBuilderFake:
    return ImageBuilderFake(fake_arm)
