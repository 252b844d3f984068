"""Disks from outside Azure (issue 22): a generalized Windows VHD from Hyper-V, brought in as a managed
image, a gallery image version of a definition of its own, or both.

The course's chain for an on-premises machine: sysprep (generalize, shut down) on Hyper-V, upload its disk,
make an image ("Prepare a Windows VHD or VHDX to upload to Azure",
https://learn.microsoft.com/azure/virtual-machines/windows/prepare-for-upload-vhd-image). The disk comes
from a local file, uploaded straight to a managed disk ("Upload a VHD to Azure or copy a managed disk to
another region", https://learn.microsoft.com/azure/virtual-machines/windows/disks-upload-vhd-to-managed-disk-powershell),
or from a VHD already in a storage account (a disk created with createOption Import from the blob).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

from pydantic import BeforeValidator, Field, model_validator

from . import azure_rules as rules
from .images import Identifier
from .secrets import SAS_SIGNATURE
from .types import HttpsUri, Model, Region, StorageAccountId

Generation = Literal["V1", "V2"]


def _no_sas(value: object) -> object:
    # Checked before the https rule, whose SAS message speaks of customizers' artifactSasToken.
    if isinstance(value, str) and SAS_SIGNATURE.search(value):
        raise ValueError("must not carry a SAS token: Azure reads the blob through storageAccountId (createOption "
                         "Import), and a token in the URI would be stored in the state; give the URI without it")
    return value


BlobUri = Annotated[HttpsUri, BeforeValidator(_no_sas)]


class ImportGallery(Model):
    """The gallery image version an import becomes, in a definition of the import's own name."""

    identifier: Identifier = Field(description=(
        "The definition's publisher/offer/sku, unique in the gallery. Changing it: replace: the definition "
        "and every version in it are recreated, and the fleets booting it."))
    description: str = Field(default="", description="The definition's description. Changing it: in place.")
    major: int = Field(default=1, ge=0, le=rules.INT32_MAX, description=(
        "The major number of the version names (major.0.<from the file's fingerprint>). Changing it: replace VMs: a new "
        "version, and fleets booting the import are replaced with VMs from it."))
    regions: list[Region] = Field(default=[], description=(
        "Regions the version is replicated to, besides the stack location (always one). Fleets booting the "
        "version must run in one of them. Changing it: in place (replication added or removed)."))


class VhdImport(Model):
    """A generalized Windows VHD: a local file (`vhd`, uploaded by `pulumi up`) or a blob already in a
    storage account (`blobUri` with `storageAccountId`). The disk, the managed image and the version live
    in the stack location, in the gallery's resource group."""

    vhd: Optional[str] = Field(default=None, description=(
        "Path of a fixed VHD file, relative to the stack file (Pulumi.<stack>.yaml). Checked when the config is "
        "read (format, type, size). Changing it: replace VMs: a file with other content makes a new disk, managed "
        "image and gallery version; fleets booting it are replaced (a moved file with the same content: nothing)."))
    blob_uri: Optional[BlobUri] = Field(default=None, description=(
        "Instead of vhd: the https URI of a fixed VHD page blob already uploaded, without a SAS token. The disk "
        "is created from it (createOption Import). Changing it: replace VMs: another URI makes a new disk, image and version."))
    storage_account_id: Optional[StorageAccountId] = Field(default=None, description=(
        "With blobUri: the ARM ID of the storage account holding the blob (creationData.storageAccountId, "
        "required by Azure for Import). Changing it: replace (a new disk)."))
    hyper_v_generation: Generation = Field(description=(
        "The Hyper-V generation of the VM the disk comes from: V1 (BIOS) or V2 (UEFI); required, never "
        "guessed. Hyper-V Manager shows it as the VM's Generation. A V1 disk gets a V1 definition, and its "
        "fleets run without Trusted Launch. Changing it: replace VMs: a new disk, image and definition."))
    managed_image: bool = Field(default=True, description=(
        "Make a managed image of the disk (fleets' managedImage, a build's source.vhdImport). false: only the "
        "gallery version, made from the disk. Changing it: adding or deleting the managed image."))
    gallery: Optional[ImportGallery] = Field(default=None, description=(
        "Also publish a gallery image version (fleets' image: <this import's name>). Changing it: adding "
        "or removing the version and its definition."))

    @model_validator(mode="after")
    def _one_source(self):
        if (self.vhd is None) == (self.blob_uri is None):
            raise ValueError("give exactly one of vhd (a local file) or blobUri (a VHD in a storage account)")
        if self.blob_uri and not self.storage_account_id:
            raise ValueError("blobUri needs storageAccountId, the storage account that holds the blob")
        if self.storage_account_id and not self.blob_uri:
            raise ValueError("storageAccountId applies only with blobUri")
        if not self.managed_image and not self.gallery:
            raise ValueError("give managedImage: true, a gallery version (gallery), or both: the import must "
                             "become an image")
        return self

    @property
    def trusted_launch(self) -> bool:
        """Whether fleets booting its gallery version may run Trusted Launch (generation 2 only)."""
        return self.hyper_v_generation == "V2"

    def local_path(self, folder: Path) -> Path | None:
        """The VHD file, relative to the folder of the stack file; None for a blob."""
        return folder / self.vhd if self.vhd else None
