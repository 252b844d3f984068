"""Which image each fleet boots from, taken from what produced it: never a version name guessed here.

- a built image: the version ImageBuild returns (its artifact ID);
- an image pinned in config: that version of the definition (prod consumes what dev promoted);
- a fleet's own imageVersion: that version of its image's definition;
- a managed image: from Image Builder's ManagedImage distribution, or from a capture;
- an imported disk (imports.<name>): its gallery version, or its managed image.
"""

from __future__ import annotations

from dataclasses import dataclass

from azure.mgmt.core.tools import parse_resource_id
from typing import Any, Mapping

import pulumi
from pulumi_azure_native import compute

from ..config import azure_rules as rules
from ..config.fleets import Fleet
from ..config.loading import ConfigError
from ..config.images import Image
from ..config.security_types import security_type
from ..images.image_template import ImageTemplate
from ..images.layering import pinned_version_id
from ..images.vhd_import import VhdImport
from .capture import ManagedImageCapture


@dataclass(frozen=True)
class FleetImage:
    """What a fleet boots from: an image version or managed image ID, and what it supports."""

    id: pulumi.Output[str]
    label: str
    trusted_launch: bool  # Trusted Launch VMs cannot boot from a managed image


def image_versions(images: Mapping[str, Image], definitions: Mapping[str, compute.GalleryImage],
                   templates: Mapping[str, ImageTemplate],
                   promoted: Mapping[str, Any] = {}) -> dict[str, pulumi.Output[str]]:
    """Each image's current version ID: the build's output, the promoted copy (promotion.py), or the pinned version."""
    return {name: templates[name].version_id if name in templates
            else promoted[name].version_id if name in promoted
            else pinned_version_id(image, definitions[name], image.pinned.version)
            for name, image in images.items()}


def fleet_image(fleet: Fleet, images: Mapping[str, Image], definitions: Mapping[str, compute.GalleryImage],
                versions: Mapping[str, pulumi.Output[str]], templates: Mapping[str, ImageTemplate],
                captures: Mapping[str, ManagedImageCapture], subscription_id: pulumi.Input[str],
                imports: Mapping[str, VhdImport] | None = None) -> FleetImage:
    imported = (imports or {}).get(fleet.image or fleet.managed_image or "")
    if imported is not None and fleet.image:  # a generation 1 disk's version cannot boot with Trusted Launch
        return FleetImage(imported.version_id, fleet.image, trusted_launch=imported.trusted_launch)
    if imported is not None:
        return FleetImage(imported.image_id, fleet.managed_image, trusted_launch=False)
    # A Standard definition (a build on an imported disk) holds versions Trusted Launch VMs cannot boot.
    trusted_launch = fleet.image is not None and security_type(fleet.image, images) != "Standard"
    if fleet.image and (fleet.image_version or images[fleet.image].pinned):
        image = images[fleet.image]
        version = fleet.image_version or image.pinned.version
        version_id = pinned_version_id(image, definitions[fleet.image], version)
        return FleetImage(replicated_in(version_id, fleet.region, subscription_id), fleet.image, trusted_launch)
    if fleet.image in templates:  # its own region's replicas, not the whole image's (image_template.py)
        return FleetImage(templates[fleet.image].ready_in(fleet.region), fleet.image, trusted_launch)
    if fleet.image:
        return FleetImage(versions[fleet.image], fleet.image, trusted_launch)
    # Azure cannot boot a Trusted Launch VM from a managed image: these fleets run as Standard.
    if fleet.managed_image in captures:
        return FleetImage(captures[fleet.managed_image].image_id, fleet.managed_image, trusted_launch=False)
    return FleetImage(templates[fleet.managed_image].managed_image_id, fleet.managed_image, trusted_launch=False)


def replicated_in(version_id: pulumi.Output[str], region: str, subscription_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The version ID, once Azure has confirmed a replica in `region` (a VM elsewhere would be refused
    at create). Runs at preview, with the credentials azure-native has; a version in another
    subscription is beyond this provider's reach and is taken on the config's word."""

    def check(args: list) -> pulumi.Input[str]:
        vid, subscription = args
        parts = parse_resource_id(vid)
        if parts["subscription"].lower() != str(subscription).lower():
            return vid
        found = compute.get_gallery_image_version_output(
            resource_group_name=parts["resource_group"], gallery_name=parts["name"],
            gallery_image_name=parts["child_name_1"], gallery_image_version_name=parts["child_name_2"])
        return found.publishing_profile.apply(lambda profile: _has_replica(profile, vid, region))

    return pulumi.Output.all(version_id, subscription_id).apply(check)


def _has_replica(profile: object, version_id: str, region: str) -> str:
    # ARM answers display names ("UK South"); the config has programmatic ones (uksouth).
    regions = {rules.region_key(r.name) for r in (getattr(profile, "target_regions", None) or [])}
    if rules.region_key(region) not in regions:
        raise ConfigError(f"image version {version_id} has no replica in {region} (Azure lists "
                          f"{', '.join(sorted(regions)) or 'none'}): replicate it there first "
                          f"(az sig image-version update --add publishingProfile.targetRegions name={region}), "
                          "or boot another version")
    return version_id
