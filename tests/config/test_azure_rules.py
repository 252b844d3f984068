"""Azure's own rules, checked at load time instead of by Azure halfway through a `pulumi up`: tags,
address spaces, region and VM size capabilities, disk sizes, 32-bit limits, resource IDs and URIs,
reserved admin names, and generated names unique ignoring case. Each asserts the exact line."""

from __future__ import annotations

import pytest

from components.config import azure_rules as rules
from components.config.regions import CAPABILITIES
from components.naming import generated_names
from tests.config.loading import FILE_CUSTOMIZER, IMG, SUBNET, clipped, dev_raw, fleet, line, load_raw, problems, with_

ZONES_NONE = "must be empty: ukwest has no availability zones"
NET = {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/24"}


def in_ukwest(**fields) -> dict:
    """The dev config with its fleet in ukwest (no availability zones), which the image replicates to."""
    raw = with_(f"images.{IMG}.regions", ["uksouth", "ukwest"])
    raw = with_("network.ukwest", {"addressSpace": "10.21.0.0/16", "workloadSubnet": "10.21.1.0/24"}, raw)
    return with_("fleets", {"dev-app": {"region": "ukwest", "image": IMG, "count": 2, **fields}}, raw)


# --- tags -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["cost/centre", "a<b", "50%", "r&d", "why?", "back\\slash", "x" * 513])
def test_tag_names(name):
    shown = clipped(repr(name))  # pydantic shows the bad key itself
    assert problems(with_(f"tags.{name}", "x")) == [
        line(f"tags.{name}", shown, "must be a tag name Azure accepts: 1-512 characters, none of < > % & \\ ? /")]




def test_tag_values_at_most_256_characters():
    assert load_raw(with_("tags.note", "v" * 256)).tags["note"] == "v" * 256
    assert problems(with_("tags.note", "v" * 257)) == [
        line("tags.note", "'" + "v" * 29 + "..." + "v" * 46 + "'", "must be at most 256 characters long")]


def test_at_most_50_tags_counting_the_programs_own():
    raw = with_("tags", {f"t{i}": "x" for i in range(43)})
    assert len(load_raw(raw).tags) == 43
    assert problems(with_("tags", {f"t{i}": "x" for i in range(44)})) == [
        line("tags", None, "must hold at most 43 tags, not 44: Azure allows 50 per resource and the program sets up "
             "to 7 itself")]


def test_tag_names_compare_ignoring_case():
    # Owner is the firm's to set (it wins over the program's owner tag, tests/policy/test_firm_tags.py).
    assert problems(with_("tags", {"Owner": "me", "Cost": "a", "cost": "b", "Image-Factory-Environment": "x"})) == [
        line("tags.cost", "'b'", "must differ from tag Cost by more than case: Azure compares tag names ignoring case"),
        line("tags.Image-Factory-Environment", "'x'", "must not start with image-factory-: the program keeps its own "
             "tags there when the stack's tags set one of the same name"),
    ]


# --- address spaces -------------------------------------------------------------------------------

@pytest.mark.parametrize("space, reserved", [
    ("169.254.0.0/16", "169.254.0.0/16"), ("127.0.0.0/8", "127.0.0.0/8"), ("224.0.0.0/4", "224.0.0.0/4"),
    ("168.63.0.0/16", "168.63.129.16/32")])
def test_address_space_in_a_reserved_range(space, reserved):
    raw = with_("network.uksouth.addressSpace", space)
    assert line("network.uksouth.addressSpace", repr(space),
                f"must not overlap {reserved}, a range Azure reserves (multicast, broadcast, loopback, link-local, "
                "Azure DNS)") in problems(raw)


def test_subnets_must_not_overlap():
    raw = with_("network.uksouth", {**NET, "bastionSubnet": "10.20.1.0/26"})
    assert problems(raw) == [line("network.uksouth", '{"addressSpace": "10.20.0.0/16...10.20.1.0/24", '
                                  '"bastionSubnet": "10.20.1.0/26"}',
                                  "bastionSubnet 10.20.1.0/26 and workloadSubnet 10.20.1.0/24 must not overlap: "
                                  "subnets of one network are disjoint")]


def test_bastion_subnet_at_least_a_26():
    raw = with_("network.uksouth", {**NET, "bastionSubnet": "10.20.255.0/27"})
    [only] = problems(raw)
    assert only.endswith(": bastionSubnet must be /26 or larger, as Azure Bastion requires")


# --- egress (network.<region>.egress) ---------------------------------------------------------------

def test_egress_defaults_to_a_nat_gateway():
    [network] = load_raw(dev_raw()).network.values()
    assert (network.egress.type, network.egress.public_ip_prefix_length) == ("natGateway", 31)


@pytest.mark.parametrize("ip, why", [
    ("10.20.1.4", "must lie outside network.uksouth.workloadSubnet 10.20.1.0/24: the hub's firewall or NVA sits in "
                  "the hub (or another subnet), never in a subnet routed through it"),
    ("10.20.255.4", "must lie outside network.uksouth.bastionSubnet 10.20.255.0/26: the hub's firewall or NVA sits "
                    "in the hub (or another subnet), never in a subnet routed through it"),
    ("168.63.129.16", "must be a routable private address of the hub's firewall or NVA, not one Azure reserves "
                      "(0.0.0.0, multicast, broadcast, loopback, link-local, 168.63.129.16)"),
    ("0.0.0.0", "must be a routable private address of the hub's firewall or NVA, not one Azure reserves "
                "(0.0.0.0, multicast, broadcast, loopback, link-local, 168.63.129.16)"),
])
def test_hub_next_hop_outside_the_subnets_it_routes_and_not_reserved(ip, why):
    raw = with_("network.uksouth", {**NET, "bastionSubnet": "10.20.255.0/26",
                                    "egress": {"type": "hub", "nextHopIp": ip}})
    assert problems(raw) == [line("network.uksouth.egress.nextHopIp", repr(ip), why)]


@pytest.mark.parametrize("ip", ["10.0.0", "fd00::4", "10.0.1.0/24", "hub-fw"])
def test_hub_next_hop_is_an_ipv4_address(ip):
    raw = with_("network.uksouth.egress", {"type": "hub", "nextHopIp": ip})
    assert problems(raw) == [line("network.uksouth.egress.nextHopIp", repr(ip),
                                  "must be an IPv4 address such as 10.0.0.4")]


def test_hub_egress_needs_its_next_hop():
    assert problems(with_("network.uksouth.egress", {"type": "hub"})) == [
        line("network.uksouth.egress.nextHopIp", None, "is required")]


@pytest.mark.parametrize("length, allowed", [(27, "must be at least 28"),
                                             (32, "must be at most 31")])
def test_nat_gateway_prefix_length_is_one_azure_offers(length, allowed):
    raw = with_("network.uksouth.egress", {"type": "natGateway", "publicIpPrefixLength": length})
    assert problems(raw) == [line("network.uksouth.egress.publicIpPrefixLength", str(length), allowed)]


def test_egress_keys_belong_to_their_type():
    raw = with_("network.uksouth.egress", {"type": "natGateway", "nextHopIp": "10.0.0.4"})
    assert problems(raw) == [line("network.uksouth.egress.nextHopIp", "'10.0.0.4'",
                                  "is not a known key; allowed keys: publicIpPrefixLength, type")]
    raw = with_("network.uksouth.egress", {"type": "firewall"})
    assert problems(raw) == [line("network.uksouth.egress.type", "'firewall'",
                                  "must be one of natGateway, hub (case matters)")]


# --- the region capability table --------------------------------------------------------------------

def test_one_capability_row_for_every_region_the_model_accepts():
    assert set(CAPABILITIES) == rules.REGIONS
    assert not CAPABILITIES["ukwest"].zones and CAPABILITIES["uksouth"].zones and CAPABILITIES["eastus"].zrs


def test_zones_in_a_region_without_zones():
    assert problems(in_ukwest(zones=["1", "2"])) == [line("fleets.dev-app.zones", '["1", "2"]', ZONES_NONE)]
    assert load_raw(in_ukwest()).fleets["dev-app"].zones == []


def test_zrs_disks_in_a_region_without_zones():
    assert problems(in_ukwest(osDisk={"type": "Premium_ZRS"})) == [line(
        "fleets.dev-app.osDisk.type", "'Premium_ZRS'",
        "must be a locally redundant disk type (_LRS): ukwest has no zone-redundant storage")]


def test_zrs_replicas_in_a_region_without_zones():
    raw = with_(f"images.{IMG}.regions", [{"name": "uksouth"}, {"name": "ukwest", "storageAccountType": "Standard_ZRS"}])
    assert problems(raw) == [line(f"images.{IMG}.regions[1].storageAccountType", "'Standard_ZRS'",
                                  "must be Standard_LRS or Premium_LRS: ukwest has no zone-redundant storage")]


# --- VM size capabilities ---------------------------------------------------------------------------

PREMIUM = ("must support premium storage for the Premium_LRS OS disk: a size with an 's' feature such as "
           "Standard_D2s_v5, or a StandardSSD_ disk")


def test_premium_disk_on_a_size_without_premium_storage():
    assert problems(with_("fleets.dev-app.size", "Standard_D2_v5")) == [
        line("fleets.dev-app.size", "'Standard_D2_v5'", PREMIUM)]
    assert load_raw(with_("fleets.dev-app", {**dev_raw()["fleets"]["dev-app"], "size": "Standard_D2_v5",
                                             "osDisk": {"type": "StandardSSD_LRS"}}))


def test_the_capture_reference_vm_has_a_premium_disk():
    raw = with_("captures.ref", {"region": "uksouth", "size": "Standard_D2_v5"})
    assert problems(raw) == [line("captures.ref.size", "'Standard_D2_v5'", PREMIUM)]


def test_gen2_and_trusted_launch():
    assert problems(with_("fleets.dev-app.size", "Standard_A2_v2")) == [
        line("fleets.dev-app.size", "'Standard_A2_v2'", "must be a size that supports Gen2 and Trusted Launch: the "
             "Windows Server 2025 images are Hyper-V generation 2"),
        line("fleets.dev-app.size", "'Standard_A2_v2'", PREMIUM),
        line("fleets.dev-app.size", "'Standard_A2_v2'", "must support encryption at host, which encryptionAtHost "
             "(true by default; the capture's reference VM always) asks for")]
    assert problems(with_(f"images.{IMG}.build.vmSize", "Standard_A4_v2")) == [
        line(f"images.{IMG}.build.vmSize", "'Standard_A4_v2'", "must be a size that supports Gen2: the Windows Server "
             "2025 images are Hyper-V generation 2")]


def test_encryption_at_host_needs_a_size_that_has_it():
    raw = with_("fleets.dev-app", {**dev_raw()["fleets"]["dev-app"], "size": "Standard_M128ms", "encryptionAtHost": True})
    assert problems(raw) == [line("fleets.dev-app.size", "'Standard_M128ms'", "must be a size that supports Gen2 "
                                  "and Trusted Launch: the Windows Server 2025 images are Hyper-V generation 2")]
    raw = with_("fleets.dev-app", {**dev_raw()["fleets"]["dev-app"], "size": "Standard_NV6",
                                   "osDisk": {"type": "StandardSSD_LRS"}, "encryptionAtHost": True})
    assert line("fleets.dev-app.size", "'Standard_NV6'",
                "must support encryption at host, which encryptionAtHost (true by default; the capture's reference VM "
                "always) asks for") in problems(raw)


def test_encryption_at_host_is_on_unless_a_fleet_turns_it_off():
    # issue 21 item 14: the default asks for it, so a size without it is refused without the key being written.
    raw = with_("fleets.dev-app", {**dev_raw()["fleets"]["dev-app"], "size": "Standard_NV6",
                                   "osDisk": {"type": "StandardSSD_LRS"}})
    assert any("must support encryption at host" in p for p in problems(raw))
    raw["fleets"]["dev-app"]["encryptionAtHost"] = False
    assert not any("encryption at host" in p for p in problems(raw))


# --- disk sizes and 32-bit limits -------------------------------------------------------------------

def test_the_build_os_disk_is_at_least_the_images_size():
    assert problems(with_(f"images.{IMG}.build.osDiskSizeGB", 64)) == [line(
        f"images.{IMG}.build.osDiskSizeGB", "64", "must be at least 127: the source image 2025-datacenter-azure-edition "
        "is 127 GB")]
    raw = with_(f"images.{IMG}.source.sku", "2025-datacenter-azure-edition-smalldisk")
    assert load_raw(with_(f"images.{IMG}.build.osDiskSizeGB", 64, raw))


def test_a_fleet_os_disk_is_at_least_the_built_images():
    raw = with_(f"images.{IMG}.build.osDiskSizeGB", 256)
    assert problems(raw) == [line("fleets.dev-app.osDisk.sizeGB", "128",
                                  f"must be at least 256: image {IMG} is built with an OS disk of 256 GB")]


def test_valid_exit_codes_are_32_bit():
    raw = with_(f"images.{IMG}.customize[baseline-settings].validExitCodes", [0, 2**31])
    assert problems(raw) == [line(f"images.{IMG}.customize[baseline-settings].validExitCodes[1]", str(2**31),
                                  f"must be at most {2**31 - 1}")]


def test_recommended_ranges_are_32_bit():
    raw = with_(f"images.{IMG}.recommended.vCPUs.max", 2**31)
    assert problems(raw) == [line(f"images.{IMG}.recommended.vCPUs.max", str(2**31),
                                  f"must be at most {2**31 - 1}")]


# --- resource IDs and URIs --------------------------------------------------------------------------

SUBNET_RULE = ("must be a subnet resource ID: /subscriptions/<id>/resourceGroups/<rg>/providers/"
               "Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>")


@pytest.mark.parametrize("subnet", [
    SUBNET.rsplit("/", 1)[0] + "/",  # no subnet name
    SUBNET.replace("12345678-0000-0000-0000-000000000000", "0000"),  # not a subscription GUID
    SUBNET.replace("rg-net", "rg net"),
    SUBNET.replace("Microsoft.Network", "Microsoft.Compute"),
    SUBNET + "/extra",
])
def test_malformed_subnet_ids(subnet):
    raw = with_("fleets", {"lon-app": fleet(subnetId=subnet)})
    shown = clipped(repr(subnet))
    assert problems(raw) == [line("fleets.lon-app.subnetId", shown, SUBNET_RULE)]


def test_malformed_definition_and_storage_ids():
    good = "/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i"
    assert load_raw(with_(f"images.{IMG}.pinned", {"version": "1.0.0", "definitionId": good, "regions": ["uksouth"]}))
    bad = good.replace("galleries/g", "galleries/g-1")  # gallery names allow no '-'
    [only] = problems(with_(f"images.{IMG}.pinned", {"version": "1.0.0", "definitionId": bad, "regions": ["uksouth"]}))
    assert only.endswith(f": must be {rules.DEFINITION_ID_RULE}")
    storage = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stcontoso"
    assert problems(with_("artifactStorageAccountId", storage)) == [
        line("artifactStorageAccountId", clipped(repr(storage)), f"must be {rules.STORAGE_ACCOUNT_ID_RULE}")]


@pytest.mark.parametrize("uri", ["https://", "https:///a.ps1", "https://exa mple.com/a.ps1"])
def test_https_uri_needs_a_host(uri):
    raw = with_(f"images.{IMG}.customize[app-prereqs-installer]", {**FILE_CUSTOMIZER, "sourceUri": uri})
    assert problems(raw) == [line(f"images.{IMG}.customize[app-prereqs-installer].sourceUri", repr(uri), "must be an https:// URI")]


# --- reserved admin names -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["user4", "user5", "Console", "support_388945a0"])
def test_microsofts_full_list_of_reserved_admin_names(name):
    assert problems(with_("adminUsername", name)) == [line(
        "adminUsername", repr(name), "must not be a name Azure reserves (administrator, admin, user, test, guest, root, ...)")]


def test_the_reserved_list_is_microsofts():
    assert rules.RESERVED_ADMIN_NAMES == {
        "administrator", "admin", "user", "user1", "test", "user2", "test1", "user3", "admin1", "1", "123", "a",
        "actuser", "adm", "admin2", "aspnet", "backup", "console", "david", "guest", "john", "owner", "root",
        "server", "sql", "support", "support_388945a0", "sys", "test2", "test3", "user4", "user5"}


# --- generated names unique, ignoring case ------------------------------------------------------------

def test_image_names_that_differ_only_in_case():
    raw = dev_raw()
    other = {**raw["images"][IMG], "identifier": {**raw["images"][IMG]["identifier"], "sku": "other"}}
    raw = with_("images", {**raw["images"], "Win2025-Base": other}, raw)
    assert problems(raw) == [line("images.Win2025-Base", None, "gives the image definition name 'Win2025-Base', which "
                                  f"images.{IMG} gives too ('{IMG}'): Azure compares image definition names ignoring "
                                  "case within gallery gal_imgfactory_dev_uks")]


def test_a_reference_vm_named_like_a_fleet_vm():
    raw = with_("fleets", {"ref-x": fleet(count=2, computerNamePrefix="refx")})
    raw = with_("captures", {"x-001": {"region": "uksouth"}}, raw)
    assert problems(raw) == [
        line("captures.x-001", None, "gives the virtual machine name 'vm-ref-x-001', which fleets.ref-x gives too "
             "('vm-ref-x-001'): Azure compares virtual machine names ignoring case within resource group "
             "rg-imgfactory-fleet-dev-uks"),
        line("captures.x-001", None, "gives the network interface name 'nic-ref-x-001', which fleets.ref-x gives too "
             "('nic-ref-x-001'): Azure compares network interface names ignoring case within resource group "
             "rg-imgfactory-fleet-dev-uks")]


def test_two_captures_publishing_the_same_version():
    raw = with_("captures", {"one": {"region": "uksouth", "publish": {"image": IMG, "version": "1.0.0"}},
                             "two": {"region": "uksouth", "publish": {"image": IMG, "version": "1.0.0"}}})
    assert problems(raw) == [line("captures.two.publish.version", None, "gives the image version name '1.0.0', which "
                                  "captures.one.publish.version gives too ('1.0.0'): Azure compares image version "
                                  f"names ignoring case within image definition {IMG}")]


def test_a_resource_group_shared_with_a_fleet_network():
    assert problems(with_("resourceGroup", "RG-imgfactory-fleet-dev-uks")) == [line(
        "resourceGroup", None, "gives the resource group name 'RG-imgfactory-fleet-dev-uks', which "
        "fleets.dev-app.region gives too ('rg-imgfactory-fleet-dev-uks'): Azure compares resource group names "
        "ignoring case within the subscription")]


def test_egress_names_are_part_of_the_uniqueness_check():
    where = "resource group rg-imgfactory-fleet-dev-uks"
    names = generated_names(load_raw(dev_raw()))
    assert names[(where, "NAT gateway")] == [("network.uksouth.egress", "ng-imgfactory-dev-uks")]
    assert names[(where, "public IP prefix")] == [("network.uksouth.egress", "ippre-imgfactory-egress-dev-uks")]
    hub = load_raw(with_("network.uksouth.egress", {"type": "hub", "nextHopIp": "10.0.1.4"}))
    assert generated_names(hub)[(where, "route table")] == [("network.uksouth.egress", "rt-imgfactory-dev-uks")]
    assert (where, "NAT gateway") not in generated_names(hub)


# --- the parts of resource IDs ---------------------------------------------------------------------------

SUB = "/subscriptions/12345678-0000-0000-0000-000000000000"


def test_the_network_of_a_subnet_id():
    assert rules.vnet_of(f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s") == (
        f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v")
    # The last /subnets/: a group may be named "subnets" too; and IDs are case-insensitive.
    assert rules.vnet_of(f"{SUB}/resourceGroups/subnets/providers/Microsoft.Network/virtualNetworks/v/SUBNETS/s") == (
        f"{SUB}/resourceGroups/subnets/providers/Microsoft.Network/virtualNetworks/v")
    assert rules.vnet_of("x/subnets/s") == "x"
    assert rules.vnet_of(f"{SUB}/resourceGroups/rg") == "" and rules.vnet_of("") == ""


def test_the_group_and_subscription_of_a_resource_id():
    image = f"{SUB}/resourceGroups/rg-golden/providers/Microsoft.Compute/images/golden"
    assert rules.resource_group_of(image) == f"{SUB}/resourceGroups/rg-golden"
    assert rules.subscription_of(image) == "12345678-0000-0000-0000-000000000000"
    assert rules.subscription_of("/subscriptions/abc") == "abc"
    assert rules.subscription_of("/subscriptions") == "" and rules.subscription_of("") == ""
