"""The stack's configuration: one typed model, read once, checked against Azure's rules at load time.

Keys in `Pulumi.<stack>.yaml` are camelCase (like the ARM bodies they end up in); the model's fields
are snake_case so that customizer and validator dumps match azure-native's input dicts one to one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from . import azure_rules as rules

NAMESPACE = "image-factory"


def _matches(pattern: re.Pattern, rule: str):
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must be {rule}")
        return value

    return AfterValidator(check)


def _region(value: str) -> str:
    if value not in rules.REGIONS:
        close = sorted(r for r in rules.REGIONS if r[:4] == value.lower()[:4])
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"must be an Azure region name such as uksouth or eastus{hint}")
    return value


def _version(value: str) -> str:
    if not rules.VERSION.fullmatch(value) or any(int(p) > rules.INT32_MAX for p in value.split(".")):
        raise ValueError(f"must be {rules.VERSION_RULE}")
    return value


def _source_version(value: str) -> str:
    if value != "latest" and not re.fullmatch(r"\d+\.\d+\.\d+", value):
        raise ValueError("must be 'latest' or a marketplace version such as 26100.2894.250113")
    return value


def _https_uri(value: str) -> str:
    if not value.startswith("https://"):
        raise ValueError("must be an https:// URI")
    return value


Region = Annotated[str, AfterValidator(_region)]
Version = Annotated[str, AfterValidator(_version)]
TemplateName = Annotated[str, _matches(rules.TEMPLATE_NAME, rules.TEMPLATE_NAME_RULE)]
ImageName = Annotated[str, _matches(rules.IMAGE_DEFINITION_NAME, rules.IMAGE_DEFINITION_NAME_RULE)]
GalleryName = Annotated[str, _matches(rules.GALLERY_NAME, rules.GALLERY_NAME_RULE)]
ResourceGroupName = Annotated[str, _matches(rules.RESOURCE_GROUP_NAME, rules.RESOURCE_GROUP_NAME_RULE)]
Sha256 = Annotated[str, _matches(rules.SHA256, "64 hexadecimal characters (a SHA-256 digest)")]
HttpsUri = Annotated[str, AfterValidator(_https_uri)]
ComputerNamePrefix = Annotated[str, _matches(rules.COMPUTER_NAME_PREFIX, rules.COMPUTER_NAME_PREFIX_RULE)]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, strict=False
    )


# --- Image Builder customizers (the `type` values are Image Builder's own) -----------------------


class PowerShellCustomizer(Model):
    type: Literal["PowerShell"]
    name: TemplateName
    inline: Optional[list[str]] = Field(default=None, min_length=1)
    script_uri: Optional[HttpsUri] = None
    sha256_checksum: Optional[Sha256] = None
    run_elevated: bool = True
    run_as_system: bool = False
    valid_exit_codes: Optional[list[int]] = None

    @model_validator(mode="after")
    def _one_script(self):
        if (self.inline is None) == (self.script_uri is None):
            raise ValueError("give exactly one of inline or scriptUri")
        if self.script_uri and not self.sha256_checksum:
            raise ValueError("scriptUri needs sha256Checksum, so the build runs exactly the reviewed script")
        return self


class FileCustomizer(Model):
    type: Literal["File"]
    name: TemplateName
    source_uri: HttpsUri
    destination: str = Field(min_length=1)
    sha256_checksum: Sha256


class WindowsRestartCustomizer(Model):
    type: Literal["WindowsRestart"]
    name: TemplateName
    restart_command: Optional[str] = None
    restart_check_command: Optional[str] = None
    restart_timeout: Optional[Annotated[str, Field(pattern=r"^\d+[smh]$")]] = None


class WindowsUpdateCustomizer(Model):
    type: Literal["WindowsUpdate"]
    name: TemplateName
    search_criteria: str = "IsInstalled=0"
    filters: list[str] = ["exclude:$_.Title -like '*Preview*'", "include:$true"]
    update_limit: int = Field(default=1000, ge=1, le=10000)


Customizer = Annotated[
    Union[PowerShellCustomizer, FileCustomizer, WindowsRestartCustomizer, WindowsUpdateCustomizer],
    Field(discriminator="type"),
]


class PowerShellValidator(Model):
    type: Literal["PowerShell"]
    name: TemplateName
    inline: Optional[list[str]] = Field(default=None, min_length=1)
    script_uri: Optional[HttpsUri] = None
    sha256_checksum: Optional[Sha256] = None
    run_elevated: bool = True
    valid_exit_codes: Optional[list[int]] = None

    _one_script = PowerShellCustomizer._one_script


class Validation(Model):
    continue_distribute_on_failure: bool = False
    source_validation_only: bool = False
    in_vm_validations: list[PowerShellValidator] = Field(default=[], alias="inVMValidations")


class ErrorHandling(Model):
    # cleanup keeps failed builds from leaving build VMs behind; abort keeps them for debugging.
    on_customizer_error: Literal["cleanup", "abort"] = "cleanup"
    on_validation_error: Literal["cleanup", "abort"] = "cleanup"


# --- Images ------------------------------------------------------------------------------------


class PlatformSource(Model):
    publisher: str = "MicrosoftWindowsServer"
    offer: str = "WindowsServer"
    sku: str = "2025-datacenter-azure-edition"
    version: Annotated[str, AfterValidator(_source_version)] = "latest"


class Identifier(Model):
    publisher: Annotated[str, Field(min_length=1, max_length=128)]
    offer: Annotated[str, Field(min_length=1, max_length=64)]
    sku: Annotated[str, Field(min_length=1, max_length=64)]


class Range(Model):
    min: int = Field(ge=1)
    max: int = Field(ge=1)

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
    vm_size: str = Field(default="Standard_D4ds_v5", pattern=r"^Standard_[A-Za-z0-9_]+$")
    os_disk_size_gb: int = Field(default=127, ge=30, le=4095, alias="osDiskSizeGB")
    timeout_minutes: int = Field(default=180, ge=0, le=rules.BUILD_TIMEOUT_MAX_MINUTES)


class TargetRegion(Model):
    name: Region
    replica_count: int = Field(default=1, ge=1, le=rules.MAX_REPLICAS_PER_REGION)
    storage_account_type: Literal[rules.REPLICA_STORAGE_TYPES] = "Standard_LRS"  # type: ignore[valid-type]


class Versioning(Model):
    """Image Builder names each new version `major.x.y` ('Latest' scheme)."""

    major: int = Field(default=1, ge=0, le=rules.INT32_MAX)


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
    end_of_life: Optional[dt.date] = None

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
        regions = [r.name for r in self.regions]
        if len(set(regions)) != len(regions):
            raise ValueError("each region may appear once in regions")
        return self


# --- Fleets (consumed by the fleet issue; validated now so stacks can declare them) ------------


class Fleet(Model):
    region: Region
    image: str
    count: int = Field(ge=1, le=1000)
    size: str = Field(default="Standard_D2s_v5", pattern=r"^Standard_[A-Za-z0-9_]+$")
    zones: list[Literal["1", "2", "3"]] = []
    computer_name_prefix: Optional[ComputerNamePrefix] = None


class Gallery(Model):
    name: Optional[GalleryName] = None
    description: str = "Golden Windows Server images built by image-factory"


class StackConfig(Model):
    environment: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{1,9}$")]
    owner: Annotated[str, Field(min_length=1, max_length=256)]
    location: Region
    protect: bool = False
    resource_group: Optional[ResourceGroupName] = None
    gallery: Gallery = Gallery()
    images: dict[ImageName, Image] = Field(min_length=1)
    fleets: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,23}$")], Fleet] = {}
    tags: dict[str, str] = {}


def index_width(fleet: Fleet) -> int:
    return max(2, len(str(fleet.count - 1)))


def computer_name_prefix(fleet_name: str, fleet: Fleet) -> str:
    """Each VM's Windows computer name is this prefix followed by a zero-padded index."""
    room = rules.WINDOWS_COMPUTER_NAME_MAX - index_width(fleet)
    return fleet.computer_name_prefix or re.sub(r"[^a-z0-9]", "", fleet_name)[:room]


def cross_check(config: StackConfig) -> list[tuple[str, Any, str]]:
    """Rules that span several keys, as (key, value, what is allowed)."""
    problems = []
    for image_name, image in config.images.items():
        regions = [r.name for r in image.regions]
        if config.location not in regions:
            problems.append((
                f"images.{image_name}.regions", regions,
                f"must include the stack location {config.location}: a gallery image version keeps a "
                "replica in the gallery's own region",
            ))
    for fleet_name, fleet in config.fleets.items():
        if fleet.image not in config.images:
            problems.append((f"fleets.{fleet_name}.image", fleet.image,
                             f"must be one of the images: {', '.join(sorted(config.images))}"))
        prefix = computer_name_prefix(fleet_name, fleet)
        room = rules.WINDOWS_COMPUTER_NAME_MAX - index_width(fleet)
        if len(prefix) > room:
            problems.append((
                f"fleets.{fleet_name}.computerNamePrefix", prefix,
                f"must be at most {room} characters, so that it and a {index_width(fleet)}-digit index "
                f"fit Windows' {rules.WINDOWS_COMPUTER_NAME_MAX}-character computer name",
            ))
    return problems
