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

# A network address in a rule's source: the stack's AzureBastionSubnet prefix, filled in at build time.
BASTION = "<AzureBastionSubnet>"
RDP, WINRM = "3389", "5985-5986"


class Rule(NamedTuple):
    priority: int
    name: str
    access: str  # Allow / Deny
    protocol: str  # Tcp / Udp / *
    source: str  # an address prefix, a service tag, or BASTION
    ports: tuple[str, ...]  # destination ports on the fleet VMs


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
    # Everyone else in the virtual network (and peered ones): no RDP, TCP or UDP, and no WinRM. This
    # outranks Azure's AllowVnetInBound (65000).
    Rule(300, "deny-management-from-vnet", "Deny", "*", "VirtualNetwork", (RDP, WINRM)),
    # The Internet, on every port. Nothing public reaches these VMs anyway (no public IP; a NAT gateway
    # is outbound only); the rule states the intent and outranks anything added later above 4000.
    Rule(4000, "deny-internet-inbound", "Deny", "*", "Internet", ("*",)),
)


def security_rules(bastion_prefix: Optional[str]) -> list[dict]:
    """INBOUND as azure-native security rules. bastion_prefix: the AzureBastionSubnet's CIDR when the
    stack deploys Bastion; None leaves the Allow rows that name BASTION out."""
    rules = []
    for rule in INBOUND:
        if rule.source == BASTION and bastion_prefix is None:
            continue
        ports = {"destination_port_range": rule.ports[0]} if len(rule.ports) == 1 else {
            "destination_port_ranges": list(rule.ports)}
        rules.append({
            "name": rule.name, "priority": rule.priority, "direction": "Inbound", "access": rule.access,
            "protocol": rule.protocol,
            "source_address_prefix": bastion_prefix if rule.source == BASTION else rule.source,
            "source_port_range": "*", "destination_address_prefix": "*", **ports,
        })
    return rules
