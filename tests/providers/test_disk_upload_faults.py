"""Faults in the middle of a DiskUpload, injected between the Storage SDK and Azurite by a loopback proxy (or, for
the SAS, by the fake disk's own expiry): the upload resumes and completes without resending what landed, and
access is revoked whatever happened."""

from __future__ import annotations

from components.images import vhd
from components.providers.disk_upload import DiskUploadError
from tests.fakes.fake_arm import arm_error
from tests.fakes.fault_proxy import BUSY, LOST, RESET
from tests.providers.disk_upload_support import (blob_matches_file, inputs, provider, proxy,  # noqa: F401
                                                 scan_cache, sparse_vhd)
from tests.providers.engine import create, create_error


def _disk(fake_disks, tmp_path, data_mib=8):
    # 8 pieces of 1 MiB (+ 64 KiB each) in a 512 MiB disk: Put Page calls of about 1.1 MiB.
    path = sparse_vhd(str(tmp_path / "web.vhd"), 512 * vhd.MIB, data_mib)
    return path, fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size)


def _sent_once(proxy, result) -> None:
    """Every byte of data reached Azurite exactly once: nothing that landed was sent again."""
    assert proxy.page_bytes == result.outs["data_bytes"] == result.outs["bytes_sent"]


def test_a_connection_reset_mid_upload_resumes(fake, fake_disks, proxy, tmp_path):
    path, disk = _disk(fake_disks, tmp_path)
    proxy.inject(action=RESET, after=3, count=2)

    result = create(provider(fake, ), inputs(fake, disk, path, parallel_uploads=1))

    _sent_once(proxy, result)
    assert proxy.page_bytes_failed > 0 and blob_matches_file(fake_disks, disk, path)
    assert disk.revokes == 1 and disk.state == "Unattached"


def test_a_page_whose_answer_was_lost_is_not_sent_again(fake, fake_disks, proxy, tmp_path):
    # The page reached Azurite, the answer did not: the SDK's own retry would resend it; the page ranges say it
    # landed, so the next pass skips it.
    path, disk = _disk(fake_disks, tmp_path)
    proxy.inject(action=LOST, after=2, count=1)

    result = create(provider(fake), inputs(fake, disk, path, parallel_uploads=1))

    assert proxy.page_bytes == result.outs["data_bytes"]  # the lost one counted once, at Azurite
    assert result.outs["bytes_sent"] < result.outs["data_bytes"]  # ...and not by us: we never saw it succeed
    assert blob_matches_file(fake_disks, disk, path)


def test_503_server_busy_mid_upload_resumes(fake, fake_disks, proxy, tmp_path):
    path, disk = _disk(fake_disks, tmp_path)
    proxy.inject(action=BUSY, after=1, count=3)

    result = create(provider(fake), inputs(fake, disk, path, parallel_uploads=4))

    _sent_once(proxy, result)
    assert blob_matches_file(fake_disks, disk, path)


def test_an_expired_sas_is_granted_again_and_the_upload_goes_on(fake, fake_disks, proxy, tmp_path, monkeypatch):
    path, disk = _disk(fake_disks, tmp_path)
    from components.providers import page_upload
    real, calls = page_upload.blob_client, []

    class Expiring:
        """The SAS expires after 3 pages of the first grant, as Azurite judges it (403)."""

        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            return getattr(self.client, name)

        def upload_page(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == 4 and len(disk.grants) == 1:
                fake_disks.expire_sas(disk)
            return self.client.upload_page(*args, **kwargs)

    monkeypatch.setattr(page_upload, "blob_client", lambda url, **kw: Expiring(real(url, **kw)))

    result = create(provider(fake), inputs(fake, disk, path, parallel_uploads=1))

    assert len(disk.grants) == 2 and all(g["access"] == "Write" for g in disk.grants)
    _sent_once(proxy, result)
    assert blob_matches_file(fake_disks, disk, path) and disk.state == "Unattached"


def test_a_fault_that_never_ends_fails_names_the_step_revokes_and_hides_the_sas(fake, fake_disks, proxy, tmp_path):
    path, disk = _disk(fake_disks, tmp_path, data_mib=2)
    proxy.inject(action=BUSY, after=0, count=10_000)

    message = create_error(provider(fake), inputs(fake, disk, path), DiskUploadError)

    assert "failed in step 'write the pages'" in message and "HTTP 503" in message and "gave up after" in message
    assert "`pulumi up --replace urn:pulumi:onprem::image-factory::disk`" in message
    assert disk.revokes == 1 and disk.state == "Unattached"  # no write SAS outlives the run
    assert "sig=" not in message and disk.container not in message


def test_a_refused_revoke_says_how_to_revoke_by_hand(fake, fake_disks, tmp_path):
    path, disk = _disk(fake_disks, tmp_path, data_mib=1)
    fake.inject("POST", r".*/disks/disk-web/endGetAccess",
                *[arm_error(409, "OperationNotAllowed", "Disk is being written.")] * 10)

    message = create_error(provider(fake), inputs(fake, disk, path), DiskUploadError)

    assert "but revoking write access to managed disk disk-web (resource group rg-onprem) failed" in message
    assert "`az disk revoke-access -g rg-onprem -n disk-web`" in message


def test_a_file_that_shrank_during_the_upload_is_refused_not_padded(fake, fake_disks, tmp_path):
    import datetime as dt

    import pytest
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas

    from components.providers import page_upload
    path, disk = _disk(fake_disks, tmp_path, data_mib=1)
    ranges = vhd.data_ranges(path)
    with open(path, "r+b") as f:  # cut after the scan: the footer's range now lies past the end
        f.truncate(256 * vhd.MIB)
    sas = generate_blob_sas("devstoreaccount1", disk.container, "abcd", account_key=fake_disks.azurite_key,
                            permission=BlobSasPermissions(read=True, write=True),
                            expiry=dt.datetime(2099, 1, 1))
    with pytest.raises(page_upload.UploadFailed) as failed:
        page_upload.upload(path, ranges, f"{fake_disks.blob(disk).url}?{sas}", progress=lambda _l: None)
    assert f"{path} is shorter than it was when scanned" in str(failed.value)
