"""The workload subnet's inbound rules: management only from Bastion. One table, priorities and reasons.

Azure evaluates an NSG's rules by priority, lowest number first, and stops at the first match; below
every rule here sit its defaults: AllowVnetInBound (65000), AllowAzureLoadBalancerInBound (65001),
DenyAllInBound (65500) ("Network security groups", section Security rules,
https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules).
AllowVnetInBound is why the deny below exists: the VirtualNetwork tag covers the whole address space,
peered networks, on-premises ranges behind a gateway, prefixes of user-defined routes and the host's
virtual IP ("Virtual network service tags", VirtualNetwork,
https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags), so
without it every machine there could reach RDP and WinRM.

Without Bastion (`bastion: false`, dev and capture) nothing admits management: the two Allow rows are
left out and RDP and WinRM are closed to everything. Run Command, Serial Console and extensions (the
capture's sysprep, domain join, patching) go through the Azure VM agent and the host, not the network.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

# Network addresses filled in at build time: the stack's AzureBastionSubnet prefix; where Image Builder
# drives its build VM from (the container-instance subnet of isolated builds, else the build subnet, where
# its proxy VM sits), and the build subnet (network.<region>.containerInstanceSubnet, buildSubnet).
BASTION = "<AzureBastionSubnet>"
BUILDER = "<Image Builder's container instance or proxy VM>"
BUILD_VMS = "<buildSubnet>"
RDP, WINRM, WINRM_HTTPS = "3389", "5985-5986", "5986"


class Rule(NamedTuple):
    priority: int
    name: str
    access: str  # Allow / Deny
    protocol: str  # Tcp / Udp / *
    source: str  # an address prefix, a service tag, or BASTION
    ports: tuple[str, ...]  # destination ports on the fleet VMs
    destination: str = "*"  # an address prefix, or BUILD_VMS


INBOUND: tuple[Rule, ...] = (
    # Load balancer health probes come from 168.63.129.16 (the AzureLoadBalancer tag), which is also
    # "the host's virtual IP" inside the VirtualNetwork tag: allowed first, so that the management deny
    # at 300 can never catch a probe on 3389 ("What is IP address 168.63.129.16?",
    # https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16). The scale
    # sets' Application Health extension probes from inside the VM and needs no rule; this is for any
    # load balancer put in front of a fleet later.
    Rule(100, "allow-azure-load-balancer", "Allow", "*", "AzureLoadBalancer", ("*",)),
    # Bastion reaches a VM's private IP from its own subnet on RDP's port ("Working with NSG access and
    # Azure Bastion", target VM subnet, https://learn.microsoft.com/azure/bastion/bastion-nsg). TCP only:
    # Bastion speaks RDP over TCP.
    Rule(200, "allow-rdp-from-bastion", "Allow", "Tcp", BASTION, (RDP,)),
    # WinRM (HTTP 5985, HTTPS 5986) through Bastion's native-client tunnel (`az network bastion tunnel`).
    Rule(210, "allow-winrm-from-bastion", "Allow", "Tcp", BASTION, (WINRM,)),
    # Private image builds: Image Builder drives the build VM over WinRM HTTPS, from its container instance
    # (isolated builds: "Azure VM Image Builder networking options", bring your own build VM and container
    # instance subnets) or from its proxy VM in the build subnet ("What is deployed during an image build"),
    # to the build subnet only. Rule 300 would drop it (both sources are in the VirtualNetwork tag); the
    # fleets' management stays closed to it.
    Rule(220, "allow-winrm-from-image-builder", "Allow", "Tcp", BUILDER, (WINRM_HTTPS,), BUILD_VMS),
    # Everyone else in the virtual network (and peered ones): no RDP, TCP or UDP, and no WinRM. This
    # outranks Azure's AllowVnetInBound (65000).
    Rule(300, "deny-management-from-vnet", "Deny", "*", "VirtualNetwork", (RDP, WINRM)),
    # The Internet, on every port. Nothing public reaches these VMs anyway (no public IP; a NAT gateway
    # is outbound only); the rule states the intent and outranks anything added later above 4000.
    Rule(4000, "deny-internet-inbound", "Deny", "*", "Internet", ("*",)),
)


def security_rules(bastion_prefix: Optional[str], builder: Optional[tuple[str, str]] = None) -> list[dict]:
    """INBOUND as azure-native security rules. bastion_prefix: the AzureBastionSubnet's CIDR when the
    stack deploys Bastion; None leaves the Allow rows that name BASTION out. builder: the container-instance
    (or, without one, the build) subnet's CIDR and the build subnet's, for private image builds; None leaves the
    row that names them out."""
    rules = []
    filled = {BASTION: bastion_prefix, **dict(zip((BUILDER, BUILD_VMS), builder or (None, None)))}
    for rule in INBOUND:
        if filled.get(rule.source, "") is None:
            continue
        ports = {"destination_port_range": rule.ports[0]} if len(rule.ports) == 1 else {
            "destination_port_ranges": list(rule.ports)}
        rules.append({
            "name": rule.name, "priority": rule.priority, "direction": "Inbound", "access": rule.access,
            "protocol": rule.protocol,
            "source_address_prefix": filled.get(rule.source, rule.source),
            "source_port_range": "*", "destination_address_prefix": filled.get(rule.destination, rule.destination),
            **ports,
        })
    return rules
