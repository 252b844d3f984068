"""The stack's configuration: one typed model, read once, checked against Azure's rules at load time.

The model is split by concern: `images` (recipes), `fleets` (VMs, networks, captures), `types` (the
value types they share). Rules that span several keys live in `cross_checks`; loading and error
lines in `loading`.
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from .azure_rules import vnet_of
from .fleets import Capture, Fleet, RegionNetwork
from .images import Image
from .patching import Patching
from .types import (AdminUsername, Environment, GalleryName, ImageName, Model, Region, ResourceGroupName,
                    StorageAccountId, TagName, TagValue, WorkloadName)

NAMESPACE = "image-factory"


class Gallery(Model):
    name: Optional[GalleryName] = None
    description: str = "Golden Windows Server images built by image-factory"


class StackConfig(Model):
    environment: Environment
    owner: Annotated[str, Field(min_length=1, max_length=256)]
    location: Region
    protect: bool = False
    resource_group: Optional[ResourceGroupName] = None
    gallery: Gallery = Gallery()
    images: dict[ImageName, Image] = Field(min_length=1)
    fleets: dict[WorkloadName, Fleet] = {}
    captures: dict[WorkloadName, Capture] = {}
    network: dict[Region, RegionNetwork] = {}
    # Private-only Azure Bastion per fleet region: RDP from the corporate network, no public IP.
    bastion: bool = False
    # Where File customizers and scriptUri download from: the build identity gets read access there.
    artifact_storage_account_id: Optional[StorageAccountId] = None
    admin_username: AdminUsername = "ifadmin"
    patching: Patching = Patching()
    tags: dict[TagName, TagValue] = {}

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
        """Regions with a patch schedule: every fleet region, when patching is scheduled."""
        return self.fleet_regions if self.patching.mode == "scheduled" else []

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
