"""Generalize's provider against the fake ARM server's Compute routes: how it fails (errors, timeouts,
refusals), and what it says then. The scenarios that succeed are in test_generalize.py."""

from __future__ import annotations

import time

import pytest

from components.providers.sysprep import PANTHER
from tests.fakes.fake_arm import LOST_RESPONSE, RESET, Reply, arm_error
from tests.fakes.fake_compute import ComputeFake, SysprepPlan
from tests.providers.engine import create, within
from tests.providers.generalize_support import RG, VM, VM_PATH, error_of, inputs, provider


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


def test_a_throttled_run_command_post_is_sent_again_by_us_not_by_azure_core(fake, compute):
    # The POST goes out with retry_total=0, which azure-core counts down even on a 429 with Retry-After:
    # a number, not None (None - 1 would end the provider in a TypeError instead of a retry).
    vm = compute.add_vm(VM, RG)
    fake.inject("POST", VM_PATH + "/runCommand", arm_error(429, "TooManyRequests", "slow down", {"Retry-After": "0"}))
    create(provider(fake), inputs(fake))
    assert vm.generalized and len(vm.run_commands) == 1 and len(fake.requests("POST", "/runCommand$")) == 2


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


# -- a lost answer, then a failing sysprep (issue 21, item 16) ---------------------------------------

STDERR = "sysprep exited with code 1\nSYSPRP Package Microsoft.Copilot was installed for a user, but not provisioned"


def test_a_lost_run_command_answer_still_reports_sysprep_s_own_error(fake, compute):
    # The POST's answer is lost; the VM is still up, so the POST is sent again and gets 409 (the first Run Command
    # is executing); that Run Command then fails. Its output is on the VM's instance view (the RunCommandWindows
    # extension): sysprep's own words must reach the message, not a timeout that guesses.
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, report_polls=3, stdout="", stderr=STDERR))
    fake.inject("POST", VM_PATH + "/runCommand", LOST_RESPONSE)

    text = within(30, lambda: error_of(provider(fake), inputs(fake, timeout_minutes=0.05)))

    assert len(vm.run_commands) == 1 and len(fake.requests("POST", "/runCommand$")) == 2
    assert "timed out" not in text, text
    assert "step 'start sysprep (Run Command)' failed" in text and "reported an error" in text
    assert "stderr: sysprep exited with code 1" in text and "installed for a user, but not provisioned" in text
    assert not fake.requests("POST", "/deallocate$") and not vm.generalized


def test_an_earlier_run_command_s_failure_is_not_taken_for_this_one(fake, compute):
    # A failed sysprep from an earlier `pulumi up` is still on the instance view when the user has fixed the cause:
    # only a report that changed since our POST counts, so this run goes on to generalize.
    vm = compute.add_vm(VM, RG, sysprep=SysprepPlan(polls_to_stop=None, report_polls=1, stdout="", stderr=STDERR))
    error_of(provider(fake), inputs(fake))
    vm.sysprep = SysprepPlan(polls_to_stop=4, report_polls=None)  # the fixed VM: sysprep shuts it down
    fake.inject("POST", VM_PATH + "/runCommand", LOST_RESPONSE)

    create(provider(fake), inputs(fake))

    assert vm.generalized
