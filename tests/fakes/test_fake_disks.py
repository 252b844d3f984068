"""The fake disks refuse what Azure refuses, through the real azure-mgmt-compute client: a grant on a disk that is
not open for upload, a Read grant during an upload; and a revoke without access changes nothing."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient

from components.providers.arm import lro_polling
from tests.fakes.fake_arm import SUBSCRIPTION

API = "2024-03-02"


@pytest.fixture
def disks(fake):
    client = ComputeManagementClient(fake.credential, SUBSCRIPTION, base_url=fake.base_url,
                                     credential_scopes=[f"{fake.base_url}/.default"], **fake.client_kwargs)
    with client:
        yield client.disks


def _grant(disks, fake, access="Write"):
    return disks.begin_grant_access("rg-onprem", "disk-web", {"access": access, "durationInSeconds": 600},
                                    api_version=API, polling=lro_polling(0.01, fake.base_url)).result()


def _revoke(disks, fake):
    disks.begin_revoke_access("rg-onprem", "disk-web", api_version=API, polling=lro_polling(0.01, fake.base_url)).result()


def test_grant_write_opens_the_upload_and_revoke_closes_it_for_good(fake, fake_disks, disks):
    disk = fake_disks.add_upload_disk("disk-web", 32 * 2**20 + 512)
    assert _grant(disks, fake).access_sas.startswith(fake_disks.endpoint + "/") and disk.state == "ActiveUpload"
    assert _grant(disks, fake).access_sas and len(disk.policies) == 2  # again while active: a new SAS
    _revoke(disks, fake)
    assert disk.state == "Unattached" and disk.policies == {}
    with pytest.raises(HttpResponseError) as refused:
        _grant(disks, fake)
    assert refused.value.status_code == 409 and refused.value.error.code == "OperationNotAllowed"


def test_a_read_grant_during_an_upload_is_refused_and_a_revoke_without_access_is_a_no_op(fake, fake_disks, disks):
    disk = fake_disks.add_upload_disk("disk-web", 32 * 2**20 + 512)
    _revoke(disks, fake)
    assert disk.state == "ReadyToUpload" and disk.revokes == 1
    with pytest.raises(HttpResponseError) as refused:
        _grant(disks, fake, access="Read")
    assert refused.value.status_code == 409 and disk.state == "ReadyToUpload"
