"""ImageTemplate: one image's Image Builder template, its optional rebuild trigger, and its build.

Image templates are immutable: Image Builder answers a PUT on an existing template with 409, and
azure-native updates with a PUT. So each template is named after a hash of everything in it. A changed
recipe is a new template (created before the old one is deleted), never a failing update; an unchanged
recipe keeps its name, and so its ImageBuild, which runs only when the template name changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
from pulumi_azure_native import virtualmachineimages as vmi

from ..config.azure_rules import region_key
from ..config.images import Image
from ..naming import BUILD_SUBNET, CONTAINER_INSTANCE_SUBNET, Names, content_hash
from ..providers.image_build import ImageBuild, ImageBuildArgs
from ..providers.version_replicas import VersionReplicas, VersionReplicasArgs
from .build_identity import BuildIdentity
from .layering import LayerSource
from .replica_plan import ReplicaCounts, build_regions, region_steps

# Margin over the build timeout for Azure to accept, validate or delete a template (deleting one
# also deletes its staging resource group).
TEMPLATE_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="60m", delete="60m")
# The inputs not in the content hash, because they are made from the name the hash gives. Every other
# input is hashed: Image Builder refuses any update of an existing template (a PUT answers 409
# "Update/Upgrade of image templates is currently not supported"; azure-native always updates with a
# PUT), so any change must be a new template. tests/images/test_image_template.py walks every field.
NAME_DERIVED = ("image_template_name", "staging_resource_group")


@dataclass(frozen=True)
class TemplateRefs:
    """The IDs a template points at. ARM IDs exist only once Azure has the resources, so the hash is
    taken over names that stand in for them (`stand_ins`), which identify them just as well."""

    gallery_image_id: Any
    managed_image_id: Any
    identity_id: Any
    resource_group_name: Any
    source_id: Any = None  # the gallery version or managed image a layered image builds on (layering.py)
    build_subnet_id: Any = None  # the subnet a build in a network runs in (build.private or build.subnetId)
    container_instance_subnet_id: Any = None  # an isolated build's container-instance subnet, or None

    @classmethod
    def stand_ins(cls, image_name: str, image: Image, names: Names, digest_free_managed_image: str,
                  source: Optional[LayerSource] = None, location: str = "",
                  container_instances: bool = False) -> "TemplateRefs":
        """container_instances: whether the program's network in `location` has a container-instance subnet."""
        home = f"{names.fleet_resource_group(location)}/{names.vnet(location)}"
        return cls(f"{names.resource_group}/{names.gallery}/{image_name}", digest_free_managed_image,
                   f"{names.resource_group}/{names.builder_identity}", names.resource_group,
                   source.stand_in if source else None,
                   *image.build.subnets(f"{home}/{BUILD_SUBNET}",
                                        f"{home}/{CONTAINER_INSTANCE_SUBNET}" if container_instances else None))


def _vnet_config(image: Image, refs: TemplateRefs) -> dict[str, Any]:
    """vmProfile.vnetConfig: with a container-instance subnet, Image Builder deploys no proxy VM, and refuses a
    proxyVmSize (template reference, vnetConfig); without one, an unset proxyVmSize is Image Builder's default."""
    if refs.build_subnet_id is None:
        return {}
    config = {"subnet_id": refs.build_subnet_id}
    if refs.container_instance_subnet_id is not None:
        config["container_instance_subnet_id"] = refs.container_instance_subnet_id
    elif image.build.proxy_vm_size:
        config["proxy_vm_size"] = image.build.proxy_vm_size
    return {"vnet_config": config}


def template_spec(image_name: str, image: Image, location: str, names: Names, refs: TemplateRefs) -> dict[str, Any]:
    """Every input of the template except NAME_DERIVED, in azure-native's snake_case input form."""
    # The user's artifact tags first: the program's own keys win (issue 9's tag rules refuse clashes).
    # The rebuild marker is a tag so that it is in the content hash (a new month, a new template) and visible.
    tags = {**image.artifact_tags, "image": image_name, **({"rebuild": image.rebuild} if image.rebuild else {})}
    shared: dict[str, Any] = {
        "type": "SharedImage",
        "gallery_image_id": refs.gallery_image_id,
        "run_output_name": names.run_output(image_name, "gallery"),
        "target_regions": build_regions(image, location),
        "versioning": {"scheme": "Latest", "major": image.versioning.major},
        "exclude_from_latest": image.exclude_from_latest,
        "artifact_tags": {**tags, **({"source-sku": image.source.sku} if image.source.kind == "PlatformImage"
                                     else {"source-image": _source_tag(image)})},
    }
    if image.versioning.version:
        # A version ID names the version; a versioning scheme would contradict it.
        shared["gallery_image_id"] = _versioned(refs.gallery_image_id, image.versioning.version)
        del shared["versioning"]
    distribute: list[dict[str, Any]] = [shared]
    if image.managed_image:
        distribute.append({
            "type": "ManagedImage",
            "image_id": refs.managed_image_id,
            "location": location,
            "run_output_name": names.run_output(image_name, "managed"),
            "artifact_tags": tags,
        })
    if image.vhd:
        distribute.append({"type": "VHD", "run_output_name": names.run_output(image_name, "vhd"), "artifact_tags": tags})
    spec: dict[str, Any] = {
        "resource_group_name": refs.resource_group_name,
        "location": location,
        "identity": {"type": "UserAssigned", "user_assigned_identities": [refs.identity_id]},
        # In the hash like the rest: a bigger build VM means a new template (and a new build), never
        # an update Azure would refuse.
        "vm_profile": {"vm_size": image.build.vm_size, "os_disk_size_gb": image.build.os_disk_size_gb,
                       **_vnet_config(image, refs),
                       **({"user_assigned_identities": list(image.build.user_assigned_identities)}
                          if image.build.user_assigned_identities else {})},
        # Off: ImageBuild is the single starter of runs. An autoRun build would start when the
        # template is created, unseen by Pulumi, and a second start would fail with 409.
        "auto_run": {"state": "Disabled"},
        "source": _source(image, refs),
        "customize": [_step(c) for c in image.customize],
        "error_handling": image.error_handling.model_dump(),
        "build_timeout_in_minutes": image.build.timeout_minutes,
        "distribute": distribute,
        # Only stable tags, here and on the staging group: they are in the hash, and an owner or
        # cost-centre change must not rebuild the image and roll every fleet. A policy that requires
        # such tags on every resource can inherit them from the resource group (Azure Policy's
        # built-in "Inherit a tag from the resource group if missing").
        "tags": names.stable_tags(image=image_name),
        "managed_resource_tags": {**image.managed_resource_tags,
                                  **names.stable_tags(image=image_name, purpose="image-build")},
    }
    if image.validate_:
        spec["validate"] = {**image.validate_.model_dump(exclude_none=True, exclude={"in_vm_validations"}),
                            "in_vm_validations": [_step(v) for v in image.validate_.in_vm_validations]}
    if image.optimize_vm_boot:
        spec["optimize"] = {"vm_boot": {"state": "Enabled"}}
    return spec


def _source(image: Image, refs: TemplateRefs) -> dict[str, Any]:
    kind = image.source.kind
    if kind == "SharedImageVersion":
        return {"type": kind, "image_version_id": refs.source_id}
    if kind == "ManagedImage":
        return {"type": kind, "image_id": refs.source_id}
    return {"type": kind, **image.source.model_dump(include={"publisher", "offer", "sku", "version"})}


def _source_tag(image: Image) -> str:
    """What a built version's source-image tag names: the base image, the capture, or the kind of ID."""
    source = image.source
    if source.capture:
        return f"capture:{source.capture}"
    return source.image or ("imageVersionId" if source.image_version_id else "managedImageId")


def _step(step: Any) -> dict[str, Any]:
    """A customizer or validator as Image Builder takes it. Its download URI is sent as written, with no SAS token:
    the build identity reads the artifact store (Storage Blob Data Reader, build_identity.py), so the template body
    holds no credential and nothing rotates under a template Image Builder cannot update (issue 21 item 4)."""
    return step.model_dump(exclude_none=True, exclude={"use_sas_token"})


def _versioned(definition_id: Any, version: str) -> Any:
    if isinstance(definition_id, pulumi.Output):
        return definition_id.apply(lambda d: f"{d}/versions/{version}")
    return f"{definition_id}/versions/{version}"


def spec_hash(image_name: str, image: Image, location: str, names: Names, source: Optional[LayerSource] = None,
              container_instances: bool = False) -> str:
    refs = TemplateRefs.stand_ins(image_name, image, names, "<managed image of this template>", source, location,
                                  container_instances)
    return content_hash(template_spec(image_name, image, location, names, refs))


class ImageTemplate(pulumi.ComponentResource):
    template: vmi.VirtualMachineImageTemplate
    build: ImageBuild
    replicas: dict[str, VersionReplicas]  # region -> the step that gives the version its replicas there
    version_id: pulumi.Output[str]
    managed_image_id: pulumi.Output[str] | None

    def __init__(self, image_name: str, image: Image, *, location: str, subscription_id: pulumi.Input[str],
                 resource_group_name: pulumi.Input[str], definition_id: pulumi.Input[str],
                 identity: BuildIdentity, replicas: ReplicaCounts, names: Names, source: Optional[LayerSource] = None,
                 program_subnets: tuple[Any, Any] = (None, None),
                 version_cleanup: pulumi.Resource | None = None, opts: pulumi.ResourceOptions | None = None):
        """replicas: each region's replica count for the built version (replica_plan.py). source: the gallery
        version or managed image a layered image builds on (layering.py), None for a marketplace source.
        program_subnets: the build subnet and the container-instance subnet (or None) of the program's network
        in the stack location, where a build.private build runs (vms/network.py). version_cleanup: the
        definition's DefinitionVersions (gallery.py), which the template depends on so that `pulumi destroy`
        deletes it (and the versions) only after the template and its build, the things that write versions."""
        super().__init__("image-factory:image_template:ImageTemplate", image_name, None, opts)
        digest = spec_hash(image_name, image, location, names, source, program_subnets[1] is not None)
        name = self.template_name = names.template(image_name, digest)
        sub = pulumi.Output.from_input(subscription_id)
        rg = resource_group_name
        managed_image_id = sub.apply(lambda s: f"/subscriptions/{s}/resourceGroups/{names.resource_group}"
                                                f"/providers/Microsoft.Compute/images/{names.managed_image(image_name, digest)}")
        refs = TemplateRefs(definition_id, managed_image_id, identity.identity.id, rg,
                            source.version_id if source else None, *image.build.subnets(*program_subnets))

        self.template = vmi.VirtualMachineImageTemplate(
            f"{image_name}-template",
            image_template_name=name,
            staging_resource_group=sub.apply(
                lambda s: f"/subscriptions/{s}/resourceGroups/{names.staging_resource_group(name)}"),
            **template_spec(image_name, image, location, names, refs),
            opts=pulumi.ResourceOptions(parent=self,
                                        depends_on=[*identity.assignments, identity.role_propagation,
                                                    *([version_cleanup] if version_cleanup else [])],
                                        custom_timeouts=TEMPLATE_TIMEOUTS),
        )
        if image.rebuild_on_new_base_image:
            # Azure then builds on its own when Microsoft publishes a new base image; those versions
            # land in the gallery (as `latest`) without passing through this program's ImageBuild.
            vmi.Trigger(f"{image_name}-trigger", trigger_name="new-base-image", kind="SourceImage",
                        image_template_name=self.template.name, resource_group_name=rg,
                        opts=pulumi.ResourceOptions(parent=self))
        self.build = ImageBuild(
            f"{image_name}-build",
            ImageBuildArgs(
                subscription_id=sub,
                resource_group_name=rg,
                template_name=self.template.name,
                run_output_name=names.run_output(image_name, "gallery"),
                build_timeout_minutes=image.build.timeout_minutes,
                # Named in the recovery its failures advise (delete the template, then `pulumi up --refresh`).
                template_urn=self.template.urn,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Per-region readiness. The build distributes to the home region only; each region then gets its
        # count from its own step, and a fleet waits for its own region's step and nothing else of the image
        # ("Store and share images in an Azure Compute Gallery", replica guidance:
        # https://learn.microsoft.com/en-us/azure/virtual-machines/azure-compute-gallery#scaling).
        # Two updates of one version must not run at once (a PATCH during an update gets 409 Conflict, as the
        # fake gallery in tests/fakes models it; and a read-merge-write racing another would drop its region). A dependency chain between the
        # steps would serialize them, but it would also make each later region's fleets wait for every earlier
        # region's replica change (eastus's fleets for uksouth's count), which is exactly the false
        # dependency this design removes. So the steps depend on the build only, and VersionReplicas
        # serializes updates of one version inside the provider process (a lock per version ID, held from
        # the read to the end of replication); the plan's estimate counts that wait (offline/critical_path.py).
        self.replicas = {
            region: VersionReplicas(
                f"{image_name}-replicas-{region}",
                VersionReplicasArgs(subscription_id=sub, version_id=self.build.artifact_id, target_regions=regions),
                # (A stack deployed with the former all-regions step: its delete leaves Azure alone, and each
                # new step finds its region as requested and sends no PATCH.)
                opts=pulumi.ResourceOptions(parent=self))
            for region, regions in region_steps(image, replicas, location)
        }
        # The version as built (exports); fleets take it from their region's step (`ready_in`).
        self.version_id = self.build.artifact_id
        # Known in advance (we chose it), but only real once the build has run.
        self.managed_image_id = (pulumi.Output.all(self.build.artifact_id, managed_image_id).apply(lambda v: v[1])
                                 if image.managed_image else None)
        self.register_outputs({"templateName": self.template.name, "versionId": self.version_id})

    def ready_in(self, region: str) -> pulumi.Output[str]:
        """The version ID once `region` has its replicas: what a fleet there boots from."""
        [step] = [s for r, s in self.replicas.items() if region_key(r) == region_key(region)]
        return step.version_id
