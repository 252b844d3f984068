"""ImageGallery: the resource group, the Azure Compute Gallery and one image definition per image."""

from __future__ import annotations

from typing import Mapping

import pulumi
from pulumi_azure_native import authorization, compute, resources

from ..config.images import Identifier, Image
from ..config.imports import VhdImport
from ..config.security_types import security_type
from ..config.stack import Gallery
from ..naming import Names
from ..providers.definition_versions import DefinitionVersions, DefinitionVersionsArgs


class ImageGallery(pulumi.ComponentResource):
    resource_group: resources.ResourceGroup
    gallery: compute.Gallery
    definitions: dict[str, compute.GalleryImage]
    # Per definition, where protect is false: deletes the versions Image Builder wrote when the definition goes.
    version_cleanup: dict[str, DefinitionVersions]

    def __init__(self, name: str, *, location: str, gallery: Gallery, images: Mapping[str, Image], protect: bool,
                 names: Names, imports: Mapping[str, VhdImport] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        """imports: the disks imported from outside Azure; each with a gallery version gets a definition of
        its own name, of the disk's generation."""
        super().__init__("image-factory:gallery:ImageGallery", name, None, opts)
        # In prod the gallery and its definitions hold what every fleet boots from: `pulumi destroy`
        # or a refactor must not be able to delete them without an explicit unprotect.
        keep = pulumi.ResourceOptions(parent=self, protect=protect)

        self.resource_group = resources.ResourceGroup(
            "rg",
            resource_group_name=names.resource_group,
            location=location,
            tags=names.tags(),
            opts=keep,
        )
        self.gallery = compute.Gallery(
            "gallery",
            gallery_name=names.gallery,
            resource_group_name=self.resource_group.name,
            location=location,
            description=gallery.description,
            tags=names.tags(),
            opts=keep,
        )
        self.definitions = {
            image_name: self._definition(image_name, image, location, names, keep, security_type(image_name, images))
            for image_name, image in images.items()
        }
        self.definitions.update({
            name: self._import_definition(name, imp, location, names, keep)
            for name, imp in (imports or {}).items() if imp.gallery
        })
        # An import's versions are in the state (vhd_import.py): only Image Builder's need cleaning up.
        self.version_cleanup = {} if protect else {
            image_name: self._version_cleanup(image_name, self.definitions[image_name]) for image_name in images
        }
        if protect:
            # Pulumi's protect guards what is in state; the image versions Image Builder writes are
            # not. An Azure delete lock on the gallery covers its definitions and every version, so
            # nobody deletes a version a fleet boots from, by hand or by script. Writes still work.
            authorization.ManagementLockByScope(
                "gallery-lock",
                scope=self.gallery.id,
                lock_name=names.gallery_lock,
                level="CanNotDelete",
                notes="Fleets boot from these image versions. Remove this lock (and unprotect) on purpose.",
                opts=keep,
            )
        self.register_outputs({
            "galleryId": self.gallery.id,
            "definitionIds": {k: d.id for k, d in self.definitions.items()},
        })

    def _version_cleanup(self, image_name: str, definition: compute.GalleryImage) -> DefinitionVersions:
        """Versions Image Builder writes are not in the state, and Azure refuses to delete a definition that
        has versions ("Can not delete resource before nested resources are deleted"), so `pulumi destroy`
        would stop at the definition. This resource depends on the definition (so it is deleted before it)
        and the template that writes versions depends on this (so it is deleted after the template and its
        builds): see components/providers/definition_versions.py. Not where protect is true: prod keeps
        its versions."""
        return DefinitionVersions(
            f"versions-{image_name}",
            DefinitionVersionsArgs(
                subscription_id=self.gallery.id.apply(lambda gallery_id: gallery_id.split("/")[2]),
                resource_group_name=self.resource_group.name,
                gallery_name=self.gallery.name,
                gallery_image_name=definition.name,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _definition(self, image_name: str, image: Image, location: str, names: Names,
                    opts: pulumi.ResourceOptions, security: str) -> compute.GalleryImage:
        recommended: dict = {}
        if image.recommended.v_cpus:
            recommended["v_cpus"] = image.recommended.v_cpus.model_dump()
        if image.recommended.memory_gb:
            recommended["memory"] = image.recommended.memory_gb.model_dump()
        return self._gallery_image(
            image_name, image.identifier, image.description, image.hyper_v_generation, security, location, names,
            opts, recommended=recommended or None,
            end_of_life_date=image.end_of_life.isoformat() + "T00:00:00Z" if image.end_of_life else None)

    def _import_definition(self, name: str, imp: VhdImport, location: str, names: Names,
                           opts: pulumi.ResourceOptions) -> compute.GalleryImage:
        # A generation 1 disk: a V1 definition, Standard (Trusted Launch needs V2). A generation 2 disk: V2 and
        # TrustedLaunchSupported, as the other definitions: a gallery version may be made from a Standard
        # source (a managed image, a VHD) into such a definition, and its VMs may then run Trusted Launch,
        # which they could not from the managed image itself ("Trusted launch for Azure virtual machines",
        # https://learn.microsoft.com/azure/virtual-machines/trusted-launch; the capture path does the same).
        security = "TrustedLaunchSupported" if imp.trusted_launch else "Standard"
        return self._gallery_image(name, imp.gallery.identifier, imp.gallery.description, imp.hyper_v_generation,
                                   security, location, names, opts)

    def _gallery_image(self, name: str, identifier: Identifier, description: str, generation: str, security: str,
                       location: str, names: Names, opts: pulumi.ResourceOptions, **more) -> compute.GalleryImage:
        return compute.GalleryImage(
            f"def-{name}",
            gallery_image_name=name,
            gallery_name=self.gallery.name,
            resource_group_name=self.resource_group.name,
            location=location,
            description=description or None,
            os_type=compute.OperatingSystemTypes.WINDOWS,
            os_state=compute.OperatingSystemStateTypes.GENERALIZED,
            hyper_v_generation=generation,
            architecture=compute.Architecture.X64,
            identifier=identifier.model_dump(),
            # TrustedLaunchSupported (not TrustedLaunch): fleets may boot it with Trusted Launch on, and the
            # managed-image capture path, which needs securityType Standard, still can. Standard: no feature
            # (API 2024-03-03 has no default), for a V1 definition or a build on a Standard source.
            features=[{"name": "SecurityType", "value": security}] if security != "Standard" else None,
            tags=names.tags(image=name),
            opts=opts,
            **more,
        )
