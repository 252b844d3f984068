"""ImageBuild against ARM's lagging replicas (issue 21, item 16): a run output that answers 404 right after the run
succeeded is read again, not reported missing (with a message that named it among those there are); a template
still showing provisioningState Creating when the build starts is waited for, not an end in a 409."""

from __future__ import annotations

from components.providers import image_build
from tests.fakes.fake_arm import Reply
from tests.fakes.fake_image_builder import RunPlan
from tests.providers.engine import create
from tests.providers.image_build_support import OUTPUT, RG, RUN_PATH, TEMPLATE, TEMPLATE_PATH, build_error, inputs, \
    provider


def test_a_run_output_answering_404_once_after_success_is_read_again(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=1))
    t.run_output_404s = 1  # the replica that answers the first GET has not seen the run output yet

    result = create(provider(fake), inputs(fake))

    assert result.outs["artifact_id"] == t.artifact_id(0)


def test_when_the_list_lags_too_the_run_output_is_read_again(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=1))
    t.run_output_404s = 1
    fake.inject("GET", TEMPLATE_PATH + "/runOutputs$", Reply(200, {"value": []}))

    result = create(provider(fake), inputs(fake))

    assert result.outs["artifact_id"] == t.artifact_id(0)
    assert len(fake.requests("GET", f"/runOutputs/{OUTPUT}$")) == 2


def test_a_run_output_that_stays_404_while_listed_says_so_without_contradiction(fake, aib):
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=1))
    t.run_output_404s = 10_000
    fake.inject("GET", TEMPLATE_PATH + "/runOutputs$", *[_listed_without_artifact] * 100)

    text = build_error(provider(fake), inputs(fake))

    assert "(it has:" not in text, text
    assert (f"Image Builder run of template '{TEMPLATE}' succeeded, and Image Builder lists its run output "
            f"'{OUTPUT}', but the run output gave no artifactId in {image_build.RUN_OUTPUT_READS} reads") in text, text
    assert "ARM's replicas" in text and "`pulumi up` reads it again" in text


def _listed_without_artifact(_req, _m):
    return Reply(200, {"value": [{"id": f"{TEMPLATE_PATH}/runOutputs/{OUTPUT}", "name": OUTPUT,
                                  "properties": {"provisioningState": "Creating"}}]})


def test_a_template_still_creating_is_waited_for_then_run(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=1)).creating(3)

    result = create(provider(fake), inputs(fake))

    assert result.outs["artifact_id"].endswith("/versions/1.0.0")
    assert len(fake.requests("POST", "/run$")) == 1, "no POST while the template is Creating"


def test_a_run_refused_with_409_while_the_template_is_creating_is_sent_again(fake, aib):
    # The GET said Succeeded (another replica) but the POST met the template still Creating: wait, then POST again.
    t = aib.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=1))
    fake.inject("POST", RUN_PATH + "$", lambda _req, _m: t.creating(1) and None)

    result = create(provider(fake), inputs(fake))

    assert result.outs["artifact_id"] == t.artifact_id(0) and len(fake.requests("POST", "/run$")) == 2


def test_a_template_that_never_finishes_creating_times_out_saying_so(fake, aib):
    aib.add_template(TEMPLATE, RG, OUTPUT).creating(10_000)
    text = build_error(provider(fake), inputs(fake, build_timeout_minutes=0.001))
    assert f"template '{TEMPLATE}' (resource group '{RG}') is still in provisioningState Creating" in text, text
    assert not fake.requests("POST", "/run$")
