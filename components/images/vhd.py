"""A Hyper-V disk file read as Microsoft's VHD specification defines it, before anything is registered.

Azure takes a fixed VHD only: not VHDX, not dynamic or differencing; its virtual size a whole number of MiB and
the file that size plus the 512-byte footer ("Prepare a Windows VHD or VHDX to upload to Azure",
https://learn.microsoft.com/azure/virtual-machines/windows/prepare-for-upload-vhd-image). The file is recognised
by its content, never by its extension: the VHD footer (the last 512 bytes, "Virtual Hard Disk Image Format
Specification", https://learn.microsoft.com/windows/win32/vstor/about-vhd) or the VHDX signature at offset 0
("VHDX Format Specification", https://learn.microsoft.com/openspecs/windows_protocols/ms-vhdx).

Footer layout (big-endian): cookie "conectix" 0-8, features 8-12, file format version 12-16, data offset 16-24,
timestamp 24-28 (seconds since 2000-01-01 UTC), creator application 28-32, creator version 32-36, creator host
OS 36-40, original size 40-48, current size 48-56, disk geometry 56-60 (cylinders u16, heads u8, sectors u8),
disk type 60-64 (2 fixed, 3 dynamic, 4 differencing), checksum 64-68 (the one's complement of the sum of the
footer's bytes with the checksum field taken as zero), unique id 68-84, saved state 84.

This module is pure Python (no Pulumi): the config checks, the offline plan and the DiskUpload provider share it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

FOOTER_SIZE = 512
SECTOR = 512
MIB = 1024 * 1024
GIB = 1024 * MIB
TIB = 1024 * GIB
COOKIE = b"conectix"
VHDX_SIGNATURE = b"vhdxfile"
DISK_TYPES = {2: "fixed", 3: "dynamic", 4: "differencing"}
_FOOTER = struct.Struct(">8sIIQI4sI4sQQIII16sB")  # 85 bytes; the rest is reserved (zeros)

# Azure's limits on what it takes as an uploaded OS disk:
# - uploadSizeBytes (the VHD with its footer) lies between 20 MiB + 512 and 32 TiB + 512 bytes (the
#   DiskCreationData.uploadSizeBytes reference, "Upload a VHD to Azure or copy a managed disk to another region",
#   https://learn.microsoft.com/azure/virtual-machines/windows/disks-upload-vhd-to-managed-disk-powershell);
# - an OS disk holds at most 4 TiB, and a Generation 1 VM boots from an MBR disk, which addresses at most 2 TiB
#   ("Azure managed disk types" / "Expand virtual hard disks attached to a Windows VM",
#   https://learn.microsoft.com/azure/virtual-machines/windows/expand-os-disk: "Gen1 VMs are limited to 2 TiB
#   on the OS disk because of MBR; Gen2 VMs support up to 4 TiB").
MIN_VIRTUAL_SIZE = 20 * MIB
OS_DISK_MAX = {"V1": 2 * TIB, "V2": 4 * TIB}

SCAN_CHUNK = 4 * MIB  # bytes read at a time
GRANULE = 64 * 1024  # a data range is made of whole 64 KiB blocks (aligned to 512): fewer, larger page writes
CACHE_ENV = "IMAGE_FACTORY_CACHE_DIR"


@dataclass(frozen=True)
class VhdInfo:
    path: str
    file_size: int
    virtual_size: int  # the footer's current size: the disk the VM sees
    disk_type: str  # fixed | dynamic | differencing
    data_bytes: int  # bytes in the ranges that hold data (footer included): what an upload sends
    fingerprint: str  # "sha256:<hex>" of the data ranges (offsets and bytes) and the file's size


@dataclass(frozen=True)
class Footer:
    cookie: bytes
    features: int
    version: int
    data_offset: int
    timestamp: int
    creator: bytes
    creator_version: int
    creator_os: bytes
    original_size: int
    current_size: int
    geometry: int
    disk_type: int
    checksum: int
    uuid: bytes
    saved_state: int


def footer_checksum(raw: bytes) -> int:
    """The one's complement of the byte sum, the checksum field (bytes 64-68) counted as zero."""
    return ~(sum(raw[:64]) + sum(raw[68:FOOTER_SIZE])) & 0xFFFFFFFF


def parse_footer(raw: bytes) -> Footer:
    return Footer(*_FOOTER.unpack_from(raw))


def _generation(generation: str) -> str:
    g = str(generation).upper().removeprefix("GEN")
    return {"1": "V1", "2": "V2", "V1": "V1", "V2": "V2"}.get(g, str(generation))


def _convert(path: str) -> str:
    target = str(Path(path).with_suffix(".vhd")) if not path.lower().endswith(".vhd") else path[:-4] + "-fixed.vhd"
    return f"`Convert-VHD -Path {path} -DestinationPath {target} -VHDType Fixed`"


def check_vhd(path: str, generation: str = "V2") -> tuple[Optional[VhdInfo], list[str]]:
    """The file's VhdInfo (None when it cannot be read as a VHD at all) and its problems, each a sentence that
    names the file and says the fix; the caller prefixes the stack file and key. `generation` is the Hyper-V
    generation the stack states (V1|V2, or 1|2): it decides the size limit."""
    gen = _generation(generation)
    try:
        size = os.stat(path).st_size
        with open(path, "rb") as f:
            head = f.read(8)
            f.seek(max(0, size - FOOTER_SIZE))
            raw = f.read(FOOTER_SIZE)
    except OSError as exc:
        return None, [f"{path} cannot be read ({exc.strerror or exc}): give the path of the VHD file on the machine "
                      f"that runs Pulumi"]
    if head == VHDX_SIGNATURE:
        return None, [f"{path} is a VHDX (signature 'vhdxfile'), and Azure takes only a fixed VHD: convert it on "
                      f"Hyper-V with {_convert(path)} and point the stack at the .vhd"]
    if size < FOOTER_SIZE or raw[:8] != COOKIE:
        return None, [f"{path} has no VHD footer (no 'conectix' cookie in its last 512 bytes): the file is damaged "
                      f"or not a VHD; export the disk again from Hyper-V as a fixed VHD"]
    footer = parse_footer(raw)
    if footer.checksum != footer_checksum(raw):
        return None, [f"{path} has a VHD footer whose checksum is wrong (0x{footer.checksum:08x}, expected "
                      f"0x{footer_checksum(raw):08x}): the file is damaged; copy or export it again"]
    kind = DISK_TYPES.get(footer.disk_type)
    if kind is None:
        return None, [f"{path} has a VHD footer with an unknown disk type {footer.disk_type}: the file is damaged "
                      f"or not a VHD; export the disk again from Hyper-V as a fixed VHD"]
    problems: list[str] = []
    virtual = footer.current_size
    if kind != "fixed":
        problems.append(f"{path} is a {kind} VHD, and Azure takes only a fixed one: convert it with "
                        f"{_convert(path)}")
    if virtual % MIB:
        up = (virtual // MIB + 1) * MIB
        problems.append(f"{path} has a virtual size of {virtual} bytes, not a whole number of MiB as Azure requires: "
                        f"resize it with `Resize-VHD -Path {path} -SizeBytes {up}`")
    if kind == "fixed" and size != virtual + FOOTER_SIZE:
        problems.append(f"{path} is {size} bytes but its footer says {virtual} + 512: the file is truncated or "
                        f"damaged; copy or export it again")
    if virtual < MIN_VIRTUAL_SIZE:
        problems.append(f"{path} has a virtual size of {virtual} bytes, below Azure's 20 MiB minimum for an "
                        f"uploaded disk: grow it with `Resize-VHD -Path {path} -SizeBytes {MIN_VIRTUAL_SIZE}`")
    limit = OS_DISK_MAX.get(gen)
    if limit is None:
        problems.append(f"generation {generation!r} is not a Hyper-V generation: state V1 or V2")
    elif virtual > limit:
        why = "a Generation 1 OS disk is MBR, which Azure limits to 2 TiB" if gen == "V1" else \
            "Azure's OS disks hold at most 4 TiB"
        problems.append(f"{path} has a virtual size of {virtual / TIB:.2f} TiB, but {why}: shrink the partition "
                        f"and the disk (`Resize-VHD -Path {path} -ToMinimumSize`) to {limit // GIB} GiB or less")
    if problems:
        # Not a file the upload could send as it is: no scan (it could be a 127 GB read for nothing).
        return VhdInfo(path, size, virtual, kind, 0, ""), problems
    scan = scan_vhd(path)
    return VhdInfo(path, size, virtual, kind, scan.data_bytes, scan.fingerprint), problems


# -- data ranges --------------------------------------------------------------------------------------------


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


# -- making VHD files (tests, bench, the shipped stack's tiny disk) -------------------------------------------


def make_footer(virtual_size: int, disk_type: int = 2, *, data_offset: Optional[int] = None,
                uuid: bytes = b"\x11" * 16, timestamp: int = 0) -> bytes:
    """A footer as Hyper-V writes one (creator 'win ', host 'Wi2k'), with its checksum."""
    geometry = _chs(virtual_size)
    offset = (0xFFFFFFFFFFFFFFFF if disk_type == 2 else FOOTER_SIZE) if data_offset is None else data_offset
    body = _FOOTER.pack(COOKIE, 2, 0x00010000, offset, timestamp, b"win ", 0x000A0000, b"Wi2k", virtual_size,
                        virtual_size, geometry, disk_type, 0, uuid, 0)
    raw = bytearray(body + bytes(FOOTER_SIZE - len(body)))
    struct.pack_into(">I", raw, 64, footer_checksum(bytes(raw)))
    return bytes(raw)


def _chs(size: int) -> int:
    """CHS geometry by the specification's appendix algorithm."""
    sectors = min(size // SECTOR, 65535 * 16 * 255)
    if sectors >= 65535 * 16 * 63:
        spt, heads = 255, 16
        cth = sectors // spt
    else:
        spt = 17
        cth = sectors // spt
        heads = max((cth + 1023) // 1024, 4)
        if cth >= heads * 1024 or heads > 16:
            spt, heads = 31, 16
            cth = sectors // spt
        if cth >= heads * 1024:
            spt, heads = 63, 16
            cth = sectors // spt
    return ((cth // heads) << 16) | (heads << 8) | spt


def write_fixed_vhd(path: str, virtual_size: int, writes: tuple[tuple[int, bytes], ...] = ()) -> str:
    """A sparse fixed VHD of `virtual_size` (truncate: no disk used for the zeros) with `writes` at their
    offsets. Holds no secret and costs only the bytes written."""
    with open(path, "wb") as f:
        f.truncate(virtual_size)
        for offset, data in writes:
            f.seek(offset)
            f.write(data)
        f.seek(virtual_size)
        f.write(make_footer(virtual_size))
    return path
