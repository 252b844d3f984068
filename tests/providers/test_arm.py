"""arm.py's reading of ARM's answers, on exceptions the real SDK raises from the fake server's replies:
how long ARM asks us to wait, and the one line a person reads when a call fails for good."""

from __future__ import annotations

import contextlib
import email.utils
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from components.providers import arm
from components.providers.arm import (ArmCallFailed, ArmRetry, ArmSession, call_until_deadline, call_with_retry,
                                      describe_error, final_read_deadline, management_client, retry_after_seconds)
from components.providers.arm_resource import ArmResourceClient
from tests.fakes import clock as fake_clock
from tests.fakes.clock import Clock
from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm, Reply, arm_error

THING = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments/a1"


def refused(fake: FakeArm, reply: Reply) -> HttpResponseError:
    """What the SDK raises for `reply` (azure-core's own retries off: the answer is the exception's)."""
    fake.route("GET", THING, lambda _req, _m: reply)
    with management_client(ArmResourceClient, subscription_id=SUBSCRIPTION, api_version="2022-04-01",
                           arm_endpoint=fake.base_url, credential_override=fake.credential, retry_total=0,
                           **fake.client_kwargs) as client, pytest.raises(HttpResponseError) as info:
        client.get_by_id(THING)
    return info.value


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# -- Retry-After: ARM's throttling answers (429, 503) -------------------------------------------------

@pytest.mark.parametrize("headers, seconds", [
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after-ms": "1500"}, 1.5),
    ({"x-ms-retry-after-ms": "250"}, 0.25),
    ({"Retry-After": "-3"}, 0.0),
    ({"retry-after-ms": "2500", "x-ms-retry-after-ms": "9000", "Retry-After": "30"}, 2.5),  # milliseconds first
    ({"x-ms-retry-after-ms": "9000", "Retry-After": "30"}, 9.0),
    ({"Retry-After": "soon"}, None),
    ({}, None),
])
def test_retry_after_reads_seconds_and_milliseconds(fake, headers, seconds):
    exc = refused(fake, arm_error(429, "TooManyRequests", "slow down", headers))
    assert retry_after_seconds(exc) == seconds


def test_retry_after_as_an_http_date_counts_from_now(fake):
    assert 55 < retry_after_seconds(refused(fake, arm_error(503, "ServerBusy", "x", {"Retry-After": http_date(60)}))) <= 60


def test_retry_after_as_a_past_http_date_is_no_wait(fake):
    assert retry_after_seconds(refused(fake, arm_error(503, "ServerBusy", "x", {"Retry-After": http_date(-60)}))) == 0.0


def test_an_exception_without_a_response_has_no_retry_after():
    assert retry_after_seconds(ServiceRequestError("connection refused")) is None


def test_a_read_after_the_wait_gets_its_own_time_even_when_the_wait_used_all_of_its():
    retry = ArmRetry(final_read_seconds=600)
    now = time.monotonic()
    assert final_read_deadline(now - 100, retry) >= now + 600
    assert final_read_deadline(now + 7200, retry) == now + 7200


# -- describe_error: the line a failure ends with ---------------------------------------------------

def test_an_arm_error_names_status_code_and_message(fake):
    exc = refused(fake, arm_error(409, "OperationNotAllowed", "The template is being built."))
    # Without ARM's period: the callers' messages go on after it with ". " (no "built.. Last seen").
    assert describe_error(exc) == "HTTP 409 OperationNotAllowed: The template is being built"


def test_an_answer_without_azures_error_body_names_the_http_reason(fake):
    assert describe_error(refused(fake, Reply(502, None))) == "HTTP 502 Bad Gateway: Operation returned an invalid status 'Bad Gateway'"


def test_a_failed_long_running_operation_is_not_called_an_http_error(fake):
    # Raised from the operation's last status poll, which ARM answers 2xx: the status is not the failure.
    exc = refused(fake, arm_error(202, "ProvisioningFailed", "The build VM could not start."))
    assert describe_error(exc) == "operation failed: ProvisioningFailed: The build VM could not start"


def test_a_failed_long_running_operation_without_a_code_says_so(fake):
    assert describe_error(refused(fake, Reply(202, None))) == "operation failed: Operation returned an invalid status 'Accepted'"


def test_an_error_without_status_or_message_still_reads_as_one():
    # azure-core's own default message stands in for a missing one.
    assert describe_error(HttpResponseError(message="")) == "HTTP None error: Operation returned an invalid status 'None'"


def test_a_credential_that_gets_no_token_says_how_to_give_one():
    text = describe_error(ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token.\nAttempted: ..."))
    assert text == ("could not get an Azure token (DefaultAzureCredential failed to retrieve a token.). "
                    "DefaultAzureCredential reads AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET or "
                    "AZURE_FEDERATED_TOKEN_FILE (not ARM_*), a managed identity, or `az login`"), text


def test_an_arm_error_with_an_empty_message_falls_back_to_azure_cores(fake):
    assert describe_error(refused(fake, arm_error(400, "InvalidParameter", ""))) == "HTTP 400 InvalidParameter: (InvalidParameter)"


def test_a_connection_failure_names_its_kind():
    assert describe_error(ServiceRequestError("connection refused")) == \
        "connection error (ServiceRequestError): connection refused"


def test_anything_else_names_its_type():
    assert describe_error(TimeoutError("slow")) == "TimeoutError: slow"


# -- ArmSession: a client that can be rebuilt after a 401 ---------------------------------------------

def test_a_renewal_closes_the_old_client_and_the_session_closes_the_last():
    # A client kept open holds its credential's revoked token and a connection pool, once per renewal.
    # A class, not a generator: a generator's cleanup would also run when it is garbage-collected,
    # and hide a renewal that forgets to close.
    events: list[tuple[str, int]] = []

    class Client:
        def __init__(self) -> None:
            self.number = sum(1 for event, _ in events if event == "open") + 1

        def __enter__(self) -> int:
            events.append(("open", self.number))
            return self.number

        def __exit__(self, *exc) -> None:
            events.append(("close", self.number))

    with ArmSession(Client) as session:
        assert session.client == 1
        session.renew()
        session.renew()
        assert session.client == 3
    assert events == [("open", 1), ("close", 1), ("open", 2), ("close", 2), ("open", 3), ("close", 3)]


# -- the retry policy, on a clock that only its sleeps move (passed as its `sleep`) -------------------

@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fake_clock.on(monkeypatch, arm)


def failing(*failures: BaseException, result: str = "done"):
    """A call that raises each of failures in turn, then returns result; .calls counts the attempts."""
    pending = list(failures)

    def call():
        call.calls += 1
        if pending:
            raise pending.pop(0)
        return result

    call.calls = 0
    return call


def http(status: int) -> HttpResponseError:
    error = HttpResponseError(f"HTTP {status}")
    error.status_code = status
    return error


def test_backoff_doubles_from_its_first_delay_up_to_its_cap(clock):
    call = failing(*[http(503)] * 5)
    retry = ArmRetry(attempts=10, backoff_seconds=1, max_backoff_seconds=10)
    assert call_with_retry(call, what="GET x", retry=retry, sleep=clock.sleep) == "done"
    assert clock.sleeps == [1, 2, 4, 8, 10] and call.calls == 6


def test_attempts_are_counted_and_the_last_error_is_named(clock):
    call = failing(*[http(500)] * 10)
    with pytest.raises(ArmCallFailed) as info:
        call_with_retry(call, what="POST run", retry=ArmRetry(attempts=3, backoff_seconds=2), sleep=clock.sleep)
    assert call.calls == 3 and clock.sleeps == [2, 4]
    assert str(info.value) == "POST run: gave up after 3 attempts over 6.0s; last error: HTTP 500 error: HTTP 500"


@pytest.mark.parametrize("deadline, calls, sleeps", [
    (8, 2, [4]),  # the next retry would start exactly at the deadline: stop
    (10, 3, [4, 4]),
])
def test_a_wait_retries_until_a_retry_would_start_at_or_after_its_deadline(clock, deadline, calls, sleeps):
    call = failing(*[http(503)] * 10)
    with pytest.raises(ArmCallFailed) as info:
        call_until_deadline(call, what="GET run", deadline=clock.now + deadline, sleep=clock.sleep,
                            retry=ArmRetry(backoff_seconds=4, max_backoff_seconds=4))
    assert (call.calls, clock.sleeps) == (calls, sleeps)
    assert f"GET run: still failing when the wait's deadline came, after {calls} attempts over " in str(info.value)


@pytest.mark.parametrize("retrying", ["call_with_retry", "call_until_deadline"])
def test_a_failure_that_took_effect_after_all_is_settled_not_sent_again(clock, retrying):
    # The answer was lost (a 500 after the effect): `settled` looks and says it happened.
    call = failing(http(500), result="sent twice")
    kwargs = {"deadline": clock.now + 60} if retrying == "call_until_deadline" else {}
    result = getattr(arm, retrying)(call, what="POST run", retry=ArmRetry(backoff_seconds=1), sleep=clock.sleep,
                                    settled=lambda exc: "it ran" if exc.status_code == 500 else None, **kwargs)
    assert result == "it ran" and call.calls == 1


def test_a_401_after_a_success_renews_the_session_each_time(clock):
    # The session has worked: a 401 is the token's lifetime, however often it comes, not the configuration.
    opened = []

    @contextlib.contextmanager
    def open_client():
        opened.append(len(opened) + 1)
        yield opened[-1]

    with ArmSession(open_client) as session:
        retry = ArmRetry(backoff_seconds=1)
        assert call_with_retry(failing(), what="GET a", retry=retry, sleep=clock.sleep, session=session) == "done"
        assert session.authenticated is True
        expired = failing(http(401), http(401), result="renewed")
        assert call_with_retry(expired, what="GET b", retry=retry, sleep=clock.sleep, session=session) == "renewed"
        assert opened == [1, 2, 3] and session.client == 3


def test_a_401_before_any_success_is_the_configuration_after_one_renewal(clock):
    with ArmSession(contextlib.nullcontext) as session, pytest.raises(HttpResponseError):
        call_with_retry(failing(http(401), http(401)), what="GET a", retry=ArmRetry(backoff_seconds=1),
                        sleep=clock.sleep, session=session)
    assert clock.sleeps == [1] and session.authenticated is False
