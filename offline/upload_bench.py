"""`make bench`'s upload part: DiskUpload's page writer (components/providers/page_upload.py) against Azurite on
loopback, reported as bytes and ratios, never asserted. Runs alone as `python -m offline.upload_bench`.

For each sparse VHD made here (a hole costs no disk): bytes sent against the file's size and against the data it
holds, and the parallel upload's throughput as a ratio to a sequential one (1 writer) on the same data. Loopback
Azurite on a shared 2-core machine says how much the writer overlaps its own work (reading, MD5, HTTP); against
Azure the gain is larger, since each Put Page then waits on a network round trip.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time

from components.images import vhd
from components.providers import page_upload

from .azurite import ACCOUNT, ACCOUNT_KEY, HOW_TO_INSTALL, Azurite, installed

PARALLEL = 8
REPEAT = 3  # the median of 3 uploads per case and writer count
CASES = {  # name -> (virtual size, MiB of data, in 1 MiB pieces spread over the disk)
    "4 GiB, 2 MiB data": (4 * vhd.GIB, 2),
    "4 GiB, 128 MiB data": (4 * vhd.GIB, 128),
}


def _vhd(path: str, size: int, data_mib: int) -> str:
    step = size // data_mib
    return vhd.write_fixed_vhd(path, size, tuple((i * step, os.urandom(vhd.MIB)) for i in range(data_mib)))


def _sas_blob(service, container: str, size: int) -> str:
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas

    blob = service.create_container(container).get_blob_client("abcd")
    blob.create_page_blob(size)
    sas = generate_blob_sas(ACCOUNT, container, "abcd", account_key=ACCOUNT_KEY,
                            permission=BlobSasPermissions(read=True, write=True),
                            expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    return f"{blob.url}?{sas}"


def report(out=sys.stdout) -> None:
    if installed() is None:
        print(f"Upload benchmark skipped: {HOW_TO_INSTALL}.", file=out)
        return
    from azure.storage.blob import BlobServiceClient

    print(f"\nUpload to a managed disk's page blob (Azurite on loopback), {PARALLEL} writers vs 1", file=out)
    print(f"{'VHD':<22}{'file':>10}{'data':>10}{'sent':>10}{'sent/file':>11}{'sent/data':>11}"
          f"{'parallel/sequential':>21}", file=out)
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as tmp, Azurite() as azurite:
        os.environ.setdefault(vhd.CACHE_ENV, os.path.join(tmp, "cache"))
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        for i, (name, (size, data_mib)) in enumerate(CASES.items()):
            path = _vhd(os.path.join(tmp, f"bench{i}.vhd"), size, data_mib)
            scan = vhd.scan_vhd(path)
            timings, sent = {}, 0
            for writers in (1, PARALLEL):
                runs = []
                for r in range(REPEAT):  # each into a new blob: an upload into a full one sends nothing
                    url = _sas_blob(service, f"bench{i}-{writers}-{r}", os.stat(path).st_size)
                    start = time.perf_counter()
                    stats = page_upload.upload(path, scan.ranges, url, parallel=writers, progress=lambda _l: None)
                    runs.append(time.perf_counter() - start)
                    sent = stats.bytes_sent
                timings[writers] = statistics.median(runs)
            file_size = os.stat(path).st_size
            print(f"{name:<22}{file_size / 2**20:>8.0f}Mi{scan.data_bytes / 2**20:>8.1f}Mi{sent / 2**20:>8.1f}Mi"
                  f"{sent / file_size:>11.4f}{sent / scan.data_bytes:>11.2f}"
                  f"{timings[1] / timings[PARALLEL]:>20.2f}x", file=out)
    print("sent/data 1.00: only the ranges that hold data go; parallel/sequential: throughput of "
          f"{PARALLEL} writers over 1 (>1 is faster).", file=out)


if __name__ == "__main__":
    report()
