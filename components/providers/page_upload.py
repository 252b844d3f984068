"""Writing a VHD's data ranges to a page blob through a SAS URL: the engine of DiskUpload (disk_upload.py), and
what `make bench` measures against Azurite. No ARM here: granting and revoking the SAS is the caller's.

- Only the ranges that hold data are sent (components/images/vhd.py finds them): a managed disk created for upload
  reads as zeros where nothing was written ("Upload a VHD to Azure or copy a managed disk to another region",
  https://learn.microsoft.com/azure/virtual-machines/windows/disks-upload-vhd-to-managed-disk-powershell).
- Pieces of at most 4 MiB, the most one Put Page takes ("Put Page",
  https://learn.microsoft.com/rest/api/storageservices/put-page), each with its Content-MD5
  (validate_content): the service refuses a piece that arrived altered, so a range present is a range intact.
- In parallel (a thread pool), in passes. Before each pass the blob's page ranges are read (List Page Ranges,
  which Put Page fills as it lands) and united with the pieces this process saw succeed: what landed is never
  sent again, even when its answer was lost. azure-storage-blob's own retries are off (retry_total=0): they would
  resend a piece whose answer was lost without asking whether it landed; the passes are the one retry policy.
- A 403 (the SAS expired, or Azure no longer takes it) asks the caller for a new SAS (`regrant`) and goes on.
- Errors never carry the SAS: every message goes through `scrub`.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError, ServiceResponseError

MAX_PAGE_WRITE = 4 * 1024 * 1024
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_SIG = re.compile(r"(?i)(sig|signature)=[^&\s'\"<>]+")
_QUERY = re.compile(r"(?i)(https?://[^\s'\"<>?]+)\?[^\s'\"<>]*")

Range = tuple[int, int]  # [start, end)


def scrub(text: str, *secrets: str) -> str:
    """`text` without SAS tokens: every URL's query string and every sig= parameter are cut, and any of
    `secrets` given verbatim too (azure-core puts the request URL in some errors)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<SAS>")
            if "?" in secret:
                text = text.replace(secret.split("?", 1)[1], "<SAS>")
    return _SIG.sub(r"\1=<redacted>", _QUERY.sub(r"\1?<SAS>", text))


def describe(exc: BaseException, *secrets: str) -> str:
    if isinstance(exc, HttpResponseError):
        code = getattr(exc, "error_code", None) or getattr(getattr(exc, "error", None), "code", None)
        code = getattr(code, "value", code)  # the wire string (AuthenticationFailed), not the SDK's enum
        first = (exc.message or "").strip().splitlines()
        text = f"HTTP {exc.status_code} {code or exc.reason or 'error'}: {first[0] if first else ''}".rstrip(": ")
    elif isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        text = f"connection error ({type(exc).__name__}): {exc.message}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return scrub(text, *secrets).removesuffix(".")


def subtract(wanted: Sequence[Range], have: Sequence[Range]) -> list[Range]:
    """The parts of `wanted` not covered by `have` (both sorted or not; ranges [start, end))."""
    have = sorted(have)
    out: list[Range] = []
    for start, end in sorted(wanted):
        pos = start
        for h_start, h_end in have:
            if h_end <= pos or h_start >= end:
                continue
            if h_start > pos:
                out.append((pos, h_start))
            pos = max(pos, h_end)
            if pos >= end:
                break
        if pos < end:
            out.append((pos, end))
    return out


def pieces(ranges: Sequence[Range], size: int = MAX_PAGE_WRITE) -> list[Range]:
    return [(s, min(s + size, e)) for start, e in ranges for s in range(start, e, size)]


class UploadFailed(RuntimeError):
    """The message is whole and holds no SAS."""


@dataclass
class UploadStats:
    file_size: int
    data_bytes: int
    bytes_sent: int = 0  # bytes of pieces written by this run (each counted once)
    bytes_attempted: int = 0  # bytes of every Put Page tried, failed ones included
    skipped_bytes: int = 0  # data already in the blob when a pass began
    passes: int = 0
    regrants: int = 0
    faults: list[str] = field(default_factory=list)  # scrubbed, one per failed piece
    seconds: float = 0.0


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return True
    return isinstance(exc, HttpResponseError) and exc.status_code in TRANSIENT_STATUS


def _forbidden(exc: BaseException) -> bool:
    return isinstance(exc, HttpResponseError) and exc.status_code in (401, 403)


def blob_client(sas_url: str, **kwargs: Any) -> Any:
    from azure.storage.blob import BlobClient

    return BlobClient.from_blob_url(sas_url, retry_total=0, **kwargs)


def upload(path: str, ranges: Sequence[Range], sas_url: str, *, parallel: int = 8,
           regrant: Optional[Callable[[], str]] = None, max_idle_passes: int = 6, backoff_seconds: float = 1.0,
           progress: Optional[Callable[[str], None]] = None, progress_every_seconds: float = 10.0,
           client_kwargs: Optional[dict] = None, label: str = "upload") -> UploadStats:
    """Write `ranges` of the file at `path` to the page blob at `sas_url`; returns what it did. Passes go on while
    each lands something; `max_idle_passes` passes in a row that land nothing end it with UploadFailed."""
    import os

    kwargs = dict(client_kwargs or {})
    size = os.stat(path).st_size
    data = sum(e - s for s, e in ranges)
    stats, lock, started = UploadStats(size, data), threading.Lock(), time.monotonic()
    urls = [sas_url]
    sent: list[Range] = []
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    last_said = [started]

    def report(final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - last_said[0] < progress_every_seconds:
            return
        last_said[0] = now
        done = min(data, stats.bytes_sent + stats.skipped_bytes)
        rate = stats.bytes_sent / max(now - started, 1e-6) / 2**20
        say(f"{label}: {done / 2**20:.1f} of {data / 2**20:.1f} MiB of data written ({100 * done // max(data, 1)}%; "
            f"file {size / 2**30:.2f} GiB), {rate:.1f} MiB/s")

    idle = 0
    with open(path, "rb") as f:
        def read(start: int, end: int) -> bytes:
            body = os.pread(f.fileno(), end - start, start)  # no shared file position: threads read at once
            if len(body) != end - start:
                raise UploadFailed(f"{label}: {path} is shorter than it was when scanned ({start + len(body)} "
                                   f"bytes at most); nothing past it was sent")
            return body

        while True:
            stats.passes += 1
            client = blob_client(urls[-1], **kwargs)
            landed, listing_error = list(sent), None
            try:
                landed += [(r.start, r.end + 1) for r in client.list_page_ranges()]
            except AzureError as exc:  # not fatal: what this process saw land still counts
                listing_error = exc
            todo = subtract(ranges, landed)
            if stats.passes == 1:
                stats.skipped_bytes = data - sum(e - s for s, e in todo)
            if not todo:
                break
            errors: list[BaseException] = [] if listing_error is None or not _forbidden(listing_error) \
                else [listing_error]

            stop = threading.Event()  # the first failure ends the pass: an expired SAS would fail every piece

            def put(piece: Range) -> None:
                if stop.is_set():
                    return
                start, end = piece
                body = read(start, end)
                with lock:
                    stats.bytes_attempted += end - start
                try:
                    client.upload_page(body, offset=start, length=end - start, validate_content=True)
                except Exception as exc:  # noqa: BLE001 - judged below, all of them
                    stop.set()
                    with lock:
                        errors.append(exc)
                        stats.faults.append(describe(exc, *urls))
                    return
                with lock:
                    stats.bytes_sent += end - start
                    sent.append(piece)
                report()

            before = stats.bytes_sent
            if not errors:
                with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="page-upload") as pool:
                    list(pool.map(put, pieces(todo)))
            if not errors:
                continue  # the next pass lists the ranges again and finds nothing left
            idle = 0 if stats.bytes_sent > before else idle + 1
            fatal = [e for e in errors if not _transient(e) and not _forbidden(e)]
            if fatal:
                raise UploadFailed(f"{label}: {describe(fatal[0], *urls)}; {stats.bytes_sent} bytes written, "
                                   f"{sum(e - s for s, e in todo) - (stats.bytes_sent - before)} left")
            if idle >= max_idle_passes:
                raise UploadFailed(f"{label}: gave up after {idle} passes in a row that wrote nothing; last error: "
                                   f"{describe(errors[-1], *urls)}")
            if any(_forbidden(e) for e in errors):
                if regrant is None:
                    raise UploadFailed(f"{label}: the SAS was refused ({describe(errors[-1], *urls)}) and no new one "
                                       f"can be asked for")
                urls.append(regrant())
                stats.regrants += 1
            else:
                time.sleep(min(backoff_seconds * 2 ** (idle - 1), 30.0) if idle else 0)
    stats.seconds = time.monotonic() - started
    report(final=True)
    return stats
