"""What the DiskUpload tests share: VHD files made here (sparse: they cost only the bytes written), the provider
pointed at the fake ARM, its inputs, and the proxy fixture. The disks fake (with Azurite) is tests/fakes/fake_disks.py."""

from __future__ import annotations

import os

import pytest

from components.images import vhd
from components.providers.disk_upload import DiskUploadProvider
from tests.fakes.fake_arm import FakeArm
from tests.fakes.fake_disks import DisksFake, FakeDisk
from tests.fakes.fault_proxy import FaultProxy

RG = "rg-onprem"
MIB = vhd.MIB


def sparse_vhd(path: str, size: int = 4 * vhd.GIB, data_mib: int = 2) -> str:
    """A fixed VHD of `size` with `data_mib` MiB of data: 1 MiB pieces spread over the disk, all else a hole."""
    step = size // data_mib
    writes = tuple((i * step + 4096, bytes([i % 250 + 1]) * MIB) for i in range(data_mib))
    return vhd.write_fixed_vhd(path, size, writes)


def provider(fake: FakeArm, **kwargs) -> DiskUploadProvider:
    lines: list[str] = []
    p = DiskUploadProvider(**fake.provider_kwargs(), backoff_seconds=0.01, progress=lines.append, **kwargs)
    p.lines = lines  # type: ignore[attr-defined] - what it reported, for the tests
    return p


def inputs(fake: FakeArm, disk: FakeDisk, path: str, **overrides) -> dict:
    scan = vhd.scan_vhd(path)
    return {"disk_id": disk.arm_id, "vhd_path": path, "fingerprint": scan.fingerprint,
            "size_bytes": os.stat(path).st_size, "poll_interval_seconds": 0.01, "arm_endpoint": fake.base_url,
            "access_seconds": 3600, "parallel_uploads": 4, "disk_urn": "urn:pulumi:onprem::image-factory::disk",
            "bytes_sent": None, "data_bytes": None, "uploaded_at": None, "__provider": "serialized", **overrides}


def blob_matches_file(disks: DisksFake, disk: FakeDisk, path: str) -> bool:
    """The disk's pages equal the file, data ranges and zeros alike (read back in 64 MiB pieces where data is)."""
    blob = disks.blob(disk)
    with open(path, "rb") as f:
        for start, end in vhd.data_ranges(path):
            f.seek(start)
            if blob.download_blob(offset=start, length=end - start).readall() != f.read(end - start):
                return False
    landed = [(r.start, r.end + 1) for r in blob.list_page_ranges()]
    return sum(e - s for s, e in landed) == sum(e - s for s, e in vhd.data_ranges(path))


@pytest.fixture(autouse=True)
def scan_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(vhd.CACHE_ENV, str(tmp_path / "cache"))


@pytest.fixture
def proxy(fake_disks: DisksFake):
    p = FaultProxy(fake_disks.azurite.blob_endpoint)
    fake_disks.endpoint = p.endpoint
    try:
        yield p
    finally:
        p.stop()


CONTRACT_DISK = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-onprem/providers/"
                 "Microsoft.Compute/disks/disk-web-0a1b2c3d")


def contract_inputs(fake: FakeArm, **overrides) -> dict:
    """Inputs as the program sends them, for the contract suite (no file is read by check, diff or update)."""
    return {"disk_id": CONTRACT_DISK, "vhd_path": "/srv/hyperv/web.vhd", "fingerprint": "sha256:" + "ab" * 32,
            "size_bytes": 127 * 1024 * MIB + 512, "arm_endpoint": fake.base_url, "bytes_sent": None,
            "data_bytes": None, "uploaded_at": None, "__provider": "serialized", **overrides}


def contract_stored(fake: FakeArm) -> dict:
    return {**DiskUploadProvider().check({}, contract_inputs(fake)).inputs, "__provider": "old-pickle",
            "bytes_sent": 20 * 1024 * MIB, "data_bytes": 20 * 1024 * MIB, "uploaded_at": "2026-01-01T10:00:00+00:00"}
