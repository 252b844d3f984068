"""Which image each fleet boots from, taken from what produced it: never a version name guessed here.

- a built image: the version ImageBuild returns (its artifact ID);
- an image pinned in config: that version of the definition (prod consumes what dev promoted);
- a fleet's own imageVersion: that version of its image's definition;
- a managed image: from Image Builder's ManagedImage distribution, or from a capture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pulumi
from pulumi_azure_native import compute

from ..config.fleets import Fleet
from ..config.images import Image
from ..images.image_template import ImageTemplate
from .capture import ManagedImageCapture


@dataclass(frozen=True)
class FleetImage:
    """What a fleet boots from: an image version or managed image ID, and what it supports."""

    id: pulumi.Output[str]
    label: str
    trusted_launch: bool  # Trusted Launch VMs cannot boot from a managed image


def _version_of(image: Image, definition: compute.GalleryImage, version: str) -> pulumi.Output[str]:
    """A named version of an image: in the definition its pin names, else in this stack's definition."""
    pinned = image.pinned
    base = pulumi.Output.from_input(pinned.definition_id if pinned and pinned.definition_id else definition.id)
    return base.apply(lambda d: f"{d}/versions/{version}")


def image_versions(images: Mapping[str, Image], definitions: Mapping[str, compute.GalleryImage],
                   templates: Mapping[str, ImageTemplate]) -> dict[str, pulumi.Output[str]]:
    """Each image's current version ID: the build's output, or the pinned version."""
    return {name: templates[name].version_id if name in templates
            else _version_of(image, definitions[name], image.pinned.version)
            for name, image in images.items()}


def fleet_image(fleet: Fleet, images: Mapping[str, Image], definitions: Mapping[str, compute.GalleryImage],
                versions: Mapping[str, pulumi.Output[str]], templates: Mapping[str, ImageTemplate],
                captures: Mapping[str, ManagedImageCapture]) -> FleetImage:
    if fleet.image and fleet.image_version:
        return FleetImage(_version_of(images[fleet.image], definitions[fleet.image], fleet.image_version),
                          fleet.image, trusted_launch=True)
    if fleet.image:
        return FleetImage(versions[fleet.image], fleet.image, trusted_launch=True)
    # Azure cannot boot a Trusted Launch VM from a managed image: these fleets run as Standard.
    if fleet.managed_image in captures:
        return FleetImage(captures[fleet.managed_image].image_id, fleet.managed_image, trusted_launch=False)
    return FleetImage(templates[fleet.managed_image].managed_image_id, fleet.managed_image, trusted_launch=False)
