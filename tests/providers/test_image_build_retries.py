"""ImageBuild's create when ARM gets in the way (issue 14): a 401 renews the session wherever it can come
(the run's POST, the run output's read), a POST refused after a failed run is sent again rather than the old
run taken for a new one, a read that fails until the deadline names the call, and a budget is kept whether
it runs out during the start or while waiting for an adopted run."""

from __future__ import annotations

import pytest

from components.providers.arm import ArmRetry
from tests.fakes.fake_arm import arm_error, rotate_token
from tests.fakes.fake_image_builder import RunPlan
from tests.providers.engine import create, within
from tests.providers.image_build_support import (OP_STATUS, OUTPUT, RG, RUN_PATH, TEMPLATE, TEMPLATE_PATH, build_error,
                                                 inputs, provider)

OUTPUT_PATH = TEMPLATE_PATH + "/runOutputs/" + OUTPUT


def test_a_401_on_the_post_renews_the_session_and_starts_one_run(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=2))
    fake.inject("POST", RUN_PATH, rotate_token(fake))  # the token is revoked just as the run is started

    result = create(provider(fake), inputs(fake))

    refused, sent = fake.requests("POST", RUN_PATH)
    assert sent.headers["authorization"] == "Bearer rotated-token"
    assert t.runs_started == 1 and result.outs["artifact_id"] == t.artifact_id(0)


def test_a_401_on_the_run_output_renews_the_session(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=2))
    fake.inject("GET", OUTPUT_PATH, rotate_token(fake))  # the build is done, its token expired meanwhile

    result = create(provider(fake), inputs(fake))

    assert result.outs["artifact_id"] == t.artifact_id(0)
    assert fake.requests("GET", OUTPUT_PATH)[-1].headers["authorization"] == "Bearer rotated-token"


def test_a_refused_post_after_a_failed_run_is_sent_again(fake, aib):
    # lastRunStatus still shows the failed run after the refusal: that is not a run our POST started.
    t = aib.add_template(TEMPLATE, RG, OUTPUT)
    t.start_run(RunPlan("Failed", polls=1, sub_state="Customizing", message="earlier failure"))
    fake.inject("POST", RUN_PATH, arm_error(503, "ServiceUnavailable", "ARM is having a day"))

    result = within(30, lambda: create(provider(fake), inputs(fake)))

    assert len(fake.requests("POST", RUN_PATH)) == 2 and t.runs_started == 2
    assert result.outs["version_name"] == "1.0.1"


@pytest.mark.parametrize("failing, run_output, what", [
    (OUTPUT_PATH, OUTPUT, f"GET imageTemplates/{TEMPLATE}/runOutputs/{OUTPUT}"),
    # No output of that name (404), so the outputs there are are listed: that list keeps failing.
    (TEMPLATE_PATH + "/runOutputs", "win2022-galery", f"GET imageTemplates/{TEMPLATE}/runOutputs"),
])
def test_a_run_output_read_failing_until_the_deadline_names_the_call(fake, aib, failing, run_output, what):
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=1))
    fake.inject("GET", failing, *[arm_error(503, "ServiceUnavailable", "down")] * 100_000)
    retry = ArmRetry(attempts=4, backoff_seconds=0.01, max_backoff_seconds=0.05, final_read_seconds=0.3)

    text = within(30, lambda: build_error(provider(fake, retry=retry, margin=0.4),
                                          inputs(fake, build_timeout_minutes=0.01, run_output_name=run_output)))

    assert text.startswith(f"ImageBuild for template '{TEMPLATE}' (resource group '{RG}'): ArmCallFailed: {what}: "
                           f"still failing when the wait's deadline came"), text


def test_a_budget_spent_during_the_start_is_not_waited_past(fake, aib):
    # ARM throttled the POST until the budget was gone: the run started, but create gives up at once, without
    # waiting on the SDK's poller, which polls once as it starts, then a poll interval later.
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=None))
    fake.inject("POST", RUN_PATH, arm_error(429, "TooManyRequests", "slow down", {"Retry-After": "1"}))

    text = within(30, lambda: build_error(provider(fake, margin=0.1),  # a 0.16 s budget
                                          inputs(fake, build_timeout_minutes=0.001, poll_interval_seconds=0.5)))

    assert "timed out" in text and len(fake.requests("POST", RUN_PATH)) == 2
    assert len(fake.requests("GET", OP_STATUS)) <= 1


def test_an_adopted_run_is_waited_for_to_the_end_of_a_short_budget(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT)
    t.start_run(RunPlan(polls=3))  # autoRun's: no poller of ours, only lastRunStatus tells when it ends

    result = within(30, lambda: create(provider(fake, margin=0.4), inputs(fake, build_timeout_minutes=0.01)))  # 1 s

    assert result.outs["artifact_id"] == t.artifact_id(0) and not fake.requests("POST")
