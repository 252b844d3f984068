"""Which image each fleet boots from, taken from what produced it: never a version name guessed here.

- a built image: the version ImageBuild returns (its artifact ID);
- an image pinned in config: that version of the definition (prod consumes what dev promoted);
- a fleet's own imageVersion: that version of its image's definition;
- a managed image: from Image Builder's ManagedImage distribution, or from a capture.
"""

from __future__ import annotations

import pulumi

from .config import StackConfig
from .config_fleets import Fleet
from .fleet import FleetImage
from .gallery import ImageGallery
from .image_template import ImageTemplate
from .managed_image import ManagedImageCapture


def image_versions(config: StackConfig, gallery: ImageGallery,
                   templates: dict[str, ImageTemplate]) -> dict[str, pulumi.Output[str]]:
    """Each image's current version ID: the build's output, or the pinned version."""
    versions = {}
    for name, image in config.images.items():
        if name in templates:
            versions[name] = templates[name].version_id
        else:
            definition = pulumi.Output.from_input(image.pinned.definition_id or gallery.definitions[name].id)
            versions[name] = definition.apply(lambda d, v=image.pinned.version: f"{d}/versions/{v}")
    return versions


def fleet_image(config: StackConfig, fleet: Fleet, gallery: ImageGallery, versions: dict[str, pulumi.Output[str]],
                templates: dict[str, ImageTemplate], captures: dict[str, ManagedImageCapture]) -> FleetImage:
    if fleet.image and fleet.image_version:
        pinned = config.images[fleet.image].pinned
        definition = pulumi.Output.from_input(
            pinned.definition_id if pinned and pinned.definition_id else gallery.definitions[fleet.image].id)
        version_id = definition.apply(lambda d: f"{d}/versions/{fleet.image_version}")
        return FleetImage(version_id, fleet.image, trusted_launch=True)
    if fleet.image:
        return FleetImage(versions[fleet.image], fleet.image, trusted_launch=True)
    # Azure cannot boot a Trusted Launch VM from a managed image: these fleets run as Standard.
    if fleet.managed_image in captures:
        return FleetImage(captures[fleet.managed_image].image_id, fleet.managed_image, trusted_launch=False)
    return FleetImage(templates[fleet.managed_image].managed_image_id, fleet.managed_image, trusted_launch=False)
