"""The VHD footer as Microsoft's VHD specification lays it out ("Virtual Hard Disk Image Format Specification",
https://learn.microsoft.com/windows/win32/vstor/about-vhd), and fixed VHD files made from it (tests, bench, a
stack's tiny example disk). components/images/vhd.py re-exports these.

Footer layout (big-endian): cookie "conectix" 0-8, features 8-12, file format version 12-16, data offset 16-24,
timestamp 24-28 (seconds since 2000-01-01 UTC), creator application 28-32, creator version 32-36, creator host
OS 36-40, original size 40-48, current size 48-56, disk geometry 56-60 (cylinders u16, heads u8, sectors u8),
disk type 60-64 (2 fixed, 3 dynamic, 4 differencing), checksum 64-68 (the one's complement of the sum of the
footer's bytes with the checksum field taken as zero), unique id 68-84, saved state 84.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional

FOOTER_SIZE = 512
SECTOR = 512
MIB = 1024 * 1024
GIB = 1024 * MIB
TIB = 1024 * GIB
COOKIE = b"conectix"
VHDX_SIGNATURE = b"vhdxfile"
DISK_TYPES = {2: "fixed", 3: "dynamic", 4: "differencing"}
_FOOTER = struct.Struct(">8sIIQI4sI4sQQIII16sB")  # 85 bytes; the rest is reserved (zeros)

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
