"""The fleet half of the stack config: VM fleets, their networks, and the sysprep-and-capture path."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, Field, model_validator

from . import azure_rules as rules
from .config_types import Cidr, ComputerNamePrefix, Model, Region, SubnetId, Version


def _ipv4(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError("must be an IPv4 address such as 10.0.0.4") from None
    return value


class RegionNetwork(Model):
    address_space: Cidr
    workload_subnet: Cidr
    # Private-only Bastion needs its own subnet of at least /26, named AzureBastionSubnet.
    bastion_subnet: Optional[Cidr] = None
    # The domain controllers (or the corporate DNS that forwards to them): needed for domain join.
    dns_servers: list[Annotated[str, AfterValidator(_ipv4)]] = []

    @model_validator(mode="after")
    def _inside(self):
        space = ipaddress.ip_network(self.address_space)
        for label, cidr in (("workloadSubnet", self.workload_subnet), ("bastionSubnet", self.bastion_subnet)):
            if cidr and not ipaddress.ip_network(cidr).subnet_of(space):
                raise ValueError(f"{label} {cidr} must lie inside addressSpace {self.address_space}")
        if self.bastion_subnet and ipaddress.ip_network(self.bastion_subnet).prefixlen > 26:
            raise ValueError("bastionSubnet must be /26 or larger, as Azure Bastion requires")
        return self


class OsDisk(Model):
    type: Literal["Premium_LRS", "Premium_ZRS", "StandardSSD_LRS", "StandardSSD_ZRS", "Standard_LRS"] = "Premium_LRS"
    size_gb: int = Field(default=128, ge=127, le=4095, alias="sizeGB")


class DomainJoin(Model):
    """AD DS join through JsonADDomainExtension; the password is the secret `domainJoinPassword`."""

    domain: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")]
    user: Annotated[str, Field(min_length=1)]
    ou_path: Optional[str] = None


class Fleet(Model):
    region: Region
    # Where the VMs boot from: one of the images (the version its build produced, or imageVersion),
    # or a managed image (a capture, or an image distributed as a managed image).
    image: Optional[str] = None
    image_version: Optional[Version] = None
    managed_image: Optional[str] = None
    count: int = Field(ge=1, le=1000)
    mode: Literal["vms", "scaleset"] = "vms"
    size: str = Field(default="Standard_D2s_v5", pattern=r"^Standard_[A-Za-z0-9_]+$")
    zones: list[Literal["1", "2", "3"]] = []
    computer_name_prefix: Optional[ComputerNamePrefix] = None
    license_type: Optional[Literal["Windows_Server"]] = None
    encryption_at_host: bool = False
    os_disk: OsDisk = OsDisk()
    subnet_id: Optional[SubnetId] = None
    domain_join: Optional[DomainJoin] = None

    @model_validator(mode="after")
    def _one_source(self):
        if (self.image is None) == (self.managed_image is None):
            raise ValueError("give exactly one of image or managedImage")
        if self.image_version and not self.image:
            raise ValueError("imageVersion pins a version of image; it needs image")
        return self


class CapturePublish(Model):
    image: str
    version: Version


class Capture(Model):
    """The course's manual path: reference VM -> sysprep -> generalize -> managed image."""

    region: Region
    size: str = Field(default="Standard_D2s_v5", pattern=r"^Standard_[A-Za-z0-9_]+$")
    publisher: str = "MicrosoftWindowsServer"
    offer: str = "WindowsServer"
    sku: str = "2025-datacenter-azure-edition"
    version: str = "latest"
    publish: Optional[CapturePublish] = None


# VM indexes are always three digits (count is at most 1000): growing a fleet past 100 must not
# rename, and so replace, the VMs it already has.
INDEX_WIDTH = 3


def computer_name_room(fleet: Fleet) -> int:
    """Characters left for the prefix once the instance suffix is added (15 in all)."""
    if fleet.mode == "scaleset":
        return rules.WINDOWS_COMPUTER_NAME_MAX - rules.SCALE_SET_SUFFIX_LENGTH
    return rules.WINDOWS_COMPUTER_NAME_MAX - INDEX_WIDTH


def computer_name_prefix(fleet_name: str, fleet: Fleet) -> str:
    return fleet.computer_name_prefix or "".join(c for c in fleet_name if c.isalnum())[: computer_name_room(fleet)]


def check_fleets(config) -> list[tuple[str, object, str]]:
    problems: list[tuple[str, object, str]] = []
    # A pinned image is not built here, so Image Builder writes no managed image for it.
    managed = sorted([*config.captures, *(n for n, i in config.images.items() if i.managed_image and not i.pinned)])
    for name, fleet in config.fleets.items():
        key = f"fleets.{name}"
        if fleet.image and fleet.image not in config.images:
            problems.append((f"{key}.image", fleet.image, f"must be one of the images: {', '.join(sorted(config.images))}"))
        elif fleet.image and fleet.region not in [r.name for r in config.images[fleet.image].regions]:
            problems.append((f"{key}.region", fleet.region,
                             f"must be one of the regions image {fleet.image} replicates to "
                             f"({', '.join(r.name for r in config.images[fleet.image].regions)})"))
        if fleet.managed_image and fleet.managed_image not in managed:
            problems.append((f"{key}.managedImage", fleet.managed_image,
                             f"must name a capture or an image with managedImage: true ({', '.join(managed) or 'none defined'})"))
        if fleet.managed_image in config.images and fleet.region != config.location:
            problems.append((f"{key}.region", fleet.region,
                             f"must be {config.location}: a managed image lives in one region, the build's"))
        if fleet.managed_image in config.captures and fleet.region != config.captures[fleet.managed_image].region:
            problems.append((f"{key}.region", fleet.region,
                             f"must be {config.captures[fleet.managed_image].region}, the region of capture {fleet.managed_image}"))
        if not fleet.subnet_id and fleet.region not in config.network:
            problems.append((f"{key}.subnetId", None,
                             f"is required unless network.{fleet.region} gives addressSpace and workloadSubnet"))
        if fleet.domain_join and not fleet.subnet_id and not (config.network.get(fleet.region) and
                                                             config.network[fleet.region].dns_servers):
            problems.append((f"{key}.domainJoin", fleet.domain_join.domain,
                             f"needs network.{fleet.region}.dnsServers (the domain's DNS), or a subnetId "
                             "in a network that resolves the domain"))
        prefix = computer_name_prefix(name, fleet)
        if len(prefix) > computer_name_room(fleet):
            problems.append((f"{key}.computerNamePrefix", prefix,
                             f"must be at most {computer_name_room(fleet)} characters, so that the "
                             f"{'scale set instance suffix' if fleet.mode == 'scaleset' else 'index'} fits "
                             f"Windows' {rules.WINDOWS_COMPUTER_NAME_MAX}-character computer name"))
    problems += _check_unique_computer_names(config) + _check_subnet_capacity(config)
    if config.bastion:
        for region in config.fleet_regions:
            if region in config.network and not config.network[region].bastion_subnet:
                problems.append((f"network.{region}.bastionSubnet", None, "is required when bastion is true"))
    for name, capture in config.captures.items():
        if capture.region not in config.network:
            problems.append((f"captures.{name}.region", capture.region,
                             f"needs network.{capture.region} (addressSpace, workloadSubnet) for the reference VM"))
        if capture.publish and capture.publish.image not in config.images:
            problems.append((f"captures.{name}.publish.image", capture.publish.image,
                             f"must be one of the images: {', '.join(sorted(config.images))}"))
    return problems


def _check_unique_computer_names(config) -> list[tuple[str, object, str]]:
    """Two fleets whose prefixes nest could produce one computer name twice: one AD account, two VMs."""
    problems = []
    prefixes = {name: computer_name_prefix(name, fleet).lower() for name, fleet in config.fleets.items()}

    def collide(a: str, b: str) -> bool:
        # VM names are prefix + 3 digits; scale sets append 6 letters and digits of their own.
        rest = prefixes[b][len(prefixes[a]):]
        scale_set = "scaleset" in (config.fleets[a].mode, config.fleets[b].mode)
        return prefixes[b].startswith(prefixes[a]) and (scale_set or rest == "" or rest.isdigit())

    for name, prefix in prefixes.items():
        clash = sorted(other for other in prefixes if other != name and collide(name, other))
        if clash:
            problems.append((f"fleets.{name}.computerNamePrefix", prefix,
                             f"must not be a prefix of another fleet's ({', '.join(clash)}): computer names must be unique"))
    return problems


def _check_subnet_capacity(config) -> list[tuple[str, object, str]]:
    problems = []
    for region, spec in config.network.items():
        vms = sum(f.count for f in config.fleets.values() if f.region == region and not f.subnet_id)
        vms += sum(1 for c in config.captures.values() if c.region == region)
        usable = max(0, ipaddress.ip_network(spec.workload_subnet).num_addresses - 5)  # Azure reserves 5
        if vms > usable:
            problems.append((f"network.{region}.workloadSubnet", spec.workload_subnet,
                             f"must hold the {vms} VMs placed in it; it has {usable} usable addresses"))
    return problems
