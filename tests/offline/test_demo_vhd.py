"""The onprem stack's demo VHD: made by the plan where a clean clone has none, valid, sparse, the same everywhere."""

import hashlib

from components.images.vhd import check_vhd
from offline import demo_vhd


def test_the_demo_vhd_is_a_valid_fixed_vhd_of_azures_smallest_upload_size(tmp_path):
    demo_vhd.ensure(tmp_path)
    [(relative, size)] = demo_vhd.DEMO_FILES.items()
    info, problems = check_vhd(str(tmp_path / relative), "V1")
    assert problems == [] and info.disk_type == "fixed"
    # creationData.uploadSizeBytes' lower bound (Microsoft.Compute/disks 2024-03-02): 20 MiB + the footer.
    assert (info.virtual_size, info.file_size) == (size, 20972032)


def test_the_demo_vhd_is_the_same_in_every_clone_and_costs_a_few_kib(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    demo_vhd.ensure(tmp_path / "a"), demo_vhd.ensure(tmp_path / "b")
    [relative] = demo_vhd.DEMO_FILES
    a, b = tmp_path / "a" / relative, tmp_path / "b" / relative
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    assert a.stat().st_blocks * 512 < 1024 * 1024  # written sparse: the hole is not stored
    assert not list(a.parent.glob("*.partial"))


def test_an_existing_file_is_left_alone(tmp_path):
    [relative] = demo_vhd.DEMO_FILES
    (tmp_path / relative).parent.mkdir(parents=True)
    (tmp_path / relative).write_bytes(b"the user's own")
    demo_vhd.ensure(tmp_path)
    assert (tmp_path / relative).read_bytes() == b"the user's own"
