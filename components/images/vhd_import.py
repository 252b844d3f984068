"""VhdImport: a generalized Windows disk from outside Azure (Hyper-V) brought in as images, in the graph.

local VHD -> managed disk (createOption Upload, uploadSizeBytes = the file's size, footer included) ->
DiskUpload (write access granted, the data pages written, access revoked) -> managed image (generalized,
of the stated generation) -> gallery image version (a definition of the import's name, gallery.py).
A VHD already in a storage account: the disk is created from the blob (createOption Import) instead.
("Upload a VHD to Azure or copy a managed disk to another region",
https://learn.microsoft.com/azure/virtual-machines/windows/disks-upload-vhd-to-managed-disk-powershell;
"Create a legacy managed image of a generalized VM in Azure",
https://learn.microsoft.com/azure/virtual-machines/capture-image-resource.)

Every name carries the file's fingerprint (naming.py): a new file is a new disk, image and version, each
created before the one it replaces is deleted; the fleets then move to the new version as after a build.
"""

from __future__ import annotations

from typing import Optional

import pulumi
from pulumi_azure_native import compute

from ..config.import_checks import checked_vhd
from ..config.imports import VhdImport as ImportSpec
from ..images.vhd import VhdInfo
from ..naming import Names, content_hash
from ..providers.disk_upload import DiskUpload, DiskUploadArgs
from .gallery import ImageGallery
from .gallery_version import gallery_version

# The disk is read once, to make the image (and the version): the cheapest SKU serves. Direct upload takes
# Standard HDD, Standard SSD and Premium SSD disks (the document above); not Ultra or Premium SSD v2.
DISK_SKU = "Standard_LRS"


def import_fingerprint(spec: ImportSpec, info: Optional[VhdInfo]) -> str:
    """The file's fingerprint (vhd.py); for a blob, of its URI and account: another blob, another disk."""
    if spec.vhd:
        assert info is not None, "a local VHD is read (config/import_checks.py) before the graph is built"
        return info.fingerprint
    return content_hash({"blobUri": spec.blob_uri, "storageAccountId": spec.storage_account_id}, 64)


class VhdImport(pulumi.ComponentResource):
    disk: compute.Disk
    upload: Optional[DiskUpload]
    image_id: Optional[pulumi.Output[str]]  # the managed image (managedImage: true)
    version_id: Optional[pulumi.Output[str]]  # the gallery version (gallery given)
    fingerprint: str  # what identifies the content: a build on it is named after it (layering.py)
    trusted_launch: bool  # whether fleets booting the version may run Trusted Launch (generation 2)

    def __init__(self, name: str, spec: ImportSpec, *, gallery: ImageGallery, location: str, protect: bool,
                 names: Names, opts: Optional[pulumi.ResourceOptions] = None):
        """The local VHD is the one config/import_checks.py read and accepted at load (read once: cached)."""
        super().__init__("image-factory:images:VhdImport", name, None, opts)
        info = checked_vhd(spec)[0]
        fingerprint = self.fingerprint = import_fingerprint(spec, info)
        self.trusted_launch = spec.trusted_launch
        rg = gallery.resource_group.name
        tags = names.tags(purpose="vhd-import", source=f"import:{name}")
        if info is not None:
            creation = {"create_option": "Upload", "upload_size_bytes": info.file_size}
        else:
            creation = {"create_option": "Import", "source_uri": spec.blob_uri,
                        "storage_account_id": spec.storage_account_id}
        self.disk = compute.Disk(
            f"{name}-disk", disk_name=names.import_disk(name, fingerprint), resource_group_name=rg, location=location,
            creation_data=creation, hyper_v_generation=spec.hyper_v_generation, os_type="Windows",
            sku={"name": DISK_SKU}, tags=tags, opts=pulumi.ResourceOptions(parent=self))
        self.upload = None
        ready: pulumi.Resource = self.disk
        disk_id: pulumi.Output[str] = self.disk.id
        if info is not None:
            # The path as the stack file gives it (relative to it): the same plan in every clone.
            self.upload = DiskUpload(f"{name}-upload", DiskUploadArgs(
                disk_id=self.disk.id, vhd_path=spec.vhd, fingerprint=fingerprint, size_bytes=info.file_size,
                disk_urn=self.disk.urn), opts=pulumi.ResourceOptions(parent=self))
            ready, disk_id = self.upload, self.upload.disk_id  # usable once the pages are written, access revoked
        after = pulumi.ResourceOptions(parent=self, depends_on=[ready])

        self.image_id = None
        source: dict = {"os_disk_image": {"source": {"id": disk_id}}}
        if spec.managed_image:
            image = compute.Image(
                f"{name}-image", image_name=names.import_image(name, fingerprint), resource_group_name=rg,
                location=location, hyper_v_generation=spec.hyper_v_generation,
                # Generalized: sysprep ran on Hyper-V before the disk was exported (docs/hyperv.md).
                storage_profile={"os_disk": {"os_type": "Windows", "os_state": "Generalized",
                                             "managed_disk": {"id": disk_id}}},
                tags=tags, opts=after)
            self.image_id = image.id
            source = {"source": {"id": image.id}}

        self.version_id = None
        if spec.gallery:
            version = gallery_version(
                f"{name}-gallery-version", definition=name, version_name=names.import_version(spec.gallery.major,
                                                                                               fingerprint),
                gallery=gallery, location=location, storage_profile=source,
                target_regions=[{"name": r, "regional_replica_count": 1, "storage_account_type": "Standard_LRS"}
                                for r in [location, *spec.gallery.regions]],
                shallow=not protect and not spec.gallery.regions,
                # The patch number comes from the fingerprint, not from time: 'latest' would not be the newest.
                exclude_from_latest=True, protect=protect, tags=tags, parent=self, opts=after)
            self.version_id = version.id
        self.register_outputs({"diskId": self.disk.id, "imageId": self.image_id, "versionId": self.version_id})
