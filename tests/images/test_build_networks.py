"""Builds on existing subnets (build.subnetId, build.containerInstanceSubnetId): the template takes the IDs
as given, the identity gets Microsoft's networking role on that network only, and every combination
Image Builder refuses is one clear line before anything is registered."""

from __future__ import annotations

from tests.graph import BUILDS, plan_stack

import pytest

from components.config import azure_rules as rules
from offline.plan import plan
from tests.config.loading import clipped
from tests.graph import (ASSIGNMENT, ROLE, ROLE_PROPAGATION, TEMPLATE, depends_on, one, plan_error, resources,
                         stack_value)

NET = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-corp-net/providers/"
       "Microsoft.Network/virtualNetworks/vnet-corp-uks")
OTHER_NET = NET.replace("vnet-corp-uks", "vnet-other")
BUILD_SUBNET, ACI_SUBNET = f"{NET}/subnets/snet-aib", f"{NET}/subnets/snet-aib-aci"


def _overrides(build: dict, network: dict | None) -> dict:
    """dev with its image's build settings changed (and its networks, if given)."""
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["build"].update(build)
    return {"image-factory:images": images, **({"image-factory:network": network} if network is not None else {})}


def _dev(build: dict, network: dict | None = None) -> dict:
    overrides = _overrides(build, network)
    if "image-factory:images" in overrides:
        overrides["image-factory:images"].pop("win2025-app", None)  # one template to look at: the base's
    return plan("dev", overrides=overrides)


def _error(build: dict, network: dict | None = None) -> str:
    return plan_error("dev", _overrides(build, network))


def test_an_existing_subnet_and_its_container_instance_subnet_go_to_the_template_as_given():
    doc = _dev({"subnetId": BUILD_SUBNET, "containerInstanceSubnetId": ACI_SUBNET})
    [template] = resources(doc, TEMPLATE)
    assert template["inputs"]["vmProfile"]["vnetConfig"] == {"subnetId": BUILD_SUBNET,
                                                             "containerInstanceSubnetId": ACI_SUBNET}


def test_an_existing_subnet_without_container_instances_sends_the_proxy_size_only_when_given():
    [template] = resources(_dev({"subnetId": BUILD_SUBNET}), TEMPLATE)
    assert template["inputs"]["vmProfile"]["vnetConfig"] == {"subnetId": BUILD_SUBNET}
    [template] = resources(_dev({"subnetId": BUILD_SUBNET, "proxyVmSize": "Standard_A2_v2"}), TEMPLATE)
    assert template["inputs"]["vmProfile"]["vnetConfig"] == {"subnetId": BUILD_SUBNET, "proxyVmSize": "Standard_A2_v2"}


def test_the_identity_may_join_the_existing_network_and_no_other():
    doc = _dev({"subnetId": BUILD_SUBNET})
    [role] = [r for r in resources(doc, ROLE) if r["name"].startswith("network-role")]
    [join] = [a for a in resources(doc, ASSIGNMENT) if a["name"].startswith("network-join")]
    assert role["name"] != "network-role"  # the unsuffixed names are the program's own network's
    # Assigned on the network; assignable at its group (issue 21 item 2: no custom role is assignable at a VNet).
    group = NET.split("/providers/")[0]
    assert join["inputs"]["scope"] == NET and role["inputs"]["scope"] == group
    assert role["inputs"]["assignableScopes"] == [group]
    assert set(role["inputs"]["permissions"][0]["actions"]) == {
        "Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/subnets/join/action"}
    # Role names are unique per tenant: the network's group, name and subscription, and this stack, since another
    # group may hold a vnet-corp-uks and another stack may build in the same network.
    assert role["inputs"]["roleName"] == ("Image Factory Image Builder networking (rg-corp-net/vnet-corp-uks, "
                                          "subscription 12345678-0000-0000-0000-000000000000, stack dev-uks), "
                                          "group-assignable")
    assert join in depends_on(doc, one(doc, ROLE_PROPAGATION), ASSIGNMENT)
    # No network of the program's is made for the build: dev has none in uksouth.
    assert not [r for r in resources(doc, ROLE) if r["name"] == "network-role"]


def test_a_new_subnet_is_a_new_template():
    before = one(_dev({"subnetId": BUILD_SUBNET}), TEMPLATE)["inputs"]["imageTemplateName"]
    after = one(_dev({"subnetId": f"{NET}/subnets/snet-aib2"}), TEMPLATE)["inputs"]["imageTemplateName"]
    isolated = one(_dev({"subnetId": BUILD_SUBNET, "containerInstanceSubnetId": ACI_SUBNET}),
                   TEMPLATE)["inputs"]["imageTemplateName"]
    assert len({before, after, isolated}) == 3


KEY = "Pulumi.dev.yaml: image-factory:images.win2025-base.build"


def _id(value: str) -> str:
    return clipped(repr(value))


@pytest.mark.parametrize("build, line", [
    ({"private": True, "subnetId": BUILD_SUBNET},
     f"{KEY}.subnetId = {_id(BUILD_SUBNET)}: cannot be combined with private: true: give private (the build subnet of "
     "the program's network) or subnetId (an existing subnet), not both"),
    ({"containerInstanceSubnetId": ACI_SUBNET},
     f"{KEY}.containerInstanceSubnetId = {_id(ACI_SUBNET)}: needs subnetId: Image Builder takes a container-instance "
     "subnet only with the build VM's own subnet, in the same network"),
    ({"subnetId": BUILD_SUBNET, "containerInstanceSubnetId": f"{OTHER_NET}/subnets/snet-aci"},
     f"{KEY}.containerInstanceSubnetId = {_id(OTHER_NET + '/subnets/snet-aci')}: must be a subnet of subnetId's virtual "
     f"network ({NET}), as Image Builder requires"),
    ({"subnetId": BUILD_SUBNET, "containerInstanceSubnetId": BUILD_SUBNET},
     f"{KEY}.containerInstanceSubnetId = {_id(BUILD_SUBNET)}: must differ from subnetId: the container instance's "
     "subnet is delegated to Microsoft.ContainerInstance/containerGroups, which leaves no room for the build VM"),
    ({"subnetId": BUILD_SUBNET, "containerInstanceSubnetId": ACI_SUBNET, "proxyVmSize": "Standard_A1_v2"},
     f"{KEY}.proxyVmSize = 'Standard_A1_v2': must not be set for a build with a container-instance subnet: no proxy "
     "VM is deployed then, and Image Builder refuses the template"),
    ({"proxyVmSize": "Standard_A1_v2"},
     f"{KEY}.proxyVmSize = 'Standard_A1_v2': applies only to a build in a network (private: true or subnetId): the "
     "proxy VM sits in the build subnet"),
])
def test_what_image_builder_refuses_is_one_line(build, line):
    assert line in _error(build).split("\n")


def test_a_subnet_id_must_be_a_subnet_id():
    message = _error({"subnetId": NET})
    assert message == f"{KEY}.subnetId = {_id(NET)}: must be {rules.SUBNET_ID_RULE}"


def test_proxy_size_is_refused_for_a_private_build_in_an_isolated_network():
    images = stack_value(BUILDS, "image-factory:images")
    images["win2025-base"]["build"]["proxyVmSize"] = "Standard_A1_v2"
    message = plan_error(BUILDS, {"image-factory:images": images})
    assert message == (
        "Pulumi.prod.yaml: image-factory:images.win2025-base.build.proxyVmSize = 'Standard_A1_v2': must not be set "
        "for a build with a container-instance subnet: no proxy VM is deployed then, and Image Builder refuses the "
        "template")


def test_a_container_instance_subnet_needs_a_build_subnet():
    network = stack_value(BUILDS, "image-factory:network")
    del network["uksouth"]["buildSubnet"]
    images = stack_value(BUILDS, "image-factory:images")
    for image in images.values():
        image["build"].pop("private", None)
    message = plan_error(BUILDS, {"image-factory:network": network, "image-factory:images": images})
    assert message == (
        "Pulumi.prod.yaml: image-factory:network.uksouth.containerInstanceSubnet = '10.30.3.0/27': needs buildSubnet: "
        "the container instance reaches the build VM there")


def test_the_container_instance_subnet_must_not_overlap_the_others():
    network = stack_value(BUILDS, "image-factory:network")
    network["uksouth"]["containerInstanceSubnet"] = "10.30.2.0/27"
    message = plan_error(BUILDS, {"image-factory:network": network})
    assert "buildSubnet 10.30.2.0/24 and containerInstanceSubnet 10.30.2.0/27 must not overlap" in message


def test_one_network_role_per_network_whatever_the_spelling():
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["build"]["subnetId"] = BUILD_SUBNET
    images["win2025-other"] = {**images["win2025-base"], "identifier": {
        "publisher": "ContosoFinance", "offer": "WindowsServer2025", "sku": "other"},
        "build": {"subnetId": BUILD_SUBNET.replace("vnet-corp-uks", "VNET-CORP-UKS")}}
    doc = plan("dev", overrides={"image-factory:images": images})
    assert len([r for r in resources(doc, ROLE) if r["name"].startswith("network-role")]) == 1


def test_two_stacks_in_one_network_hold_two_roles():
    # dev and prod building in the same spoke: role definitions are named (GUID and roleName) per stack, so
    # neither stack claims, or on destroy deletes, the other's.
    roles = {}
    for stack in ("dev", BUILDS):
        images = stack_value(stack, "image-factory:images")
        for image in images.values():
            image.setdefault("build", {}).pop("private", None)
            image["build"]["subnetId"] = BUILD_SUBNET
        [role] = [r for r in resources(plan_stack(stack, overrides={"image-factory:images": images}), ROLE)
                  if r["name"].startswith("network-role-")]
        roles[stack] = (role["inputs"]["roleDefinitionId"], role["inputs"]["roleName"])
    assert roles["dev"][0] != roles[BUILDS][0] and roles["dev"][1] != roles[BUILDS][1]
