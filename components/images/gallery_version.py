"""A gallery image version made from an image that already exists in Azure (a managed image, a disk): what a
capture publishes (vms/capture.py) and what an imported disk becomes (images/vhd_import.py). Image Builder's
versions are not made here: its run writes them (providers/image_build.py)."""

from __future__ import annotations

from typing import Optional

import pulumi
from pulumi_azure_native import compute

from .gallery import ImageGallery

# Replicating a version to several regions can take hours; azure-native's default is 120 minutes.
REPLICATION_TIMEOUTS = pulumi.CustomTimeouts(create="6h", update="6h", delete="2h")


def gallery_version(resource_name: str, *, definition: str, version_name: str, gallery: ImageGallery, location: str,
                    storage_profile: dict, target_regions: list[dict], shallow: bool, exclude_from_latest: bool,
                    protect: bool, tags: dict[str, str], parent: pulumi.Resource,
                    opts: Optional[pulumi.ResourceOptions] = None) -> compute.GalleryImageVersion:
    """definition: the key of gallery.definitions the version goes to. storage_profile: azure-native's
    (`{"source": {"id": <managed image>}}`, or `{"os_disk_image": {"source": {"id": <disk>}}}`)."""
    cleanup = gallery.version_cleanup.get(definition)
    return compute.GalleryImageVersion(
        resource_name,
        gallery_image_version_name=version_name,
        gallery_image_name=gallery.definitions[definition].name,
        gallery_name=gallery.gallery.name,
        resource_group_name=gallery.resource_group.name,
        location=location,
        storage_profile=storage_profile,
        publishing_profile={
            "target_regions": target_regions,
            # Shallow is quick and cheap for test images, but only for one replica in the source
            # region; production, and anything wider, gets Full.
            "replication_mode": "Shallow" if shallow else "Full",
            "exclude_from_latest": exclude_from_latest,
        },
        safety_profile={"allow_deletion_of_replicated_locations": not protect},
        tags=tags,
        # Deleted before the definition's DefinitionVersions (gallery.py), which would otherwise race it.
        opts=pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(parent=parent, protect=protect, custom_timeouts=REPLICATION_TIMEOUTS,
                                   depends_on=[cleanup] if cleanup else []), opts),
    )
