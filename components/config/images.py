"""The image half of the stack config: Image Builder recipes (source, customizers, build, distribution).

Keys in `Pulumi.<stack>.yaml` are camelCase (like the ARM bodies they end up in); the model's fields
are snake_case so that customizer and validator dumps match azure-native's input dicts one to one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import Field, model_validator

from . import azure_rules as rules
from .customizers import (Customizer, ErrorHandling, FileCustomizer, PowerShellCustomizer,  # noqa: F401 (re-exported)
                          PowerShellValidator, Validation, Validator, WindowsRestartCustomizer, WindowsUpdateCustomizer)
from .types import (DefinitionId, IdentityId, ImageName, IsoDate, ManagedImageId, MarketplaceName, Model, Region, SourceVersion, SubnetId,
                    TagName, TagValue, Version, VersionId, VmSize, WorkloadName)
from .lifecycle import Promote, Retention
from .recommended import Range, Recommended  # noqa: F401 (re-exported)


# --- Images ------------------------------------------------------------------------------------


class PlatformSource(Model):
    """Where a build starts. A marketplace image (publisher/offer/sku/version); a gallery image version:
    `image`, another image of this stack (its built or pinned version, in the same graph: layering), or
    `imageVersionId`, an existing version anywhere; or a managed image: `capture`, one a capture of this
    stack made (captures.<name>), `vhdImport`, the managed image of a disk this stack imported
    (imports.<name>), or `managedImageId`, an existing one."""

    publisher: MarketplaceName = Field(default="MicrosoftWindowsServer", description=(
        "The marketplace publisher (Windows images only). Changing it: rebuild image."))
    offer: MarketplaceName = Field(default="WindowsServer", description="The marketplace offer. Changing it: rebuild image.")
    sku: MarketplaceName = Field(default="2025-datacenter-azure-edition", description=(
        "The marketplace SKU, Hyper-V generation 2 (`-g2`, `-gensecond` or an Azure Edition SKU). Changing it: "
        "rebuild image."))
    version: SourceVersion = Field(default="latest", description=(
        "The marketplace version: `latest` or `a.b.c` such as 26100.2894.250113. Changing it: rebuild image."))
    image: Optional[ImageName] = Field(default=None, description=(
        "Build on another image of this stack (the version its build produced, or its pinned version): a "
        "layered image. Changing it: rebuild image."))
    image_version_id: Optional[VersionId] = Field(default=None, description=(
        "Build on an existing gallery image version (ARM ID). Changing it: rebuild image."))
    capture: Optional[WorkloadName] = Field(default=None, description=(
        "Build on the managed image a capture of this stack made (captured in the stack location). Changing "
        "it: rebuild image."))
    managed_image_id: Optional[ManagedImageId] = Field(default=None, description=(
        "Build on an existing managed image (ARM ID, in the template's subscription and region). Changing it: "
        "rebuild image."))
    vhd_import: Optional[WorkloadName] = Field(default=None, description=(
        "Build on the managed image of imports.<name> (a disk from Hyper-V): a layered build on the firm's own "
        "disk. The image's hyperVGeneration must be the import's, and its securityType Standard (an uploaded "
        "disk is a Standard source). Changing it: rebuild image (a new file in the import rebuilds it too)."))

    @model_validator(mode="after")
    def _one_kind(self):
        marketplace = self.model_fields_set & {"publisher", "offer", "sku", "version"}
        others = [k for k in ("image", "image_version_id", "capture", "managed_image_id", "vhd_import")
                  if getattr(self, k) is not None]
        if len(others) > 1 or (others and marketplace):
            raise ValueError("give one of: a marketplace image (publisher, offer, sku, version), image, "
                             "imageVersionId, capture, vhdImport or managedImageId")
        return self

    @property
    def existing_id(self) -> Optional[str]:
        """The ID of an existing custom image the build starts from (imageVersionId or managedImageId), or None."""
        return self.image_version_id or self.managed_image_id

    @property
    def kind(self) -> str:
        """Image Builder's source type."""
        if self.capture or self.managed_image_id or self.vhd_import:
            return "ManagedImage"
        return "SharedImageVersion" if self.image or self.image_version_id else "PlatformImage"


class Identifier(Model):
    publisher: Annotated[str, Field(min_length=1, max_length=rules.IDENTIFIER_PUBLISHER_MAX)] = Field(description=(
        "The image definition's publisher, e.g. the firm's name. Changing it: replace: a new image "
        "definition, the image rebuilt into it and the fleets' VMs replaced."))
    offer: Annotated[str, Field(min_length=1, max_length=rules.IDENTIFIER_OFFER_SKU_MAX)] = Field(description=(
        "The image definition's offer. Changing it: replace, as for publisher."))
    sku: Annotated[str, Field(min_length=1, max_length=rules.IDENTIFIER_OFFER_SKU_MAX)] = Field(description=(
        "The image definition's SKU. Changing it: replace, as for publisher."))


class Build(Model):
    # A D4ds_v5 (4 vCPU, Gen2) avoids the WinRM timeouts reported on the small default build VMs.
    vm_size: VmSize = Field(default="Standard_D4ds_v5", description=(
        "The build VM's size (Gen2); a bigger one shortens Windows Update and the customizers. Changing it: "
        "rebuild image."))
    os_disk_size_gb: int = Field(default=127, ge=rules.OS_DISK_MIN_GB, le=rules.OS_DISK_MAX_GB, alias="osDiskSizeGB",
                                 description=(
        "The build VM's OS disk in GB, at least the source image's (127; 30 for smalldisk SKUs), at most 4095; "
        "fleets' disks must be at least this. Changing it: rebuild image."))
    timeout_minutes: int = Field(default=180, ge=0, le=rules.BUILD_TIMEOUT_MAX_MINUTES, description=(
        "The build's timeout, 0-960 minutes (0: Azure's 240). Changing it: rebuild image."))
    # Build inside a network instead of Image Builder's own ("Azure VM Image Builder networking options"):
    # the build VM then reaches only what the firm's network allows, and leaves by its egress path.
    # private: the build subnet of the program's network in the stack location (network.<location>.buildSubnet,
    # and its containerInstanceSubnet if given). subnetId: an existing subnet instead, in the stack location.
    private: bool = Field(default=False, description=(
        "Build inside the program's network, in `network.<location>.buildSubnet` (isolated when that network "
        "has a containerInstanceSubnet). Not with subnetId. Changing it: rebuild image."))
    subnet_id: Optional[SubnetId] = Field(default=None, description=(
        "Build in an existing subnet (ARM ID) in the stack location; the identity gets the networking role on "
        "its VNet. Changing it: rebuild image."))
    # Isolated builds with an existing subnet: Image Builder's container instance runs in this subnet (delegated
    # to Microsoft.ContainerInstance/containerGroups, in subnetId's network) and no proxy VM is deployed.
    container_instance_subnet_id: Optional[SubnetId] = Field(default=None, description=(
        "An existing subnet of subnetId's VNet, delegated to container groups, for isolated builds. Needs "
        "subnetId. Changing it: rebuild image."))
    # The proxy VM Image Builder puts in the build subnet when no container-instance subnet is given
    # (Image Builder's default: Standard_A1_v2). Azure refuses it together with a container-instance subnet.
    proxy_vm_size: Optional[VmSize] = Field(default=None, description=(
        "The size of Image Builder's proxy VM (default Standard_A1_v2), only for a build in a network without "
        "a container-instance subnet. Changing it: rebuild image."))
    # Identities the build VM itself runs as (vmProfile.userAssignedIdentities), e.g. to read Key Vault or a
    # private package feed during customization. Their role assignments are the user's to make.
    user_assigned_identities: list[IdentityId] = Field(default=[], description=(
        "Identities (ARM IDs) the build VM runs as, e.g. to read Key Vault during customization; their role "
        "assignments are yours to make. Changing it: rebuild image."))

    def subnets(self, program_build: Any, program_container_instances: Any) -> tuple[Any, Any]:
        """(the build VM's subnet, the container instance's subnet or None) that vnetConfig names: the build's
        own existing subnets, else (private) the program's network's, given; (None, None) for neither."""
        if self.subnet_id or self.container_instance_subnet_id:
            return self.subnet_id, self.container_instance_subnet_id
        return (program_build, program_container_instances) if self.private else (None, None)

    @property
    def in_network(self) -> bool:
        """Whether the build runs in a subnet of the firm's (private or subnetId)."""
        return self.private or self.subnet_id is not None


class TargetRegion(Model):
    name: Region = Field(description=(
        "The region. Changing it: in place: the region's replica step (VersionReplicas) is added or removed; "
        "nothing is rebuilt."))
    # None: derived from the fleets that deploy from this image in this region (see replicas.py).
    replica_count: Optional[int] = Field(default=None, ge=1, le=rules.MAX_REPLICAS_PER_REGION, description=(
        "Replicas in this region, 1-100; default one per 50 VMs of the fleets booting the image there. "
        "Changing it: in place (the version's replicas)."))
    storage_account_type: Literal[rules.REPLICA_STORAGE_TYPES] = Field(  # type: ignore[valid-type]
        default="Standard_LRS", description=(
            "The replicas' storage (`Standard_ZRS` only in regions with zones). Changing it: in place (the "
            "version's replicas)."))


class Versioning(Model):
    """Image Builder names each new version `major.x.y` ('Latest' scheme)."""

    major: int = Field(default=1, ge=0, le=rules.INT32_MAX, description=(
        "The major part of the versions Image Builder names (`major.x.y`). Changing it: rebuild image."))
    # An explicit version name instead ("a version ID to name the version", the SharedImage
    # distributor's galleryImageId): Azure never overwrites a version, so bump it with every recipe change.
    version: Optional[Version] = Field(default=None, description=(
        "An explicit version name `a.b.c` instead; Azure never overwrites a version, so bump it with every "
        "recipe change. Not with rebuildOnNewBaseImage. Changing it: rebuild image."))


class Pinned(Model):
    """Consume an existing version instead of building: what another stack built and promoted (the shipped
    stacks build their own)."""

    version: Version = Field(description=(
        "The existing version to boot, `a.b.c`. Changing it: replace VMs: the fleets booting it roll to the "
        "other version (a `vms` fleet's VMs all at once, a scale set 20% at a time)."))
    # The definition the version lives in; default: this stack's own definition of the image.
    definition_id: Optional[DefinitionId] = Field(default=None, description=(
        "The image definition (ARM ID) the version lives in, e.g. another stack's; default this stack's own "
        "definition of the image. Changing it: replace VMs, as for version."))
    # Where the version is replicated: a fleet can only boot it there (a version promoted from dev may
    # live in uksouth only). Checked against the fleets in the plan, and against Azure at preview.
    regions: list[Region] = Field(min_length=1, description=(
        "Where the version is replicated: every fleet booting it must run in one of them (`pulumi preview` "
        "asks Azure). Changing it: nothing by itself (it states a fact about the version)."))


class Image(Model):
    description: str = Field(default="", description=(
        "The image definition's description. Changing it: in place."))
    identifier: Identifier = Field(description=(
        "The image definition's identifier, `{publisher, offer, sku}`, unique in the gallery. Changing it: see "
        "its keys (replace)."))
    source: PlatformSource = Field(default=PlatformSource(), description=(
        "Where the build starts: a marketplace image (`publisher`, `offer`, `sku`, `version`; default Windows "
        "Server 2025 Datacenter Azure Edition, latest), or one of `image`, `imageVersionId`, `capture`, "
        "`managedImageId`. Windows, Hyper-V generation 2. Changing it: rebuild image."))
    customize: list[Customizer] = Field(default=[], description=(
        "The build steps, in order, by `type`: `PowerShell`, `File`, `WindowsRestart`, `WindowsUpdate`, each "
        "with a unique `name`. Changing it: rebuild image: a new template and build, then the fleets roll to the "
        "new version."))
    validate_: Optional[Validation] = Field(default=None, alias="validate", description=(
        "Image Builder's validation after customizing. Changing it: rebuild image."))
    error_handling: ErrorHandling = Field(default=ErrorHandling(), description=(
        "What Image Builder does with the build VM after a failed step. Changing it: see its keys."))
    optimize_vm_boot: bool = Field(default=True, description=(
        "Image Builder's boot optimization (`optimize.vmBoot`): about 10 more minutes a build, faster VM "
        "creation. Changing it: rebuild image."))
    build: Build = Field(default=Build(), description="The build VM and its network. Changing it: see its keys.")
    regions: list[TargetRegion] = Field(min_length=1, description=(
        "Where versions are replicated: region names, or `{name, replicaCount, storageAccountType}`; must "
        "include the stack location. Changing it: in place: a region's replica step is added or removed; "
        "nothing is rebuilt."))
    versioning: Versioning = Field(default=Versioning(), description=(
        "How new versions are named. Changing it: see its keys."))
    exclude_from_latest: bool = Field(default=False, description=(
        "Keep the versions out of `latest`. Changing it: rebuild image (the distributor sets it)."))
    recommended: Recommended = Field(default=Recommended(), description=(
        "The definition's recommended vCPUs and memory. Changing it: in place."))
    end_of_life: Optional[IsoDate] = Field(default=None, description=(
        "The definition's end-of-life date, `YYYY-MM-DD`. Changing it: in place."))
    pinned: Optional[Pinned] = Field(default=None, description=(
        "Consume an existing version instead of building (no template, no build): `{version, regions, "
        "definitionId?}`. Changing it: replace: setting it deletes the template and build; the fleets roll to "
        "the pinned version (replace VMs)."))
    hyper_v_generation: Literal["V1", "V2"] = Field(default="V2", description=(
        "The Hyper-V generation of the image definition: V2 (UEFI; needed for Trusted Launch) or V1 (BIOS), "
        "which a build on a generation 1 source (source.vhdImport of a V1 import) needs: Image Builder refuses a "
        "cross-generation source. Changing it: replace: the definition and its versions are recreated, and the fleets booting it."))
    retention: Optional[Retention] = Field(
        default=None, description="Keep the newest N versions and every version in use; the plan lists the rest, "
                                  "to exclude from latest and then delete (see Retention). Changing it: nothing "
                                  "in Azure yet (the plan lists what it would delete).")
    promote: Optional[Promote] = Field(
        default=None, description="Copy this image's version from the stack that builds it, instead of building "
                                  "it here (no Image Builder in this stack for it). Changing it: see its keys.")
    # Versions of this image's definition that fleets pin with imageVersion, each with the regions it is
    # replicated to.
    existing_versions: dict[Version, list[Region]] = Field(default={}, description=(
        "Versions of this definition that fleets pin with imageVersion, each with the regions it is "
        "replicated to. Changing it: nothing by itself (it states facts about existing versions)."))
    # A SourceImage trigger: Azure rebuilds when Microsoft publishes a new base image.
    rebuild_on_new_base_image: bool = Field(default=False, description=(
        "A SourceImage trigger: Azure rebuilds when Microsoft publishes a new base image (needs source.version "
        "latest and the Triggers feature). Changing it: in place: the trigger is created or deleted."))
    security_type: Optional[Literal["TrustedLaunchSupported", "Standard"]] = Field(
        default=None,
        description="The definition's SecurityType: TrustedLaunchSupported or Standard. Unset (the default): that of "
                    "the source (a managed image or capture: Standard; a marketplace image: TrustedLaunchSupported; a "
                    "layer: its base's). Give it only for an imageVersionId source; it must match a source whose type "
                    "is known. Changing it: replace: the image definition is recreated (and the versions in it).")
    rebuild: Optional[Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]] = Field(
        default=None, description="The month's rebuild marker, YYYY-MM: part of the template's content hash (as "
                                  "its `rebuild` tag), so a new month is a new template and a new build with the "
                                  "month's updates. Bumped by .github/workflows/monthly-rebuild.yml in a pull "
                                  "request (offline/rebuild_marker.py). Changing it: rebuild image (then the "
                                  "fleets that boot the new version are replaced, wave by wave).")
    # Also distribute the build as a managed image (for consumers that cannot use a gallery).
    managed_image: bool = Field(default=False, description=(
        "Also distribute as a managed image; refused for marketplace sources (TrustedLaunchSupported): use "
        "captures. Changing it: rebuild image."))
    # Also distribute as a VHD in the staging storage account (a third distributor), for export.
    vhd: bool = Field(default=False, description=(
        "Also distribute as a VHD in the staging storage account, for export. Changing it: rebuild image."))
    # The user's own tags: on the staging resource group Image Builder creates (policies often require
    # tags there), and on the artifacts the build produces (the gallery version, a managed image, the VHD).
    managed_resource_tags: dict[TagName, TagValue] = Field(default={}, description=(
        "Your tags on the staging resource group Image Builder creates (policies often require them there). "
        "Changing it: rebuild image (part of the recipe hash)."))
    artifact_tags: dict[TagName, TagValue] = Field(default={}, description=(
        "Your tags on what the build produces (the gallery version, a managed image, the VHD). Changing it: "
        "rebuild image."))
    @model_validator(mode="before")
    @classmethod
    def _region_shorthand(cls, data: Any):
        # `regions: [uksouth, eastus]` is the common case: accept names as well as objects.
        if isinstance(data, dict) and isinstance(data.get("regions"), list):
            data = {**data, "regions": [{"name": r} if isinstance(r, str) else r for r in data["regions"]]}
        return data

    @model_validator(mode="after")
    def _unique(self):
        names = [c.name for c in self.customize]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"customizer names must be unique, repeated: {', '.join(dupes)}")
        if self.promote and self.pinned:
            raise ValueError("give one of promote (copy another stack's version) or pinned (boot an existing one)")
        regions = [r.name for r in self.regions]
        if len(set(regions)) != len(regions):
            raise ValueError("each region may appear once in regions")
        return self
