"""ImageBuild's provider against a fake ARM server, through the real azure-mgmt-imagebuilder client, so
azure-core's own polling, retry and auth code runs. Timing bounds are loose sanity ceilings."""

from __future__ import annotations

import time

import pytest
from azure.core.exceptions import ClientAuthenticationError

from components.providers import image_build
from components.providers.arm import ArmRetry, describe_error
from components.providers.image_build import ImageBuildProvider
from tests.fakes.fake_arm import LOST_RESPONSE, SUBSCRIPTION, Reply, arm_error
from tests.fakes.fake_image_builder import RunPlan
from tests.providers.engine import create, within
from tests.providers.image_build_support import (OP_STATUS, OUTPUT, RG, RUN_PATH, TEMPLATE, TEMPLATE_PATH, build_error,
                                                 inputs, provider)


# -- scenarios against Azure ------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [("Azure-AsyncOperation", "Location"), ("Azure-AsyncOperation",), ("Location",)])
def test_success_after_polls(fake, aib, headers):
    aib.async_headers = headers
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("Succeeded", polls=4))

    result = create(provider(fake), inputs(fake))

    assert result.id == result.outs["artifact_id"] == t.artifact_id(0)
    assert result.outs["version_name"] == "1.0.0"
    assert result.outs["run_started"] and result.outs["run_ended"] >= result.outs["run_started"]
    # delete/read only get outputs: everything needed to find the template again is in them
    assert {k: result.outs[k] for k in ("subscription_id", "resource_group_name", "template_name",
                                         "run_output_name", "arm_endpoint")} == {
        "subscription_id": SUBSCRIPTION, "resource_group_name": RG, "template_name": TEMPLATE,
        "run_output_name": OUTPUT, "arm_endpoint": fake.base_url}
    # While the SDK's poller waits, lastRunStatus is not polled as well: read before the start and after the end.
    assert len(fake.requests("GET", TEMPLATE_PATH + "$")) == 2
    posts = fake.requests("POST")
    assert [r.path for r in posts] == [RUN_PATH]
    assert {r.query.get("api-version") for r in fake.log} == {"2024-02-01"}  # not the SDK's 2025-10-01
    assert fake.credential.scopes[0] == (f"{fake.base_url}/.default",)
    polled = fake.requests("GET", r"/operation")
    assert len(polled) >= 1, "the SDK's LRO poller should have polled the operation"


def test_build_failure_explains_itself(fake, aib):
    message = "PowerShell customizer 'install-agents' failed: exit code 1603"
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("Failed", 2, "Customizing", message))

    text = build_error(provider(fake), inputs(fake))

    for expected in ("failed", "runState: Failed", "runSubState: Customizing", message, "packerlogs",
                     "customization.log", t.staging_resource_group, f"az image builder show -g {RG} -n {TEMPLATE}"):
        assert expected in text
    assert "invalid status" not in text  # the SDK's thin LRO error is not what the user reads
    assert len(fake.requests("POST")) == 1
    assert not fake.requests("GET", "/runOutputs")


def test_cancelled_run(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("Canceled", 2, "Building", "Run canceled by user."))
    text = build_error(provider(fake), inputs(fake))
    assert "was canceled" in text and "runState: Canceled" in text and "Run canceled by user." in text


def test_partially_succeeded_is_a_failure(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("PartiallySucceeded", 2, "Distributing",
                                                            "Replication to eastus failed"))
    text = build_error(provider(fake), inputs(fake))
    assert "PartiallySucceeded" in text and "treats as a failure" in text and "eastus" in text


def test_429_with_retry_after_on_post_is_honoured(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT)
    fake.inject("POST", RUN_PATH, arm_error(429, "TooManyRequests", "slow down", {"Retry-After": "1"}))

    create(provider(fake), inputs(fake))

    first, second = fake.requests("POST")
    assert second.at - first.at >= 0.9
    checked = [r for r in fake.requests("GET", TEMPLATE_PATH + "$") if first.at < r.at < second.at]
    assert checked, "lastRunStatus is read before posting again"


def test_retry_after_is_capped(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT)
    fake.inject("POST", RUN_PATH, arm_error(429, "TooManyRequests", "come back in an hour", {"Retry-After": "3600"}))
    begun = time.monotonic()
    create(provider(fake, retry=ArmRetry(attempts=3, backoff_seconds=0.01, max_retry_after_seconds=0.2)), inputs(fake))
    assert time.monotonic() - begun < 15
    assert len(fake.requests("POST")) == 2


def test_transient_5xx_on_post_and_polling(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=3))
    # 502 on POST is one azure-core would not retry; 500/503 on GET polls are azure-core's to retry.
    fake.inject("POST", RUN_PATH, arm_error(500, "InternalServerError", "oops"), arm_error(502, "BadGateway", "lb"))
    fake.inject("GET", r".*/operations/.*", arm_error(500, "InternalServerError", "x"),
                arm_error(503, "ServerBusy", "y"))

    result = create(provider(fake), inputs(fake))

    assert result.outs["artifact_id"].endswith("/versions/1.0.0")
    assert len(fake.requests("POST")) == 3
    assert len(fake.requests("GET", OP_STATUS)) >= 3  # the two failures, then real answers


def test_post_that_keeps_failing_gives_up(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT)
    fake.inject("POST", RUN_PATH, *[arm_error(503, "ServiceUnavailable", "ARM is having a day")] * 10)
    begun = time.monotonic()
    text = build_error(provider(fake), inputs(fake))
    assert (f"POST imageTemplates/{TEMPLATE}/run: gave up after 4 attempts" in text
            and "HTTP 503 ServiceUnavailable: ARM is having a day" in text)
    assert len(fake.requests("POST")) == 4 and t.runs_started == 0
    assert time.monotonic() - begun < 15


def test_run_that_never_ends_times_out(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=None))
    begun = time.monotonic()

    text = within(30, lambda: build_error(provider(fake, margin=0.4), inputs(fake, build_timeout_minutes=0.01)))  # ~1 s

    assert 0.9 <= time.monotonic() - begun < 15
    for expected in ("timed out", "gave up waiting after", "may still be running in Azure",
                     f"az image builder show -g {RG} -n {TEMPLATE}", f"az image builder cancel -g {RG} -n {TEMPLATE}",
                     "runState: Running"):
        assert expected in text
    assert len(fake.requests("POST")) == 1
    time.sleep(0.3)  # a status poll already in flight when create returned may still land
    seen = len(fake.log)
    time.sleep(0.5)  # 10 poll intervals
    assert len(fake.log) == seen, "the SDK poller's thread must stop with create, not poll on in the background"


def test_adopts_a_run_started_by_autorun(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT)
    t.start_run(RunPlan(polls=3))  # what autoRun does right after the template is created

    result = create(provider(fake), inputs(fake))

    assert not fake.requests("POST")
    assert result.outs["artifact_id"] == t.artifact_id(0) and t.runs_started == 1


def test_connection_reset_after_post_adopts_the_run(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=3))
    fake.inject("POST", RUN_PATH, LOST_RESPONSE)  # the run starts, the answer never arrives

    result = create(provider(fake), inputs(fake))

    assert len(fake.requests("POST")) == 1 and t.runs_started == 1
    assert result.outs["artifact_id"] == t.artifact_id(0)


def test_stale_status_after_lost_post_then_409_adopts(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=3))
    stale = Reply(200, {"id": TEMPLATE_PATH, "name": TEMPLATE, "location": "westeurope",
                        "properties": {"provisioningState": "Succeeded"}})
    fake.inject("POST", RUN_PATH, LOST_RESPONSE)
    fake.inject("GET", TEMPLATE_PATH, lambda req, m: None, stale)  # baseline real, then lagging once

    result = create(provider(fake), inputs(fake))

    assert len(fake.requests("POST")) == 2, "second POST gets 409 because the first one did start a run"
    assert t.runs_started == 1 and result.outs["artifact_id"] == t.artifact_id(0)


def test_same_template_already_built_is_not_built_again(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT)
    first = create(provider(fake), inputs(fake))
    again = create(provider(fake), inputs(fake))  # e.g. the first create was interrupted after the run
    assert again.outs["artifact_id"] == first.outs["artifact_id"]
    assert len(fake.requests("POST")) == 1 and t.runs_started == 1


def test_failed_previous_run_is_run_again(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT)
    t.start_run(RunPlan("Failed", polls=1, sub_state="Customizing", message="earlier failure"))

    result = create(provider(fake), inputs(fake))

    assert len(fake.requests("POST")) == 1 and t.runs_started == 2
    assert result.outs["version_name"] == "1.0.1"


def test_lagging_last_run_status_is_not_mistaken_for_the_new_run(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT)
    old = t.start_run(RunPlan("Failed", polls=1, sub_state="Customizing", message="earlier failure"))
    lagging = lambda req, m: Reply(200, {"id": TEMPLATE_PATH, "name": TEMPLATE, "location": "westeurope",  # noqa: E731
                                         "properties": {"provisioningState": "Succeeded",
                                                        "lastRunStatus": old.status()}})
    # baseline answered for real, then the first read after our run finished still shows the old run
    fake.inject("GET", TEMPLATE_PATH, lambda req, m: None, lagging)

    result = create(provider(fake), inputs(fake))

    assert result.outs["version_name"] == "1.0.1" and result.outs["run_started"] != old.start


def test_losing_arm_while_waiting_says_the_build_may_still_run(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=2))
    # Down for longer than the whole wait (~1 s here): reads are retried until the wait's own deadline.
    fake.inject("GET", TEMPLATE_PATH, lambda req, m: None, *[arm_error(503, "ServiceUnavailable", "down")] * 100_000)
    text = within(30, lambda: build_error(provider(fake, margin=0.4), inputs(fake, build_timeout_minutes=0.01)))
    assert "Lost track of the Image Builder run" in text and "HTTP 503 ServiceUnavailable" in text
    assert f"GET imageTemplates/{TEMPLATE}: still failing when the wait's deadline came" in text
    assert "may still be running in Azure" in text and len(fake.requests("POST")) == 1


@pytest.mark.parametrize("overrides, expected", [
    ({"api_version": "2025-10-01"},
     "HTTP 400 NoRegisteredProviderFound: No registered resource provider found for API version '2025-10-01'"),
    ({"template_name": "missing"}, "HTTP 404 ResourceNotFound"),
    ({"run_output_name": "other"}, "has no run output 'other' with an artifactId (it has: win2022-gallery)"),
])
def test_arm_errors_are_explained(fake, aib, overrides, expected):
    aib.add_template(TEMPLATE, RG, OUTPUT)
    text = build_error(provider(fake), inputs(fake, **overrides))
    assert expected in text
    assert f"template '{overrides.get('template_name', TEMPLATE)}'" in text


# -- the Pulumi contract ----------------------------------------------------------------------------

def test_missing_credentials_point_at_azure_variables():
    text = describe_error(ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token"))
    assert "DefaultAzureCredential failed" in text and "AZURE_CLIENT_ID" in text and "not ARM_*" in text


# -- retries after an effect, and states Azure may add (issue 14) -----------------------------------

def test_lost_post_of_a_run_that_already_finished_adopts_it(fake, aib):
    # The POST started the run and its answer was lost; by the next read the run has ended: the build
    # is that run's, never a second one.
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=1))
    fake.inject("POST", RUN_PATH, LOST_RESPONSE)

    result = create(provider(fake), inputs(fake))

    assert len(fake.requests("POST")) == 1 and t.runs_started == 1
    assert result.outs["artifact_id"] == t.artifact_id(0) and result.outs["version_name"] == "1.0.0"


def test_the_failed_verdict_itself(fake, aib):
    # A message without the word "failed": the verdict must come from ImageBuild, not from Azure's text.
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("Failed", 2, "Customizing", "exit code 1603"))
    text = build_error(provider(fake), inputs(fake))
    assert f"Image Builder run of template '{TEMPLATE}' (resource group '{RG}') failed." in text.splitlines()
    assert "  runState: Failed, runSubState: Customizing" in text and "  message: exit code 1603" in text


def test_an_unknown_run_state_is_a_failure_that_names_it(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("Exploded", 2, "Distributing", "new in 2027"))
    text = build_error(provider(fake), inputs(fake))
    assert (f"Image Builder run of template '{TEMPLATE}' (resource group '{RG}') ended in unexpected state "
            "'Exploded'.") in text.splitlines()
    assert "  runState: Exploded, runSubState: Distributing" in text and "  message: new in 2027" in text
    assert len(fake.requests("POST")) == 1 and not fake.requests("GET", "/runOutputs")


def test_the_whole_timeout_message(fake, aib):
    import re
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=None))
    text = within(30, lambda: build_error(provider(fake, margin=0.4), inputs(fake, build_timeout_minutes=0.01)))
    pattern = (rf"Image Builder run of template '{TEMPLATE}' \(resource group '{RG}'\) timed out: gave up waiting after "
               rf"(\d+\.\d)s \(build timeout 0\.01 min \+ 0\.4s margin\); last seen runState: Running, runSubState: "
               rf"\w+\. Logs: customization\.log in container 'packerlogs' of the storage account in staging "
               rf"resource group '{t.staging_resource_group}'\. The build may still be running in Azure: check with "
               rf"`az image builder show -g {RG} -n {TEMPLATE} --query lastRunStatus`, stop it with `az image builder "
               rf"cancel -g {RG} -n {TEMPLATE}`")
    waited = re.match(pattern, text)
    assert waited and 0.9 <= float(waited[1]) < 10, text  # the budget: 0.6 s build timeout + 0.4 s margin


@pytest.mark.parametrize("others, listed", [
    ((), "renamed-in-azure"),
    (("win2022-managed",), "win2022-managed, renamed-in-azure"),  # a ManagedImage distributor's too
    (None, "none"),  # Image Builder lists none
])
def test_a_succeeded_run_without_the_run_output_lists_those_there_are(fake, aib, others, listed):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=1))
    t.run_output_name = "renamed-in-azure"  # the run writes its output under another name
    for name in others or ():
        t.run_outputs[name] = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/images/i"
    if others is None:
        fake.inject("GET", TEMPLATE_PATH + "/runOutputs", *[Reply(200, {"value": []})] * image_build.RUN_OUTPUT_READS)
    text = build_error(provider(fake), inputs(fake))
    assert text == (f"Image Builder run of template '{TEMPLATE}' succeeded but has no run output '{OUTPUT}' with an "
                    f"artifactId (it has: {listed}). run_output_name must equal the distributor's runOutputName "
                    f"({image_build.RUN_OUTPUT_READS} reads, 0.1s apart). "
                    f"Last seen: runState Succeeded, runSubState Distributing. Logs: customization.log in container "
                    f"'packerlogs' of the storage account in staging resource group '{t.staging_resource_group}'.")


def test_the_version_name_is_the_artifact_ids_last_segment_even_after_a_slash(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=1))
    fake.inject("GET", TEMPLATE_PATH + "/runOutputs/" + OUTPUT, Reply(200, {
        "id": f"{TEMPLATE_PATH}/runOutputs/{OUTPUT}", "name": OUTPUT,
        "properties": {"artifactId": t.artifact_id(0) + "/", "provisioningState": "Succeeded"}}))
    assert create(provider(fake), inputs(fake)).outs["version_name"] == "1.0.0"


def test_a_build_timeout_of_zero_waits_image_builders_default_and_a_urn_must_be_text(fake):
    assert ImageBuildProvider(wait_margin_seconds=0)._budget_seconds({"build_timeout_minutes": 0}) == 240 * 60
    failures = ImageBuildProvider().check({}, inputs(fake, template_urn=42)).failures
    assert [(f.property, f.reason) for f in failures] == [("template_urn", "template_urn must be a string, got 42")]


def test_the_whole_failure_message_of_a_canceled_run(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("Canceled", 2, "Building", ""))
    text = build_error(provider(fake), inputs(fake))
    assert text.splitlines() == [
        f"Image Builder run of template '{TEMPLATE}' (resource group '{RG}') was canceled (az image builder cancel, "
        f"the portal, or Image Builder itself).",
        "  runState: Canceled, runSubState: Building",
        "  message: (empty)",
        f"  customization log: customization.log in container 'packerlogs' of the storage account in staging resource "
        f"group '{t.staging_resource_group}'",
        f"  details: az image builder show -g {RG} -n {TEMPLATE} --query lastRunStatus",
        "  Next:",
        "  - recipe error (a customizer, a checksum): fix it in the stack file; the new recipe names a new template.",
        "  - transient error (capacity, quota, a timeout in Azure): `pulumi up` runs this same template again.",
        "  - template broken (provisioningState Failed, or `pulumi up` now fails on the template with 409 "
        f"\"Update/Upgrade of image templates is currently not supported\"): delete it first, `az image builder "
        f"delete -g {RG} -n {TEMPLATE}`, then `pulumi up --refresh` (the refresh finds the template gone, and the "
        f"update creates it anew under the same name). Not `pulumi up --replace`: it creates before it deletes, and "
        f"the same name gets the same 409."]


def test_a_partially_succeeded_run_says_why_it_is_a_failure(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan("PartiallySucceeded", 2, "Distributing", "eastus failed"))
    text = build_error(provider(fake), inputs(fake))
    assert text.splitlines()[0] == (f"Image Builder run of template '{TEMPLATE}' (resource group '{RG}') ended "
                                    "PartiallySucceeded, which ImageBuild treats as a failure (the image did not reach "
                                    "every distribution target).")
