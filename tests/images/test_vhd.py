"""components/images/vhd.py on VHD files made here (sparse: a 4 GiB file costs the bytes written), one test per check:
the file is judged by its content, never by its extension, and every problem says its fix."""

from __future__ import annotations

import os
import struct

import pytest

from components.images import vhd, vhd_scan
from components.images.vhd import GIB, MIB, TIB, check_vhd, data_ranges, make_footer, scan_vhd, write_fixed_vhd


@pytest.fixture(autouse=True)
def scan_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(vhd.CACHE_ENV, str(tmp_path / "cache"))


def dynamic_vhd(path: str, virtual: int, disk_type: int = 3) -> str:
    """A dynamic (3) or differencing (4) VHD as Hyper-V lays one out: footer copy, 'cxsparse' header, BAT, footer."""
    footer = make_footer(virtual, disk_type)
    header = bytearray(1024)
    header[:8] = b"cxsparse"
    struct.pack_into(">QQII", header, 8, 0xFFFFFFFFFFFFFFFF, 1536, 0x00010000, virtual // (2 * MIB))
    with open(path, "wb") as f:
        f.write(footer + bytes(header) + b"\xff" * 512 + footer)
    return path


def test_a_fixed_vhd_passes_and_reports_its_sizes_and_data(tmp_path):
    path = write_fixed_vhd(str(tmp_path / "web.vhd"), 4 * GIB, ((0, b"\x01" * MIB), (3 * GIB, b"\x02" * MIB)))

    info, problems = check_vhd(path, "V2")

    assert problems == []
    assert (info.file_size, info.virtual_size, info.disk_type) == (4 * GIB + 512, 4 * GIB, "fixed")
    assert info.data_bytes == 2 * MIB + 512  # both MiB, whole 64 KiB blocks, and the footer
    assert info.fingerprint.startswith("sha256:") and len(info.fingerprint) == 71


def test_the_footer_is_read_as_the_specification_lays_it_out(tmp_path):
    raw = make_footer(64 * MIB)
    footer = vhd.parse_footer(raw)
    assert raw[:8] == b"conectix" and footer.version == 0x00010000 and footer.features == 2
    assert footer.data_offset == 0xFFFFFFFFFFFFFFFF and footer.disk_type == 2
    assert footer.original_size == footer.current_size == 64 * MIB
    # 64 MiB = 131072 sectors: the appendix's algorithm gives 17 sectors per track, 8 heads, 963 cylinders.
    assert (footer.geometry >> 16, (footer.geometry >> 8) & 0xFF, footer.geometry & 0xFF) == (963, 8, 17)
    assert footer.checksum == (~(sum(raw) - sum(raw[64:68])) & 0xFFFFFFFF)


def test_a_vhdx_is_refused_with_the_convert_vhd_command_whatever_its_name(tmp_path):
    path = str(tmp_path / "web.vhd")  # named .vhd, but a VHDX inside
    with open(path, "wb") as f:
        f.write(b"vhdxfile" + b"\x00" * (MIB - 8))

    info, problems = check_vhd(path, "V2")

    assert info is None
    assert problems == [f"{path} is a VHDX (signature 'vhdxfile'), and Azure takes only a fixed VHD: convert it on "
                        f"Hyper-V with `Convert-VHD -Path {path} -DestinationPath {path[:-4]}-fixed.vhd -VHDType "
                        f"Fixed` and point the stack at the .vhd"]


def test_a_vhd_named_vhdx_is_read_as_the_vhd_it_is(tmp_path):
    path = write_fixed_vhd(str(tmp_path / "web.vhdx"), 32 * MIB, ((0, b"\x01"),))
    assert check_vhd(path, "V1")[1] == []


@pytest.mark.parametrize("disk_type, kind", [(3, "dynamic"), (4, "differencing")])
def test_a_dynamic_or_differencing_vhd_is_refused_with_convert_vhd_fixed(tmp_path, disk_type, kind):
    path = dynamic_vhd(str(tmp_path / "web.vhd"), 127 * GIB, disk_type)

    info, problems = check_vhd(path, "V2")

    assert info.disk_type == kind
    assert problems == [f"{path} is a {kind} VHD, and Azure takes only a fixed one: convert it with "
                        f"`Convert-VHD -Path {path} -DestinationPath {path[:-4]}-fixed.vhd -VHDType Fixed`"]


def test_a_bad_footer_checksum_says_the_file_is_damaged(tmp_path):
    path = write_fixed_vhd(str(tmp_path / "web.vhd"), 32 * MIB)
    with open(path, "r+b") as f:
        f.seek(32 * MIB + 48)  # current size: one bit flipped, checksum left as it was
        f.write(struct.pack(">Q", 32 * MIB + 1024))

    info, problems = check_vhd(path, "V2")

    assert info is None and len(problems) == 1
    assert problems[0].startswith(f"{path} has a VHD footer whose checksum is wrong")
    assert problems[0].endswith("the file is damaged; copy or export it again")


def test_no_footer_says_damaged_or_not_a_vhd(tmp_path):
    path = str(tmp_path / "web.vhd")
    with open(path, "wb") as f:
        f.truncate(32 * MIB)  # a raw disk image: zeros where the footer would be

    info, problems = check_vhd(path, "V2")

    assert info is None
    assert problems == [f"{path} has no VHD footer (no 'conectix' cookie in its last 512 bytes): the file is damaged "
                        f"or not a VHD; export the disk again from Hyper-V as a fixed VHD"]
    tiny = str(tmp_path / "tiny.vhd")
    open(tiny, "wb").write(b"conectix")
    assert "has no VHD footer" in check_vhd(tiny, "V2")[1][0]


def test_a_virtual_size_not_a_whole_mib_gives_the_resize_vhd_fix(tmp_path):
    path = write_fixed_vhd(str(tmp_path / "web.vhd"), 40 * MIB + 3 * 512)

    _info, problems = check_vhd(path, "V2")

    assert problems == [f"{path} has a virtual size of {40 * MIB + 1536} bytes, not a whole number of MiB as Azure "
                        f"requires: resize it with `Resize-VHD -Path {path} -SizeBytes {41 * MIB}`"]


def test_a_file_whose_size_is_not_virtual_size_plus_512_is_truncated(tmp_path):
    path = write_fixed_vhd(str(tmp_path / "web.vhd"), 32 * MIB)
    footer = open(path, "rb").read()[-512:]
    with open(path, "r+b") as f:  # a copy that lost its last MiB of data, footer kept
        f.truncate(31 * MIB)
        f.seek(31 * MIB)
        f.write(footer)

    _info, problems = check_vhd(path, "V2")

    assert problems == [f"{path} is {31 * MIB + 512} bytes but its footer says {32 * MIB} + 512: the file is "
                        f"truncated or damaged; copy or export it again"]


def test_a_disk_below_azures_20_mib_minimum_is_refused(tmp_path):
    path = write_fixed_vhd(str(tmp_path / "web.vhd"), 8 * MIB)
    assert check_vhd(path, "V2")[1] == [f"{path} has a virtual size of {8 * MIB} bytes, below Azure's 20 MiB minimum "
                                        f"for an uploaded disk: grow it with `Resize-VHD -Path {path} -SizeBytes "
                                        f"{20 * MIB}`"]


def test_os_disk_limits_depend_on_the_generation(tmp_path):
    path = write_fixed_vhd(str(tmp_path / "big.vhd"), 3 * TIB)  # sparse: costs nothing

    gen1, gen2 = check_vhd(path, "V1")[1], check_vhd(path, "V2")[1]

    assert gen1 == [f"{path} has a virtual size of 3.00 TiB, but a Generation 1 OS disk is MBR, which Azure limits to "
                    f"2 TiB: shrink the partition and the disk (`Resize-VHD -Path {path} -ToMinimumSize`) to 2048 GiB "
                    f"or less"]
    assert gen2 == []
    bigger = write_fixed_vhd(str(tmp_path / "bigger.vhd"), 4 * TIB + MIB)
    assert "Azure's OS disks hold at most 4 TiB" in check_vhd(bigger, "V2")[1][0]
    assert check_vhd(path, "V3")[1] == ["generation 'V3' is not a Hyper-V generation: state V1 or V2"]


def test_data_ranges_skip_holes_and_zeros_keep_the_footer_and_merge(tmp_path):
    path = str(tmp_path / "web.vhd")
    write_fixed_vhd(path, 64 * MIB, ((0, b"\x01" * 100), (64 * 1024, b"\x02"), (10 * MIB, bytes(MIB))))
    with open(path, "r+b") as f:  # allocated zeros: written, yet nothing to send
        f.seek(20 * MIB)
        f.write(bytes(2 * MIB))

    assert data_ranges(path) == [(0, 128 * 1024), (64 * MIB, 64 * MIB + 512)]
    assert all(s % 512 == 0 and e % 512 == 0 for s, e in data_ranges(path, granule=512))
    assert data_ranges(path, granule=512) == [(0, 512), (64 * 1024, 64 * 1024 + 512), (64 * MIB, 64 * MIB + 512)]


def test_the_fingerprint_follows_the_content_not_the_sparseness(tmp_path):
    a = write_fixed_vhd(str(tmp_path / "a.vhd"), 32 * MIB, ((MIB, b"data"),))
    b = str(tmp_path / "b.vhd")
    with open(a, "rb") as src, open(b, "wb") as dst:
        dst.write(src.read())  # the same bytes, every zero allocated
    assert os.stat(b).st_blocks > os.stat(a).st_blocks
    assert scan_vhd(a).fingerprint == scan_vhd(b).fingerprint
    with open(b, "r+b") as f:
        f.seek(5 * MIB)
        f.write(b"\x01")
    assert scan_vhd(b).fingerprint != scan_vhd(a).fingerprint


def test_an_unchanged_file_is_not_read_again(tmp_path, monkeypatch):
    path = write_fixed_vhd(str(tmp_path / "web.vhd"), 32 * MIB, ((MIB, b"data"),))
    first = scan_vhd(path)
    reads = []
    real = vhd_scan._walk
    monkeypatch.setattr(vhd_scan, "_walk", lambda *a: (reads.append(1), real(*a))[1])

    assert scan_vhd(path) == first and reads == []  # the sidecar answered
    with open(path, "r+b") as f:  # same size, new content: mtime moves
        f.seek(2 * MIB)
        f.write(b"more")
    assert scan_vhd(path).fingerprint != first.fingerprint and reads == [1]
