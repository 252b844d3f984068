"""ImageBuilder: the build identity, its least-privilege role, and one Image Builder template per image.

Image templates are immutable: since API 2024-02-01 only vmProfile, tags and identity change in place.
So each template is named after a hash of everything else in it. A changed recipe is a new template
(created before the old one is deleted), never a failing update; an unchanged recipe keeps its name.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import authorization, managedidentity, virtualmachineimages as vmi

from .config import Image, StackConfig
from .gallery import ImageGallery
from .naming import Names, content_hash, stable_guid

# Only what distribution into this gallery needs (Microsoft's "Image Creation" role, minus nothing
# more): read the gallery and definitions, write versions, and write managed images in this group.
BUILDER_ACTIONS = [
    "Microsoft.Compute/galleries/read",
    "Microsoft.Compute/galleries/images/read",
    "Microsoft.Compute/galleries/images/versions/read",
    "Microsoft.Compute/galleries/images/versions/write",
    "Microsoft.Compute/images/read",
    "Microsoft.Compute/images/write",
    "Microsoft.Compute/images/delete",
]

# Fields of the template that may change in place; everything else names the template.
MUTABLE_FIELDS = ("vm_profile", "tags", "identity")


def template_body(image_name: str, image: Image, names: Names, gallery_image_id: Any) -> dict[str, Any]:
    """The template's inputs that shape the image, in azure-native's snake_case input form."""
    distribute = {
        "type": "SharedImage",
        "gallery_image_id": gallery_image_id,
        "run_output_name": names.run_output(image_name, "gallery"),
        "target_regions": [r.model_dump() for r in image.regions],
        "versioning": {"scheme": "Latest", "major": image.versioning.major},
        "exclude_from_latest": image.exclude_from_latest,
        "artifact_tags": {"image": image_name, "source-sku": image.source.sku},
    }
    body: dict[str, Any] = {
        "source": {"type": "PlatformImage", **image.source.model_dump()},
        "customize": [c.model_dump(exclude_none=True) for c in image.customize],
        "error_handling": image.error_handling.model_dump(),
        "build_timeout_in_minutes": image.build.timeout_minutes,
        "distribute": [distribute],
        "managed_resource_tags": names.tags(image=image_name, purpose="image-build"),
    }
    if image.validate_:
        body["validate"] = image.validate_.model_dump(exclude_none=True)
    if image.optimize_vm_boot:
        body["optimize"] = {"vm_boot": {"state": "Enabled"}}
    return body


def template_name(image_name: str, image: Image, names: Names) -> str:
    # The definition's names stand in for its ARM ID, which is not known before it exists.
    definition = f"{names.resource_group}/{names.gallery}/{image_name}"
    return names.template(image_name, content_hash(template_body(image_name, image, names, definition)))


class ImageBuilder(pulumi.ComponentResource):
    identity: managedidentity.UserAssignedIdentity
    role: authorization.RoleDefinition
    role_assignment: authorization.RoleAssignment
    templates: dict[str, vmi.VirtualMachineImageTemplate]

    def __init__(self, name: str, config: StackConfig, names: Names, gallery: ImageGallery,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("image-factory:image_builder:ImageBuilder", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rg = gallery.resource_group
        subscription_id = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self)).subscription_id

        self.identity = managedidentity.UserAssignedIdentity(
            "identity",
            resource_name_=names.builder_identity,
            resource_group_name=rg.name,
            location=config.location,
            tags=names.tags(),
            opts=child,
        )
        self.role = authorization.RoleDefinition(
            "role",
            # Role definition names are tenant-wide GUIDs: derive from subscription and group.
            role_definition_id=pulumi.Output.all(subscription_id, rg.name).apply(
                lambda p: stable_guid(p[0], p[1], "image-builder-role")),
            role_name=names.builder_role,
            description="Lets Azure Image Builder publish image versions into this gallery and write managed images.",
            role_type="CustomRole",
            scope=rg.id,
            assignable_scopes=[rg.id],
            permissions=[{"actions": BUILDER_ACTIONS, "not_actions": []}],
            opts=child,
        )
        self.role_assignment = authorization.RoleAssignment(
            "role-assignment",
            role_assignment_name=pulumi.Output.all(subscription_id, rg.name, names.builder_identity).apply(
                lambda p: stable_guid(p[0], p[1], p[2], "image-builder-assignment")),
            scope=rg.id,
            role_definition_id=self.role.id,
            principal_id=self.identity.principal_id,
            # The SDK default is User, which Azure rejects for a managed identity; ServicePrincipal
            # also skips the directory lookup that fails while a new identity is still replicating.
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            opts=child,
        )

        self.templates = {}
        for image_name, image in config.images.items():
            tname = template_name(image_name, image, names)
            body = template_body(image_name, image, names, gallery.definitions[image_name].id)
            self.templates[image_name] = vmi.VirtualMachineImageTemplate(
                f"template-{image_name}",
                image_template_name=tname,
                resource_group_name=rg.name,
                location=config.location,
                identity={"type": "UserAssigned", "user_assigned_identities": [self.identity.id]},
                vm_profile={"vm_size": image.build.vm_size, "os_disk_size_gb": image.build.os_disk_size_gb},
                staging_resource_group=subscription_id.apply(
                    lambda sub, t=tname: f"/subscriptions/{sub}/resourceGroups/{names.staging_resource_group(t)}"),
                # Off: the build is started by ImageBuild, the one place that waits for it.
                auto_run={"state": "Disabled"},
                tags=names.tags(image=image_name),
                **body,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_assignment]),
            )

        self.register_outputs({
            "identityId": self.identity.id,
            "templateNames": {k: t.name for k, t in self.templates.items()},
        })
