"""Every policy passes on each shipped stack and fails, with its message, on a mutated resource.

The policies are plain functions over plan-shaped resources (policy/model.py), so these tests call them
exactly as `make policy`, the offline CI job and (through policy/__main__.py) CrossGuard do."""

from __future__ import annotations

import copy
import runpy

import pytest

from components.config.azure_rules import NO_MANAGED_IMAGE_FROM_TRUSTED_LAUNCH_SOURCE
from policy import POLICIES, azure, firm, pack_config
from policy.offline import main as policy_main
from tests.graph import BUILDS

CONFIG = pack_config.load(POLICIES)  # policy/firm-config.json, as `make policy` and a real preview read it
from tests.graph import GALLERY, NIC, REPLICAS, TEMPLATE, VM, one, resources


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_policy_passes_on_every_shipped_stack(policy, stack_plan):
    assert policy.evaluate(stack_plan["resources"], CONFIG.get(policy.name)) == []


def test_every_policy_links_its_document():
    assert all(p.doc.startswith(("https://", "docs/firm-settings.md#")) for p in POLICIES)
    assert len({p.name for p in POLICIES}) == len(POLICIES)


def mutated(plans, stack: str, type_: str, name: str | None = None):
    doc = copy.deepcopy(plans[stack])
    return doc, one(doc, type_, name)


def messages(policy, doc) -> list[str]:
    return [m for _, m in policy.evaluate(doc["resources"], CONFIG.get(policy.name))]


def only(policy, doc, *fragments: str) -> None:
    found = messages(policy, doc)
    assert found and all(any(f in m for m in found) for f in fragments), found


def test_no_public_ip_on_a_nic(plans):
    doc, nic = mutated(plans, "dev", NIC, "nic-dev-app-000")
    nic["inputs"]["ipConfigurations"][0]["publicIPAddress"] = {"id": "/subscriptions/x/pip"}
    only(firm.NO_PUBLIC_IPS, doc, "public IP on a NetworkInterface")


def test_no_public_ip_on_a_scale_set(plans):
    doc = copy.deepcopy(plans[BUILDS])
    vmss = one(doc, "azure-native:compute:VirtualMachineScaleSet", "vmss-lon-web")
    config = vmss["inputs"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    config["ipConfigurations"][0]["publicIPAddressConfiguration"] = {"name": "pip"}
    only(firm.NO_PUBLIC_IPS, doc, "public IP on a VirtualMachineScaleSet")


def _public_ip(doc, nat: bool) -> None:
    stack = doc["resources"][0]["urn"].split("::")[0]
    pip_urn = f"{stack}::image-factory::azure-native:network:PublicIPAddress::egress"
    doc["resources"].append({"urn": pip_urn, "type": "azure-native:network:PublicIPAddress", "name": "egress",
                             "custom": True, "parent": None, "dependsOn": [], "options": {"protect": False},
                             "inputs": {"publicIpAddressName": "pip-egress", "location": "uksouth",
                                        "resourceGroupName": "rg", "tags": {}}})
    if nat:  # the shape a NAT gateway for egress will take
        doc["resources"].append({
            "urn": f"{stack}::image-factory::azure-native:network:NatGateway::nat", "custom": True,
            "type": "azure-native:network:NatGateway", "name": "nat", "parent": None, "dependsOn": [pip_urn],
            "options": {"protect": False}, "inputs": {"natGatewayName": "nat", "publicIpAddresses": [
                {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip-egress"}]}})


def test_a_public_ip_is_allowed_only_as_a_nat_gateways_egress(plans):
    attached, loose = copy.deepcopy(plans["dev"]), copy.deepcopy(plans["dev"])
    _public_ip(attached, nat=True)
    _public_ip(loose, nat=False)
    assert firm.NO_PUBLIC_IPS.evaluate(attached["resources"]) == []
    only(firm.NO_PUBLIC_IPS, loose, "public IP pip-egress is not a NAT gateway's egress address")


def test_trusted_launch(plans):
    doc, vm = mutated(plans, "dev", VM, "vm-dev-app-000")
    vm["inputs"]["securityProfile"] = {"securityType": "Standard"}
    only(firm.TRUSTED_LAUNCH, doc, "securityType is Standard: fleets run Trusted Launch")


def test_allowed_regions(plans):
    doc, vm = mutated(plans, "dev", VM, "vm-dev-app-000")
    vm["inputs"]["location"] = "westeurope"
    only(firm.ALLOWED, doc, "location is westeurope: the firm's allowed regions are uksouth, eastus "
         "(policy/firm-config.json: allowed-regions.allowedRegions)")


def test_required_tags(plans):
    doc, nic = mutated(plans, "dev", NIC, "nic-dev-app-001")
    del nic["inputs"]["tags"]["owner"]
    only(firm.TAGS, doc, "missing tag(s) owner")


def test_customizer_checksums(plans):
    doc = copy.deepcopy(plans[BUILDS])
    template = next(t for t in resources(doc, TEMPLATE) if any(s["type"] == "File" for s in t["inputs"]["customize"]))
    del next(s for s in template["inputs"]["customize"] if s["type"] == "File")["sha256Checksum"]
    template["inputs"]["customize"].append({"type": "PowerShell", "name": "remote", "scriptUri": "https://x/y.ps1"})
    only(firm.CHECKSUMS, doc, "app-prereqs-installer", "https://x/y.ps1")


def test_prod_protected(plans):
    doc, gallery = mutated(plans, BUILDS, GALLERY)
    gallery["options"]["protect"] = False
    only(firm.PROD_PROTECTED, doc, "gallery is not protected")


def test_build_identity_scope(plans):
    doc, assignment = mutated(plans, BUILDS, "azure-native:authorization:RoleAssignment", "role-assignment")
    assignment["inputs"]["scope"] = "/subscriptions/11111111-2222-3333-4444-555555555555"
    only(firm.IDENTITY_SCOPE, doc, "beyond the stack's own resource groups")


def test_no_managed_image_output_from_a_trusted_launch_source(plans):
    doc, template = mutated(plans, "dev", TEMPLATE, "win2025-base-template")
    template["inputs"]["distribute"].append({"type": "ManagedImage", "imageId": "/x", "location": "uksouth"})
    only(azure.MANAGED_IMAGE, doc, NO_MANAGED_IMAGE_FROM_TRUSTED_LAUNCH_SOURCE)


def test_platform_patching_needs_a_customer_schedule(plans):
    doc, vm = mutated(plans, "dev", VM, "vm-dev-app-000")
    del vm["inputs"]["osProfile"]["windowsConfiguration"]["patchSettings"]["automaticByPlatformSettings"]
    only(azure.PATCHING, doc, "without bypassPlatformSafetyChecksOnUserSchedule")


def test_no_zones_or_zrs_where_the_region_has_none(plans):
    doc, vm = mutated(plans, "dev", VM, "vm-dev-app-000")
    vm["inputs"]["location"] = "ukwest"
    replicas = one(doc, REPLICAS, "win2025-base-replicas-uksouth")
    replicas["inputs"]["target_regions"][0].update(name="ukwest", storage_account_type="Standard_ZRS")
    only(azure.ZONES, doc, "in ukwest, which has no availability zones", "Standard_ZRS in ukwest")


def test_replica_counts(plans):
    doc = copy.deepcopy(plans[BUILDS])
    # One replica step per region (issue 11): each asks for its own region only.
    steps = {r["name"]: r for r in resources(doc, REPLICAS)}
    [uk] = steps["win2025-base-replicas-uksouth"]["inputs"]["target_regions"]
    [us] = steps["win2025-base-replicas-eastus"]["inputs"]["target_regions"]
    uk["regional_replica_count"], us["regional_replica_count"] = 1, 101
    only(azure.REPLICA_COUNTS, doc, "1 replica(s) in uksouth", "101 replicas in eastus: Azure allows at most 100")


def test_the_offline_runner_fails_on_a_violation(monkeypatch, plans, capsys):
    doc, vm = mutated(plans, "dev", VM, "vm-dev-app-000")
    vm["inputs"]["location"] = "westeurope"
    monkeypatch.setattr("policy.offline.plan", lambda stack: doc)
    assert policy_main(["--stack", "dev"]) == 1
    assert "FAIL  allowed-regions" in capsys.readouterr().out


def test_the_pack_wraps_every_policy_for_crossguard():
    # Loads policy/__main__.py without starting the analyzer's gRPC server.
    pack = runpy.run_path("policy/__main__.py", run_name="not_main")
    wrapped = pack["wrapped"]()
    assert [p.name for p in wrapped] == [p.name for p in POLICIES]
    assert {type(p).__name__ for p in wrapped} == {"ResourceValidationPolicy", "StackValidationPolicy"}


def test_crossguard_arguments_become_plan_resources_with_unknowns_marked():
    from types import SimpleNamespace

    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    pack = runpy.run_path("policy/__main__.py", run_name="not_main")
    args = SimpleNamespace(urn="urn:pulumi:prod::p::azure-native:network:NetworkInterface::nic", name="nic",
                           resource_type="azure-native:network:NetworkInterface", opts=SimpleNamespace(protect=True),
                           props=unknown_checking_proxy({"location": "uksouth", "ipConfigurations": [
                               {"subnet": {"id": UNKNOWN_STRING_VALUE}}]}))
    resource = pack["as_resource"](args)
    assert resource["inputs"] == {"location": "uksouth", "ipConfigurations": [{"subnet": {"id": "[unknown]"}}]}
    assert resource["options"]["protect"] is True


def test_the_artifact_store_is_allowed_only_for_reading_blobs(plans):
    assert firm.IDENTITY_SCOPE.evaluate(plans[BUILDS]["resources"]) == []  # Storage Blob Data Reader there
    doc, reader = mutated(plans, BUILDS, "azure-native:authorization:RoleAssignment", "artifact-reader")
    contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"  # Azure built-in Contributor
    reader["inputs"]["roleDefinitionId"] = reader["inputs"]["roleDefinitionId"].rsplit("/", 1)[0] + "/" + contributor
    only(firm.IDENTITY_SCOPE, doc, "stcontosoartifacts, beyond the stack's own resource groups")


NET = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-corp-net/providers/"
       "Microsoft.Network/virtualNetworks/vnet-corp-uks")
GOLDEN = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-golden/providers/"
          "Microsoft.Compute/images/img-ws2025-golden")


@pytest.fixture(scope="module")
def outside_scopes_plan():
    """dev building in an existing subnet, on an existing managed image: both outside the stack's groups."""
    from offline.plan import plan
    from tests.graph import stack_value
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["build"]["subnetId"] = f"{NET}/subnets/snet-aib"
    images["win2025-base"]["source"] = {"managedImageId": GOLDEN}
    images.pop("win2025-app")  # one template: the base's
    # No fleet: an image built from a managed image is Standard, which Trusted Launch fleets cannot boot (issue 21).
    return plan("dev", overrides={"image-factory:images": images, "image-factory:fleets": {}})


def test_the_identity_may_reach_the_network_and_source_its_templates_use(outside_scopes_plan):
    assert firm.IDENTITY_SCOPE.evaluate(outside_scopes_plan["resources"]) == []


def test_there_only_with_microsofts_actions_and_only_where_a_template_uses_it(outside_scopes_plan):
    doc = copy.deepcopy(outside_scopes_plan)
    [join] = [r for r in resources(doc, "azure-native:authorization:RoleAssignment") if r["name"].startswith("network-join-")]
    owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"  # Azure built-in Owner, at the network the template uses
    join["inputs"]["roleDefinitionId"] = f"/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/{owner}"
    only(firm.IDENTITY_SCOPE, doc, "vnet-corp-uks, beyond the stack's own resource groups")
    doc = copy.deepcopy(outside_scopes_plan)
    [role] = [r for r in resources(doc, "azure-native:authorization:RoleDefinition") if r["name"].startswith("network-role-")]
    role["inputs"]["permissions"][0]["actions"].append("Microsoft.Network/virtualNetworks/write")
    only(firm.IDENTITY_SCOPE, doc, "vnet-corp-uks, beyond the stack's own resource groups")
    doc = copy.deepcopy(outside_scopes_plan)
    [template] = resources(doc, TEMPLATE)
    template["inputs"]["source"] = {"type": "PlatformImage"}  # rg-golden is no longer a source's group
    only(firm.IDENTITY_SCOPE, doc, "rg-golden, beyond the stack's own resource groups")


@pytest.mark.parametrize("vnet_config, fragment", [
    ({"containerInstanceSubnetId": f"{NET}/subnets/aci"}, "containerInstanceSubnetId needs subnetId"),
    ({"subnetId": f"{NET}/subnets/aib", "containerInstanceSubnetId": f"{NET}/subnets/aib"}, "must differ from subnetId"),
    ({"subnetId": f"{NET}/subnets/aib", "containerInstanceSubnetId": NET.replace("corp-uks", "other") + "/subnets/aci"},
     "must be a subnet of subnetId's virtual network"),
    ({"subnetId": f"{NET}/subnets/aib", "containerInstanceSubnetId": f"{NET}/subnets/aci", "proxyVmSize": "Standard_A1_v2"},
     "proxyVmSize must not be set for a build with a container-instance subnet"),
])
def test_a_vnet_config_image_builder_refuses(plans, vnet_config, fragment):
    assert azure.VNET_CONFIG.evaluate(plans[BUILDS]["resources"]) == []  # prod's isolated builds pass
    doc = copy.deepcopy(plans[BUILDS])
    resources(doc, TEMPLATE)[0]["inputs"]["vmProfile"]["vnetConfig"] = vnet_config
    only(azure.VNET_CONFIG, doc, fragment)



def test_a_managed_image_source_in_another_subscription(outside_scopes_plan):
    assert azure.MANAGED_IMAGE_SOURCE.evaluate(outside_scopes_plan["resources"]) == []
    doc = copy.deepcopy(outside_scopes_plan)
    [template] = resources(doc, TEMPLATE)
    template["inputs"]["source"]["imageId"] = GOLDEN.replace("11111111-2222-3333-4444-555555555555",
                                                             "99999999-2222-3333-4444-555555555555")
    only(azure.MANAGED_IMAGE_SOURCE, doc, "is in another subscription than the template")


def test_a_vnet_config_without_subnet_ids_is_a_policy_line_not_a_crash(plans):
    doc = copy.deepcopy(plans[BUILDS])
    resources(doc, TEMPLATE)[0]["inputs"]["vmProfile"]["vnetConfig"] = {"subnetId": "not-an-id",
                                                                         "containerInstanceSubnetId": f"{NET}/subnets/aci"}
    only(azure.VNET_CONFIG, doc, "containerInstanceSubnetId must be a subnet of subnetId's virtual network")
