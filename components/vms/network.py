"""FleetNetwork: one region's resource group, VNet, workload subnet, NSG, egress (and private Bastion).

No VM gets a public IP. Administrators reach VMs only through a private-only Azure Bastion (Premium
SKU), which itself has no public IP either (the NSG's table is nsg_rules.INBOUND). The workload subnet
reaches the internet by an explicit path, never Azure's default outbound access, which Microsoft is
retiring and whose address is Microsoft's ("Default outbound access in Azure",
https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access):
- natGateway: a Standard NAT gateway with a Standard public IP prefix, the firm's allow-listable
  egress range and the only public IP resource the program creates; or
- hub: a route table sending 0.0.0.0/0 to an existing firewall or NVA (hub and spoke).
Every subnet sets defaultOutboundAccess: false itself, so nothing changes when azure-native moves to a
network API (2025-07-01 and later) in which new subnets are private by default.

defaultOutboundAccess can be set only when a subnet is created (network API 2024-05-01; "Default outbound
access in Azure", private subnets: "an existing subnet can't be converted", and Azure may refuse or ignore the
change). So it is sent at creation only (SUBNET_CREATE_ONLY: a subnet deployed before keeps its state and
no update carries the property), and it is never what keeps traffic off Microsoft's default outbound address:
every subnet that egresses has an explicit path (NAT gateway or a route to the hub), which Azure uses in
preference to default outbound access whatever the property says ("Default outbound access in Azure",
https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access). Either state works.
"""

from __future__ import annotations

from typing import Optional

import pulumi
from pulumi_azure_native import network, resources

from ..config.fleets import HubEgress, NatGatewayEgress, RegionNetwork
from ..config.regions import has_zones
from ..naming import BASTION_SUBNET, BUILD_SUBNET, CONTAINER_INSTANCE_SUBNET, WORKLOAD_SUBNET, Names
from ..providers.subnet_release import SubnetRelease, SubnetReleaseArgs
from .nsg_rules import security_rules

# A NAT gateway is zonal or "no zone", never zone-redundant ("NAT gateway and availability zones",
# https://learn.microsoft.com/azure/nat-gateway/nat-availability-zones). Where the region has zones we
# pin it to zone 1 rather than let Azure pick a zone nobody can see: the failure domain of egress is then
# known and monitored. A zonal NAT gateway takes public IPs "from the same zone or that are zone
# redundant": the prefix is zone-redundant, so the addresses the firm allow-lists outlive a zone. A zone-1
# outage still stops egress for the fleets' other zones (Microsoft's remedy, a NAT gateway and subnet
# per zone, does not fit one workload subnet whose VMs round-robin across zones). The zone-redundant
# StandardV2 SKU ("Azure NAT Gateway resource", Availability zones,
# https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource) is not in network API 2024-05-01,
# which azure-native 3.29 sends, and needs StandardV2 public IPs: moving to it later means new egress IPs.
NAT_GATEWAY_ZONE = "1"
# Sent when a subnet is created, never in an update (issue 21 item 13, see the module's docstring).
SUBNET_CREATE_ONLY = ["defaultOutboundAccess"]
# Isolated builds: Image Builder's container instance downloads the artifacts (File customizers, scripts). A
# firewalled storage account admits it by a virtual network rule for this subnet, which needs the
# Microsoft.Storage service endpoint here; IP allow-listing is not supported for it ("Azure VM Image Builder
# networking options", https://learn.microsoft.com/azure/virtual-machines/security-isolated-image-builds-image-builder
# and https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-networking). Issue 21 item 5.
STORAGE_SERVICE_ENDPOINT = {"service": "Microsoft.Storage"}
ALL_ZONES = ["1", "2", "3"]


class FleetNetwork(pulumi.ComponentResource):
    resource_group: resources.ResourceGroup
    subnet_id: pulumi.Output[str]
    # The NAT gateway's public IP prefix (CIDR) for allow-lists; None where egress is a hub's, or where
    # every fleet brings its own subnet.
    egress_prefix: Optional[pulumi.Output[str]] = None
    # Private image builds: the build subnet and its network (None where the region has no buildSubnet).
    build_subnet_id: Optional[pulumi.Output[str]] = None
    container_instance_subnet_id: Optional[pulumi.Output[str]] = None  # isolated builds' (containerInstanceSubnet)
    vnet_id: Optional[pulumi.Output[str]] = None

    def __init__(self, name: str, region: str, *, spec: Optional[RegionNetwork], bastion: bool, names: Names,
                 opts: pulumi.ResourceOptions | None = None):
        """spec: the region's network from the stack file; None when every fleet there brings its own
        subnet. bastion: add a private-only Bastion (spec must give bastionSubnet), the only source of
        RDP and WinRM to the fleets."""
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

        management_from = spec.bastion_subnet if bastion else None
        nsg = network.NetworkSecurityGroup(
            f"{name}-nsg",
            network_security_group_name=names.nsg(region),
            resource_group_name=self.resource_group.name,
            location=region,
            # Image Builder reaches the build VM from its container instance (isolated builds) or from its proxy VM,
            # which sits in the build subnet itself.
            security_rules=security_rules(management_from, (spec.container_instance_subnet if spec.isolated_builds
                                                            else spec.build_subnet, spec.build_subnet)
                                          if spec.build_subnet else None),
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
        egress = self._egress(name, region, spec, names)
        # One subnet write per VNet at a time (ARM refuses concurrent ones): each subnet follows the last.
        chain: list[network.Subnet] = []

        def subnet(key: str, subnet_name: str, prefix: str, **extra) -> network.Subnet:
            """A subnet with the NSG and the region's explicit egress (never Azure's default outbound access)."""
            chain.append(network.Subnet(
                f"{name}-{key}", subnet_name=subnet_name, virtual_network_name=vnet.name,
                resource_group_name=self.resource_group.name, address_prefix=prefix,
                network_security_group={"id": nsg.id}, default_outbound_access=False, **egress, **extra,
                opts=pulumi.ResourceOptions(parent=self, depends_on=chain[-1:], ignore_changes=SUBNET_CREATE_ONLY)))
            return chain[-1]

        self.subnet_id = subnet("snet-workload", WORKLOAD_SUBNET, spec.workload_subnet).id
        self.vnet_id = vnet.id
        if spec.build_subnet:
            # Image Builder's private builds ("Azure VM Image Builder networking options",
            # https://learn.microsoft.com/azure/virtual-machines/security-isolated-image-builds-image-builder
            # and .../linux/image-builder-networking): without a container-instance subnet it puts a proxy VM
            # behind a Private Link service in the subnet, which needs privateLinkServiceNetworkPolicies
            # Disabled; the service reaches the proxy on ports 60000-60001 from AzureLoadBalancer (the NSG's
            # first rule), and the proxy the build VM on WinRM HTTPS (allow-winrm-from-image-builder). The
            # build VM leaves by the same explicit egress as the fleets (Windows Update, the artifact store).
            self.build_subnet_id = subnet("snet-build", BUILD_SUBNET, spec.build_subnet,
                                          private_link_service_network_policies="Disabled").id
        if spec.isolated_builds:
            # Isolated builds with the firm's own container-instance subnet: Image Builder runs its container
            # instance here instead of a proxy VM behind Private Link, and drives the build VM from it (the
            # NSG's allow-winrm-from-image-builder). Container groups need the subnet delegated to them
            # ("Deploy container instances into an Azure virtual network"); it leaves by the same egress.
            aci_subnet = subnet(
                "snet-build-aci", CONTAINER_INSTANCE_SUBNET, spec.container_instance_subnet,
                delegations=[{"name": "container-groups", "service_name": "Microsoft.ContainerInstance/containerGroups"}],
                service_endpoints=[STORAGE_SERVICE_ENDPOINT])
            # Its users (the template) reach it through SubnetRelease, so a destroy deletes the template, then waits
            # for the container service's serviceAssociationLink to go, then deletes the subnet: otherwise Azure can
            # refuse the subnet's delete (InUseSubnetCannotBeDeleted; components/providers/subnet_release.py).
            self.container_instance_subnet_id = SubnetRelease(
                f"{name}-snet-build-aci-release",
                SubnetReleaseArgs(subscription_id=aci_subnet.id.apply(lambda i: i.split("/")[2]),
                                  subnet_id=aci_subnet.id),
                opts=pulumi.ResourceOptions(parent=self)).subnet_id
        last_subnet = chain[-1]

        if bastion and spec.bastion_subnet:
            bastion_subnet = network.Subnet(
                f"{name}-snet-bastion",
                subnet_name=BASTION_SUBNET,
                virtual_network_name=vnet.name,
                resource_group_name=self.resource_group.name,
                address_prefix=spec.bastion_subnet,
                # Private-only Bastion has no public IP and "doesn't allow outbound access outside of the
                # virtual network" ("Deploy Bastion as private-only"); and private subnets "aren't
                # applicable to delegated or managed subnets used for hosting PaaS services" ("Default
                # outbound access in Azure", Limitations of private subnets). So false changes nothing
                # for Bastion; it is also what network APIs after 31 March 2026 set for new subnets.
                default_outbound_access=False,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[last_subnet], ignore_changes=SUBNET_CREATE_ONLY),
            )
            network.BastionHost(
                f"{name}-bastion",
                bastion_host_name=names.bastion(region),
                resource_group_name=self.resource_group.name,
                location=region,
                sku={"name": "Premium"},
                enable_private_only_bastion=True,
                # End-to-end private sessions use the native client ("Deploy Bastion as private-only",
                # https://learn.microsoft.com/azure/bastion/private-only-deployment), which needs
                # tunneling; it also carries WinRM (`az network bastion tunnel --resource-port 5986`),
                # the second port nsg_rules admits from this subnet. Clients on-premises, over
                # ExpressRoute or VPN, need IP-based connection (same page).
                enable_tunneling=True,
                enable_ip_connect=True,
                enable_session_recording=False,
                ip_configurations=[{"name": "private", "subnet": {"id": bastion_subnet.id}}],
                tags=names.tags(),
                opts=child,
            )
        self.register_outputs({"resourceGroup": self.resource_group.name, "subnetId": self.subnet_id,
                               "egressPrefix": self.egress_prefix, "buildSubnetId": self.build_subnet_id,
                               "containerInstanceSubnetId": self.container_instance_subnet_id})

    def _egress(self, name: str, region: str, spec: RegionNetwork, names: Names) -> dict:
        """The workload subnet's explicit path to the internet, as Subnet inputs."""
        common = dict(resource_group_name=self.resource_group.name, location=region, tags=names.tags(),
                      opts=pulumi.ResourceOptions(parent=self))
        egress = spec.egress
        if isinstance(egress, HubEgress):
            # VirtualAppliance: the hub's firewall (or its internal load balancer) forwards and SNATs.
            # Gateway route propagation stays on, so on-premises prefixes learnt by a hub gateway keep
            # their routes; only what is not more specific goes to the firewall ("Virtual network
            # traffic routing", https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview).
            table = network.RouteTable(
                f"{name}-rt", route_table_name=names.route_table(region), disable_bgp_route_propagation=False,
                routes=[{"name": names.hub_route, "address_prefix": "0.0.0.0/0", "next_hop_type": "VirtualAppliance",
                         "next_hop_ip_address": egress.next_hop_ip}], **common)
            return {"route_table": {"id": table.id}}
        assert isinstance(egress, NatGatewayEgress)
        zoned = has_zones(region)
        prefix = network.PublicIPPrefix(
            f"{name}-egress-prefix", public_ip_prefix_name=names.public_ip_prefix(region),
            sku={"name": "Standard", "tier": "Regional"}, public_ip_address_version="IPv4",
            prefix_length=egress.public_ip_prefix_length, zones=ALL_ZONES if zoned else None, **common)
        nat = network.NatGateway(
            f"{name}-nat", nat_gateway_name=names.nat_gateway(region), sku={"name": "Standard"},
            public_ip_prefixes=[{"id": prefix.id}], zones=[NAT_GATEWAY_ZONE] if zoned else None, **common)
        self.egress_prefix = prefix.ip_prefix
        return {"nat_gateway": {"id": nat.id}}
