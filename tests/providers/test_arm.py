"""arm.py's reading of ARM's answers, on exceptions the real SDK raises from the fake server's replies:
how long ARM asks us to wait, and the one line a person reads when a call fails for good."""

from __future__ import annotations

import contextlib
import email.utils
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from components.providers.arm import (ArmRetry, ArmSession, describe_error, final_read_deadline, management_client,
                                      retry_after_seconds)
from components.providers.arm_resource import ArmResourceClient
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
    assert text.startswith("could not get an Azure token (DefaultAzureCredential failed to retrieve a token.). "
                           "DefaultAzureCredential reads "
                           "AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET"), text


def test_a_connection_failure_names_its_kind():
    assert describe_error(ServiceRequestError("connection refused")) == \
        "connection error (ServiceRequestError): connection refused"


def test_anything_else_names_its_type():
    assert describe_error(TimeoutError("slow")) == "TimeoutError: slow"


# -- ArmSession: a client that can be rebuilt after a 401 ---------------------------------------------

def test_a_renewal_closes_the_old_client_and_the_session_closes_the_last():
    # A client kept open holds its credential's revoked token and a connection pool, once per renewal.
    events: list[tuple[str, int]] = []

    @contextlib.contextmanager
    def open_client():
        number = sum(1 for event, _ in events if event == "open") + 1
        events.append(("open", number))
        try:
            yield number
        finally:
            events.append(("close", number))

    with ArmSession(open_client) as session:
        assert session.client == 1
        session.renew()
        session.renew()
        assert session.client == 3
    assert events == [("open", 1), ("close", 1), ("open", 2), ("close", 2), ("open", 3), ("close", 3)]
