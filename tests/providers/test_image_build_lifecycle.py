"""ImageBuild across a template's life (issue 8, items 3 and 5): deleting it cancels a run still in progress,
so that the template's own delete (next in Pulumi's order) is not refused; a template Azure marked Failed is
reported with the exact recovery, and so is a failed run. The recovery deletes the template before creating it
again (issue 21, item 9): `pulumi up --replace` creates first, and the template's name (its recipe's hash) is the
same, so Image Builder would answer 409 again."""

from __future__ import annotations

import re
import time

import pytest
from azure.mgmt.imagebuilder import ImageBuilderClient

from components.providers.arm import management_client
from components.providers.image_build import ImageBuildError, ImageBuildProvider
from tests.fakes.fake_arm import LOST_RESPONSE, SUBSCRIPTION, FakeArm, arm_error, rotate_token
from tests.fakes.fake_image_builder import ImageBuilderFake, RunPlan
from tests.providers.engine import create_error, within
from tests.providers.image_build_support import (CANCEL_PATH, OP_STATUS, OUTPUT, RG, TEMPLATE, TEMPLATE_PATH,
                                                 provider)

URN = ("urn:pulumi:dev::image-factory::image-factory:image_template:ImageTemplate$"
       "azure-native:virtualmachineimages:VirtualMachineImageTemplate::win2022-template")


def outputs(fake: FakeArm, **overrides) -> dict:
    """What the state holds for an ImageBuild created by the code before template_urn and cancel_timeout_minutes
    existed (delete runs with the stored outputs)."""
    return {"subscription_id": SUBSCRIPTION, "resource_group_name": RG, "template_name": TEMPLATE,
            "run_output_name": OUTPUT, "build_timeout_minutes": 0.05, "poll_interval_seconds": 0.02,
            "api_version": "2024-02-01", "arm_endpoint": fake.base_url,
            "artifact_id": "/subscriptions/s/.../versions/1.0.0", "version_name": "1.0.0", **overrides}


def test_delete_cancels_a_run_in_progress_so_the_template_can_be_deleted(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT)
    t.start_run(RunPlan(polls=None, cancel_polls=3))  # a trigger's run, or one a timed-out create left behind

    within(30, lambda: provider(fake).delete("id", outputs(fake)))

    assert t.run.state == "Canceled" and len(fake.requests("POST", CANCEL_PATH)) == 1
    assert not fake.requests("GET", OP_STATUS), "lastRunStatus says when the run has ended: no poller of the cancel"
    # The template's own delete, which azure-native sends next, now goes through.
    with management_client(ImageBuilderClient, subscription_id=SUBSCRIPTION, api_version="2024-02-01",
                           arm_endpoint=fake.base_url, credential_override=fake.credential, polling_interval=0.01,
                           **fake.client_kwargs) as client:
        client.virtual_machine_image_templates.begin_delete(RG, TEMPLATE).result()
    assert fake_image_builder.deleted == [TEMPLATE]


def test_delete_waits_for_a_cancel_already_under_way(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT)
    t.start_run(RunPlan(polls=None, cancel_polls=3))
    t.run.state = "Canceling"  # someone ran `az image builder cancel`
    within(30, lambda: provider(fake).delete("id", outputs(fake)))
    assert t.run.state == "Canceled" and not fake.requests("POST")


@pytest.mark.parametrize("state", ["Succeeded", "Failed", None])
def test_delete_without_a_run_in_progress_touches_nothing(fake, fake_image_builder: ImageBuilderFake, state):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT)
    if state:
        t.start_run(RunPlan(state, polls=0))
        t.observe()
    provider(fake).delete("id", outputs(fake))
    assert not fake.requests("POST") and [r.method for r in fake.log] == ["GET"]


def test_delete_of_a_template_already_gone_succeeds(fake, fake_image_builder: ImageBuilderFake):
    provider(fake).delete("id", outputs(fake))
    assert [r.method for r in fake.log] == ["GET"]


def test_cancel_that_does_not_finish_in_time_explains(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT)
    t.start_run(RunPlan(polls=None, cancel_polls=10_000))
    begun = time.monotonic()
    with pytest.raises(ImageBuildError) as info:
        within(30, lambda: provider(fake).delete("id", outputs(fake, cancel_timeout_minutes=0.01)))
    text = str(info.value)
    assert time.monotonic() - begun < 5
    for expected in ("still Canceling", "refuses to delete a template while a run is in progress",
                     "Last seen: runState Canceling", "packerlogs", f"az image builder cancel -g {RG} -n {TEMPLATE}"):
        assert expected in text, text


def test_template_in_failed_state_gets_the_replace_recovery(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT)
    t.provisioning_state = "Failed"
    t.provisioning_error = {"provisioningErrorCode": "Other", "message": "Authorization failed for the identity"}

    text = create_error(provider(fake), {**outputs(fake, template_urn=URN), "__provider": "x"}, ImageBuildError)

    assert (f"delete it first, `az image builder delete -g {RG} -n {TEMPLATE}`, then `pulumi up --refresh` (the "
            f"refresh finds '{URN}' gone, and the update creates it anew under the same name)") in text, text
    assert (f"(resource group '{RG}') is in provisioningState Failed: Other Authorization failed for the identity. "
            f"A template that failed at submission cannot be run or updated. Last seen: runState (none), runSubState "
            f"(none), template provisioningState Failed. Logs: ") in text, text
    assert not fake.requests("POST"), "a failed template is not run"


def test_failed_run_gives_the_exact_recovery_not_run_it_again(fake, fake_image_builder: ImageBuilderFake):
    fake_image_builder.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("Failed", 2, "Customizing", "exit 1603"))
    text = create_error(provider(fake), {**outputs(fake, template_urn=URN), "__provider": "x"}, ImageBuildError)
    assert f"az image builder delete -g {RG} -n {TEMPLATE}`, then `pulumi up --refresh`" in text
    assert "Update/Upgrade of image templates" in text and "fix it in the stack file" in text


def test_without_the_urn_the_advice_still_deletes_by_name(fake, fake_image_builder: ImageBuilderFake):
    fake_image_builder.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("Failed", 1))
    text = create_error(provider(fake), {**outputs(fake), "__provider": "x"}, ImageBuildError)
    assert (f"`az image builder delete -g {RG} -n {TEMPLATE}`, then `pulumi up --refresh` (the refresh finds the "
            f"template gone") in text


@pytest.mark.parametrize("urn", [URN, ""])
def test_the_recovery_deletes_before_it_creates(fake, fake_image_builder: ImageBuilderFake, urn):
    # `pulumi up --replace` creates the replacement first: same name (the recipe's hash), so Image Builder
    # answers 409 again. The advice must delete the template, then create it.
    fake_image_builder.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("Failed", 1))
    text = create_error(provider(fake), {**outputs(fake, template_urn=urn), "__provider": "x"}, ImageBuildError)
    [advice] = [line for line in text.splitlines() if line.startswith("  - template broken")]
    assert advice.index("az image builder delete") < advice.index("pulumi up --refresh")
    assert advice.count("--replace") == 1 and "Not `pulumi up --replace`: it creates before it deletes" in advice


def test_urn_and_cancel_timeout_are_tuning_not_a_rebuild(fake):
    p = ImageBuildProvider()
    olds = {**p.check({}, {**outputs(fake), "__provider": "x"}).inputs, "artifact_id": "a"}
    result = p.diff("id", olds, {**outputs(fake, template_urn=URN, cancel_timeout_minutes=60), "__provider": "y"})
    assert result.changes and result.replaces == []


def test_a_failed_template_without_a_provisioning_error_says_so_line_by_line(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT)
    t.provisioning_state = "Failed"  # and no provisioningError: the field is optional
    text = create_error(provider(fake), {**outputs(fake, template_urn=URN), "__provider": "x"}, ImageBuildError)
    first, *rest = text.splitlines()
    assert first == (f"Image Builder template '{TEMPLATE}' (resource group '{RG}') is in provisioningState Failed: "
                     f"(no provisioningError given). A template that failed at submission cannot be run or updated. "
                     f"Last seen: runState (none), runSubState (none), template provisioningState Failed. Logs: "
                     f"customization.log in container 'packerlogs' of the storage account in staging resource group "
                     f"'{t.staging_resource_group}'.")
    assert rest[0] == "  Next:" and rest[-1].endswith(
        f"gone, and the update creates it anew under the same name). Not `pulumi up --replace`: it creates before it "
        f"deletes, and the same name gets the same 409.")


# -- the cancel's retries, and what delete says when it cannot stop a run (issue 14) -----------------

def running(aib: ImageBuilderFake, cancel_polls: int = 3):
    t = aib.add_template(TEMPLATE, RG, OUTPUT)
    t.start_run(RunPlan(polls=None, cancel_polls=cancel_polls))
    return t


@pytest.mark.parametrize("refusal", [
    arm_error(503, "ServiceUnavailable", "ARM is having a day"),
    # With Retry-After, azure-core decrements retry_total even though 0 retries nothing: None would fail there
    arm_error(429, "TooManyRequests", "slow down", {"Retry-After": "1"}),
])
def test_a_refused_cancel_is_sent_again_once_the_run_shows_it_did_not_stop(fake, aib, refusal):
    t = running(aib)
    # More 503s than azure-core retries a GET on its own: the first read goes through our policy too.
    fake.inject("GET", TEMPLATE_PATH, *[arm_error(503, "ServiceUnavailable", "down")] * 12)
    fake.inject("POST", CANCEL_PATH, refusal)

    within(30, lambda: provider(fake).delete("id", outputs(fake, cancel_timeout_minutes=0.1)))

    first, second = fake.requests("POST", CANCEL_PATH)
    assert [r for r in fake.requests("GET", TEMPLATE_PATH + "$") if first.at < r.at < second.at], \
        "lastRunStatus is read before the cancel is sent again: azure-core alone would re-POST blind"
    assert t.run.state == "Canceled"


def test_a_cancel_whose_answer_was_lost_is_not_sent_again(fake, aib):
    t = running(aib)
    fake.inject("POST", CANCEL_PATH, LOST_RESPONSE)  # Image Builder took it; its answer never arrived
    within(30, lambda: provider(fake).delete("id", outputs(fake, cancel_timeout_minutes=0.05)))
    assert len(fake.requests("POST", CANCEL_PATH)) == 1 and t.run.state == "Canceled"


def test_a_401_on_the_cancel_renews_the_session(fake, aib):
    t = running(aib)
    fake.inject("POST", CANCEL_PATH, rotate_token(fake))  # the token is revoked just as the cancel is sent
    within(30, lambda: provider(fake).delete("id", outputs(fake, cancel_timeout_minutes=0.05)))
    refused, sent = fake.requests("POST", CANCEL_PATH)
    assert sent.headers["authorization"] == "Bearer rotated-token" and t.run.state == "Canceled"


def test_a_cancel_is_waited_for_to_the_end_of_a_short_timeout(fake, aib):
    t = running(aib)
    within(30, lambda: provider(fake).delete("id", outputs(fake, cancel_timeout_minutes=0.015)))  # 0.9 s
    assert t.run.state == "Canceled"


def test_a_cancel_refused_for_good_says_what_was_tried_and_what_to_do(fake, aib):
    t = running(aib)
    fake.inject("POST", CANCEL_PATH, *[arm_error(503, "ServiceUnavailable", "ARM is having a day")] * 10)
    with pytest.raises(ImageBuildError) as info:
        within(30, lambda: provider(fake).delete("id", outputs(fake)))
    # Two reads, then one after each refused POST but the last: the fake's run is Distributing by then.
    pattern = (rf"ImageBuild delete could not stop the run of template '{TEMPLATE}' \(resource group '{RG}'\): "
               rf"ArmCallFailed: POST imageTemplates/{TEMPLATE}/cancel: gave up after 4 attempts over \d+\.\ds; last "
               rf"error: HTTP 503 ServiceUnavailable: ARM is having a day\. Last seen: runState Running, runSubState "
               rf"Distributing\. "
               rf"Logs: customization\.log in container 'packerlogs' of the storage account in staging resource group "
               rf"'{t.staging_resource_group}'\. The build may still be running in Azure: check with `az image builder "
               rf"show -g {RG} -n {TEMPLATE} --query lastRunStatus`")
    assert re.match(pattern, str(info.value)), str(info.value)
    assert len(fake.requests("POST", CANCEL_PATH)) == 4 and t.run.state == "Running"
