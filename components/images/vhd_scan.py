"""The byte ranges of a VHD that hold data, and its fingerprint, cached (components/images/vhd.py re-exports them).

Data ranges are what DiskUpload sends (a managed disk made for upload reads as zeros elsewhere); the fingerprint
is what makes a changed file a new upload. Pure Python, no Pulumi.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from components.images.vhd_format import FOOTER_SIZE, MIB, SECTOR

SCAN_CHUNK = 4 * MIB  # bytes read at a time
GRANULE = 64 * 1024  # a data range is made of whole 64 KiB blocks (aligned to 512): fewer, larger page writes
CACHE_ENV = "IMAGE_FACTORY_CACHE_DIR"


def _extents(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """The file's allocated extents (start, end) by SEEK_DATA/SEEK_HOLE: holes of a sparse file are skipped
    without reading them. A file system without them (or a platform) yields the whole file."""
    seek_data, seek_hole = getattr(os, "SEEK_DATA", None), getattr(os, "SEEK_HOLE", None)
    if seek_data is None or seek_hole is None:
        yield 0, size
        return
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, seek_data)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # no data after pos
                return
            yield pos, size  # EINVAL: not supported here
            return
        end = min(os.lseek(fd, start, seek_hole), size)
        yield start, end
        pos = end


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _walk(path: str, chunk: int, granule: int, digest: Optional["hashlib._Hash"]) -> list[tuple[int, int]]:
    size = os.stat(path).st_size
    zero = bytes(granule)
    ranges: list[tuple[int, int]] = []
    with open(path, "rb", buffering=0) as f:
        fd = f.fileno()
        for ext_start, ext_end in _extents(fd, size):
            pos = ext_start - ext_start % granule  # blocks are aligned to the file's start
            while pos < ext_end:
                os.lseek(fd, pos, os.SEEK_SET)
                want = min(chunk, ext_end - pos + (-(ext_end - pos)) % granule, size - pos)
                buf = f.read(want)
                if not buf:
                    break
                if buf.count(0) != len(buf):  # bytes.count is C-speed: whole chunks of zeros are skipped at once
                    view = memoryview(buf)
                    for off in range(0, len(buf), granule):
                        block = view[off:off + granule]
                        if block != zero[:len(block)]:
                            ranges.append((pos + off, pos + off + len(block)))
                pos += len(buf)
    if size >= FOOTER_SIZE:
        ranges.append((size - FOOTER_SIZE, size))  # the footer always goes, whatever its neighbours
    merged = _merge(ranges)
    if digest is not None:
        digest.update(f"size={size}\n".encode())
        with open(path, "rb") as f:
            for start, end in merged:
                digest.update(f"{start}-{end}\n".encode())
                f.seek(start)
                left = end - start
                while left:
                    piece = f.read(min(chunk, left))
                    digest.update(piece)
                    left -= len(piece)
    return merged


def data_ranges(path: str, chunk: int = SCAN_CHUNK, granule: int = GRANULE) -> list[tuple[int, int]]:
    """The byte ranges (start, end) of the file that hold data: non-zero `granule`-sized blocks (512-aligned),
    merged, the footer always included. Holes are skipped by SEEK_DATA/SEEK_HOLE, allocated zeros by reading."""
    if granule % SECTOR or chunk % granule:
        raise ValueError("granule must be a multiple of 512 and chunk a multiple of granule")
    return _walk(path, chunk, granule, None)


@dataclass(frozen=True)
class Scan:
    ranges: tuple[tuple[int, int], ...]
    data_bytes: int
    fingerprint: str


def _cache_file(path: str) -> Path:
    base = os.environ.get(CACHE_ENV) or os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                                     os.path.expanduser("~/.cache"), "image-factory")
    key = hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:32]
    return Path(base) / "vhd-scan" / f"{key}.json"


def scan_vhd(path: str) -> Scan:
    """The file's data ranges and fingerprint, cached.

    Cost: the fingerprint hashes only the data ranges (holes and zero blocks are implied by the ranges, which
    are hashed too), but finding them still reads every allocated byte: a 127 GB fixed VHD copied without
    sparseness is a 127 GB read, minutes, and `pulumi preview` must not pay that each time. The result is kept
    in a small JSON sidecar under the user's cache directory ($IMAGE_FACTORY_CACHE_DIR, else
    $XDG_CACHE_HOME/image-factory, else ~/.cache/image-factory), keyed by the file's real path and checked
    against (size, mtime_ns, inode, ctime_ns): a file written again (Hyper-V export, copy) changes its mtime or
    ctime, so the scan runs again. Not next to the VHD: its folder is often a read-only share."""
    st = os.stat(path)
    stamp = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
    cache = _cache_file(path)
    try:
        saved = json.loads(cache.read_text())
        if saved.get("stamp") == stamp and saved.get("path") == os.path.realpath(path):
            return Scan(tuple(tuple(r) for r in saved["ranges"]), saved["data_bytes"], saved["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = hashlib.sha256()
    ranges = _walk(path, SCAN_CHUNK, GRANULE, digest)
    scan = Scan(tuple(ranges), sum(e - s for s, e in ranges), "sha256:" + digest.hexdigest())
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"path": os.path.realpath(path), "stamp": stamp, "ranges": ranges,
                                   "data_bytes": scan.data_bytes, "fingerprint": scan.fingerprint}))
        os.replace(tmp, cache)
    except OSError:
        pass  # no cache: the next preview scans again, nothing else changes
    return scan
