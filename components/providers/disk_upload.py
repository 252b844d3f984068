"""DiskUpload: write a local fixed VHD into a managed disk created for upload, inside the Pulumi graph.

    compute.Disk (creationData.createOption Upload, uploadSizeBytes = the file's size) -> DiskUpload -> compute.Image

Azure's direct upload ("Upload a VHD to Azure or copy a managed disk to another region",
https://learn.microsoft.com/azure/virtual-machines/windows/disks-upload-vhd-to-managed-disk-powershell): a disk
made for upload is ReadyToUpload; granting Write access (POST beginGetAccess) gives a SAS for its page blob and
makes it ActiveUpload; the pages are written; revoking access (POST endGetAccess) makes it Unattached, usable by
an image or a VM, and no SAS works on it again. So:

- create: GET the disk (ReadyToUpload or ActiveUpload, else stop with the fix), grant Write access for
  access_seconds, write the data ranges (page_upload.py: only data, in parallel, in passes that skip what landed,
  a new grant when the SAS stops working), and revoke access ALWAYS, on failure too, so that no write SAS outlives
  the run. A failure therefore leaves the disk Unattached with part of the data: Azure will not take more pages, and
  the next `pulumi up` stops at the disk's state with the `pulumi up --replace <disk URN>` fix. Faults that the
  passes absorb (connection resets, 5xx, an expired SAS) are resumed within the run without resending.
- fingerprint (of the file's content, components/images/vhd.py) and size_bytes replace: a changed file is a new
  upload, which needs a new disk (Azure uploads once per disk): the disk's name must change with the fingerprint,
  which the caller sees to. vhd_path is tuning: the same content moved elsewhere is not uploaded again.
- The file is scanned again at create (cached by size, mtime, inode) and must still have the fingerprint the plan
  saw: a file changed between preview and up is refused, not uploaded under the old fingerprint.
- Progress lines go to stderr, which Pulumi shows for the resource: `pulumi.log` does not work inside a Python
  dynamic provider (the provider process has no engine connection, pulumi/pulumi#6065, #20409).
- The SAS never leaves this module: not in outputs, progress or errors (page_upload.scrub); errors are raised
  `from None`, because Pulumi's provider server sends the whole traceback, chained exceptions included.
- delete and read: nothing in Azure (the disk is its own resource). As for ImageBuild: a create holds one of the
  provider process's 4 worker threads; credentials as in arm.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

import pulumi
from azure.core.exceptions import AzureError
from azure.mgmt.compute import ComputeManagementClient
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult

from components.images import vhd
from components.providers import page_upload
from components.providers.arm import (DEFAULT_ARM_ENDPOINT, ArmCallFailed, ArmRetry, ArmSession, call_with_retry,
                                      describe_error, lro_polling)
from components.providers.base import ArmDynamicProvider, ArmDynamicResource, resource_props

API_VERSION = "2024-03-02"  # what azure-native 3.29 sends for disks; azure-mgmt-compute 39 would send 2026-03-02
REPLACE_KEYS = ("disk_id", "fingerprint", "size_bytes")
TUNING_KEYS = ("vhd_path", "access_seconds", "parallel_uploads", "poll_interval_seconds", "api_version",
               "arm_endpoint", "disk_urn")
INPUT_KEYS = REPLACE_KEYS + TUNING_KEYS
OUTPUT_KEYS = ("bytes_sent", "data_bytes", "uploaded_at")  # plus disk_id and fingerprint, inputs kept as outputs
DEFAULTS = {"access_seconds": 86400, "parallel_uploads": 8, "poll_interval_seconds": 5, "api_version": API_VERSION,
            "arm_endpoint": DEFAULT_ARM_ENDPOINT, "disk_urn": ""}
DISK_ID = re.compile(r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
                     r"/providers/Microsoft\.Compute/disks/(?P<name>[^/]+)", re.IGNORECASE)
UPLOADABLE = ("ReadyToUpload", "ActiveUpload")
__all__ = ["DiskUpload", "DiskUploadArgs", "DiskUploadError", "DiskUploadProvider"]


class DiskUploadError(Exception):
    """The upload did not complete; the message is the whole explanation and holds no SAS."""


class DiskUploadProvider(ArmDynamicProvider):
    REPLACE_KEYS, TUNING_KEYS, DEFAULTS, CLIENT = REPLACE_KEYS, TUNING_KEYS, DEFAULTS, ComputeManagementClient
    # access_seconds: our bound (5 min to 5 days; Microsoft's upload example grants 86400 s, and an expired SAS is
    # granted again mid-upload anyway); uploadSizeBytes lies between 20 MiB + 512 and 32 TiB + 512 (vhd.py).
    RANGES = {"access_seconds": (300, 432000), "parallel_uploads": (1, 64), "poll_interval_seconds": (0.001, 3600),
              "size_bytes": (vhd.MIN_VIRTUAL_SIZE + vhd.FOOTER_SIZE, 32 * vhd.TIB + vhd.FOOTER_SIZE)}
    _blob_kwargs: dict = {}
    _progress: Optional[Callable[[str], None]] = None
    _backoff_seconds: float = 1.0

    def __init__(self, *, credential: Any = None, client_kwargs: Optional[dict] = None,
                 retry: Optional[ArmRetry] = None, blob_kwargs: Optional[dict] = None,
                 progress: Optional[Callable[[str], None]] = None, backoff_seconds: float = 1.0) -> None:
        super().__init__(credential=credential, client_kwargs=client_kwargs, retry=retry)
        self._blob_kwargs, self._progress, self._backoff_seconds = dict(blob_kwargs or {}), progress, backoff_seconds

    def _with_defaults(self, props: dict) -> dict:
        a = super()._with_defaults(props)
        m = DISK_ID.fullmatch(a["disk_id"]) if isinstance(a.get("disk_id"), str) else None
        if m:  # the management client's subscription, and where the disk is
            a = {**a, "subscription_id": m["sub"], "resource_group_name": m["rg"], "disk_name": m["name"]}
        return a

    def check(self, olds: dict, news: dict) -> CheckResult:
        result = super().check(olds, news)
        disk_id, size = result.inputs.get("disk_id"), result.inputs.get("size_bytes")
        if isinstance(disk_id, str) and disk_id and not DISK_ID.fullmatch(disk_id):
            result.failures.append(CheckFailure("disk_id", f"disk_id {disk_id!r} is not the ARM ID of a managed "
                                                           f"disk (/subscriptions/.../providers/Microsoft.Compute/"
                                                           f"disks/<name>)"))
        if isinstance(size, int) and (size - vhd.FOOTER_SIZE) % vhd.MIB:
            result.failures.append(CheckFailure("size_bytes", f"size_bytes {size} is not a whole number of MiB plus "
                                                              f"the 512-byte footer, which Azure requires"))
        return result

    def _invalid(self, key: str, value: Any) -> Optional[str]:
        if key == "disk_urn":
            return None if isinstance(value, str) else f"disk_urn must be a string, got {value!r}"
        if key == "fingerprint" and isinstance(value, str) and not value.startswith("sha256:"):
            return f"fingerprint must be vhd.check_vhd's 'sha256:<hex>', got {value!r}"
        return super()._invalid(key, value)

    def create(self, props: dict) -> CreateResult:
        a = self._with_defaults(props)
        path, disk = a["vhd_path"], f"managed disk {a['disk_name']} (resource group {a['resource_group_name']})"
        try:
            scan = vhd.scan_vhd(path)
            size = os.stat(path).st_size
        except OSError as exc:
            raise DiskUploadError(f"DiskUpload cannot read {path} ({exc.strerror or exc}): run `pulumi up` where "
                                  f"the VHD is, or point the stack at it") from None
        if scan.fingerprint != a["fingerprint"] or size != a["size_bytes"]:
            raise DiskUploadError(f"DiskUpload: {path} changed since the plan (now {size} bytes, {scan.fingerprint}; "
                                  f"the plan had {a['size_bytes']} bytes, {a['fingerprint']}). Nothing was uploaded "
                                  f"to {disk}; run `pulumi up` again so that the plan sees the new file (a new disk).")
        with self._session(a) as session:
            job = _Job(self, session, a, disk)
            try:
                stats = job.run(scan)
            except (AzureError, ArmCallFailed, page_upload.UploadFailed) as exc:
                why = str(exc) if isinstance(exc, page_upload.UploadFailed) else describe_error(exc)
                failure: Optional[str] = f"DiskUpload of {path} to {disk} failed in step '{job.step}': " \
                                         f"{page_upload.scrub(why, *job.urls)}."
            else:
                failure = None
            finally:
                revoked = job.revoke()
        if failure:
            raise DiskUploadError(f"{failure} {revoked} {job.replace_hint()}".strip()) from None
        if revoked:  # uploaded, but access may still be open: not done
            raise DiskUploadError(f"DiskUpload wrote {path} to {disk}, but {revoked[0].lower()}{revoked[1:]}") from None
        return CreateResult(a["disk_id"], {
            **{k: a[k] for k in INPUT_KEYS}, "bytes_sent": stats.bytes_sent, "data_bytes": scan.data_bytes,
            "uploaded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})


class _Job:
    def __init__(self, provider: DiskUploadProvider, session: ArmSession, a: dict, disk: str) -> None:
        self.p, self.session, self.a, self.disk = provider, session, a, disk
        self.rg, self.name, self.api = a["resource_group_name"], a["disk_name"], a["api_version"]
        self.step, self.urls, self.granted, self.state = "read the disk", [], False, None

    @property
    def ops(self) -> Any:
        return self.session.client.disks  # the current client: a 401 renews it

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        return call_with_retry(call, what=what, retry=self.p.arm_retry, session=self.session)

    def _poll(self) -> Any:
        return lro_polling(float(self.a["poll_interval_seconds"]), self.a["arm_endpoint"])

    def grant(self) -> str:
        self.step, self.granted = "grant write access", True
        access = self._call(f"POST disks/{self.name}/beginGetAccess", lambda: self.ops.begin_grant_access(
            self.rg, self.name, {"access": "Write", "durationInSeconds": int(self.a["access_seconds"])},
            api_version=self.api, polling=self._poll()).result())
        sas = getattr(access, "access_sas", None)
        if not sas:
            raise DiskUploadError(f"DiskUpload: Azure granted write access to {self.disk} but returned no SAS")
        self.urls.append(sas)
        self.step = "write the pages"
        return sas

    def run(self, scan: vhd.Scan) -> page_upload.UploadStats:
        disk = self._call(f"GET disks/{self.name}", lambda: self.ops.get(self.rg, self.name, api_version=self.api))
        state = getattr(disk.properties, "disk_state", None) or ""
        self.state = str(getattr(state, "value", state))  # the wire string, not the SDK's enum
        if self.state not in UPLOADABLE:
            shown = self.state or "in no state"
            raise DiskUploadError(
                f"DiskUpload cannot write {self.a['vhd_path']} to {self.disk}: the disk is {shown}, not "
                f"ReadyToUpload. Azure takes pages only between the grant and the revoke of its first upload; an "
                f"earlier run that failed revoked access, which closed the disk. {self.replace_hint()}")
        sas = self.grant()
        return page_upload.upload(
            self.a["vhd_path"], scan.ranges, sas, parallel=int(self.a["parallel_uploads"]), regrant=self.grant,
            max_idle_passes=self.p.arm_retry.attempts, backoff_seconds=self.p._backoff_seconds,
            progress=self.p._progress, client_kwargs=self.p._blob_kwargs, label=f"DiskUpload {self.name}")

    def revoke(self) -> str:
        """Revoke access whenever a grant was asked for (its answer may have been lost). '' when done, else why not."""
        if not self.granted:
            return ""
        try:
            self._call(f"POST disks/{self.name}/endGetAccess", lambda: self.ops.begin_revoke_access(
                self.rg, self.name, api_version=self.api, polling=self._poll()).result())
        except (AzureError, ArmCallFailed) as exc:
            return (f"Revoking write access to {self.disk} failed ({page_upload.scrub(describe_error(exc), *self.urls)}"
                    f"): revoke it with `az disk revoke-access -g {self.rg} -n {self.name}`; until then the SAS "
                    f"works for up to {int(self.a['access_seconds'])} s.")
        return ""

    def replace_hint(self) -> str:
        urn = self.a.get("disk_urn") or "<the disk's URN>"
        return f"Upload again into a new disk: `pulumi up --replace {urn}`."


@dataclass
class DiskUploadArgs:
    disk_id: pulumi.Input[str]  # the compute.Disk made with createOption Upload (its id: the upload depends on it)
    vhd_path: str
    fingerprint: str  # vhd.check_vhd's VhdInfo.fingerprint
    size_bytes: int  # the file's size, footer included: the disk's uploadSizeBytes
    access_seconds: pulumi.Input[int] = 86400  # how long the write SAS lives (a new one is asked when it expires)
    parallel_uploads: pulumi.Input[int] = 8
    poll_interval_seconds: pulumi.Input[float] = 5
    api_version: pulumi.Input[str] = API_VERSION
    arm_endpoint: pulumi.Input[str] = DEFAULT_ARM_ENDPOINT
    disk_urn: pulumi.Input[str] = ""  # for the `pulumi up --replace` advice


class DiskUpload(ArmDynamicResource, module="disk_upload", name="DiskUpload"):
    """One upload of one VHD into one managed disk. Type token: pulumi-python:dynamic/disk_upload:DiskUpload."""

    disk_id: pulumi.Output[str]
    fingerprint: pulumi.Output[str]
    bytes_sent: pulumi.Output[int]
    data_bytes: pulumi.Output[int]
    uploaded_at: pulumi.Output[str]

    def __init__(self, resource_name: str, args: DiskUploadArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(DiskUploadProvider(), resource_name, resource_props(args, OUTPUT_KEYS), opts)
