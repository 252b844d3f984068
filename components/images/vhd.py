"""A Hyper-V disk file read as Microsoft's VHD specification defines it, before anything is registered.

Azure takes a fixed VHD only: not VHDX, not dynamic or differencing; its virtual size a whole number of MiB and
the file that size plus the 512-byte footer ("Prepare a Windows VHD or VHDX to upload to Azure",
https://learn.microsoft.com/azure/virtual-machines/windows/prepare-for-upload-vhd-image). The file is recognised
by its content, never by its extension: the VHD footer (the last 512 bytes, "Virtual Hard Disk Image Format
Specification", https://learn.microsoft.com/windows/win32/vstor/about-vhd) or the VHDX signature at offset 0
("VHDX Format Specification", https://learn.microsoft.com/openspecs/windows_protocols/ms-vhdx).

The footer's layout and the scan for data are in vhd_format.py and vhd_scan.py; this module re-exports them.

This module is pure Python (no Pulumi): the config checks, the offline plan and the DiskUpload provider share it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from components.images.vhd_format import (COOKIE, DISK_TYPES, FOOTER_SIZE, GIB, MIB, SECTOR, TIB,  # noqa: F401
                                          VHDX_SIGNATURE, Footer, footer_checksum, make_footer, parse_footer,
                                          write_fixed_vhd)
from components.images.vhd_scan import (CACHE_ENV, GRANULE, SCAN_CHUNK, Scan, data_ranges, scan_vhd)  # noqa: F401

# Azure's limits on what it takes as an uploaded OS disk:
# - uploadSizeBytes (the VHD with its footer) lies between 20 MiB + 512 and 32 TiB + 512 bytes (the
#   DiskCreationData.uploadSizeBytes reference, "Upload a VHD to Azure or copy a managed disk to another region",
#   https://learn.microsoft.com/azure/virtual-machines/windows/disks-upload-vhd-to-managed-disk-powershell);
# - an OS disk holds at most 4 TiB, and a Generation 1 VM boots from an MBR disk, which addresses at most 2 TiB
#   ("Expand virtual hard disks attached to a Windows VM",
#   https://learn.microsoft.com/azure/virtual-machines/windows/expand-os-disk, which limits OS disks of Gen1 VMs,
#   MBR-partitioned, to 2 TiB, and Gen2 VMs' to 4 TiB).
MIN_VIRTUAL_SIZE = 20 * MIB
OS_DISK_MAX = {"V1": 2 * TIB, "V2": 4 * TIB}

@dataclass(frozen=True)
class VhdInfo:
    path: str
    file_size: int
    virtual_size: int  # the footer's current size: the disk the VM sees
    disk_type: str  # fixed | dynamic | differencing
    data_bytes: int  # bytes in the ranges that hold data (footer included): what an upload sends
    fingerprint: str  # "sha256:<hex>" of the data ranges (offsets and bytes) and the file's size



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
