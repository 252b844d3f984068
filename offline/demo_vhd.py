"""The demo VHD the shipped onprem stack imports: a tiny, valid fixed VHD, made on demand, never committed.

A real disk has gigabytes; the onprem stack shows the graph, so its file is the smallest Azure takes for an
upload (20 MiB + the 512-byte footer: creationData.uploadSizeBytes' lower bound, Microsoft.Compute/disks
2024-03-02) and holds one sector of data: written sparse, it costs a few KiB on disk, and its content, hence
its fingerprint, is the same in every clone. The footer follows Microsoft's "Virtual Hard Disk Image Format
Specification" (cookie, big-endian fields, CHS geometry, one's-complement checksum). It boots nothing: put
your own generalized VHD's path in the stack file (docs/hyperv.md).

    python -m offline.demo_vhd   # writes it, if absent (the offline plan does this itself)
"""

from __future__ import annotations

import sys
from pathlib import Path

from components.images.vhd_format import make_footer

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
# Path (relative to the repository, ignored by git) -> virtual size in bytes.
DEMO_FILES = {"onprem/ws2016-gen1.vhd": 20 * MIB}
_MARKER = b"image-factory demo disk: not bootable; replace it with your generalized VHD (docs/hyperv.md)"


def footer(size: int) -> bytes:
    """The footer of a fixed VHD of `size`, by the VHD specification (components/images/vhd_format.py), with
    a fixed unique ID, so that every clone makes the same file (and the same fingerprint)."""
    return make_footer(size, uuid=bytes(range(16)))


def write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as f:
        f.write(_MARKER.ljust(510, b"\0") + b"\x55\xaa")  # one boot sector's worth of data
        f.seek(size)  # a hole up to the footer: nothing written, nothing stored
        f.write(footer(size))
    partial.replace(path)  # never a half-written VHD under the real name


def ensure(root: Path = ROOT) -> None:
    for relative, size in DEMO_FILES.items():
        if not (root / relative).exists():
            write(root / relative, size)


if __name__ == "__main__":
    ensure()
    sys.exit(0)
