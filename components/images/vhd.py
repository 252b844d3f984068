"""STAND-IN for the `vhd` branch's VHD reader (issue 22, item 2): the same names and signatures, just
enough of Microsoft's VHD specification to plan the shipped onprem stack. At merge, take the `vhd`
branch's components/images/vhd.py instead of this file.

The footer: the file's last 512 bytes, cookie `conectix`, big-endian fields, disk type 2 = fixed, a
one's-complement checksum ("Virtual Hard Disk Image Format Specification", Microsoft).
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass

FOOTER = 512
MIB = 1024 * 1024
_FIXED = 2


@dataclass(frozen=True)
class VhdInfo:
    path: str
    file_size: int  # bytes, footer included: the disk's uploadSizeBytes
    virtual_size: int  # what the guest sees
    disk_type: str  # "fixed", "dynamic", "differencing"
    data_bytes: int  # bytes in ranges that hold data: what an upload sends
    fingerprint: str  # "sha256:<hex>" of the content: a new file means a new disk and a new image version


def _checksum(footer: bytes) -> int:
    return ~sum(footer[:64] + b"\0\0\0\0" + footer[68:]) & 0xFFFFFFFF


def check_vhd(path: str, generation: str) -> tuple[VhdInfo | None, list[str]]:
    """(what the file is, or None; the problems, each a sentence with its fix)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            f.seek(max(size - FOOTER, 0))
            footer = f.read(FOOTER)
    except OSError as error:
        return None, [f"cannot be read ({error.strerror}): give the path of the VHD, relative to the stack file"]
    if len(footer) < FOOTER or footer[:8] != b"conectix":
        return None, ["is damaged or not a VHD (no VHD footer): export the disk again from Hyper-V"]
    if struct.unpack(">I", footer[64:68])[0] != _checksum(footer):
        return None, ["is damaged (its VHD footer's checksum does not match): copy or export it again"]
    virtual = struct.unpack(">Q", footer[48:56])[0]
    kind = {2: "fixed", 3: "dynamic", 4: "differencing"}.get(struct.unpack(">I", footer[60:64])[0], "unknown")
    problems = []
    if kind != "fixed":
        problems.append(f"is a {kind} VHD; Azure takes fixed ones: Convert-VHD -Path <file> "
                        "-DestinationPath <new.vhd> -VHDType Fixed")
    if virtual % MIB:
        problems.append(f"has a virtual size of {virtual} bytes, not a whole number of MiB: Resize-VHD -Path "
                        f"<file> -SizeBytes {(virtual // MIB + 1) * MIB}")
    ranges = data_ranges(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for start, end in ranges:
            f.seek(start)
            digest.update(struct.pack(">QQ", start, end) + f.read(end - start))
    info = VhdInfo(path, size, virtual, kind, sum(end - start for start, end in ranges), f"sha256:{digest.hexdigest()}")
    return (None if problems else info), problems


def data_ranges(path) -> list[tuple[int, int]]:
    """[start, end) of each range that holds data, in 512 KiB steps: what an upload must send."""
    step, ranges = 512 * 1024, []
    with open(path, "rb") as f:
        offset = 0
        while chunk := f.read(step):
            if chunk.count(0) != len(chunk):
                if ranges and ranges[-1][1] == offset:
                    ranges[-1] = (ranges[-1][0], offset + len(chunk))
                else:
                    ranges.append((offset, offset + len(chunk)))
            offset += len(chunk)
    return ranges
