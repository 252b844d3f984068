"""DiskUpload against the fake ARM's disks (grant and revoke like Azure) and Azurite (the pages), through the real
azure-mgmt-compute and azure-storage-blob clients."""

from __future__ import annotations

import pytest

from components.images import vhd
from components.providers.disk_upload import DiskUploadError
from offline.replacement import DYNAMIC_REPLACE_KEYS
from tests.providers.disk_upload_support import (RG, blob_matches_file, inputs, provider, proxy,  # noqa: F401
                                                 scan_cache, sparse_vhd)
from tests.providers.engine import create, create_error


def test_a_sparse_4_gib_disk_with_2_mib_of_data_sends_about_2_mib(fake, fake_disks, proxy, tmp_path):
    path = sparse_vhd(str(tmp_path / "web.vhd"))
    disk = fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size)
    p = provider(fake)

    result = create(p, inputs(fake, disk, path))

    assert result.id == disk.arm_id
    # 2 MiB of data, each MiB straddling a 64 KiB block at each end, plus the footer: ~2.1 MiB of a 4 GiB file.
    assert 2 * vhd.MIB < proxy.page_bytes == result.outs["bytes_sent"] == result.outs["data_bytes"] < 2.2 * vhd.MIB
    assert blob_matches_file(fake_disks, disk, path)
    # Granted for writing, once, then revoked: the disk is usable (Unattached), and Azure takes no more pages.
    assert disk.grants == [{"access": "Write", "durationInSeconds": 3600}] and disk.revokes == 1
    assert disk.state == "Unattached"
    assert {r.query.get("api-version") for r in fake.log} == {"2024-03-02"}
    assert result.outs["fingerprint"] == vhd.scan_vhd(path).fingerprint
    assert p.lines and "MiB of data written" in p.lines[-1] and "file 4.00 GiB" in p.lines[-1]


def test_after_the_revoke_the_sas_writes_nothing(fake, fake_disks, tmp_path, monkeypatch):
    # The fake must refuse like Azure, or "always revoke" would test nothing: keep the SAS the provider was given.
    from components.providers import page_upload
    seen: list[str] = []
    real = page_upload.blob_client
    monkeypatch.setattr(page_upload, "blob_client", lambda url, **kw: (seen.append(url), real(url, **kw))[1])
    path = sparse_vhd(str(tmp_path / "web.vhd"), 64 * vhd.MIB, 1)
    disk = fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size)
    create(provider(fake), inputs(fake, disk, path))

    with pytest.raises(Exception) as refused:
        real(seen[-1]).upload_page(b"\x01" * 512, offset=0, length=512)
    assert getattr(refused.value, "status_code", None) == 403


def test_the_sas_appears_in_no_output_and_no_progress_line(fake, fake_disks, tmp_path, capsys):
    path = sparse_vhd(str(tmp_path / "web.vhd"), 64 * vhd.MIB, 1)
    disk = fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size)
    p = provider(fake)
    result = create(p, inputs(fake, disk, path))
    everything = repr(result.outs) + "\n".join(p.lines) + "".join(capsys.readouterr())
    assert "sig=" not in everything and disk.container not in everything


def test_a_disk_closed_by_an_earlier_revoke_is_refused_with_the_replace_fix(fake, fake_disks, tmp_path):
    path = sparse_vhd(str(tmp_path / "web.vhd"), 64 * vhd.MIB, 1)
    disk = fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size, state="Unattached")

    message = create_error(provider(fake), inputs(fake, disk, path), DiskUploadError)

    assert "the disk is Unattached, not ReadyToUpload" in message
    assert "`pulumi up --replace urn:pulumi:onprem::image-factory::disk`" in message
    assert disk.grants == [] and disk.revokes == 0


def test_an_upload_left_active_by_a_killed_run_resumes_without_resending(fake, fake_disks, proxy, tmp_path):
    # A run killed before its revoke (the provider process ended) leaves the disk ActiveUpload with some pages:
    # the next create grants again and sends only the rest.
    path = sparse_vhd(str(tmp_path / "web.vhd"), 256 * vhd.MIB, 4)
    disk = fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size)
    first = vhd.data_ranges(path)[0]
    with open(path, "rb") as f:
        f.seek(first[0])
        fake_disks.blob(disk).upload_page(f.read(first[1] - first[0]), offset=first[0], length=first[1] - first[0])
    disk.state = "ActiveUpload"

    result = create(provider(fake), inputs(fake, disk, path))

    assert result.outs["bytes_sent"] == proxy.page_bytes == result.outs["data_bytes"] - (first[1] - first[0])
    assert blob_matches_file(fake_disks, disk, path) and disk.state == "Unattached"


def test_a_file_changed_since_the_plan_is_not_uploaded(fake, fake_disks, tmp_path):
    path = sparse_vhd(str(tmp_path / "web.vhd"), 64 * vhd.MIB, 1)
    disk = fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size)
    planned = inputs(fake, disk, path)
    with open(path, "r+b") as f:
        f.seek(10 * vhd.MIB)
        f.write(b"changed")

    message = create_error(provider(fake), planned, DiskUploadError)

    assert f"{path} changed since the plan" in message and "Nothing was uploaded" in message
    assert disk.grants == [] and disk.state == "ReadyToUpload"


def test_a_changed_fingerprint_replaces_and_a_moved_file_does_not(fake, fake_disks, tmp_path):
    path = sparse_vhd(str(tmp_path / "web.vhd"), 64 * vhd.MIB, 1)
    disk = fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size)
    p = provider(fake)
    old = {**p.check({}, inputs(fake, disk, path)).inputs, "bytes_sent": 1, "data_bytes": 1}

    changed = p.diff("id", old, {**old, "fingerprint": "sha256:" + "0" * 64})
    moved = p.diff("id", old, {**old, "vhd_path": "/elsewhere/web.vhd"})

    assert changed.replaces == ["fingerprint"] and moved.changes and moved.replaces == []
    assert DYNAMIC_REPLACE_KEYS["pulumi-python:dynamic/disk_upload:DiskUpload"] == ("disk_id", "fingerprint",
                                                                                      "size_bytes")


def test_check_names_a_bad_disk_id_and_a_size_azure_refuses(fake, fake_disks, tmp_path):
    path = sparse_vhd(str(tmp_path / "web.vhd"), 64 * vhd.MIB, 1)
    disk = fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size)
    checked = provider(fake).check({}, inputs(fake, disk, path, disk_id="/subscriptions/x/disks/y",
                                              size_bytes=64 * vhd.MIB + 1, fingerprint="md5:x"))
    assert {f.property for f in checked.failures} == {"disk_id", "size_bytes", "fingerprint"}


def test_progress_goes_to_stderr_where_pulumi_shows_a_dynamic_providers_output(fake, fake_disks, tmp_path, capsys):
    from components.providers.disk_upload import DiskUploadProvider
    path = sparse_vhd(str(tmp_path / "web.vhd"), 64 * vhd.MIB, 1)
    disk = fake_disks.add_upload_disk("disk-web", vhd.os.stat(path).st_size)
    create(DiskUploadProvider(**fake.provider_kwargs()), inputs(fake, disk, path))
    err = capsys.readouterr().err
    assert "DiskUpload disk-web: 1.1 of 1.1 MiB of data written (100%; file 0.06 GiB)" in err and "sig=" not in err


def test_scrub_cuts_the_sas_from_what_azure_core_puts_in_errors():
    from components.providers.page_upload import scrub
    sas = ("https://md-impexp-x1.z8.blob.storage.azure.net/cq5dzqvwtbnm/abcd?sv=2018-03-28&sr=b&si=1a2b-3c4d"
           "&sig=Zm9vYmFy%2Fc2VjcmV0%3D")
    text = (f"<urllib3.connection.HTTPSConnection>: Failed to establish a new connection (url: {sas})\n"
            f"Request URL: '{sas.replace('https://', 'http://')}' signature=abc123")
    cleaned = scrub(text, sas)
    assert "Zm9vYmFy" not in cleaned and "si=1a2b" not in cleaned and "abc123" not in cleaned
    assert "md-impexp-x1.z8.blob.storage.azure.net" in cleaned  # where it went stays readable
