"""The fleet half of the stack config: VM fleets, their networks, and the sysprep-and-capture path."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, Optional, Union

from pydantic import AfterValidator, Field, model_validator

from . import azure_rules as rules
from .addresses import network_problem
from .time_zones import DEFAULT_TIME_ZONE
from .types import (
    Cidr,
    ComputerNamePrefix,
    ImageName,
    MarketplaceName,
    Model,
    Region,
    SourceVersion,
    SubnetId,
    Version,
    VmSize,
    WindowsTimeZone,
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

    type: Literal["natGateway"] = Field(description=(
        "`natGateway`: a Standard NAT gateway with a public IP prefix of its own. Changing it: replace: a "
        "switch between natGateway and hub replaces the NAT gateway or route table; new egress addresses."))
    public_ip_prefix_length: int = Field(default=31, ge=rules.PUBLIC_IP_PREFIX_LENGTH_MIN,
                                         le=rules.PUBLIC_IP_PREFIX_LENGTH_MAX, description=(
        "The size of the NAT gateway's public IP prefix, 28-31 (16 to 2 addresses, 64,512 SNAT ports each), "
        "output as `egressIps.<region>`. Changing it: replace: a new prefix, so new egress addresses that every "
        "allow-list must learn."))


class HubEgress(Model):
    """Egress through an existing firewall or NVA in a peered hub: 0.0.0.0/0 to nextHopIp. The peering
    and the firewall's rules are the hub's; the internet sees the hub's addresses."""

    type: Literal["hub"] = Field(description=(
        "`hub`: 0.0.0.0/0 to a firewall or NVA in a peered hub (the peering is the hub's). Changing it: "
        "replace: a switch between natGateway and hub replaces the NAT gateway or route table."))
    next_hop_ip: IPv4Address = Field(description=(
        "The private IPv4 address of the hub's firewall or NVA, outside workloadSubnet and bastionSubnet. "
        "Changing it: in place (the route)."))


Egress = Annotated[Union[NatGatewayEgress, HubEgress], Field(discriminator="type")]


class RegionNetwork(Model):
    address_space: Cidr = Field(description=(
        "The VNet's address space (CIDR, e.g. 10.30.0.0/16); must not overlap the hub or other spokes. "
        "Changing it: in place, as long as every subnet still fits (Azure refuses to drop a range in use)."))
    workload_subnet: Cidr = Field(description=(
        "The fleets' subnet `snet-workload` (CIDR inside addressSpace), with room for the VMs plus Azure's "
        "five addresses. Changing it: in place on the subnet, which Azure refuses while NICs use the range: "
        "move the fleets first."))
    # Private-only Bastion needs its own subnet of at least /26, named AzureBastionSubnet.
    bastion_subnet: Optional[Cidr] = Field(default=None, description=(
        "`AzureBastionSubnet` for the private-only Bastion (`bastion: true`): /26 or larger. Changing it: "
        "in place: the subnet is created or changed (with `bastion: true`, the Bastion host too)."))
    # Where private image builds run (images.<name>.build.private), in the stack location's network.
    build_subnet: Optional[Cidr] = Field(default=None, description=(
        "`snet-build`, where private image builds run (images.<name>.build.private), in the stack location's "
        "network. Changing it: in place on the subnet; templates name it by ID, which stays."))
    # Isolated builds: Image Builder's container instance runs here instead of a proxy VM behind Private Link
    # (delegated to Microsoft.ContainerInstance/containerGroups; needs buildSubnet).
    container_instance_subnet: Optional[Cidr] = Field(default=None, description=(
        "`snet-build-aci`, delegated to container groups: private builds become isolated builds, Image "
        "Builder's container instance running here instead of a proxy VM. Needs buildSubnet. Changing it: "
        "rebuild image: adding or removing it changes the templates of private builds."))
    # The domain controllers (or the corporate DNS that forwards to them): needed for domain join.
    dns_servers: list[IPv4Address] = Field(default=[], description=(
        "DNS servers of the VNet (the domain controllers, or the corporate DNS that forwards to them), needed "
        "for domainJoin; default Azure's DNS. Changing it: in place; running VMs take it at their next DHCP "
        "renewal or restart."))
    # How the workload subnet reaches the internet. Never Azure's default outbound access (retired,
    # Microsoft's address, not allow-listable): a NAT gateway unless the stack names a hub.
    egress: Egress = Field(default=NatGatewayEgress(type="natGateway"), description=(
        "How the workload subnet reaches the internet: `{type: natGateway, publicIpPrefixLength?}` (default) or "
        "`{type: hub, nextHopIp}`; never Azure's default outbound access. Changing it: see its keys."))
    reached_by: Optional[Literal["expressRoute", "vpn", "peering"]] = Field(
        default=None,
        description="How administrators' networks reach this VNet, made outside this stack: expressRoute (private "
                    "peering), vpn (a VPN gateway) or peering (VNet peering to a hub that has one). A private-only "
                    "Bastion is reachable only so; unset with bastion: true (and no hub egress) makes the plan warn. "
                    "Changing it: nothing (it describes the network; the plan's warning follows it).")

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
    type: Literal[rules.OS_DISK_TYPES] = Field(default="Premium_LRS", description=(  # type: ignore[valid-type]
        "The OS disk's storage type (`Premium_*` needs a VM size with premium storage, `*_ZRS` a region with "
        "zones). Changing it: restart: Azure changes a disk's type only while its VM is deallocated."))
    size_gb: int = Field(default=128, ge=127, le=rules.OS_DISK_MAX_GB, alias="sizeGB", description=(
        "The OS disk's size in GB, at least the disk the image was built with. Changing it: restart: Azure "
        "grows an OS disk while its VM is deallocated; it never shrinks one."))


class DomainJoin(Model):
    """AD DS join through JsonADDomainExtension; the password is the secret `domainJoinPassword`."""

    domain: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")] = Field(description=(
        "The AD DS domain's DNS name, e.g. corp.contoso.example. Changing it: in place on the join extension; "
        "a VM already joined stays in its domain until rebuilt."))
    user: Annotated[str, Field(min_length=1)] = Field(description=(
        "The account that joins the VMs (its password is the secret domainJoinPassword). Changing it: in "
        "place on the join extension."))
    ou_path: Optional[str] = Field(default=None, description=(
        "The OU the computer accounts go into (distinguished name); default the domain's Computers container. "
        "Changing it: in place on the join extension; joined VMs stay where they are."))


class Fleet(Model):
    region: Region = Field(description=(
        "Where the fleet runs: one of its image's regions, with a `network.<region>` (or subnetId). "
        "Changing it: replace VMs: the fleet is recreated in the new region."))
    # Where the VMs boot from: one of the images (the version its build produced, or imageVersion),
    # or a managed image (a capture, or an image distributed as a managed image).
    image: Optional[ImageName] = Field(default=None, description=(
        "The image the VMs boot from (its built or pinned version); exactly one of image and managedImage. "
        "Changing it: replace VMs: each VM of a `vms` fleet is deleted and recreated, all at once; a scale "
        "set rolls 20% at a time."))
    image_version: Optional[Version] = Field(default=None, description=(
        "Pin the fleet to this version of its image (listed in `images.<image>.existingVersions`); default the "
        "version the build produced. Changing it: replace VMs, as for image."))
    managed_image: Optional[ImageName] = Field(default=None, description=(
        "A managed image to boot from instead: a capture's name, or an image distributed as a managed image "
        "(Standard security, no Trusted Launch). Changing it: replace VMs, as for image."))
    count: int = Field(ge=1, le=rules.MAX_FLEET_COUNT, description=(
        "How many VMs (or scale set instances), 1-1000. Changing it: in place: VMs are added or removed "
        "(the highest indexes go first); a scale set changes its capacity."))
    mode: Literal["vms", "scaleset"] = Field(default="vms", description=(
        "`vms`: one NIC and VM per instance; `scaleset`: one Flexible scale set with a rolling upgrade "
        "policy. Changing it: replace VMs: the VMs are deleted and a scale set created, or the reverse."))
    size: VmSize = Field(default="Standard_D2s_v5", description=(
        "The VM size, such as Standard_D2s_v5 (Gen2; premium storage for a Premium OS disk). Changing it: "
        "restart: Azure restarts a running VM to resize it; a scale set rolls its instances."))
    zones: list[Literal["1", "2", "3"]] = Field(default=[], description=(
        "Availability zones, quoted (\"1\", \"2\", \"3\"), VMs placed round-robin; only in regions with zones. "
        "Changing it: replace VMs: a VM's zone is fixed at creation."))
    computer_name_prefix: Optional[ComputerNamePrefix] = Field(default=None, description=(
        "The Windows computer name prefix (a letter first; prefix plus index within 15 characters, scale "
        "sets at most 9); default from the fleet name. Changing it: replace VMs: the computer name is fixed "
        "at creation."))
    license_type: Optional[Literal["Windows_Server"]] = Field(default=None, description=(
        "`Windows_Server`: Azure Hybrid Benefit for licences the firm owns. Changing it: in place."))
    encryption_at_host: bool = Field(default=True, description=(
        "Encrypt the VMs' temp disk and OS disk caches on the host (securityProfile.encryptionAtHost); default "
        "true. Needs the subscription feature Microsoft.Compute/EncryptionAtHost registered and a size that "
        "offers it. Changing it: restart: Azure changes it only while the VM is deallocated."))
    os_disk: OsDisk = Field(default=OsDisk(), description="The OS disk. Changing it: see its keys.")
    subnet_id: Optional[SubnetId] = Field(default=None, description=(
        "An existing subnet (ARM ID) instead of `network.<region>`: its egress and NSG are its owner's. "
        "Changing it: replace VMs: the NICs move to the other subnet."))
    domain_join: Optional[DomainJoin] = Field(default=None, description=(
        "Join the VMs to AD DS (JsonADDomainExtension); needs the secret domainJoinPassword and the domain's "
        "DNS in dnsServers. Changing it: in place: the join extension is added, changed or removed."))
    patching: Optional[Literal["updateManager", "automaticByOS"]] = Field(
        default=None,
        description="How this fleet's VMs are patched: updateManager (the region's Update Manager schedule; single "
                    "VMs only, with patching.mode scheduled) or automaticByOS (Windows Update inside each VM). Unset "
                    "(the default): updateManager for mode vms under patching.mode scheduled, else automaticByOS. "
                    "Changing it: in place (the VMs' patch settings).")
    time_zone: WindowsTimeZone = Field(
        default=DEFAULT_TIME_ZONE,
        description="The Windows time zone of the fleet's VMs (osProfile.windowsConfiguration.timeZone): a Windows "
                    "time zone ID as tzutil /l lists it, such as GMT Standard Time (London, the default) or Eastern "
                    "Standard Time (New York). Changing it: replace VMs: Azure refuses a new time zone on an existing "
                    "VM; a scale set's model is updated in place and its instances take it as they roll.")

    rollout_batch: Optional[int] = Field(
        default=None, ge=1, le=rules.MAX_FLEET_COUNT,
        description="vms mode only: how many VMs one wave of an image rollout replaces (1 to the fleet's count). "
                    "Unset: one zone at a time when zones are given, else one VM at a time. Each wave starts only "
                    "when the previous wave's VMs run and their health extension reports (docs/lifecycle.md). "
                    "Changing it: nothing until the next image change (the order of replacements).")

    def waves(self) -> list[list[int]]:
        """The VM positions each rollout wave replaces, in order: by zone (the round-robin of _zone), or
        consecutive batches of rollout_batch."""
        if self.rollout_batch is None and self.zones:
            return [[i for i in range(self.count) if i % len(self.zones) == z]
                    for z in range(min(len(self.zones), self.count))]
        size = self.rollout_batch or 1
        return [list(range(start, min(start + size, self.count))) for start in range(0, self.count, size)]

    def patch_path(self, stack_mode: str) -> str:
        """What patches this fleet, as windows_profile.PatchMode: 'scheduled' (Update Manager) or 'automaticByOS'.
        Update Manager does not serve scale sets ("Unsupported workloads for Azure Update Manager",
        https://learn.microsoft.com/azure/update-manager/unsupported-workloads), and automatic guest patching does
        not serve custom images: a scale set patches by Windows Update inside each instance (issue 21 item 3)."""
        chosen = self.patching or ("updateManager" if self.mode == "vms" and stack_mode == "scheduled" else "automaticByOS")
        return "scheduled" if chosen == "updateManager" else "automaticByOS"

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
    image: ImageName = Field(description=(
        "The image whose definition receives the captured image as a version. Changing it: replace: the "
        "published version is created in the other definition."))
    version: Version = Field(description=(
        "The version name, `a.b.c` (Azure never overwrites a version). Changing it: replace: a new version is "
        "published from the managed image."))


class Capture(Model):
    """The course's manual path: reference VM -> sysprep -> generalize -> managed image."""

    region: Region = Field(description=(
        "Where the reference VM runs and the managed image is made (the stack location when an image builds "
        "on it). Changing it: replace: a new reference VM and capture, and what boots or builds from it."))
    size: VmSize = Field(default="Standard_D2s_v5", description=(
        "The reference VM's size (Gen2, premium storage). Changing it: replace: a generalized VM cannot "
        "change, so the reference VM, the managed image and what boots or builds from it are recreated."))
    publisher: MarketplaceName = Field(default="MicrosoftWindowsServer", description=(
        "The marketplace publisher of the reference VM's image. Changing it: replace, as for size."))
    offer: MarketplaceName = Field(default="WindowsServer", description=(
        "The marketplace offer of the reference VM's image. Changing it: replace, as for size."))
    sku: MarketplaceName = Field(default="2025-datacenter-azure-edition", description=(
        "The marketplace SKU (Hyper-V generation 2). Changing it: replace, as for size."))
    version: SourceVersion = Field(default="latest", description=(
        "The marketplace version, `latest` or `a.b.c`. Changing it: replace, as for size."))
    publish: Optional[CapturePublish] = Field(default=None, description=(
        "Also publish the managed image as a gallery image version: `{image, version}`. Changing it: see its "
        "keys; adding it creates the version."))
