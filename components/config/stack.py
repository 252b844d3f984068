"""The stack's configuration: one typed model, read once, checked against Azure's rules at load time.

The model is split by concern: `images` (recipes), `fleets` (VMs, networks, captures), `types` (the
value types they share). Rules that span several keys live in `cross_checks`; loading and error
lines in `loading`.
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from .acknowledge import Acknowledgement
from .azure_rules import vnet_of
from .fleets import Capture, Fleet, RegionNetwork
from .images import Image
from .imports import VhdImport
from .patching import Patching
from .types import (AdminUsername, Environment, GalleryName, ImageName, Model, Region, ResourceGroupName,
                    StorageAccountId, TagName, TagValue, WorkloadName)

NAMESPACE = "image-factory"


class Gallery(Model):
    name: Optional[GalleryName] = Field(default=None, description=(
        "The Azure Compute Gallery's name: 1-80 letters, digits, `_` and `.`, alphanumeric at both ends; default "
        "`gal_imgfactory_<environment>_<location>`. Changing it: replace: a new gallery and image definitions, "
        "every image rebuilt into it and every fleet's VMs replaced."))
    description: str = Field(default="Golden Windows Server images built by image-factory", description=(
        "The gallery's description, shown in the portal. Changing it: in place."))


class StackConfig(Model):
    environment: Environment = Field(description=(
        "The environment's short name in every resource name and the `environment` tag: 2-10 lower-case letters "
        "and digits, starting with a letter; default: the stack's name. Changing it: replace: every resource is "
        "named after it, so the whole stack is recreated under new names (a new stack in effect)."))
    owner: Annotated[str, Field(min_length=1, max_length=256)] = Field(description=(
        "Who owns the stack (a team mailbox): the `owner` tag on every resource. Changing it: in place (tags "
        "only; image templates carry only stable tags, so nothing is rebuilt)."))
    location: Region = Field(description=(
        "The Azure region of the resource group, gallery, build identity and image templates, and the gallery's "
        "home region (every image's `regions` must include it), e.g. `uksouth`. Changing it: replace: the "
        "resource group, gallery and templates move, so every image is rebuilt and every fleet's VMs replaced."))
    protect: bool = Field(default=False, description=(
        "Protect the resource group, gallery and image definitions (Pulumi's protect) and lock the gallery "
        "against deletion (an Azure CanNotDelete lock), as prod does. Changing it: in place; but false to true "
        "in one step removes the DefinitionVersions resources, which deletes the image versions: unprotect or "
        "protect a deployed stack in two steps (docs/design.md)."))
    resource_group: Optional[ResourceGroupName] = Field(default=None, description=(
        "The resource group of the gallery, identity and templates, by Azure's resource group name rules; "
        "default `rg-imgfactory-<environment>-<location>`. Changing it: replace: everything in it is recreated "
        "in the new group, every image rebuilt and every fleet's VMs replaced."))
    gallery: Gallery = Field(default=Gallery(), description=(
        "The Azure Compute Gallery the images are published to. Changing it: see its keys."))
    images: dict[ImageName, Image] = Field(min_length=1, description=(
        "The images, by image definition name (1-80 letters, digits, `-`, `_`, `.`): each is a gallery image "
        "definition and, unless pinned, an Image Builder recipe. At least one. Changing it: adding one creates "
        "its definition, template and build; removing one deletes them (its versions stay in prod)."))
    fleets: dict[WorkloadName, Fleet] = Field(default={}, description=(
        "The VM fleets, by name (part of every VM, NIC and scale set name). Changing it: adding one creates its "
        "VMs or scale set; removing one deletes them."))
    captures: dict[WorkloadName, Capture] = Field(default={}, description=(
        "Reference VMs captured the manual way (marketplace image -> sysprep -> generalize -> managed image), "
        "by name. Changing it: adding one creates its reference VM and managed image; removing one deletes them "
        "and fails while a fleet or image still uses it."))
    network: dict[Region, RegionNetwork] = Field(default={}, description=(
        "The program's network per region: one for every fleet region (and for the stack location when an "
        "image builds privately). Changing it: adding a region creates its network; see its keys for changes."))
    imports: dict[WorkloadName, VhdImport] = Field(default={}, description=(
        "Generalized Windows VHDs from outside Azure (Hyper-V), each becoming a managed image, a gallery version "
        "of a definition named after the import, or both (components/images/vhd_import.py). Changing it: adding one creates "
        "its disk, upload and images; removing one deletes them (fleets booting it must go first)."))
    # Private-only Azure Bastion per fleet region: RDP from the corporate network, no public IP.
    bastion: bool = Field(default=False, description=(
        "A private-only Azure Bastion (Premium, native client) in every fleet region, the only source of RDP "
        "and WinRM; needs `network.<region>.bastionSubnet`. Without it nothing admits RDP or WinRM. Changing "
        "it: in place: the Bastion hosts are created or deleted and the NSG rules updated; VMs keep running."))
    # Where File customizers and scriptUri download from: the build identity gets read access there.
    artifact_storage_account_id: Optional[StorageAccountId] = Field(default=None, description=(
        "The storage account (ARM ID) File customizers and scripts download from: the build identity gets "
        "Storage Blob Data Reader there. Changing it: in place: the role assignment is replaced; nothing is "
        "rebuilt."))
    admin_username: AdminUsername = Field(default="ifadmin", description=(
        "The local administrator of every fleet VM and capture reference VM: 1-20 characters, not a name "
        "Azure reserves (administrator, admin, user, root, ...). Changing it: replace VMs: Azure sets it only "
        "at creation, so every VM of every fleet and every scale set is recreated."))
    patching: Patching = Field(default=Patching(), description=(
        "How fleet VMs are patched: Azure Update Manager on a schedule per region, or Windows Update on its "
        "own. Changing it: see its keys."))
    tags: dict[TagName, TagValue] = Field(default={}, description=(
        "Your tags on every resource (names 1-512 characters without `< > % & \\ ? /`, values up to 256, at "
        "most 43), besides the program's own (environment, owner, managed-by, project). Changing it: in place "
        "(tags only; nothing is rebuilt)."))
    acknowledge: list[Acknowledgement] = Field(
        [], description="What this change acknowledges it takes down: a list of {fleet: <name>, reason} or "
                        "{resource: <Azure name of a protected resource>, reason}. Read by the offline diff only "
                        "(docs/diff.md): an entry counts for the change that adds it; an entry the change does not "
                        "need is an error. Changing it: nothing (the offline diff reads it; Azure never sees it).")

    @property
    def network_regions(self) -> list[str]:
        """Regions that need a network of the program's: the fleet regions, and the stack's location
        when an image builds privately there."""
        return sorted(set(self.fleet_regions) | ({self.location} if self.private_builds else set()))

    @property
    def private_builds(self) -> bool:
        """Whether an image builds inside the program's network (build.private)."""
        return any(i.build.private for i in self.built_images.values())

    @property
    def existing_build_networks(self) -> list[str]:
        """The VNets of the existing subnets builds run in (build.subnetId), each once."""
        # ARM IDs are case-insensitive: one network, one role, whatever the spelling.
        found = {vnet_of(i.build.subnet_id).lower(): vnet_of(i.build.subnet_id)
                 for i in sorted(self.built_images.values(), key=lambda i: i.build.subnet_id or "", reverse=True)
                 if i.build.subnet_id}
        return sorted(found.values())

    @property
    def patch_regions(self) -> list[str]:
        """Regions with a patch schedule: where a fleet is patched by Update Manager (patch path 'scheduled')."""
        return sorted({f.region for f in self.fleets.values() if f.patch_path(self.patching.mode) == "scheduled"})

    def scheduled_fleets(self, region: str) -> list[str]:
        """The fleets of `region` that Update Manager's schedule patches (the others patch by Windows Update)."""
        return sorted(n for n, f in self.fleets.items()
                      if f.region == region and f.patch_path(self.patching.mode) == "scheduled")

    @property
    def fleet_regions(self) -> list[str]:
        """Regions that need a fleet network: where fleets and capture reference VMs run."""
        return sorted({f.region for f in self.fleets.values()} | {c.region for c in self.captures.values()})

    @property
    def built_images(self) -> dict[str, Image]:
        """The images this stack builds with Image Builder (the others are pinned to a version)."""
        return {name: image for name, image in self.images.items() if not image.pinned and not image.promote}

    @property
    def promoted_images(self) -> dict[str, Image]:
        """The images copied from the stack that builds them (images.<name>.promote)."""
        return {name: image for name, image in self.images.items() if image.promote}
