"""Promotion: copy the version another stack built (dev) into this stack's gallery (prod), through that
stack's outputs, instead of building it again.

Separate galleries for test and production, with versions promoted from one to the other, is Microsoft's
own advice ("Best practices for Azure Compute Gallery", https://learn.microsoft.com/azure/virtual-machines/
azure-compute-gallery#best-practices). Azure creates a gallery image version from another gallery's
version: `storageProfile.source.id` is the source version's ID ("Copy an image from another gallery",
https://learn.microsoft.com/azure/virtual-machines/image-version-another-gallery). The copy is replicated to
this stack's regions with this stack's storage types and replica counts (replica_plan.py), and its create
ends only when every target region has its replicas, so a fleet booting it never meets a missing replica.

Which version: images.<name>.promote.version in this stack's file, a version number (the diff names it)
or `current` (what the building stack exports now: its `imageVersions` output).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import compute

from ..config.images import Image
from ..naming import Names
from .replica_plan import ReplicaCounts, replica_plan, target_regions


def stack_reference_name(from_stack: str) -> str:
    """organization/project/stack, as the Pulumi service names a stack; a bare name is this project's."""
    if from_stack.count("/") == 2:
        return from_stack
    project = pulumi.get_project()
    org = pulumi.get_organization() or "organization"
    return f"{org}/{project}/{from_stack}" if "/" not in from_stack else f"{org}/{from_stack}"


def source_version_id(image_name: str, image: Image, ref: pulumi.StackReference) -> pulumi.Output[str]:
    """The building stack's version to copy: its definition's version `promote.version`, or its current one."""
    version = image.promote.version
    if version == "current":
        return ref.get_output("imageVersions").apply(lambda v: _entry(v, image_name, "imageVersions", ref))
    return ref.get_output("imageDefinitionIds").apply(
        lambda d: f"{_entry(d, image_name, 'imageDefinitionIds', ref)}/versions/{version}")


def _entry(outputs: object, image_name: str, key: str, ref: pulumi.StackReference) -> str:
    if not isinstance(outputs, dict) or image_name not in outputs:
        from ..config.loading import ConfigError
        raise ConfigError(f"Pulumi.{pulumi.get_stack()}.yaml: image-factory:images.{image_name}.promote.fromStack = "
                          f"'{ref.name_hint}': that stack's output {key} has no image {image_name}: build it there "
                          "first (its stack file's images, then pulumi up), or promote another image")
    return outputs[image_name]


class PromotedImage(pulumi.ComponentResource):
    """One image's copy: a gallery image version in this stack's definition, sourced from the other stack's."""

    version: compute.GalleryImageVersion
    version_id: pulumi.Output[str]

    def __init__(self, image_name: str, image: Image, *, ref: pulumi.StackReference,
                 definition: compute.GalleryImage, resource_group_name: pulumi.Input[str], gallery_name: pulumi.Input[str],
                 location: str, replicas: ReplicaCounts, protect: bool, names: Names,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("image-factory:promotion:PromotedImage", image_name, None, opts)
        promote = image.promote
        self.source_id = source_version_id(image_name, image, ref)
        name = self.source_id.apply(lambda v: v.rsplit("/", 1)[-1]) if promote.version == "current" else promote.version
        eol = promote.end_of_life.isoformat() + "T00:00:00Z" if promote.end_of_life else None
        self.version = compute.GalleryImageVersion(
            f"{image_name}-promoted",
            gallery_image_version_name=name,
            gallery_image_name=definition.name,
            gallery_name=gallery_name,
            resource_group_name=resource_group_name,
            location=location,
            storage_profile={"source": {"id": self.source_id}},
            publishing_profile={
                "target_regions": target_regions(image, replicas),
                "exclude_from_latest": image.exclude_from_latest,
                "end_of_life_date": eol,
                "replication_mode": "Full",
            },
            # Prod: nobody removes a region a fleet boots from, and (with an end-of-life date) nobody deletes
            # the version before it ("GalleryImageVersionSafetyProfile", Microsoft.Compute galleries API).
            safety_profile={"allow_deletion_of_replicated_locations": False,
                            "block_deletion_before_end_of_life": bool(eol)} if protect else None,
            tags=names.tags(image=image_name),
            # A replica count per region, in a large prod fleet, outlasts the provider's default. Not `protect`:
            # the next promotion replaces this resource (the version name is part of its ID), create-first, and
            # protect would refuse every promotion. In prod the old version leaves the state but stays in Azure
            # (retain_on_delete): VMs of a rollout's last waves still boot it, and Azure refuses its delete before
            # its end of life anyway; retention deletes it once nothing boots it (docs/lifecycle.md).
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=protect,
                                        custom_timeouts=pulumi.CustomTimeouts(create="3h", update="3h")),
        )
        self.version_id = self.version.id
        self.register_outputs({"versionId": self.version_id, "sourceId": self.source_id})


def promoted_images(config: Any, gallery: Any, names: Names) -> dict[str, PromotedImage]:
    """A copy per promoted image (config: the StackConfig; gallery: the ImageGallery), one StackReference per
    building stack; replica counts from this stack's fleets, as for a build."""
    images, definitions = config.promoted_images, gallery.definitions
    resource_group_name, gallery_name = gallery.resource_group.name, gallery.gallery.name
    location, protect = config.location, config.protect
    replicas = replica_plan(images, config.fleets)
    refs: dict[str, pulumi.StackReference] = {}
    copies = {}
    for name, image in sorted(images.items()):
        stack = image.promote.from_stack
        if stack not in refs:
            refs[stack] = pulumi.StackReference(f"stack-{stack.replace('/', '-')}", stack_name=stack_reference_name(stack))
            refs[stack].name_hint = stack  # type: ignore[attr-defined]  # for error lines
        copies[name] = PromotedImage(name, image, ref=refs[stack], definition=definitions[name],
                                     resource_group_name=resource_group_name, gallery_name=gallery_name,
                                     location=location, replicas=replicas[name], protect=protect, names=names)
    return copies
