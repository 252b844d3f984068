"""Generalize's provider against the fake ARM server's Compute routes, through the real
azure-mgmt-compute client, so azure-core's polling, retry and auth code runs. Timing bounds are loose
sanity ceilings."""

from __future__ import annotations

import itertools
import time

import pytest

from components.providers.generalize import GeneralizeError, GeneralizeProvider
from tests.fakes.fake_arm import LOST_RESPONSE, RESET, SUBSCRIPTION, FakeArm, Reply, arm_error
from tests.fakes.fake_compute import ComputeFake, SysprepPlan
from components.providers.sysprep import PANTHER
from tests.providers.engine import create, create_error, within

RG, VM = "rg-capture", "vm-ref-capture"
VM_PATH = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/{VM}"


def provider(fake: FakeArm) -> GeneralizeProvider:
    return GeneralizeProvider(**fake.provider_kwargs())


def inputs(fake: FakeArm, **overrides) -> dict:
    return {"subscription_id": SUBSCRIPTION, "resource_group_name": RG, "vm_name": VM, "vm_id": None,
            "timeout_minutes": 0.1, "poll_interval_seconds": 0.02, "arm_endpoint": fake.base_url,
            "generalized_at": None, "__provider": "serialized", **overrides}


def error_of(p: GeneralizeProvider, props: dict) -> str:
    return create_error(p, props, GeneralizeError)


def vm_calls(fake: FakeArm) -> list[str]:
    """The VM requests in order, repeats collapsed, operation polls left out: the step sequence."""
    calls = [f"{r.method} {r.path.removeprefix(VM_PATH) or '/'}" for r in fake.log if r.path.startswith(VM_PATH)]
    return [call for call, _ in itertools.groupby(calls)]


@pytest.fixture
def compute(fake_compute: ComputeFake) -> ComputeFake:
    return fake_compute


# -- scenarios against Azure ------------------------------------------------------------------------

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
    assert "'/generalize /oobe /shutdown /mode:vm" in script
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


def test_run_command_that_never_reports_is_fine_once_the_vm_stops(fake, compute):
    # sysprep shut the VM down before the Run Command extension could report: the expected race.
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=3, report_polls=None))
    within(30, lambda: create(provider(fake), inputs(fake)))  # the power state is looked at, not only the report
    assert vm.generalized and len(fake.requests("POST", "/runCommand$")) == 1


def test_vm_that_never_stops_times_out_with_the_panther_hint(fake, compute):
    compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None))
    begun = time.monotonic()

    text = error_of(provider(fake), inputs(fake, timeout_minutes=0.01))  # 0.6 s

    assert 0.5 <= time.monotonic() - begun < 15
    for expected in ("step 'wait for sysprep to shut the VM down' timed out", f"VM {VM} (resource group {RG})",
                     "still 'PowerState/running' after", "timeout_minutes=0.01", "sysprep may have failed",
                     r"C:\Windows\System32\Sysprep\Panther\setupact.log", "`pulumi up` again"):
        assert expected in text, text
    assert not fake.requests("POST", "/deallocate$") and not fake.requests("POST", "/generalize$")


def test_silent_run_command_on_a_running_vm_times_out_naming_the_agent(fake, compute):
    compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, report_polls=None))
    text = within(30, lambda: error_of(provider(fake), inputs(fake, timeout_minutes=0.01)))
    assert "step 'start sysprep (Run Command)' timed out" in text and "still 'PowerState/running'" in text
    assert "VM agent may be unhealthy" in text and f"az vm get-instance-view -g {RG} -n {VM}" in text
    assert not fake.requests("POST", "/deallocate$")


def test_failing_sysprep_reports_the_output_and_stops(fake, compute):
    stderr = "sysprep exited with code 1\nSYSPRP Package Microsoft.Copilot was installed for a user, but not provisioned"
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, stdout="", stderr=stderr))

    text = error_of(provider(fake), inputs(fake))

    assert "step 'start sysprep (Run Command)' failed" in text and f"VM {VM}" in text
    assert "stderr: sysprep exited with code 1" in text and "installed for a user, but not provisioned" in text
    assert "neither deallocated nor generalized" in text and r"Sysprep\Panther" in text
    assert not fake.requests("POST", "/deallocate$") and not fake.requests("POST", "/generalize$")
    assert not vm.generalized


def test_failed_run_command_operation_is_reported(fake, compute):
    failed = {"code": "VMAgentStatusCommunicationError", "message": "VM 'vm-ref-capture' has not reported status for VM agent"}
    compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, failed=failed))
    text = error_of(provider(fake), inputs(fake))
    assert "step 'start sysprep (Run Command)' failed" in text and "VMAgentStatusCommunicationError" in text
    assert "operation failed: VMAgentStatusCommunicationError: VM 'vm-ref-capture'" in text
    assert "HTTP 200" not in text  # the 200 answered the last status poll, not the failed operation
    assert "and the VM is still 'PowerState/running', so sysprep did not run" in text, text
    assert not fake.requests("POST", "/deallocate$")


def test_trusted_launch_vm_is_refused_before_sysprep(fake, compute):
    compute.add_vm(VM, RG, security_type="TrustedLaunch")
    text = error_of(provider(fake), inputs(fake))
    assert "securityType is 'TrustedLaunch'" in text and "cannot capture a managed image" in text
    assert "securityType 'Standard'" in text
    assert not fake.requests("POST")


def test_transient_errors_are_retried(fake, compute):
    vm = compute.add_vm(VM, RG)
    boom = arm_error(500, "InternalServerError", "try again")
    fake.inject("POST", VM_PATH + "/runCommand", boom, RESET)  # retried by us, after checking the VM is still up
    fake.inject("GET", VM_PATH + "/instanceView", boom, arm_error(503, "ServerBusy", "later"))
    fake.inject("POST", VM_PATH + "/deallocate", arm_error(502, "BadGateway", "lb"))  # azure-core won't retry a POST 502
    fake.inject("POST", VM_PATH + "/generalize", arm_error(429, "TooManyRequests", "slow down", {"Retry-After": "1"}))

    create(provider(fake), inputs(fake))

    assert vm.generalized and len(vm.run_commands) == 1
    assert len(fake.requests("POST", "/runCommand$")) == 3
    assert len(fake.requests("POST", "/deallocate$")) == 2
    first, second = fake.requests("POST", "/generalize$")
    assert second.at - first.at >= 0.9, "Retry-After: 1 was honoured"


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


@pytest.mark.parametrize("overrides, expected", [
    ({"api_version": "2026-04-01"}, "HTTP 400 NoRegisteredProviderFound"),
    ({"vm_name": "vm-missing"}, "HTTP 404 ResourceNotFound"),
])
def test_arm_errors_name_the_step_and_vm(fake, compute, overrides, expected):
    compute.add_vm(VM, RG)
    text = error_of(provider(fake), inputs(fake, **overrides))
    assert "step 'look up the VM' failed for VM" in text and expected in text


def test_vm_id_that_does_not_match_fails(fake, compute):
    compute.add_vm(VM, RG)
    wrong = VM_PATH.replace(RG, "rg-other")
    text = error_of(provider(fake), inputs(fake, vm_id=wrong))
    assert f"vm_id {wrong} does not match" in text and not fake.requests("POST")


# -- the Pulumi contract ----------------------------------------------------------------------------

def stored_outputs(fake: FakeArm) -> dict:
    return {**GeneralizeProvider().check({}, inputs(fake)).inputs, "__provider": "old-pickle",
            "vm_id": VM_PATH, "generalized_at": "2026-01-01T10:00:00+00:00"}


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


def test_failing_sysprep_shows_its_stdout_and_stderr_apart(fake, compute):
    compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, stdout="sysprep started (pid 4242)",
                                               stderr="sysprep exited with code 1"))
    text = error_of(provider(fake), inputs(fake))
    assert ("  status: ComponentStatus/StdOut/succeeded, ComponentStatus/StdErr/succeeded\n"
            "  stdout: sysprep started (pid 4242)\n  stderr: sysprep exited with code 1\n") in text, text


def test_the_whole_run_command_failure_message(fake, compute):
    compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, stdout="", stderr="sysprep exited with code 1"))
    text = error_of(provider(fake), inputs(fake))
    assert text == (
        f"Generalize step 'start sysprep (Run Command)' failed for VM {VM} (resource group {RG}): the Run Command "
        f"reported an error, so the VM was neither deallocated nor generalized.\n"
        f"  status: ComponentStatus/StdOut/succeeded, ComponentStatus/StdErr/succeeded\n"
        f"  stdout: (empty)\n  stderr: sysprep exited with code 1\n"
        f"Sysprep's logs are in {PANTHER} on the VM. Fix the cause and run `pulumi up` again.")


@pytest.mark.parametrize("status, shown", [
    ({"code": "ComponentStatus/StdOut/Failed", "level": "Info", "message": "no sysprep"},  # the code says failed
     "ComponentStatus/StdOut/Failed"),
    ({"code": "ComponentStatus/StdOut/succeeded", "level": "Error", "message": "no sysprep"},  # the level does
     "ComponentStatus/StdOut/succeeded"),
    ({"level": "Error", "message": "no sysprep"}, "?"),  # InstanceViewStatus.code is optional
])
def test_a_run_command_status_that_reports_failure_stops_before_deallocating(fake, compute, status, shown):
    compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, statuses=[status]))
    text = error_of(provider(fake), inputs(fake))
    assert f"the Run Command reported an error, so the VM was neither deallocated nor generalized.\n  status: {shown}\n" \
           f"  stdout: no sysprep\n  stderr: (empty)\n" in text, text
    assert not fake.requests("POST", "/deallocate$")


@pytest.mark.parametrize("first_poll", [None, arm_error(503, "ServiceUnavailable", "down")])
def test_a_failed_deallocation_is_reported_not_waited_out(fake, compute, first_poll):
    # A 503 on a status poll is retried by azure-core (the poller keeps the client's retries).
    failed = {"code": "AllocationFailed", "message": "The VM could not be deallocated."}
    vm = compute.add_vm(VM, RG, power="stopped", deallocate_error=failed)
    fake.inject("GET", ComputeFake.OPERATION_PATH, first_poll)
    text = error_of(provider(fake), inputs(fake))
    assert text.startswith(f"Generalize step 'deallocate' failed for VM {VM} (resource group {RG}): operation failed: "
                           f"AllocationFailed: The VM could not be deallocated."), text
    assert "timed out" not in text and not vm.generalized


def test_a_deallocation_whose_status_cannot_be_read_is_judged_by_the_vms_power_state(fake, compute):
    # The poller gives up on a 503 well before the VM, still deallocating, shows deallocated.
    vm = compute.add_vm(VM, RG, power="stopped", deallocate_polls=40)
    fake.inject("GET", ComputeFake.OPERATION_PATH, *[arm_error(503, "ServiceUnavailable", "down")] * 30)
    create(provider(fake), inputs(fake, timeout_minutes=0.3))
    assert vm.generalized and vm.power == "deallocated"


def test_a_run_command_that_took_effect_but_answered_500_is_not_sent_again_once_the_vm_goes_down(fake, compute):
    # retry_total=0: azure-core would re-POST a 500 at once; ours looks at the VM first, and sysprep's
    # shutdown says the first POST took effect.
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=1, report_polls=None))

    def applied_then_500(req, m):
        compute._run_command(req, m)
        return arm_error(500, "InternalServerError", "... and then failed to answer")

    fake.inject("POST", VM_PATH + "/runCommand", applied_then_500)
    create(provider(fake), inputs(fake))
    assert len(fake.requests("POST", "/runCommand$")) == 1 and vm.generalized


def test_a_run_command_post_refused_until_the_deadline_says_what_was_sent(fake, compute):
    compute.add_vm(VM, RG)
    fake.inject("POST", VM_PATH + "/runCommand", *[arm_error(503, "ServiceUnavailable", "down")] * 10_000)
    text = error_of(provider(fake), inputs(fake, timeout_minutes=0.005))
    assert (f"Generalize step 'start sysprep (Run Command)' failed for VM {VM} (resource group {RG}): ArmCallFailed: "
            f"POST virtualMachines/{VM}/runCommand: still failing when the wait's deadline came") in text, text


def test_failing_sysprep_is_reported_even_when_a_status_poll_fails_once(fake, compute):
    # The POST goes with retry_total=0; its status polls keep azure-core's retries, or one 503 would hide
    # the Run Command's output behind a timeout.
    compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, stderr="sysprep exited with code 1"))
    fake.inject("GET", ComputeFake.OPERATION_PATH, arm_error(503, "ServiceUnavailable", "down"))
    text = error_of(provider(fake), inputs(fake))
    assert "the Run Command reported an error" in text and "stderr: sysprep exited with code 1" in text, text


def test_a_vm_that_shows_no_power_state_times_out_saying_so(fake, compute):
    compute.add_vm(VM, RG, power=None)
    text = error_of(provider(fake), inputs(fake, timeout_minutes=0.005))
    assert f"timed out: VM {VM} (resource group {RG}) still 'no power state' after" in text, text


@pytest.mark.parametrize("power, seen", [("running", "PowerState/running"), (None, "no power state")])
def test_a_refused_step_says_the_power_state_seen_last(fake, compute, power, seen):
    compute.add_vm(VM, RG, power=power)
    fake.inject("POST", VM_PATH + "/runCommand", arm_error(403, "AuthorizationFailed", "no runCommand/action"))
    text = error_of(provider(fake), inputs(fake))
    assert f"HTTP 403 AuthorizationFailed: no runCommand/action. Last seen: {seen}; sysprep's logs are in " in text, text


@pytest.mark.parametrize("path, what", [("", f"GET virtualMachines/{VM}"),
                                        ("/instanceView", f"GET virtualMachines/{VM}/instanceView")])
def test_a_read_failing_until_the_deadline_says_what_was_read(fake, compute, path, what):
    compute.add_vm(VM, RG)
    fake.inject("GET", VM_PATH + path, *[arm_error(503, "ServiceUnavailable", "down")] * 10_000)
    text = error_of(provider(fake), inputs(fake, timeout_minutes=0.005))
    assert f"ArmCallFailed: {what}: still failing when the wait's deadline came" in text, text


def test_vm_id_in_another_case_is_the_same_vm(fake, compute):
    # ARM IDs are case-insensitive: the program may pass vm.id as Azure spelled it at creation.
    vm = compute.add_vm(VM, RG, power="deallocated")
    create(provider(fake), inputs(fake, vm_id=VM_PATH.upper().replace("/VIRTUALMACHINES/", "/virtualMachines/")))
    assert vm.generalized


def test_a_wait_with_a_long_poll_interval_ends_at_its_deadline_and_says_how_long_it_took(fake, compute):
    import re
    compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None))
    text = error_of(provider(fake), inputs(fake, timeout_minutes=0.01, poll_interval_seconds=10))
    waited = re.search(r"still 'PowerState/running' after (\d+\.\d)s \(timeout_minutes=0\.01\)", text)
    assert waited and 0.5 <= float(waited[1]) < 5, text  # 0.6 s; a sleep of the whole interval would be 10 s


def test_a_vm_already_deallocating_is_not_sent_another_deallocate(fake, compute):
    # The retry of a create interrupted after its deallocate POST.
    vm = compute.add_vm(VM, RG, power="deallocating")
    fake.inject("GET", VM_PATH + "/instanceView", None, None, lambda _r, _m: setattr(vm, "power", "deallocated"))
    create(provider(fake), inputs(fake))
    assert [r.path.removeprefix(VM_PATH) for r in fake.requests("POST", VM_PATH)] == ["/generalize"] and vm.generalized


def test_a_deallocation_that_does_not_end_in_time_says_what_to_check(fake, compute):
    compute.add_vm(VM, RG, power="stopped", deallocate_polls=10_000)
    text = error_of(provider(fake), inputs(fake, timeout_minutes=0.005))
    assert text.startswith(f"Generalize step 'deallocate' timed out: VM {VM} (resource group {RG}) still "
                           f"'PowerState/deallocating' after "), text
    assert text.endswith(f"(timeout_minutes=0.005): check `az vm get-instance-view -g {RG} -n {VM}` and the activity "
                         f"log, then run `pulumi up` again (sysprep is not repeated).")


def test_a_deallocate_post_refused_until_the_deadline_says_what_was_sent(fake, compute):
    compute.add_vm(VM, RG, power="stopped")
    fake.inject("POST", VM_PATH + "/deallocate", *[arm_error(503, "ServiceUnavailable", "down")] * 10_000)
    text = error_of(provider(fake), inputs(fake, timeout_minutes=0.005))
    assert f"ArmCallFailed: POST virtualMachines/{VM}/deallocate: still failing when the wait's deadline came" in text


def test_a_vm_that_does_not_show_generalized_after_the_call_fails(fake, compute):
    compute.add_vm(VM, RG, power="deallocated")
    fake.inject("POST", VM_PATH + "/generalize", Reply(200))  # answered, but the VM did not change

    def specialized(_req, _m):
        if fake.requests("POST", "/generalize$"):
            return Reply(200, {"statuses": [{"code": "OSState/specialized", "level": "Info"},
                                            {"code": "PowerState/deallocated", "level": "Info"}]})
        return None

    fake.inject("GET", VM_PATH + "/instanceView", *[specialized] * 10)
    text = error_of(provider(fake), inputs(fake))
    assert text == f"Generalize: VM {VM} (resource group {RG}) answered the generalize call but shows OSState/specialized."


def test_a_refused_generalize_names_the_step(fake, compute):
    compute.add_vm(VM, RG, power="deallocated")
    fake.inject("POST", VM_PATH + "/generalize", *[arm_error(503, "ServiceUnavailable", "down")] * 10_000)
    text = error_of(provider(fake), inputs(fake, timeout_minutes=0.005))
    assert text.startswith(f"Generalize step 'mark generalized' failed for VM {VM} (resource group {RG}): ArmCallFailed: "
                           f"POST virtualMachines/{VM}/generalize: still failing when the wait's deadline came"), text


def test_a_failed_status_without_a_message_shows_empty_output(fake, compute):
    compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, statuses=[
        {"code": "ComponentStatus/StdOut/failed", "level": "Info"}]))  # InstanceViewStatus.message is optional
    text = error_of(provider(fake), inputs(fake))
    assert "  status: ComponentStatus/StdOut/failed\n  stdout: (empty)\n  stderr: (empty)\n" in text, text
