"""Shared ARM plumbing for our dynamic providers (ImageBuild, Generalize, VersionReplicas, ...; their common
base is in base.py), and the one retry policy they all use.

Everything here is built per call, never stored on a provider: a provider instance is pickled into the
Pulumi state, and a credential or client on it would take secrets and sockets with it.

Authentication is azure-identity's DefaultAzureCredential, which reads AZURE_CLIENT_ID, AZURE_TENANT_ID,
AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), then managed identity, then `az login`. It does not
read the ARM_* variables azure-native uses in CI: export both sets there.
"""

from __future__ import annotations

import contextlib
import email.utils
import itertools
import time
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Iterator, Optional, TypeVar

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.core.polling.arm_polling import ARMPolling

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})

T = TypeVar("T")


@dataclass(frozen=True)
class ArmRetry:
    """Our retry budget: the only retries of a POST (sent with retry_total=0, because azure-core would
    re-POST without asking whether the first one took effect), and an outer layer around GETs that
    must survive an ARM hiccup longer than azure-core's ~6 s of retries during an hour-long wait."""

    attempts: int = 6  # call_with_retry only; call_until_deadline retries until its deadline instead
    backoff_seconds: float = 2.0  # doubles each attempt
    max_backoff_seconds: float = 60.0
    max_retry_after_seconds: float = 120.0  # ARM can ask for minutes; we wait at most this per attempt
    # A read after the wait (a run's output, the final state) gets at least this long, even when the wait
    # itself used up its deadline: the build is done, only ARM's answer is missing.
    final_read_seconds: float = 600.0


class ArmCallFailed(RuntimeError):
    """A call to ARM failed for good; the message says what was attempted and why it stopped."""


def is_transient(exc: BaseException) -> bool:
    # ServiceResponseError also covers "request sent, no answer": whether the call took effect is
    # unknown, which is why call_with_retry asks `settled` before trying again.
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return True
    return isinstance(exc, HttpResponseError) and exc.status_code in TRANSIENT_STATUS


def retry_after_seconds(exc: BaseException) -> Optional[float]:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if not value:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            try:
                return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    return None


def is_auth_failure(exc: BaseException) -> bool:
    """A 401 from ARM (the token expired or was revoked during an hour-long wait), or the credential failing to
    get a token at all (azure-identity raises ClientAuthenticationError, CredentialUnavailableError among
    them, when Entra ID, the managed identity endpoint or `az` does not answer). A long-running operation's
    poller reports a 401 as a plain HttpResponseError, hence the status check."""
    return isinstance(exc, ClientAuthenticationError) or (isinstance(exc, HttpResponseError) and exc.status_code == 401)


def call_with_retry(
    call: Callable[[], T],
    *,
    what: str,
    retry: ArmRetry,
    settled: Optional[Callable[[BaseException], Optional[T]]] = None,
    sleep: Callable[[float], None] = time.sleep,
    session: Optional["ArmSession"] = None,
) -> T:
    """Run `call`, retrying transient failures at most `retry.attempts` times: for starting something (a
    POST/PATCH), where repeated refusals mean stop and explain. Waits use call_until_deadline."""
    return _retrying(call, what=what, retry=retry, settled=settled, sleep=sleep, session=session,
                     stop=lambda attempt, _delay: attempt >= retry.attempts,
                     gave_up=lambda attempt, elapsed: f"gave up after {attempt} attempts over {elapsed:.1f}s")


def call_until_deadline(
    call: Callable[[], T],
    *,
    what: str,
    deadline: float,
    retry: ArmRetry,
    settled: Optional[Callable[[BaseException], Optional[T]]] = None,
    sleep: Callable[[float], None] = time.sleep,
    session: Optional["ArmSession"] = None,
) -> T:
    """Run `call` during a wait that ends at `deadline` (time.monotonic()), retrying transient failures until
    then, however many: an ARM outage of minutes in the middle of a 90-minute build must not end `pulumi up`
    while Azure goes on building. Backoff grows to retry.max_backoff_seconds and never sleeps past the deadline."""
    return _retrying(call, what=what, retry=retry, settled=settled, sleep=sleep, session=session,
                     stop=lambda _attempt, delay: time.monotonic() + delay >= deadline,
                     gave_up=lambda attempt, elapsed: f"still failing when the wait's deadline came, after "
                                                      f"{attempt} attempts over {elapsed:.1f}s")


def final_read_deadline(deadline: float, retry: ArmRetry) -> float:
    """The deadline of a read after the wait: the wait's own, or retry.final_read_seconds from now if later."""
    return max(deadline, time.monotonic() + retry.final_read_seconds)


def _retrying(call: Callable[[], T], *, what: str, retry: ArmRetry,
              settled: Optional[Callable[[BaseException], Optional[T]]], sleep: Callable[[float], None],
              session: Optional["ArmSession"], stop: Callable[[int, float], bool],
              gave_up: Callable[[int, float], str]) -> T:
    """The retry policy of every provider, in one place. Transient: 408/429/5xx and connection errors, with
    429's Retry-After honoured up to a cap. An authentication failure (is_auth_failure) is transient too once
    the session has had one successful call (the credential worked, so a 401 or a failed token refresh is
    the token's lifetime or Entra ID's hiccup): the session is renewed, a new credential and client, before
    the next attempt. Before any success it is a configuration problem: one renewal, then it propagates.
    After a failure whose effect is unknown, `settled(exc)` is asked first: a non-None answer means the
    call took effect after all and is returned instead of calling again. Other errors propagate unchanged."""
    started, auth_failures_before_success = time.monotonic(), 0
    for attempt in itertools.count(1):
        try:
            result = call()
        except Exception as exc:
            auth = is_auth_failure(exc) and session is not None
            if auth and not session.authenticated:
                auth_failures_before_success += 1
                if auth_failures_before_success > 1:
                    raise
            elif not auth and not is_transient(exc):
                raise
            hinted = retry_after_seconds(exc)
            delay = (min(hinted, retry.max_retry_after_seconds) if hinted is not None
                     else min(retry.backoff_seconds * 2 ** (attempt - 1), retry.max_backoff_seconds))
            if stop(attempt, delay):
                raise ArmCallFailed(f"{what}: {gave_up(attempt, time.monotonic() - started)}; "
                                    f"last error: {describe_error(exc)}") from exc
            sleep(delay)
            if auth:
                session.renew()
            if settled is not None:
                outcome = settled(exc)
                if outcome is not None:
                    return outcome
            continue
        if session is not None:
            session.authenticated = True
        return result
    raise AssertionError("unreachable")  # the loop returns or raises


class ArmSession:
    """The management client of one provider operation, which can be rebuilt: `renew()` closes the client and
    its credential and opens new ones, so the next call fetches a new token. Providers reach the SDK through
    `session.client` at each call (never a client kept from before a renewal).

    Long-running pollers started from an old client die with it; the providers then read the state of what
    they wait for (lastRunStatus, provisioningState, power state) instead of trusting the poller."""

    def __init__(self, open_client: Callable[[], ContextManager[Any]]) -> None:
        self._open, self._stack, self.client = open_client, None, None
        self.authenticated = False

    def __enter__(self) -> "ArmSession":
        self._connect()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._stack is not None:
            self._stack.close()

    def _connect(self) -> None:
        self._stack = contextlib.ExitStack()
        self.client = self._stack.enter_context(self._open())

    def renew(self) -> None:
        if self._stack is not None:
            self._stack.close()
        self._connect()


@contextlib.contextmanager
def credential(override: Any = None) -> Iterator[Any]:
    """A new credential from the caller's factory (a callable), or the caller's credential as is, or a new
    DefaultAzureCredential; the new ones are closed afterwards. A new credential has an empty token cache
    (azure-identity's credentials keep a token until it nears expiry): ArmSession.renew relies on that
    after a 401, when the cached token was revoked."""
    if override is not None and not callable(override):
        yield override
        return
    if override is not None:
        made = override()
        try:
            yield made
        finally:
            getattr(made, "close", lambda: None)()
        return
    from azure.identity import DefaultAzureCredential

    with DefaultAzureCredential() as cred:
        yield cred


@contextlib.contextmanager
def management_client(
    client_cls: Callable[..., T],
    *,
    subscription_id: str,
    api_version: str,
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT,
    polling_interval: float = 30,
    credential_override: Any = None,
    **client_kwargs: Any,
) -> Iterator[T]:
    """A management client (ImageBuilderClient, ComputeManagementClient, ...) bound to one endpoint.

    `api_version` is passed to the client, which pins it only for SDKs that read a client-level version:
    azure-mgmt-imagebuilder 2.0.0 does. azure-mgmt-compute 39 does not: it accepts and ignores it, and each
    operation sends its own default (2026-04-01) unless called with `api_version=`; Generalize therefore
    passes the version on every call. The SDKs default to versions newer than the ones we test against."""
    endpoint = arm_endpoint.rstrip("/")
    with credential(credential_override) as cred:
        # The token audience follows the endpoint, so sovereign clouds work without a cloud setting.
        client = client_cls(cred, subscription_id, base_url=endpoint, api_version=api_version,
                            polling_interval=polling_interval, credential_scopes=[f"{endpoint}/.default"],
                            **client_kwargs)
        with client:  # type: ignore[attr-defined]
            yield client


def lro_polling(interval: float, arm_endpoint: str = DEFAULT_ARM_ENDPOINT) -> ARMPolling:
    """Pass as `polling=` to a begin_* call. Without it the SDK builds the polling method from the call's
    own kwargs, so a per-call `retry_total=0` meant for the initial POST would also strip retries from
    every status poll."""
    return ARMPolling(interval, path_format_arguments={"endpoint": arm_endpoint.rstrip("/")})


def describe_error(exc: BaseException) -> str:
    """One line a person can act on, from whatever the SDK raised: a clause, not a sentence, without a final
    period, since every caller goes on with ". " (ARM's own messages mostly end in one)."""
    if isinstance(exc, ClientAuthenticationError) and exc.status_code is None:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return (f"could not get an Azure token ({first}). DefaultAzureCredential reads AZURE_CLIENT_ID/"
                f"AZURE_TENANT_ID/AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE (not ARM_*), "
                f"a managed identity, or `az login`")
    if isinstance(exc, HttpResponseError):
        error = exc.error
        code = getattr(error, "code", None)
        message = getattr(error, "message", None) or (exc.message or "").splitlines()[0]
        if exc.status_code is not None and exc.status_code < 400:
            # A failed long-running operation: raised from its last status poll, which was answered 200.
            head = f"operation failed: {code}" if code else "operation failed"
        else:
            head = f"HTTP {exc.status_code} {code or exc.reason or 'error'}"
        # azure-core gives every HttpResponseError a message ("(code) message" when ARM's own is empty).
        return f"{head}: {message.strip().removesuffix('.')}"
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return f"connection error ({type(exc).__name__}): {exc.message}"
    return f"{type(exc).__name__}: {exc}"
