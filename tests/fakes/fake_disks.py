"""Managed disks for the fake ARM server (Microsoft.Compute/disks, API 2024-03-02), backed by Azurite for the pages.

A disk created for upload (`add_upload_disk`) behaves as Azure's direct upload does ("Upload a VHD to Azure or copy a
managed disk to another region"):
- ReadyToUpload --grant Write--> ActiveUpload --revoke--> Unattached. Grant Write on a disk in ActiveUpload gives a
  new SAS (the way to go on after one expired); on any other state it is refused with 409 OperationNotAllowed, and
  so is a Read grant during an upload. Revoke on a disk without access is accepted and changes nothing.
- The SAS is a page-blob URL in Azurite, of the disk's uploadSizeBytes, signed with Azurite's development account
  key through a stored access policy per grant: revoking deletes the policies, so Azurite itself refuses every
  write after it (403), as Azure does; `expire_sas()` moves a grant's expiry into the past (Azurite's 403 again).
- beginGetAccess / endGetAccess answer 202 with Azure-AsyncOperation and Location (DiskOperations), the result
  (`accessSAS`) from the Location once done.

Fixtures: `azurite` (one Azurite for the session), `fake_disks` (fake ARM + disk routes + that Azurite).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import Optional

import pytest

from offline.azurite import ACCOUNT, ACCOUNT_KEY, HOW_TO_INSTALL, Azurite, installed
from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm, FakeRequest, Reply, arm_error

DISK_API_VERSIONS = {"2024-03-02"}
_DISK = (r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
         r"/providers/Microsoft\.Compute/disks/(?P<name>[^/]+)")
_OPERATION = r"/subscriptions/[^/]+/providers/Microsoft\.Compute/locations/[^/]+/DiskOperations/(?P<op>[^/]+)"


@dataclass
class FakeDisk:
    name: str
    resource_group: str
    upload_size_bytes: int
    state: str = "ReadyToUpload"
    container: str = field(default_factory=lambda: f"md-{uuid.uuid4().hex[:12]}")
    grants: list[dict] = field(default_factory=list)  # bodies received
    revokes: int = 0
    policies: dict = field(default_factory=dict)  # stored access policy id -> expiry

    @property
    def arm_id(self) -> str:
        return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{self.resource_group}/providers/Microsoft.Compute/disks/{self.name}"


class DisksFake:
    def __init__(self, fake: FakeArm, azurite: Azurite, location: str = "westeurope") -> None:
        from azure.storage.blob import BlobServiceClient

        self.fake, self.azurite, self.location = fake, azurite, location
        self.service = BlobServiceClient.from_connection_string(azurite.connection_string)
        self.disks: dict[str, FakeDisk] = {}
        self.operations: dict[str, dict] = {}
        self.azurite_key = ACCOUNT_KEY
        self.endpoint = azurite.blob_endpoint  # what SAS URLs point at: a FaultProxy's, to inject faults
        self._lock = threading.Lock()
        v = DISK_API_VERSIONS
        fake.route("GET", _DISK, self._get, v)
        fake.route("POST", _DISK + "/beginGetAccess", self._grant, v)
        fake.route("POST", _DISK + "/endGetAccess", self._revoke, v)
        fake.route("GET", _OPERATION, self._operation, v)

    def add_upload_disk(self, name: str, upload_size_bytes: int, resource_group: str = "rg-onprem",
                        **kwargs) -> FakeDisk:
        disk = FakeDisk(name, resource_group, upload_size_bytes, **kwargs)
        self.disks[name.lower()] = disk
        self.service.create_container(disk.container).get_blob_client("abcd").create_page_blob(upload_size_bytes)
        return disk

    def blob(self, disk: FakeDisk):
        return self.service.get_blob_client(disk.container, "abcd")

    def expire_sas(self, disk: FakeDisk) -> None:
        """Every SAS granted so far stops working, as one past its expiry does."""
        past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
        self._set_policies(disk, {pid: past for pid in disk.policies})

    def _set_policies(self, disk: FakeDisk, policies: dict) -> None:
        from azure.storage.blob import AccessPolicy, BlobSasPermissions

        disk.policies = policies
        start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        self.service.get_container_client(disk.container).set_container_access_policy({
            pid: AccessPolicy(permission=BlobSasPermissions(read=True, write=True), expiry=exp, start=start)
            for pid, exp in policies.items()})

    def _disk(self, m) -> Optional[FakeDisk]:
        disk = self.disks.get(m["name"].lower())
        return disk if disk and disk.resource_group.lower() == m["rg"].lower() else None

    def _not_found(self, m) -> Reply:
        return arm_error(404, "ResourceNotFound", f"The Resource 'Microsoft.Compute/disks/{m['name']}' under "
                                                  f"resource group '{m['rg']}' was not found.")

    def _get(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            disk = self._disk(m)
            if disk is None:
                return self._not_found(m)
            return Reply(200, {"id": disk.arm_id, "name": disk.name, "location": self.location,
                               "type": "Microsoft.Compute/disks", "sku": {"name": "Standard_LRS"},
                               "properties": {"creationData": {"createOption": "Upload",
                                                               "uploadSizeBytes": disk.upload_size_bytes},
                                              "diskSizeGB": -(-disk.upload_size_bytes // 2**30),
                                              "diskState": disk.state, "provisioningState": "Succeeded"}})

    def _accepted(self, req: FakeRequest, m, result: Optional[dict]) -> Reply:
        op_id = uuid.uuid4().hex
        self.operations[op_id] = {"result": result}
        url = (f"{self.fake.base_url}/subscriptions/{m['sub']}/providers/Microsoft.Compute/locations/"
               f"{self.location}/DiskOperations/{op_id}?api-version={req.query['api-version']}")
        return Reply(202, None, {"Azure-AsyncOperation": url, "Location": url + "&monitor=true"})

    def _grant(self, req: FakeRequest, m) -> Reply:
        from azure.storage.blob import generate_blob_sas

        with self._lock:
            disk = self._disk(m)
            if disk is None:
                return self._not_found(m)
            body = req.json or {}
            disk.grants.append(body)
            if body.get("access") != "Write" or disk.state not in ("ReadyToUpload", "ActiveUpload"):
                return arm_error(409, "OperationNotAllowed", f"Operation 'BeginGetAccess' with access "
                                                             f"'{body.get('access')}' is not allowed on disk "
                                                             f"'{disk.name}' in state '{disk.state}'.")
            pid = f"grant-{len(disk.grants)}"
            expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=int(body["durationInSeconds"]))
            self._set_policies(disk, {**disk.policies, pid: expiry})
            disk.state = "ActiveUpload"
            sas = generate_blob_sas(ACCOUNT, disk.container, "abcd", account_key=ACCOUNT_KEY, policy_id=pid)
            url = self.blob(disk).url.replace(self.azurite.blob_endpoint, self.endpoint, 1)
            return self._accepted(req, m, {"accessSAS": f"{url}?{sas}"})

    def _revoke(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            disk = self._disk(m)
            if disk is None:
                return self._not_found(m)
            disk.revokes += 1
            if disk.state == "ActiveUpload":
                self._set_policies(disk, {})
                disk.state = "Unattached"
            return self._accepted(req, m, None)

    def _operation(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            op = self.operations.get(m["op"])
            if op is None:
                return arm_error(404, "OperationNotFound", m["op"])
            if req.query.get("monitor") == "true":
                return Reply(200, op["result"]) if op["result"] is not None else Reply(200)
            body: dict = {"name": m["op"], "status": "Succeeded", "startTime": "2026-01-01T10:00:00Z"}
            if op["result"] is not None:
                body["properties"] = {"output": op["result"]}
            return Reply(200, body)


@pytest.fixture(scope="session")
def azurite():
    if installed() is None:
        pytest.fail(HOW_TO_INSTALL)
    server = Azurite()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_disks(fake_arm: FakeArm, azurite: Azurite) -> DisksFake:
    return DisksFake(fake_arm, azurite)
