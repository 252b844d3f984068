import ipaddress
import json
import re

from tests.graph import BASTION, NIC, NSG, SUBNET, VM, VMSS, depends_on, resources, stack_value, under
from tests.graph import BUILDS, plan_stack
from offline.plan import plan

NAT_GATEWAY = "azure-native:network:NatGateway"
PREFIX = "azure-native:network:PublicIPPrefix"
ROUTE_TABLE = "azure-native:network:RouteTable"

# Azure's default inbound rules, below every rule of ours ("Network security groups", Security rules).
AZURE_DEFAULTS = [
    {"priority": 65000, "access": "Allow", "protocol": "*", "sourceAddressPrefix": "VirtualNetwork", "destinationPortRange": "*"},
    {"priority": 65001, "access": "Allow", "protocol": "*", "sourceAddressPrefix": "AzureLoadBalancer", "destinationPortRange": "*"},
    {"priority": 65500, "access": "Deny", "protocol": "*", "sourceAddressPrefix": "*", "destinationPortRange": "*"},
]


def _port_matches(rule: dict, port: int) -> bool:
    ranges = rule.get("destinationPortRanges") or [rule.get("destinationPortRange", "*")]
    for r in ranges:
        low, _, high = r.partition("-")
        if r == "*" or int(low) <= port <= int(high or low):
            return True
    return False


def verdict(nsg: dict, source_ip: str, tags: set[str], port: int, protocol: str = "Tcp") -> str:
    """What Azure would do with an inbound packet: the first rule by priority that matches decides."""
    for rule in sorted(nsg["inputs"]["securityRules"] + AZURE_DEFAULTS, key=lambda r: r["priority"]):
        assert rule.get("direction", "Inbound") == "Inbound"
        source = rule["sourceAddressPrefix"]
        from_source = (source == "*" or source in tags
                       or ("/" in source and ipaddress.ip_address(source_ip) in ipaddress.ip_network(source)))
        if from_source and rule["protocol"] in ("*", protocol) and _port_matches(rule, port):
            return rule["access"]
    raise AssertionError("DenyAllInBound always matches")


def workload_subnets(doc: dict) -> list[dict]:
    return [s for s in resources(doc, SUBNET) if s["inputs"]["subnetName"] == "snet-workload"]


def test_rdp_and_winrm_reach_prod_fleets_only_from_the_bastion_subnet(plans):
    prod = plans[BUILDS]
    nsgs = {n["inputs"]["location"]: n for n in resources(prod, NSG)}
    assert set(nsgs) == {"uksouth", "eastus"}
    for region, bastion_host_ip, other_vm in (("uksouth", "10.30.255.5", "10.30.1.9"),
                                              ("eastus", "10.40.255.5", "10.40.1.9")):
        nsg = nsgs[region]
        for port in (3389, 5985, 5986):
            assert verdict(nsg, bastion_host_ip, {"VirtualNetwork"}, port) == "Allow", (region, port)
            # Any other machine of the network, or of a peered one, or on-premises through a gateway.
            for source in (other_vm, "10.99.0.4", "192.168.1.20"):
                assert verdict(nsg, source, {"VirtualNetwork"}, port) == "Deny", (region, source, port)
                assert verdict(nsg, source, {"VirtualNetwork"}, port, "Udp") == "Deny"
            assert verdict(nsg, "203.0.113.7", {"Internet"}, port) == "Deny"
        # Health probes from Azure's host IP keep working, also on RDP's port.
        assert verdict(nsg, "168.63.129.16", {"AzureLoadBalancer", "VirtualNetwork"}, 3389) == "Allow"
        # Other traffic inside the network is Azure's default (AllowVnetInBound): only management is closed.
        assert verdict(nsg, other_vm, {"VirtualNetwork"}, 443) == "Allow"


def test_without_bastion_nothing_admits_rdp_or_winrm(plans):
    for stack in ("dev", "capture"):
        [nsg] = resources(plans[stack], NSG)
        for port in (3389, 5985, 5986):
            assert verdict(nsg, "10.20.1.9", {"VirtualNetwork"}, port) == "Deny", (stack, port)
        assert not [r for r in nsg["inputs"]["securityRules"]
                    if r["access"] == "Allow" and r["sourceAddressPrefix"] != "AzureLoadBalancer"]


def test_nsg_priorities_are_unique_and_every_workload_subnet_is_behind_one(stack_plan):
    for nsg in resources(stack_plan, NSG):
        priorities = [r["priority"] for r in nsg["inputs"]["securityRules"]]
        assert len(priorities) == len(set(priorities)) and all(100 <= p <= 4096 for p in priorities)
    for subnet in workload_subnets(stack_plan):
        assert depends_on(stack_plan, subnet, NSG)


def test_every_subnet_sets_default_outbound_access_false(stack_plan):
    subnets = resources(stack_plan, SUBNET)
    assert subnets
    assert [s["inputs"]["subnetName"] for s in subnets if s["inputs"].get("defaultOutboundAccess") is not False] == []


def test_every_fleet_subnet_has_an_explicit_egress_path(stack_plan):
    used = {c["subnet"]["id"] for n in resources(stack_plan, NIC) for c in n["inputs"]["ipConfigurations"]}
    used |= {c["subnet"]["id"] for s in resources(stack_plan, VMSS) for n in
             s["inputs"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"]
             for c in n["ipConfigurations"]}
    subnets = workload_subnets(stack_plan)
    ours = {f"/virtualNetworks/{s['inputs']['virtualNetworkName']}/subnets/snet-workload" for s in subnets}
    assert used and all(any(i.endswith(o) for o in ours) for i in used), used
    regions = set()
    for subnet in subnets:
        [nat] = depends_on(stack_plan, subnet, NAT_GATEWAY)
        assert subnet["inputs"]["natGateway"]["id"].endswith(f"/natGateways/{nat['inputs']['natGatewayName']}")
        assert nat["inputs"]["sku"] == {"name": "Standard"}
        [prefix] = depends_on(stack_plan, nat, PREFIX)
        [attached] = nat["inputs"]["publicIpPrefixes"]
        assert attached["id"].endswith(f"/publicIPPrefixes/{prefix['inputs']['publicIpPrefixName']}")
        assert prefix["inputs"]["sku"] == {"name": "Standard", "tier": "Regional"}
        regions.add(nat["inputs"]["location"])
    # The allow-list ranges are stack outputs, one per region (known once Azure has allocated them).
    assert set(stack_plan["outputs"]["egressIps"]) == regions


def test_nat_gateways_are_zonal_where_the_region_has_zones_with_a_zone_redundant_prefix(plans):
    for nat in resources(plans[BUILDS], NAT_GATEWAY):
        assert nat["inputs"]["zones"] == ["1"]
        [prefix] = depends_on(plans[BUILDS], nat, PREFIX)
        assert prefix["inputs"]["zones"] == ["1", "2", "3"] and prefix["inputs"]["prefixLength"] == 30
    doc = plan("dev", overrides={
        "image-factory:network": {"ukwest": {"addressSpace": "10.21.0.0/16", "workloadSubnet": "10.21.1.0/24"}},
        "image-factory:fleets": {"dev-app": {"region": "ukwest", "image": "win2025-base", "count": 1}},
        "image-factory:images": {"win2025-base": {**_dev_image(), "regions": ["uksouth", "ukwest"]}}})
    [nat] = resources(doc, NAT_GATEWAY)
    [prefix] = resources(doc, PREFIX)
    assert "zones" not in nat["inputs"] and "zones" not in prefix["inputs"]  # ukwest has no zones


def _dev_image() -> dict:
    return stack_value("dev", "image-factory:images")["win2025-base"]


def test_the_nat_gateway_prefix_is_the_only_public_ip_and_no_vm_nic_or_scale_set_has_one(stack_plan):
    public_types = {r["type"] for r in stack_plan["resources"] if re.search(r"public_?ip", r["type"], re.I)}
    assert public_types == {PREFIX}
    for prefix in resources(stack_plan, PREFIX):
        assert [n for n in resources(stack_plan, NAT_GATEWAY) if prefix in depends_on(stack_plan, n, PREFIX)]
    for resource in resources(stack_plan, VM) + resources(stack_plan, NIC) + resources(stack_plan, VMSS) \
            + resources(stack_plan, BASTION):
        text = json.dumps(resource["inputs"])
        assert not re.search(r"public_?ip", text, re.I), resource["urn"]


def test_hub_egress_routes_everything_to_the_firewall_and_creates_no_public_ip():
    network = {"uksouth": {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/24",
                           "egress": {"type": "hub", "nextHopIp": "10.0.1.4"}}}
    doc = plan("dev", overrides={"image-factory:network": network})
    [table] = resources(doc, ROUTE_TABLE)
    assert table["inputs"]["routeTableName"] == "rt-imgfactory-dev-uks"
    assert table["inputs"]["routes"] == [{"name": "default-to-hub", "addressPrefix": "0.0.0.0/0",
                                          "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"}]
    [subnet] = workload_subnets(doc)
    assert subnet["inputs"]["routeTable"]["id"].endswith("/routeTables/rt-imgfactory-dev-uks")
    assert subnet["inputs"]["defaultOutboundAccess"] is False and "natGateway" not in subnet["inputs"]
    assert not resources(doc, NAT_GATEWAY) and not resources(doc, PREFIX)
    assert doc["outputs"]["egressIps"] == {}


def test_prod_has_private_only_bastion_in_both_regions(plans):
    prod = plans[BUILDS]
    bastions = {b["inputs"]["location"]: b["inputs"] for b in resources(prod, BASTION)}
    assert set(bastions) == {"uksouth", "eastus"}
    for b in bastions.values():
        assert b["sku"] == {"name": "Premium"}
        assert b["enablePrivateOnlyBastion"] is True
        # Native client (RDP, and the WinRM tunnel the NSG admits) and connections from on-premises.
        assert (b["enableTunneling"], b["enableIpConnect"]) == (True, True)
        assert "publicIPAddress" not in b["ipConfigurations"][0]
        assert b["ipConfigurations"][0]["subnet"]["id"].endswith("/subnets/AzureBastionSubnet")
    assert not resources(plans["dev"], BASTION)
    assert under(prod, "azure-native:network:VirtualNetwork", "net-eastus")["inputs"]["addressSpace"] == {
        "addressPrefixes": ["10.40.0.0/16"]}


# --- issue 21 items 5, 12, 13 ---------------------------------------------------------------------------

def test_default_outbound_access_is_sent_at_creation_only_and_every_egressing_subnet_has_an_explicit_path(plans):
    # Item 13: the property can be set only when a subnet is created (network 2024-05-01): a subnet deployed
    # before must not get an update carrying it, and its traffic leaves by the NAT gateway or the hub either way.
    from tests.graph import resources
    for stack, doc in plans.items():
        for subnet in resources(doc, "azure-native:network:Subnet"):
            assert subnet["options"]["ignoreChanges"] == ["defaultOutboundAccess"], (stack, subnet["name"])
            assert subnet["inputs"]["defaultOutboundAccess"] is False
            if not subnet["name"].endswith("snet-bastion"):
                assert "natGateway" in subnet["inputs"] or "routeTable" in subnet["inputs"], (stack, subnet["name"])


def test_the_container_instance_subnet_can_be_admitted_by_a_firewalled_artifact_store(plans):
    # Item 5: a service endpoint on the container-instance subnet, named in an output; not IP allow-listing.
    from tests.graph import resources
    doc = plans[BUILDS]
    [aci] = [s for s in resources(doc, "azure-native:network:Subnet") if s["name"].endswith("snet-build-aci")]
    assert aci["inputs"]["serviceEndpoints"] == [{"service": "Microsoft.Storage"}]
    [subnet_id] = doc["outputs"]["artifactStoreSubnets"]
    assert subnet_id.endswith("/subnets/snet-build-aci")
    assert plans["dev"]["outputs"]["artifactStoreSubnets"] == []


def test_a_private_only_bastion_nobody_can_reach_is_a_plan_warning(plans):
    # Item 12: ExpressRoute private peering, a VPN or peering is made outside the stack: warn, do not refuse.
    from offline.plan import plan
    from tests.graph import stack_value
    warned = [w for w in plans["prod"]["warnings"] if ".reachedBy: is not set" in w]
    assert [w.split(":")[2].split(".")[1] for w in warned] == ["eastus", "uksouth"]
    assert "ExpressRoute private peering, a VPN or VNet peering" in warned[0]
    network = {region: {**spec, "reachedBy": "expressRoute"}
               for region, spec in stack_value("prod", "image-factory:network").items()}
    doc = plan("prod", overrides={"image-factory:network": network})
    assert not [w for w in doc["warnings"] if "reachedBy" in w]
