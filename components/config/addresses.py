"""Azure's rules for the address spaces of the fleet networks.

- Azure keeps five addresses of every subnet (network, gateway, two for Azure DNS, broadcast):
  "Are there any restrictions on using IP addresses within these subnets?" in the Virtual Network FAQ,
  https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq
- The same FAQ lists the ranges a virtual network cannot use: multicast 224.0.0.0/4, broadcast
  255.255.255.255/32, loopback 127.0.0.0/8, link-local 169.254.0.0/16 and 168.63.129.16/32 (Azure's
  internal DNS, DHCP and health probes).
- Subnets of one virtual network must not overlap ("Add, change, or delete a virtual network subnet",
  https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-subnet).
- Azure Bastion needs a subnet named AzureBastionSubnet of /26 or larger ("Azure Bastion
  configuration settings", https://learn.microsoft.com/azure/bastion/configuration-settings#subnet).
"""

from __future__ import annotations

import ipaddress
from typing import Optional

RESERVED_PER_SUBNET = 5
BASTION_MAX_PREFIX = 26
RESERVED_RANGES = tuple(ipaddress.IPv4Network(r) for r in (
    "224.0.0.0/4", "255.255.255.255/32", "127.0.0.0/8", "169.254.0.0/16", "168.63.129.16/32"))


def cidr_problem(value: str) -> Optional[str]:
    """Why value cannot be an address space or subnet of an Azure virtual network, or None."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "must be an IPv4 network in CIDR form such as 10.20.0.0/16"
    reserved = next((r for r in RESERVED_RANGES if network.overlaps(r)), None)
    if reserved is not None:
        return f"must not overlap {reserved}, a range Azure reserves (multicast, broadcast, loopback, link-local, Azure DNS)"
    return None


def usable_addresses(subnet: str) -> int:
    return max(0, ipaddress.ip_network(subnet).num_addresses - RESERVED_PER_SUBNET)


def network_problem(address_space: str, subnets: dict[str, Optional[str]]) -> Optional[str]:
    """Why these subnets (label -> CIDR) cannot share the address space, or None."""
    space = ipaddress.ip_network(address_space)
    given = {label: ipaddress.ip_network(cidr) for label, cidr in subnets.items() if cidr}
    for label, network in given.items():
        if not network.subnet_of(space):
            return f"{label} {network} must lie inside addressSpace {address_space}"
    labels = sorted(given)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if given[a].overlaps(given[b]):
                return f"{a} {given[a]} and {b} {given[b]} must not overlap: subnets of one network are disjoint"
    bastion = given.get("bastionSubnet")
    if bastion is not None and bastion.prefixlen > BASTION_MAX_PREFIX:
        return f"bastionSubnet must be /{BASTION_MAX_PREFIX} or larger, as Azure Bastion requires"
    return None
