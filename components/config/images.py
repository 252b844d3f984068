"""The image half of the stack config: Image Builder recipes (source, customizers, build, distribution).

Keys in `Pulumi.<stack>.yaml` are camelCase (like the ARM bodies they end up in); the model's fields
are snake_case so that customizer and validator dumps match azure-native's input dicts one to one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, model_validator

from . import azure_rules as rules
from .lifecycle import Promote, Retention
from .types import (CustomizerName, DefinitionId, HttpsUri, IdentityId, ImageName, Int32, IsoDate, ManagedImageId, Model,
                    Region, Sha256, SourceVersion, SubnetId, TagName, TagValue, Version, VersionId, VmSize,
                    WindowsFilePath, WorkloadName)


# --- Image Builder customizers (the `type` values are Image Builder's own) -----------------------


class PowerShellValidator(Model):
    """A PowerShell script run in the build VM: inline, or downloaded and checked against its digest."""

    type: Literal["PowerShell"]
    name: CustomizerName
    inline: Optional[list[str]] = Field(default=None, min_length=1)
    script_uri: Optional[HttpsUri] = None
    sha256_checksum: Optional[Sha256] = None
    # Append the secret artifactSasToken to scriptUri when the build downloads it (never stored, hashed
    # or printed: the checksum already pins the content, so rotating the token rebuilds nothing).
    use_sas_token: bool = False
    run_elevated: bool = True
    valid_exit_codes: Optional[list[Int32]] = None

    @model_validator(mode="after")
    def _one_script(self):
        if (self.inline is None) == (self.script_uri is None):
            raise ValueError("give exactly one of inline or scriptUri")
        if self.script_uri and not self.sha256_checksum:
            raise ValueError("scriptUri needs sha256Checksum, so the build runs exactly the reviewed script")
        return self


class PowerShellCustomizer(PowerShellValidator):
    run_as_system: bool = False

    @model_validator(mode="after")
    def _system_needs_elevation(self):
        if self.run_as_system and not self.run_elevated:
            raise ValueError("runAsSystem needs runElevated: true, as Image Builder requires")
        return self


class FileCustomizer(Model):
    type: Literal["File"]
    name: CustomizerName
    source_uri: HttpsUri
    destination: WindowsFilePath
    sha256_checksum: Sha256
    use_sas_token: bool = False  # as PowerShell's: append the secret artifactSasToken to sourceUri


class WindowsRestartCustomizer(Model):
    type: Literal["WindowsRestart"]
    name: CustomizerName
    restart_command: Optional[str] = None
    restart_check_command: Optional[str] = None
    restart_timeout: Optional[Annotated[str, Field(pattern=r"^[0-9]+[smh]$")]] = None


class WindowsUpdateCustomizer(Model):
    type: Literal["WindowsUpdate"]
    name: CustomizerName
    search_criteria: str = "IsInstalled=0"
    filters: list[str] = ["exclude:$_.Title -like '*Preview*'", "include:$true"]
    update_limit: int = Field(default=1000, ge=1, le=rules.WINDOWS_UPDATE_LIMIT_MAX)


Customizer = Annotated[
    Union[PowerShellCustomizer, FileCustomizer, WindowsRestartCustomizer, WindowsUpdateCustomizer],
    Field(discriminator="type"),
]


# Image Builder's validators: PowerShell, and File (uploads what a validation script needs; same keys as the
# File customizer). Shell validators are Linux-only, and these images are Windows.
Validator = Annotated[Union[PowerShellValidator, FileCustomizer], Field(discriminator="type")]


class Validation(Model):
    continue_distribute_on_failure: bool = False
    source_validation_only: bool = False
    in_vm_validations: list[Validator] = Field(default=[], alias="inVMValidations")


class ErrorHandling(Model):
    # cleanup keeps failed builds from leaving build VMs behind; abort keeps them for debugging.
    on_customizer_error: Literal["cleanup", "abort"] = "cleanup"
    on_validation_error: Literal["cleanup", "abort"] = "cleanup"


# --- Images ------------------------------------------------------------------------------------


class PlatformSource(Model):
    """Where a build starts. A marketplace image (publisher/offer/sku/version); a gallery image version:
    `image`, another image of this stack (its built or pinned version, in the same graph: layering), or
    `imageVersionId`, an existing version anywhere; or a managed image: `capture`, one a capture of this
    stack made (captures.<name>), or `managedImageId`, an existing one."""

    publisher: str = "MicrosoftWindowsServer"
    offer: str = "WindowsServer"
    sku: str = "2025-datacenter-azure-edition"
    version: SourceVersion = "latest"
    image: Optional[ImageName] = None
    image_version_id: Optional[VersionId] = None
    capture: Optional[WorkloadName] = None
    managed_image_id: Optional[ManagedImageId] = None

    @model_validator(mode="after")
    def _one_kind(self):
        marketplace = self.model_fields_set & {"publisher", "offer", "sku", "version"}
        others = [k for k in ("image", "image_version_id", "capture", "managed_image_id") if getattr(self, k) is not None]
        if len(others) > 1 or (others and marketplace):
            raise ValueError("give one of: a marketplace image (publisher, offer, sku, version), image, imageVersionId, "
                             "capture or managedImageId")
        return self

    @property
    def existing_id(self) -> Optional[str]:
        """The ID of an existing custom image the build starts from (imageVersionId or managedImageId), or None."""
        return self.image_version_id or self.managed_image_id

    @property
    def kind(self) -> str:
        """Image Builder's source type."""
        if self.capture or self.managed_image_id:
            return "ManagedImage"
        return "SharedImageVersion" if self.image or self.image_version_id else "PlatformImage"


class Identifier(Model):
    publisher: Annotated[str, Field(min_length=1, max_length=rules.IDENTIFIER_PUBLISHER_MAX)]
    offer: Annotated[str, Field(min_length=1, max_length=rules.IDENTIFIER_OFFER_SKU_MAX)]
    sku: Annotated[str, Field(min_length=1, max_length=rules.IDENTIFIER_OFFER_SKU_MAX)]


class Range(Model):
    min: int = Field(ge=1, le=rules.INT32_MAX)
    max: int = Field(ge=1, le=rules.INT32_MAX)

    @model_validator(mode="after")
    def _ordered(self):
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Recommended(Model):
    v_cpus: Optional[Range] = Field(default=None, alias="vCPUs")
    memory_gb: Optional[Range] = Field(default=None, alias="memoryGB")


class Build(Model):
    # A D4ds_v5 (4 vCPU, Gen2) avoids the WinRM timeouts reported on the small default build VMs.
    vm_size: VmSize = "Standard_D4ds_v5"
    os_disk_size_gb: int = Field(default=127, ge=rules.OS_DISK_MIN_GB, le=rules.OS_DISK_MAX_GB, alias="osDiskSizeGB")
    timeout_minutes: int = Field(default=180, ge=0, le=rules.BUILD_TIMEOUT_MAX_MINUTES)
    # Build inside a network instead of Image Builder's own ("Azure VM Image Builder networking options"):
    # the build VM then reaches only what the firm's network allows, and leaves by its egress path.
    # private: the build subnet of the program's network in the stack location (network.<location>.buildSubnet,
    # and its containerInstanceSubnet if given). subnetId: an existing subnet instead, in the stack location.
    private: bool = False
    subnet_id: Optional[SubnetId] = None
    # Isolated builds with an existing subnet: Image Builder's container instance runs in this subnet (delegated
    # to Microsoft.ContainerInstance/containerGroups, in subnetId's network) and no proxy VM is deployed.
    container_instance_subnet_id: Optional[SubnetId] = None
    # The proxy VM Image Builder puts in the build subnet when no container-instance subnet is given
    # (Image Builder's default: Standard_A1_v2). Azure refuses it together with a container-instance subnet.
    proxy_vm_size: Optional[VmSize] = None
    # Identities the build VM itself runs as (vmProfile.userAssignedIdentities), e.g. to read Key Vault or a
    # private package feed during customization. Their role assignments are the user's to make.
    user_assigned_identities: list[IdentityId] = []

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
    name: Region
    # None: derived from the fleets that deploy from this image in this region (see replicas.py).
    replica_count: Optional[int] = Field(default=None, ge=1, le=rules.MAX_REPLICAS_PER_REGION)
    storage_account_type: Literal[rules.REPLICA_STORAGE_TYPES] = "Standard_LRS"  # type: ignore[valid-type]


class Versioning(Model):
    """Image Builder names each new version `major.x.y` ('Latest' scheme)."""

    major: int = Field(default=1, ge=0, le=rules.INT32_MAX)
    # An explicit version name instead ("a version ID to name the version", the SharedImage
    # distributor's galleryImageId): Azure never overwrites a version, so bump it with every recipe change.
    version: Optional[Version] = None


class Pinned(Model):
    """Consume an existing version instead of building: prod pins what dev built and promoted."""

    version: Version
    # The definition the version lives in; default: this stack's own definition of the image.
    definition_id: Optional[DefinitionId] = None
    # Where the version is replicated: a fleet can only boot it there (a version promoted from dev may
    # live in uksouth only). Checked against the fleets in the plan, and against Azure at preview.
    regions: list[Region] = Field(min_length=1)


class Image(Model):
    description: str = ""
    identifier: Identifier
    source: PlatformSource = PlatformSource()
    customize: list[Customizer] = []
    validate_: Optional[Validation] = Field(default=None, alias="validate")
    error_handling: ErrorHandling = ErrorHandling()
    optimize_vm_boot: bool = True
    build: Build = Build()
    regions: list[TargetRegion] = Field(min_length=1)
    versioning: Versioning = Versioning()
    exclude_from_latest: bool = False
    recommended: Recommended = Recommended()
    end_of_life: Optional[IsoDate] = None
    pinned: Optional[Pinned] = None
    retention: Optional[Retention] = Field(
        default=None, description="Keep the newest N versions and every version in use; the plan lists the rest, "
                                  "to exclude from latest and then delete (see Retention).")
    promote: Optional[Promote] = Field(
        default=None, description="Copy this image's version from the stack that builds it, instead of building "
                                  "it here (no Image Builder in this stack for it); see Promote.")
    # Versions of this image's definition that fleets pin with imageVersion, each with the regions it is
    # replicated to.
    existing_versions: dict[Version, list[Region]] = {}
    # A SourceImage trigger: Azure rebuilds when Microsoft publishes a new base image.
    rebuild_on_new_base_image: bool = False
    rebuild: Optional[Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]] = Field(
        default=None, description="The month's rebuild marker, YYYY-MM: part of the template's content hash (as "
                                  "its `rebuild` tag), so a new month is a new template and a new build with the "
                                  "month's updates. Bumped by .github/workflows/monthly-rebuild.yml in a pull "
                                  "request (offline/rebuild_marker.py). Effect: rebuild image (then the fleets "
                                  "that boot the new version are replaced, wave by wave).")
    # Also distribute the build as a managed image (for consumers that cannot use a gallery).
    managed_image: bool = False
    # Also distribute as a VHD in the staging storage account (a third distributor), for export.
    vhd: bool = False
    # The user's own tags: on the staging resource group Image Builder creates (policies often require
    # tags there), and on the artifacts the build produces (the gallery version, a managed image, the VHD).
    managed_resource_tags: dict[TagName, TagValue] = {}
    artifact_tags: dict[TagName, TagValue] = {}

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
