"""FleetNetwork: one region's resource group, VNet, workload subnet and NSG (and private Bastion).

No VM gets a public IP. Administrators reach VMs from the corporate network, or through a
private-only Azure Bastion (Premium SKU), which itself has no public IP either.
"""

from __future__ import annotations

from typing import Optional

import pulumi
from pulumi_azure_native import network, resources

from ..config.fleets import RegionNetwork
from ..naming import BASTION_SUBNET, WORKLOAD_SUBNET, Names


class FleetNetwork(pulumi.ComponentResource):
    resource_group: resources.ResourceGroup
    subnet_id: pulumi.Output[str]

    def __init__(self, name: str, region: str, *, spec: Optional[RegionNetwork], bastion: bool, names: Names,
                 opts: pulumi.ResourceOptions | None = None):
        """spec: the region's network from the stack file; None when every fleet there brings its own
        subnet. bastion: add a private-only Bastion (spec must give bastionSubnet)."""
        super().__init__("image-factory:network:FleetNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.resource_group = resources.ResourceGroup(
            f"{name}-rg", resource_group_name=names.fleet_resource_group(region), location=region,
            tags=names.tags(), opts=child)
        if spec is None:
            # Every fleet here brings its own subnet (subnetId); only the group is ours.
            self.subnet_id = pulumi.Output.from_input("")
            self.register_outputs({"resourceGroup": self.resource_group.name})
            return

        nsg = network.NetworkSecurityGroup(
            f"{name}-nsg",
            network_security_group_name=names.nsg(region),
            resource_group_name=self.resource_group.name,
            location=region,
            security_rules=[{
                # Azure's default rules already end in DenyAllInBound; this one states the intent
                # and outranks anything added later with a lower priority number than 4096.
                "name": "deny-internet-inbound",
                "priority": 4000,
                "direction": "Inbound",
                "access": "Deny",
                "protocol": "*",
                "source_address_prefix": "Internet",
                "source_port_range": "*",
                "destination_address_prefix": "*",
                "destination_port_range": "*",
            }],
            tags=names.tags(),
            opts=child,
        )
        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=names.vnet(region),
            resource_group_name=self.resource_group.name,
            location=region,
            address_space={"address_prefixes": [spec.address_space]},
            # Azure DNS cannot resolve an AD DS domain: domain-joined fleets need the domain's DNS.
            dhcp_options={"dns_servers": spec.dns_servers} if spec.dns_servers else None,
            tags=names.tags(),
            # Subnets are their own resources; without this every VNet update would drop them.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
        )
        workload = network.Subnet(
            f"{name}-snet-workload",
            subnet_name=WORKLOAD_SUBNET,
            virtual_network_name=vnet.name,
            resource_group_name=self.resource_group.name,
            address_prefix=spec.workload_subnet,
            network_security_group={"id": nsg.id},
            opts=child,
        )
        self.subnet_id = workload.id

        if bastion and spec.bastion_subnet:
            bastion_subnet = network.Subnet(
                f"{name}-snet-bastion",
                subnet_name=BASTION_SUBNET,
                virtual_network_name=vnet.name,
                resource_group_name=self.resource_group.name,
                address_prefix=spec.bastion_subnet,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[workload]),
            )
            network.BastionHost(
                f"{name}-bastion",
                bastion_host_name=names.bastion(region),
                resource_group_name=self.resource_group.name,
                location=region,
                sku={"name": "Premium"},
                enable_private_only_bastion=True,
                enable_session_recording=False,
                ip_configurations=[{"name": "private", "subnet": {"id": bastion_subnet.id}}],
                tags=names.tags(),
                opts=child,
            )
        self.register_outputs({"resourceGroup": self.resource_group.name, "subnetId": self.subnet_id})
