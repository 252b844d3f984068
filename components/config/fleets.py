"""The fleet half of the stack config: VM fleets, their networks, and the sysprep-and-capture path."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, Optional, Union

from pydantic import AfterValidator, Field, model_validator

from . import azure_rules as rules
from .addresses import network_problem
from .types import (
    Cidr,
    ComputerNamePrefix,
    ImageName,
    Model,
    Region,
    SubnetId,
    Version,
    VmSize,
)


def _ipv4(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError("must be an IPv4 address such as 10.0.0.4") from None
    return value


IPv4Address = Annotated[str, AfterValidator(_ipv4)]


class NatGatewayEgress(Model):
    """Egress through an Azure NAT gateway (Standard) with a Standard public IP prefix of its own: the
    prefix is the one range the firm allow-lists, and the only public IP resource the program creates."""

    type: Literal["natGateway"]
    public_ip_prefix_length: int = Field(default=31, ge=rules.PUBLIC_IP_PREFIX_LENGTH_MIN,
                                         le=rules.PUBLIC_IP_PREFIX_LENGTH_MAX)


class HubEgress(Model):
    """Egress through an existing firewall or NVA in a peered hub: 0.0.0.0/0 to nextHopIp. The peering
    and the firewall's rules are the hub's; the internet sees the hub's addresses."""

    type: Literal["hub"]
    next_hop_ip: IPv4Address


Egress = Annotated[Union[NatGatewayEgress, HubEgress], Field(discriminator="type")]


class RegionNetwork(Model):
    address_space: Cidr
    workload_subnet: Cidr
    # Private-only Bastion needs its own subnet of at least /26, named AzureBastionSubnet.
    bastion_subnet: Optional[Cidr] = None
    # Where private image builds run (images.<name>.build.private), in the stack location's network.
    build_subnet: Optional[Cidr] = None
    # Isolated builds: Image Builder's container instance runs here instead of a proxy VM behind Private Link
    # (delegated to Microsoft.ContainerInstance/containerGroups; needs buildSubnet).
    container_instance_subnet: Optional[Cidr] = None
    # The domain controllers (or the corporate DNS that forwards to them): needed for domain join.
    dns_servers: list[IPv4Address] = []
    # How the workload subnet reaches the internet. Never Azure's default outbound access (retired,
    # Microsoft's address, not allow-listable): a NAT gateway unless the stack names a hub.
    egress: Egress = NatGatewayEgress(type="natGateway")

    @property
    def isolated_builds(self) -> bool:
        """Whether private builds here run isolated: Image Builder's container instance in the firm's subnet."""
        return bool(self.build_subnet and self.container_instance_subnet)

    @model_validator(mode="after")
    def _inside(self):
        problem = network_problem(self.address_space, {"workloadSubnet": self.workload_subnet,
                                                       "bastionSubnet": self.bastion_subnet,
                                                       "buildSubnet": self.build_subnet,
                                                       "containerInstanceSubnet": self.container_instance_subnet})
        if problem:
            raise ValueError(problem)
        return self


class OsDisk(Model):
    type: Literal[rules.OS_DISK_TYPES] = "Premium_LRS"  # type: ignore[valid-type]
    size_gb: int = Field(default=128, ge=127, le=rules.OS_DISK_MAX_GB, alias="sizeGB")


class DomainJoin(Model):
    """AD DS join through JsonADDomainExtension; the password is the secret `domainJoinPassword`."""

    domain: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")]
    user: Annotated[str, Field(min_length=1)]
    ou_path: Optional[str] = None


class Fleet(Model):
    region: Region
    # Where the VMs boot from: one of the images (the version its build produced, or imageVersion),
    # or a managed image (a capture, or an image distributed as a managed image).
    image: Optional[ImageName] = None
    image_version: Optional[Version] = None
    managed_image: Optional[ImageName] = None
    count: int = Field(ge=1, le=rules.MAX_FLEET_COUNT)
    mode: Literal["vms", "scaleset"] = "vms"
    size: VmSize = "Standard_D2s_v5"
    zones: list[Literal["1", "2", "3"]] = []
    computer_name_prefix: Optional[ComputerNamePrefix] = None
    license_type: Optional[Literal["Windows_Server"]] = None
    encryption_at_host: bool = False
    os_disk: OsDisk = OsDisk()
    subnet_id: Optional[SubnetId] = None
    domain_join: Optional[DomainJoin] = None
    rollout_batch: Optional[int] = Field(
        default=None, ge=1, le=rules.MAX_FLEET_COUNT,
        description="vms mode only: how many VMs one wave of an image rollout replaces (1 to the fleet's count). "
                    "Unset: one zone at a time when zones are given, else one VM at a time. Each wave starts only "
                    "when the previous wave's VMs run and their health extension reports (docs/lifecycle.md). "
                    "Effect on a running stack: nothing until the next image change (the order of replacements).")

    def waves(self) -> list[list[int]]:
        """The VM positions each rollout wave replaces, in order: by zone (the round-robin of _zone), or
        consecutive batches of rollout_batch."""
        if self.rollout_batch is None and self.zones:
            return [[i for i in range(self.count) if i % len(self.zones) == z]
                    for z in range(min(len(self.zones), self.count))]
        size = self.rollout_batch or 1
        return [list(range(start, min(start + size, self.count))) for start in range(0, self.count, size)]

    @model_validator(mode="after")
    def _one_source(self):
        if (self.image is None) == (self.managed_image is None):
            raise ValueError("give exactly one of image or managedImage")
        if self.image_version and not self.image:
            raise ValueError("imageVersion pins a version of image; it needs image")
        if self.rollout_batch is not None and self.mode == "scaleset":
            raise ValueError("rolloutBatch is for mode vms: a scale set rolls by its Rolling upgrade policy (20% a batch)")
        if self.rollout_batch is not None and self.rollout_batch > self.count:
            raise ValueError(f"rolloutBatch ({self.rollout_batch}) must not exceed count ({self.count})")
        return self


class CapturePublish(Model):
    image: ImageName
    version: Version


class Capture(Model):
    """The course's manual path: reference VM -> sysprep -> generalize -> managed image."""

    region: Region
    size: VmSize = "Standard_D2s_v5"
    publisher: str = "MicrosoftWindowsServer"
    offer: str = "WindowsServer"
    sku: str = "2025-datacenter-azure-edition"
    version: str = "latest"
    publish: Optional[CapturePublish] = None
