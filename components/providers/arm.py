"""Shared ARM plumbing for our dynamic providers (ImageBuild, Generalize; their common base is in base.py).

Everything here is built per call, never stored on a provider: a provider instance is pickled into the
Pulumi state, and a credential or client on it would take secrets and sockets with it.

Authentication is azure-identity's DefaultAzureCredential, which reads AZURE_CLIENT_ID, AZURE_TENANT_ID,
AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), then managed identity, then `az login`. It does not
read the ARM_* variables azure-native uses in CI: export both sets there.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, TypeVar

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

    attempts: int = 6
    backoff_seconds: float = 2.0  # doubles each attempt
    max_backoff_seconds: float = 60.0
    max_retry_after_seconds: float = 120.0  # ARM can ask for minutes; we wait at most this per attempt


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


def call_with_retry(
    call: Callable[[], T],
    *,
    what: str,
    retry: ArmRetry,
    settled: Optional[Callable[[BaseException], Optional[T]]] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `call`, retrying transient failures (429 honouring Retry-After up to a cap, 5xx, connection
    errors) at most `retry.attempts` times. After a failure whose effect is unknown, `settled(exc)` is
    asked first: a non-None answer means the call took effect after all and is returned instead of
    calling again. Non-transient errors propagate unchanged for the caller to interpret."""
    started = time.monotonic()
    for attempt in range(1, retry.attempts + 1):
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc):
                raise
            if attempt == retry.attempts:
                raise ArmCallFailed(
                    f"{what}: gave up after {attempt} attempts over {time.monotonic() - started:.1f}s; "
                    f"last error: {describe_error(exc)}"
                ) from exc
            hinted = retry_after_seconds(exc)
            delay = (min(hinted, retry.max_retry_after_seconds) if hinted is not None
                     else min(retry.backoff_seconds * 2 ** (attempt - 1), retry.max_backoff_seconds))
            sleep(delay)
            if settled is not None:
                outcome = settled(exc)
                if outcome is not None:
                    return outcome
    raise AssertionError("unreachable")  # the loop returns or raises


@contextlib.contextmanager
def credential(override: Any = None) -> Iterator[Any]:
    """The caller's credential, or a DefaultAzureCredential that is closed afterwards."""
    if override is not None:
        yield override
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
    """One line a person can act on, from whatever the SDK raised."""
    if isinstance(exc, ClientAuthenticationError) and exc.status_code is None:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return (f"could not get an Azure token ({first}). DefaultAzureCredential reads AZURE_CLIENT_ID/"
                f"AZURE_TENANT_ID/AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE (not ARM_*), "
                f"a managed identity, or `az login`.")
    if isinstance(exc, HttpResponseError):
        error = exc.error
        code = getattr(error, "code", None)
        message = getattr(error, "message", None) or (exc.message or "").splitlines()[0]
        if exc.status_code is not None and exc.status_code < 400:
            # A failed long-running operation: raised from its last status poll, which was answered 200.
            head = f"operation failed: {code}" if code else "operation failed"
        else:
            head = f"HTTP {exc.status_code} {code or exc.reason or 'error'}"
        return f"{head}: {message}".rstrip(": ")
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return f"connection error ({type(exc).__name__}): {exc.message}"
    return f"{type(exc).__name__}: {exc}"
