"""STAND-IN for the `vhd` branch's upload provider (issue 22, item 3): the same class, arguments and
outputs, so that the graph (components/images/vhd_import.py) and the offline plan can be built against it.
At merge, take the `vhd` branch's components/providers/disk_upload.py instead of this file. It uploads
nothing: `pulumi up` with this stand-in stops at the upload, saying so.
"""

from __future__ import annotations

from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, ResourceProvider

OUTPUT_KEYS = ("bytes_sent", "data_bytes")
# As the vhd branch's provider: another disk, another file or another size is another upload.
REPLACE_KEYS = ("disk_id", "fingerprint", "size_bytes")


class DiskUploadProvider(ResourceProvider):
    def create(self, props: dict) -> CreateResult:
        raise RuntimeError("DiskUpload: this branch carries a stand-in of the upload provider (the vhd branch "
                           "implements it): nothing was uploaded")


class DiskUpload(pulumi.dynamic.Resource, module="disk_upload", name="DiskUpload"):
    """Write access granted to the disk, the VHD's data pages written, access revoked.
    Type token: pulumi-python:dynamic/disk_upload:DiskUpload."""

    disk_id: pulumi.Output[str]
    fingerprint: pulumi.Output[str]
    bytes_sent: pulumi.Output[float]
    data_bytes: pulumi.Output[float]

    def __init__(self, name: str, disk_id: pulumi.Input[str], vhd_path: str, fingerprint: str, size_bytes: int,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(DiskUploadProvider(), name, {
            "disk_id": disk_id, "vhd_path": vhd_path, "fingerprint": fingerprint, "size_bytes": size_bytes,
            **dict.fromkeys(OUTPUT_KEYS)}, opts)
