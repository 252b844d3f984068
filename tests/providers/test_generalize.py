"""Generalize's provider against the fake ARM server's Compute routes, through the real
azure-mgmt-compute client, so azure-core's polling, retry and auth code runs. Timing bounds are loose
sanity ceilings."""

from __future__ import annotations

import re

import pytest

from components.providers import generalize
from components.providers.arm import lro_polling as arm_lro_polling
from components.providers.generalize import GeneralizeProvider
from tests.fakes.fake_arm import LOST_RESPONSE, SUBSCRIPTION, Reply, arm_error
from tests.fakes.fake_compute import ComputeFake, SysprepPlan
from tests.providers.engine import create
from tests.providers.generalize_support import RG, VM, VM_PATH, inputs, provider, stored_outputs, vm_calls


def test_happy_path_sysprep_stop_deallocate_generalize(fake, compute):
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=4, report_polls=1), deallocate_polls=2)

    result = create(provider(fake), inputs(fake))

    assert vm.generalized and vm.power == "deallocated"
    assert vm_calls(fake) == ["GET /", "GET /instanceView", "POST /runCommand", "GET /instanceView",
                              "POST /deallocate", "GET /instanceView", "POST /generalize", "GET /instanceView"]
    # Every request, operation polls included, used the version we test against, not the SDK's 2026-04-01.
    assert {r.query.get("api-version") for r in fake.log} == {"2024-11-01"}
    # ARM deallocates a running VM without complaint, which would cut sysprep off halfway: the deallocate
    # must wait for sysprep's own shutdown.
    assert vm.deallocated_from == "stopped"
    body = vm.run_commands[0]
    script = "\n".join(body["script"])
    assert body["commandId"] == "RunPowerShellScript"
    assert r"C:\Windows\System32\Sysprep\sysprep.exe" in script
    assert "-ArgumentList '/generalize /oobe /shutdown /quiet'" in script
    assert "Start-Process" in script, "sysprep must run detached so the Run Command can return"
    assert result.id == result.outs["vm_id"] == vm.arm_id
    assert result.outs["generalized_at"].endswith("+00:00")
    assert {k: result.outs[k] for k in ("subscription_id", "resource_group_name", "vm_name", "arm_endpoint")} == {
        "subscription_id": SUBSCRIPTION, "resource_group_name": RG, "vm_name": VM, "arm_endpoint": fake.base_url}
    assert fake.credential.scopes[0] == (f"{fake.base_url}/.default",)


def test_sysprep_follows_microsofts_generalize_steps(fake, compute):
    # "Create a managed image of a generalized VM in Azure": delete C:\Windows\Panther, then sysprep.
    # Image Builder's deprovisioning also removes a leftover unattend.xml, and a pending restart (from
    # updates) is reported before sysprep would fail on it.
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=2, report_polls=1))
    create(provider(fake), inputs(fake))
    lines = vm.run_commands[0]["script"]

    def at(fragment: str) -> int:
        [index] = [i for i, line in enumerate(lines) if fragment in line]
        return index

    pending = at("RebootPending")
    assert "WindowsUpdate\\Auto Update\\RebootRequired" in lines[pending] and "exit 1" in lines[pending + 1]
    panther = at(r"Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $Env:SystemRoot\Panther")
    unattend = at(r"Sysprep\unattend.xml")
    assert pending < panther < at("Start-Process") and unattend < at("Start-Process")


def test_sysprep_runs_with_azures_switches_and_not_in_vm_mode(fake, compute):
    # "Remove machine specific information by generalizing a VM before creating an image"
    # (https://learn.microsoft.com/azure/virtual-machines/generalize): OOBE, Generalize, Shutdown, no /mode:vm,
    # which keeps the hardware profile of the VM it ran on (a fleet VM of another size would boot with the
    # reference VM's devices), and no /unattend (custom answer files are not supported there).
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=2, report_polls=1))
    create(provider(fake), inputs(fake))
    [start] = [line for line in vm.run_commands[0]["script"] if "Start-Process" in line]
    [switches] = re.findall(r"-ArgumentList '([^']*)'", start)
    assert sorted(switches.split()) == ["/generalize", "/oobe", "/quiet", "/shutdown"]
    assert "/mode:vm" not in "\n".join(vm.run_commands[0]["script"]).lower()


def test_lost_run_command_answer_adopts_the_running_sysprep(fake, compute):
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=4, report_polls=None))
    fake.inject("POST", VM_PATH + "/runCommand", LOST_RESPONSE)  # sysprep starts, the answer never arrives

    create(provider(fake), inputs(fake))

    assert len(fake.requests("POST", "/runCommand$")) == 2, "sysprep still running: the VM was up, so it asked again"
    assert vm.generalized and len(vm.run_commands) == 1, "the retry's 409 Conflict was taken as 'already running'"


def test_already_generalized_vm_is_left_alone(fake, compute):
    vm = compute.add_vm(VM, RG, power="deallocated", generalized=True)
    result = create(provider(fake), inputs(fake))
    assert not fake.requests("POST") and result.outs["vm_id"] == vm.arm_id


@pytest.mark.parametrize("power, posts", [("stopped", ["/deallocate", "/generalize"]), ("deallocated", ["/generalize"])])
def test_shut_down_vm_skips_sysprep(fake, compute, power, posts):
    # The retry of a create that sysprepped the VM and then failed later.
    vm = compute.add_vm(VM, RG, power=power)
    create(provider(fake), inputs(fake))
    assert [r.path.removeprefix(VM_PATH) for r in fake.requests("POST", VM_PATH)] == posts and vm.generalized




def test_diff_ignores_provider_defaults_and_absent_vm_id(fake):
    result = GeneralizeProvider().diff(VM_PATH, stored_outputs(fake), inputs(fake, __provider="new-pickle"))
    assert result.changes is False and result.replaces == []
    same_id_other_case = inputs(fake, vm_id=VM_PATH.replace("resourceGroups", "resourcegroups"))
    assert GeneralizeProvider().diff(VM_PATH, stored_outputs(fake), same_id_other_case).changes is False


# -- what the Run Command's report says, and what it cannot say (issue 14) -----------------------------

def test_a_run_command_whose_status_cannot_be_read_is_judged_by_the_vms_power_state(fake, compute):
    # ARM answers the Run Command's status polls 503 while sysprep runs, past azure-core's retries: the poller
    # gives up, not the Run Command. Sysprep is running all the same, and the VM's shutdown says so.
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=40, report_polls=5))

    def unavailable_while_running(_req, _m):
        return arm_error(503, "ServiceUnavailable", "down") if vm.power == "running" else None

    fake.inject("GET", ComputeFake.OPERATION_PATH, *[unavailable_while_running] * 1000)
    create(provider(fake), inputs(fake, timeout_minutes=0.3))
    assert vm.generalized and len(vm.run_commands) == 1


def test_a_run_command_with_an_empty_result_goes_on(fake, compute):
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=30, report_polls=1))
    fake.inject("GET", ComputeFake.OPERATION_PATH, None, Reply(200, None))  # the status, then an empty result
    create(provider(fake), inputs(fake, timeout_minutes=0.3))
    assert vm.generalized


def test_a_deallocation_whose_status_cannot_be_read_is_judged_by_the_vms_power_state(fake, compute):
    # The poller gives up on a 503 well before the VM, still deallocating, shows deallocated.
    vm = compute.add_vm(VM, RG, power="stopped", deallocate_polls=40)
    fake.inject("GET", ComputeFake.OPERATION_PATH, *[arm_error(503, "ServiceUnavailable", "down")] * 30)
    create(provider(fake), inputs(fake, timeout_minutes=0.3))
    assert vm.generalized and vm.power == "deallocated"


def test_vm_id_in_another_case_is_the_same_vm(fake, compute):
    # ARM IDs are case-insensitive: the program may pass vm.id as Azure spelled it at creation.
    vm = compute.add_vm(VM, RG, power="deallocated")
    create(provider(fake), inputs(fake, vm_id=VM_PATH.upper().replace("/VIRTUALMACHINES/", "/virtualMachines/")))
    assert vm.generalized


def test_both_operations_are_polled_at_the_providers_interval_and_endpoint(fake, compute, monkeypatch):
    # A poller's interval is not observable through a run that ends anyway (the loop reads the power state):
    # what each begin_* call gets is checked here instead.
    made = []
    monkeypatch.setattr(generalize, "lro_polling", lambda *args: made.append(args) or arm_lro_polling(*args))
    compute.add_vm(VM, RG)
    create(provider(fake), inputs(fake, poll_interval_seconds=0.03))
    assert made == [(0.03, fake.base_url), (0.03, fake.base_url)]  # runCommand, deallocate
