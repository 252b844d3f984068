"""Compute routes for the fake ARM server (Microsoft.Compute, API 2024-11-01): virtual machines, their
instance view, the action Run Command, deallocate, generalize, and the async operations behind them.

Behaviour modelled on ARM (every route rejects other api-versions with a 400, like ARM):
- runCommand / deallocate answer 202 with Azure-AsyncOperation (status JSON) and Location
  (`?monitor=true`: 202 while running, then the result body), like Compute does.
- A VM's power state moves only when a test's plan says so, counted in instanceView observations, so
  tests decide how many polls each step takes. A deallocation ends after `deallocate_polls` observations,
  operation polls or instance views alike (Azure does not need its operation polled), and with
  `deallocate_error` it fails, leaving the VM as it was.
- A Run Command runs in the VM whether or not anyone polls its operation: instanceView observations move it
  too, and once it has reported, the instance view shows it as the RunCommandWindows extension (its StdOut and
  StdErr as substatuses, its outcome as a ProvisioningState status): what a client whose POST answer was lost
  can still read.
- runCommand on a VM that is not running, and generalize on a VM that is not stopped, get the 409
  OperationNotAllowed ARM sends; a second runCommand while one executes gets a 409 Conflict.

Fixture: `fake_compute` (server + Compute routes).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import Optional

import pytest

from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm, FakeRequest, Reply, arm_error

COMPUTE_API_VERSIONS = {"2024-11-01"}
_VM = (r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
       r"/providers/Microsoft\.Compute/virtualMachines/(?P<name>[^/]+)")
_OPERATION = r"/subscriptions/[^/]+/providers/Microsoft\.Compute/locations/[^/]+/operations/(?P<op>[^/]+)"


@dataclass
class SysprepPlan:
    """What the VM does after a Run Command. `polls_to_stop`: instanceView observations after the Run
    Command until the VM shows stopped (one 'stopping' before it); None = sysprep never shuts it down.
    `report_polls`: operation polls until the Run Command reports; None = it never reports (the VM went
    down under it). `stdout`/`stderr` are the Run Command's output; `failed` makes the operation Failed."""
    polls_to_stop: Optional[int] = 3
    report_polls: Optional[int] = 1
    stdout: str = "sysprep started (pid 4242); it shuts the VM down when done"
    stderr: str = ""
    failed: Optional[dict] = None  # {"code": ..., "message": ...}
    # The Run Command result's `value` exactly as given (InstanceViewStatus dicts), instead of the StdOut and
    # StdErr statuses made from stdout/stderr.
    statuses: Optional[list] = None


@dataclass
class FakeVm:
    name: str
    resource_group: str
    power: Optional[str] = "running"  # running | stopping | stopped | deallocating | deallocated | starting | None
    generalized: bool = False
    security_type: Optional[str] = None  # None: no securityProfile (Standard); "TrustedLaunch"
    sysprep: SysprepPlan = field(default_factory=SysprepPlan)
    deallocate_polls: int = 2  # observations (operation polls or instance views) until a deallocation ends
    deallocate_error: Optional[dict] = None  # the deallocation fails with this error; the VM stays as it was
    vm_unique_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    run_commands: list[dict] = field(default_factory=list)  # bodies received
    deallocated_from: Optional[str] = None  # power state when the deallocate POST came (ARM takes any)
    _stop_countdown: Optional[int] = None

    @property
    def arm_id(self) -> str:
        return (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{self.resource_group}"
                f"/providers/Microsoft.Compute/virtualMachines/{self.name}")

    def observe(self) -> None:
        """One instanceView observation: sysprep's shutdown makes progress."""
        if self._stop_countdown is None:
            return
        self._stop_countdown -= 1
        if self._stop_countdown <= 0:
            self.power, self._stop_countdown = "stopped", None
        elif self._stop_countdown == 1:
            self.power = "stopping"


@dataclass
class _Operation:
    vm: FakeVm
    kind: str  # runCommand | deallocate
    polls_left: Optional[int]
    result: Optional[dict] = None
    error: Optional[dict] = None
    ended: Optional[str] = None  # when it reported (the extension status's time)

    def tick(self) -> str:
        if self.polls_left is not None and self.polls_left > 0:
            self.polls_left -= 1
        if self.polls_left is None or self.polls_left > 0:
            return "InProgress"
        if self.kind == "deallocate":
            self.vm.power = self.vm.deallocated_from if self.error else "deallocated"
        self.ended = self.ended or dt.datetime.now(dt.timezone.utc).isoformat()
        return "Failed" if self.error else "Succeeded"

    def extension_view(self) -> dict:
        """The Run Command as the VM's instance view shows it once it has reported."""
        failed = self.error is not None
        status = {"code": f"ProvisioningState/{'failed' if failed else 'succeeded'}", "level": "Error" if failed else
                  "Info", "displayStatus": "Provisioning failed" if failed else "Provisioning succeeded",
                  "message": (self.error or {}).get("message", "Finished executing command"), "time": self.ended}
        return {"name": "RunCommandWindows", "type": "Microsoft.CPlat.Core.RunCommandWindows",
                "typeHandlerVersion": "1.1.18", "substatuses": (self.result or {}).get("value", []),
                "statuses": [status]}


class ComputeFake:
    def __init__(self, fake: FakeArm, location: str = "westeurope") -> None:
        self.fake, self.location = fake, location
        self.vms: dict[str, FakeVm] = {}
        self.operations: dict[str, _Operation] = {}
        self._lock = threading.Lock()
        v = COMPUTE_API_VERSIONS
        fake.route("GET", _VM, self._get_vm, v)
        fake.route("GET", _VM + "/instanceView", self._instance_view, v)
        fake.route("POST", _VM + "/runCommand", self._run_command, v)
        fake.route("POST", _VM + "/deallocate", self._deallocate, v)
        fake.route("POST", _VM + "/generalize", self._generalize, v)
        fake.route("GET", _OPERATION, self._get_operation, v)

    VM_PATH = _VM
    OPERATION_PATH = _OPERATION

    def add_vm(self, name: str, resource_group: str = "rg-capture", **kwargs) -> FakeVm:
        vm = FakeVm(name, resource_group, **kwargs)
        self.vms[name.lower()] = vm
        return vm

    def _vm(self, m) -> Optional[FakeVm]:
        vm = self.vms.get(m["name"].lower())
        return vm if vm and vm.resource_group.lower() == m["rg"].lower() else None

    def _not_found(self, m) -> Reply:
        return arm_error(404, "ResourceNotFound", f"The Resource 'Microsoft.Compute/virtualMachines/{m['name']}' "
                                                  f"under resource group '{m['rg']}' was not found.")

    def _get_vm(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            vm = self._vm(m)
            if vm is None:
                return self._not_found(m)
            props: dict = {"vmId": vm.vm_unique_id, "provisioningState": "Succeeded",
                           "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                           "storageProfile": {"imageReference": {"publisher": "MicrosoftWindowsServer",
                                                                 "offer": "WindowsServer",
                                                                 "sku": "2025-datacenter-g2", "version": "latest"}}}
            if vm.security_type:
                props["securityProfile"] = {"securityType": vm.security_type,
                                            "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True}}
            return Reply(200, {"id": vm.arm_id, "name": vm.name, "location": self.location,
                               "type": "Microsoft.Compute/virtualMachines", "properties": props})

    def _instance_view(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            vm = self._vm(m)
            if vm is None:
                return self._not_found(m)
            vm.observe()
            # Azure deallocates whether or not anyone polls the operation.
            for op in self.operations.values():
                if op.vm is vm and op.polls_left:  # a Run Command, too, goes on in the VM
                    op.tick()
            statuses = [{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"}]
            if vm.generalized:
                statuses.append({"code": "OSState/generalized", "level": "Info", "displayStatus": "VM generalized"})
            if vm.power:  # None: no PowerState status (Azure shows none while the VM agent has not reported)
                statuses.append({"code": f"PowerState/{vm.power}", "level": "Info", "displayStatus": f"VM {vm.power}"})
            reported = [op for op in self.operations.values()
                        if op.vm is vm and op.kind == "runCommand" and op.polls_left == 0]
            body = {"computerName": vm.name[:15], "osName": "Windows Server 2025 Datacenter", "statuses": statuses}
            if reported:
                body["extensions"] = [reported[-1].extension_view()]
            return Reply(200, body)

    def _accepted(self, req: FakeRequest, m, op: _Operation) -> Reply:
        op_id = uuid.uuid4().hex
        self.operations[op_id] = op
        url = (f"{self.fake.base_url}/subscriptions/{m['sub']}/providers/Microsoft.Compute/locations/"
               f"{self.location}/operations/{op_id}?p={uuid.uuid4()}&api-version={req.query['api-version']}")
        return Reply(202, None, {"Azure-AsyncOperation": url, "Location": url + "&monitor=true"})

    def _run_command(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            vm = self._vm(m)
            if vm is None:
                return self._not_found(m)
            if vm.power != "running":
                return arm_error(409, "OperationNotAllowed", f"Operation 'RunCommand' is not allowed on VM "
                                                             f"'{vm.name}' since the VM is {vm.power}.")
            if any(op.kind == "runCommand" and op.vm is vm and op.polls_left != 0 for op in self.operations.values()):
                return arm_error(409, "Conflict", "Run command extension execution is in progress. Please wait "
                                                  "for completion before invoking a run command.")
            vm.run_commands.append(req.json)
            plan = vm.sysprep
            if plan.polls_to_stop is not None:
                vm._stop_countdown = plan.polls_to_stop
            result = {"value": plan.statuses if plan.statuses is not None else [
                {"code": "ComponentStatus/StdOut/succeeded", "level": "Info",
                 "displayStatus": "Provisioning succeeded", "message": plan.stdout},
                {"code": "ComponentStatus/StdErr/succeeded", "level": "Info",
                 "displayStatus": "Provisioning succeeded", "message": plan.stderr}]}
            return self._accepted(req, m, _Operation(vm, "runCommand", plan.report_polls, result, plan.failed))

    def _deallocate(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            vm = self._vm(m)
            if vm is None:
                return self._not_found(m)
            vm.deallocated_from, vm.power = vm.power, "deallocating"
            return self._accepted(req, m, _Operation(vm, "deallocate", vm.deallocate_polls, None, vm.deallocate_error))

    def _generalize(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            vm = self._vm(m)
            if vm is None:
                return self._not_found(m)
            if vm.power not in ("stopped", "deallocated"):
                return arm_error(409, "OperationNotAllowed", f"Operation 'generalize' is not allowed on VM "
                                                             f"'{vm.name}' since the VM is {vm.power}.")
            vm.generalized = True
            return Reply(200)

    def _get_operation(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            op = self.operations.get(m["op"])
            if op is None:
                return arm_error(404, "OperationNotFound", m["op"])
            status = op.tick()
            if req.query.get("monitor") == "true":
                if status == "InProgress":
                    return Reply(202, None, {"Location": f"{self.fake.base_url}{req.path}?monitor=true&"
                                                         f"api-version={req.query['api-version']}"})
                return Reply(200, op.result) if status == "Succeeded" else Reply(200, {"error": op.error})
            body: dict = {"name": m["op"], "status": status, "startTime": "2026-01-01T10:00:00Z"}
            if status == "Succeeded" and op.result is not None:
                body["properties"] = {"output": op.result}
            if status == "Failed":
                body["error"] = op.error
            return Reply(200, body)


@pytest.fixture
def fake_compute(fake_arm: FakeArm) -> ComputeFake:
    return ComputeFake(fake_arm)
