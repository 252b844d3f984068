"""Private builds: prod's templates build inside the build subnet of its own London network, with the
networking role Microsoft documents on that network only, and the subnet set up as Image Builder needs."""

from __future__ import annotations

from tests.graph import BUILDS, plan_stack


from offline.plan import plan
from tests.graph import (ASSIGNMENT, NSG, ROLE, ROLE_PROPAGATION, SUBNET, TEMPLATE, depends_on, one, plan_error,
                         resources, stack_value)

NETWORK_ACTIONS = {"Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/subnets/join/action"}


def _build_subnet(doc: dict) -> dict:
    return one(doc, SUBNET, "net-uksouth-snet-build")


def test_prods_templates_build_in_its_own_build_subnet(plans):
    doc = plans[BUILDS]
    subnet = _build_subnet(doc)
    templates = resources(doc, TEMPLATE)
    assert len(templates) == 2
    for template in templates:
        vnet = template["inputs"]["vmProfile"]["vnetConfig"]
        assert vnet["subnetId"].endswith("/virtualNetworks/vnet-imgfactory-prod-uks/subnets/snet-build")
        # Isolated builds: the container instance runs in prod's delegated subnet, so no proxy VM size is sent
        # (Image Builder refuses one together with containerInstanceSubnetId).
        assert vnet["containerInstanceSubnetId"].endswith("/vnet-imgfactory-prod-uks/subnets/snet-build-aci")
        assert "proxyVmSize" not in vnet
        assert subnet in depends_on(doc, template, SUBNET)
        # The container-instance subnet through SubnetRelease, so that a destroy waits for its service
        # association link between the template's delete and the subnet's (tests/providers/test_subnet_release.py).
        [release] = depends_on(doc, template, "pulumi-python:dynamic/subnet_release:SubnetRelease")
        assert depends_on(doc, release, SUBNET) == [_aci_subnet(doc)]


def _aci_subnet(doc: dict) -> dict:
    return one(doc, SUBNET, "net-uksouth-snet-build-aci")


def test_the_container_instance_subnet_is_delegated_and_leaves_by_the_regions_egress(plans):
    inputs = _aci_subnet(plans[BUILDS])["inputs"]
    assert inputs["addressPrefix"] == "10.30.3.0/27"
    assert inputs["delegations"] == [{"name": "container-groups",
                                      "serviceName": "Microsoft.ContainerInstance/containerGroups"}]
    assert inputs["defaultOutboundAccess"] is False and "natGateway" in inputs
    # ARM takes one subnet write per VNet at a time: it follows the build subnet.
    assert _build_subnet(plans[BUILDS]) in depends_on(plans[BUILDS], _aci_subnet(plans[BUILDS]), SUBNET)


def test_the_container_instance_may_reach_the_build_vms_winrm_and_nothing_else(plans):
    rules = {r["name"]: r for r in one(plans[BUILDS], NSG, "net-uksouth-nsg")["inputs"]["securityRules"]}
    rule = rules["allow-winrm-from-image-builder"]
    assert (rule["sourceAddressPrefix"], rule["destinationAddressPrefix"], rule["destinationPortRange"],
            rule["access"], rule["protocol"]) == ("10.30.3.0/27", "10.30.2.0/24", "5986", "Allow", "Tcp")
    # Below the deny of management from the VNet (300), which still closes the fleets' WinRM to it.
    assert rule["priority"] < rules["deny-management-from-vnet"]["priority"]
    # A region without isolated builds has no such rule.
    eastus = one(plans[BUILDS], NSG, "net-eastus-nsg")["inputs"]["securityRules"]
    assert "allow-winrm-from-image-builder" not in {r["name"] for r in eastus}


def test_without_a_container_instance_subnet_a_private_build_uses_the_proxy_vm():
    network = stack_value(BUILDS, "image-factory:network")
    del network["uksouth"]["containerInstanceSubnet"]
    images = stack_value(BUILDS, "image-factory:images")
    images["win2025-app"]["build"]["proxyVmSize"] = "Standard_A2_v2"
    doc = plan_stack(BUILDS, overrides={"image-factory:network": network, "image-factory:images": images})
    vnets = {t["name"]: t["inputs"]["vmProfile"]["vnetConfig"] for t in resources(doc, TEMPLATE)}
    assert {k: set(v) for k, v in vnets.items()} == {"win2025-base-template": {"subnetId"},
                                                    "win2025-app-template": {"subnetId", "proxyVmSize"}}
    assert vnets["win2025-app-template"]["proxyVmSize"] == "Standard_A2_v2"
    assert not [s for s in resources(doc, SUBNET) if s["name"].endswith("snet-build-aci")]
    # The proxy VM sits in the build subnet and drives the build VM there over WinRM HTTPS: the NSG admits that
    # within the build subnet, above the deny of management from the VNet (300), which would drop it.
    rules = {r["name"]: r for r in one(doc, NSG, "net-uksouth-nsg")["inputs"]["securityRules"]}
    rule = rules["allow-winrm-from-image-builder"]
    assert (rule["sourceAddressPrefix"], rule["destinationAddressPrefix"], rule["destinationPortRange"]) == (
        "10.30.2.0/24", "10.30.2.0/24", "5986")
    assert rule["priority"] < rules["deny-management-from-vnet"]["priority"]


def test_the_build_subnet_is_set_up_as_image_builder_needs(plans):
    inputs = _build_subnet(plans[BUILDS])["inputs"]
    assert inputs["privateLinkServiceNetworkPolicies"] == "Disabled"  # the proxy VM's Private Link service
    assert inputs["defaultOutboundAccess"] is False and "natGateway" in inputs  # explicit egress
    assert inputs["networkSecurityGroup"]["id"].endswith("/nsg-imgfactory-prod-uks")


def test_the_identity_may_join_the_build_network_and_nothing_more(plans):
    doc = plans[BUILDS]
    role = one(doc, ROLE, "network-role")["inputs"]
    join = one(doc, ASSIGNMENT, "network-join")["inputs"]
    vnet = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-imgfactory-fleet-prod-uks" \
           "/providers/Microsoft.Network/virtualNetworks/vnet-imgfactory-prod-uks"
    # Assigned on the VNet only; the role is assignable at the VNet's group (custom roles take no narrower scope).
    group = vnet.split("/providers/")[0]
    assert join["scope"] == vnet and role["scope"] == group and role["assignableScopes"] == [group]
    assert set(role["permissions"][0]["actions"]) == NETWORK_ACTIONS
    assert join["principalType"] == "ServicePrincipal"
    propagation = one(doc, ROLE_PROPAGATION)
    assert one(doc, ASSIGNMENT, "network-join") in depends_on(doc, propagation, ASSIGNMENT)


def test_public_builds_have_no_network_role_or_vnet_config(plans):
    for stack in ("dev", "capture"):
        assert not [r for r in resources(plans[stack], ROLE) if r["name"] == "network-role"]
        assert all("vnetConfig" not in t["inputs"]["vmProfile"] for t in resources(plans[stack], TEMPLATE))


def test_a_private_build_needs_a_build_subnet():
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["build"]["private"] = True
    message = plan_error("dev", {"image-factory:images": images})
    assert message == (
        "Pulumi.dev.yaml: image-factory:images.win2025-base.build.private = true: needs network.uksouth.buildSubnet "
        "(and its addressSpace, workloadSubnet): private builds run in the stack location's network")


def test_the_build_subnet_must_not_overlap_the_others():
    network = stack_value(BUILDS, "image-factory:network")
    network["uksouth"]["buildSubnet"] = "10.30.1.128/25"
    message = plan_error(BUILDS, {"image-factory:network": network})
    assert "buildSubnet 10.30.1.128/25 and workloadSubnet 10.30.1.0/24 must not overlap" in message
