"""RolePropagation (issue 8, item 3): the template is not submitted until the build identity's role
assignments are readable and Microsoft's documented propagation time has passed since they were created,
within a bounded wait; and in the plan every template depends on it."""

from __future__ import annotations

import datetime as dt

import pytest

from components.providers import role_propagation
from components.providers.role_propagation import RolePropagationError, RolePropagationProvider
from tests.fakes import clock as fake_clock
from tests.fakes.clock import Clock
from tests.fakes.fake_arm import FAST_RETRY, SUBSCRIPTION, FakeArm, Reply, arm_error, rotate_token
from tests.fakes.fake_authorization import AuthorizationFake
from tests.graph import ASSIGNMENT, ROLE_PROPAGATION, TEMPLATE, depends_on, one, resources
from tests.providers.engine import create, create_error


def provider(fake: FakeArm) -> RolePropagationProvider:
    return RolePropagationProvider(**fake.provider_kwargs(FAST_RETRY))


def inputs(fake: FakeArm, ids: list[str], **overrides) -> dict:
    return {"subscription_id": SUBSCRIPTION, "role_assignment_ids": ids, "propagation_minutes": 0.01,
            "timeout_minutes": 0.05, "poll_interval_seconds": 0.02, "arm_endpoint": fake.base_url,
            "effective_at": None, "__provider": "x", **overrides}


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fake_clock.on(monkeypatch, role_propagation)


def test_waits_until_readable_then_the_propagation_time_after_creation(fake, fake_authorization, clock):
    a = fake_authorization.add_assignment("6c6f46b6", readable_after=3)

    result = create(provider(fake), inputs(fake, [a.arm_id], propagation_minutes=10, timeout_minutes=1,
                                               poll_interval_seconds=15))

    assert a.reads == 4 and {r.query["api-version"] for r in fake.log} == {"2022-04-01"}
    *polls, propagation = clock.sleeps
    assert polls == [15, 15, 15]
    assert 590 < propagation <= 600, "10 minutes after createdOn, which was a moment ago"
    assert result.outs["effective_at"] == (a.created_on + dt.timedelta(minutes=10)).isoformat(timespec="seconds")
    assert result.outs["role_assignment_ids"] == [a.arm_id]


def test_assignment_created_long_ago_costs_no_wait(fake, fake_authorization, clock):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
    ids = [fake_authorization.add_assignment(n, created_on=old).arm_id for n in ("a1", "a2")]
    create(provider(fake), inputs(fake, ids, propagation_minutes=10))
    assert clock.sleeps == [0]


def test_a_clock_ahead_never_waits_longer_than_the_margin(fake, fake_authorization, clock):
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    a = fake_authorization.add_assignment("skewed", created_on=future)
    create(provider(fake), inputs(fake, [a.arm_id], propagation_minutes=10))
    assert clock.sleeps == [600]


def test_the_wait_for_an_assignment_ends_at_timeout_minutes_to_the_second(fake, fake_authorization, clock):
    # 60 s with a 59.5 s poll: the last poll sleeps only what is left (0.5 s), then the wait gives up.
    a = fake_authorization.add_assignment("missing", readable_after=10_000)
    text = create_error(provider(fake), inputs(fake, [a.arm_id], timeout_minutes=1, poll_interval_seconds=59.5),
                        RolePropagationError)
    assert clock.sleeps == [59.5, 0.5] and a.reads == 3
    assert f"still not found after 60.0s (timeout_minutes=1)" in text, text


def test_assignment_that_never_shows_times_out_and_explains(fake, fake_authorization: AuthorizationFake):
    a = fake_authorization.add_assignment("missing", readable_after=10_000)
    text = create_error(provider(fake), inputs(fake, [a.arm_id], timeout_minutes=0.01), RolePropagationError)
    for expected in (a.arm_id, "still not found", f"az role assignment list --ids {a.arm_id}",
                     "up to 10 minutes", "role-based-access-control/troubleshooting"):
        assert expected in text, text


def test_transient_failures_while_polling_are_retried(fake, fake_authorization: AuthorizationFake):
    a = fake_authorization.add_assignment("flaky", readable_after=1)
    fake.inject("GET", ".*/roleAssignments/.*", arm_error(503, "ServiceUnavailable", "x"),
                arm_error(429, "TooManyRequests", "y", {"Retry-After": "0"}))
    create(provider(fake), inputs(fake, [a.arm_id]))


def test_an_outage_longer_than_the_sdks_own_retries_is_retried_until_the_deadline(fake, fake_authorization):
    # azure-core gives up on a status after 3 retries (4 answers); arm's policy then retries the whole GET.
    a = fake_authorization.add_assignment("outage")
    fake.inject("GET", ".*/roleAssignments/.*", *[arm_error(503, "ServiceUnavailable", "x")] * 8)
    create(provider(fake), inputs(fake, [a.arm_id]))
    assert len(fake.log) == 9 and a.reads == 1


def test_an_outage_past_the_deadline_names_the_call_that_failed(fake, fake_authorization):
    a = fake_authorization.add_assignment("down")
    fake.inject("GET", ".*/roleAssignments/.*", *[arm_error(503, "ServiceUnavailable", "x")] * 1000)
    text = create_error(provider(fake), inputs(fake, [a.arm_id], timeout_minutes=0.005), RolePropagationError)
    assert (f"role assignment {a.arm_id} could not be read: ArmCallFailed: GET {a.arm_id}: still failing when the "
            f"wait's deadline came") in text, text


def test_a_token_that_expires_between_two_reads_is_renewed(fake, fake_authorization):
    # The first read worked, so a 401 is the token's lifetime, not the configuration: a new session, again.
    first, second = (fake_authorization.add_assignment(n) for n in ("first", "second"))
    fake.inject("GET", ".*/roleAssignments/second", rotate_token(fake))  # the old token is revoked: a 401 for it
    create(provider(fake), inputs(fake, [first.arm_id, second.arm_id]))
    assert second.reads == 1 and fake.log[-1].headers["authorization"] == "Bearer rotated-token"


def test_forbidden_read_is_explained_at_once(fake, fake_authorization: AuthorizationFake):
    a = fake_authorization.add_assignment("secret")
    fake.inject("GET", ".*/roleAssignments/.*", arm_error(403, "AuthorizationFailed", "no read on assignments"))
    text = create_error(provider(fake), inputs(fake, [a.arm_id]), RolePropagationError)
    assert text.startswith(f"RolePropagation: role assignment {a.arm_id} could not be read: HTTP 403 "
                           f"AuthorizationFailed: no read on assignments. "), text
    assert "may read role assignments" in text and len(fake.log) == 1


def test_every_template_waits_for_role_propagation_of_every_assignment(stack_plan):
    templates = resources(stack_plan, TEMPLATE)
    if not templates:
        pytest.skip("no built image in this stack")
    propagation = one(stack_plan, ROLE_PROPAGATION)
    assignments = resources(stack_plan, ASSIGNMENT)
    assert sorted(a["urn"] for a in depends_on(stack_plan, propagation, ASSIGNMENT)) == sorted(a["urn"] for a in assignments)
    assert propagation["inputs"]["propagation_minutes"] == 10
    for template in templates:
        assert propagation in depends_on(stack_plan, template, ROLE_PROPAGATION)


def test_the_same_assignments_in_another_case_are_no_change(fake):
    # ARM IDs are case-insensitive; Azure may answer them in another case than the program sent.
    ids = ["/subscriptions/s/resourceGroups/g/providers/Microsoft.Authorization/roleAssignments/a"]
    olds = {**inputs(fake, ids), "effective_at": "2026-01-01T00:00:00+00:00"}
    assert RolePropagationProvider().diff("id", olds, inputs(fake, [ids[0].upper()], __provider="y")).changes is False


# -- when the wait ends, and what it says (issue 14) ---------------------------------------------------

@pytest.mark.parametrize("written", ["Z", ""])  # ARM writes UTC with a Z; a time without an offset is UTC too
def test_effective_at_is_the_propagation_time_after_the_newest_creation(fake, fake_authorization, written):
    created = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)).replace(microsecond=0)
    older = fake_authorization.add_assignment("older", created_on=created - dt.timedelta(hours=1))
    newer = fake_authorization.add_assignment("newer")
    body = Reply(200, {"id": newer.arm_id, "properties": {"createdOn": created.replace(tzinfo=None).isoformat() + written}})
    fake.inject("GET", ".*/roleAssignments/newer", body)
    result = create(provider(fake), inputs(fake, [older.arm_id, newer.arm_id], propagation_minutes=0.05))
    assert result.outs["effective_at"] == (created + dt.timedelta(seconds=3)).isoformat(timespec="seconds")
    assert result.id == f"{older.arm_id},{newer.arm_id}"


@pytest.mark.parametrize("created_on", ["yesterday", 1764547200, None, ""])
def test_an_unreadable_created_on_counts_from_now(fake, fake_authorization, clock, created_on):
    a = fake_authorization.add_assignment("odd")
    fake.inject("GET", ".*/roleAssignments/odd", Reply(200, {"id": a.arm_id, "properties": {"createdOn": created_on}}))
    begun = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    result = create(provider(fake), inputs(fake, [a.arm_id], propagation_minutes=10))
    assert dt.datetime.fromisoformat(result.outs["effective_at"]) >= begun + dt.timedelta(minutes=10)
    assert 590 < clock.sleeps[-1] <= 600


def test_a_created_on_with_an_offset_keeps_it(fake, fake_authorization, clock):
    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(minutes=5)
    local = created.astimezone(dt.timezone(dt.timedelta(hours=1)))
    a = fake_authorization.add_assignment("offset")
    fake.inject("GET", ".*/roleAssignments/offset", Reply(200, {"id": a.arm_id, "properties": {"createdOn": local.isoformat()}}))
    result = create(provider(fake), inputs(fake, [a.arm_id], propagation_minutes=10))
    assert dt.datetime.fromisoformat(result.outs["effective_at"]) == created + dt.timedelta(minutes=10)
    assert 290 < clock.sleeps[-1] <= 300


def test_no_assignments_wait_for_nothing_and_still_get_an_id(fake, clock):
    # Pulumi refuses an empty ID; a stack whose builds need no assignment still creates this resource.
    result = create(provider(fake), inputs(fake, [], propagation_minutes=10))
    assert result.id == "none" and clock.sleeps == [0] and not fake.log


def test_the_whole_message_of_an_assignment_that_never_shows(fake, fake_authorization):
    a = fake_authorization.add_assignment("missing", readable_after=10_000)
    text = create_error(provider(fake), inputs(fake, [a.arm_id], timeout_minutes=0.005), RolePropagationError)
    assert text.startswith(f"RolePropagation: role assignment {a.arm_id} could not be read: still not found after "), text
    assert text.endswith(
        f"(timeout_minutes=0.005). The image template waits for it, because Image Builder refuses a template whose "
        f"identity lacks its permissions and that template cannot be updated afterwards. Check `az role assignment "
        f"list --ids {a.arm_id}` (and that the deploying identity may read role assignments), then run `pulumi up` "
        f"again. Role assignments can take up to 10 minutes to take effect (Troubleshoot Azure RBAC, "
        f"https://learn.microsoft.com/azure/role-based-access-control/troubleshooting)."), text


@pytest.mark.parametrize("ids", ["/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a", [42],
                                 ["/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/images/i"]])
def test_check_refuses_what_is_not_a_list_of_assignment_ids(fake, ids):
    [failure] = RolePropagationProvider().check({}, inputs(fake, ids)).failures
    assert failure.property == "role_assignment_ids" and failure.reason.startswith(
        "role_assignment_ids must be a list of role assignment ARM IDs, got ")
