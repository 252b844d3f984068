"""The constants and patterns of components/config/azure_rules.py, regions.py, vm_sizes.py and
addresses.py, pinned on both sides of each bound. mutmut mutates only inside functions, so these
module-level values are covered here instead: a changed bound or character class fails a test."""

from __future__ import annotations

import re

import pytest

from components.config import addresses, azure_rules as rules, regions, vm_sizes


def _both_sides(pattern: re.Pattern | str, accepted: list[str], refused: list[str]) -> None:
    compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
    assert [a for a in accepted if not compiled.fullmatch(a)] == []
    assert [r for r in refused if compiled.fullmatch(r)] == []
    # re.match with $ would let a trailing newline through; fullmatch and search with $ must agree.
    assert not compiled.fullmatch(accepted[0] + "\n")


def test_gallery_name():
    _both_sides(rules.GALLERY_NAME, ["a", "9", "a" * 80, "a_b.c", "A1"],
                ["", "a" * 81, "_a", "a_", "a.", ".a", "a-b", "a b", "é"])


def test_image_definition_name():
    _both_sides(rules.IMAGE_DEFINITION_NAME, ["a", "a" * 80, "a-b_c.d", "9z"],
                ["", "a" * 81, "-a", "a-", "a.", "_a", "a b", "a:b"])


def test_template_name():
    _both_sides(rules.TEMPLATE_NAME, ["a", "a" * 64, "a-b_c.d", "-", "."],
                ["", "a" * 65, "a:b", "a;b", "a@b", "a[b", "a^b", "a b"])


def test_version():
    _both_sides(rules.VERSION, ["0.0.0", "1.2.3", "9999999999.0.1", "10.20.30"],
                ["1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "99999999999.0.0", "a.b.c", "1.2.3-rc", "\u0661.2.3"])
    assert (rules.INT32_MIN, rules.INT32_MAX) == (-2147483648, 2147483647)


def test_resource_group_name():
    _both_sides(rules.RESOURCE_GROUP_NAME, ["a", "a" * 90, "rg-(x)_y.z", "a.b", "(", "-"],
                ["", "a" * 91, "a.", "a b", "a/b", "a#b"])


def test_computer_name_prefix_and_lengths():
    _both_sides(rules.COMPUTER_NAME_PREFIX, ["a", "Ab-9", "web1"], ["", "1a", "-a", "a.b", "a_b", "a b"])
    assert (rules.WINDOWS_COMPUTER_NAME_MAX, rules.SCALE_SET_SUFFIX_LENGTH) == (15, 6)


def test_disk_fleet_and_identifier_limits():
    assert (rules.OS_DISK_MIN_GB, rules.OS_DISK_MAX_GB) == (30, 4095)
    assert rules.OS_DISK_TYPES == ("Premium_LRS", "Premium_ZRS", "StandardSSD_LRS", "StandardSSD_ZRS", "Standard_LRS")
    assert rules.MAX_FLEET_COUNT == 1000
    assert (rules.IDENTIFIER_PUBLISHER_MAX, rules.IDENTIFIER_OFFER_SKU_MAX) == (128, 64)
    assert rules.WINDOWS_UPDATE_LIMIT_MAX == 10000
    assert (rules.BUILD_TIMEOUT_MAX_MINUTES, rules.BUILD_TIMEOUT_DEFAULT_MINUTES) == (960, 240)
    assert (rules.MAX_REPLICAS_PER_REGION, rules.VM_DEPLOYMENTS_PER_REPLICA) == (100, 50)
    assert rules.REPLICA_STORAGE_TYPES == ("Standard_LRS", "Standard_ZRS", "Premium_LRS")
    assert (rules.MARKETPLACE_IMAGE_GB, rules.SMALLDISK_IMAGE_GB) == (127, 30)
    assert rules.marketplace_image_gb("2025-datacenter-azure-edition-smalldisk") == 30
    assert rules.marketplace_image_gb("2025-Datacenter-SmallDisk") == 30
    assert rules.marketplace_image_gb("2025-datacenter-azure-edition") == 127


def test_sha256():
    _both_sides(rules.SHA256, ["0" * 64, "aF" * 32], ["0" * 63, "0" * 65, "g" * 64, ""])


def test_maintenance_patterns():
    _both_sides(rules.MAINTENANCE_START_PATTERN, ["2026-01-31 02:00"], ["2026-01-31T02:00", "2026-1-31 02:00", "2026-01-31 2:00"])
    _both_sides(rules.IN_GUEST_PATCH_DURATION_PATTERN, ["01:30", "01:59", "02:00", "02:59", "03:00", "03:55"],
                ["01:29", "03:56", "03:59", "04:00", "00:45", "1:30", "02:60"])
    _both_sides(rules.MAINTENANCE_RECURRENCE_PATTERN,
                ["1Day", "2Week", "1Week Saturday", "1Week Monday,Sunday", "1Month Second Tuesday", "1Month"],
                ["Day", "1Week saturday", "1Week Saturday,", "1Year", "1Week  Saturday", "1Week Funday"])
    assert rules.WINDOWS_PATCH_CLASSIFICATIONS == ("Critical", "Security", "UpdateRollup", "FeaturePack",
                                                   "ServicePack", "Definition", "Tools", "Updates")


def test_vm_size_and_admin_username():
    _both_sides(rules.VM_SIZE, ["Standard_D4ds_v5", "Standard_B2s"], ["Basic_A1", "Standard_", "standard_D2s_v5", "Standard_D2s-v5"])
    _both_sides(rules.ADMIN_USERNAME, ["a", "a" * 20, "ops_admin-1"], ["", "a" * 21, "1ops", "_a", "a.b", "a b"])
    assert {"administrator", "admin", "root", "guest", "support_388945a0", "1", "123", "a"} <= rules.RESERVED_ADMIN_NAMES
    assert len(rules.RESERVED_ADMIN_NAMES) == 32


def test_tag_limits():
    assert rules.MAX_TAGS == 50 and (rules.TAG_NAME_MAX, rules.TAG_VALUE_MAX) == (512, 256)
    assert sorted(rules.TAG_NAME_FORBIDDEN) == sorted("<>%&\\?/")


def test_resource_id_parts():
    _both_sides(rules.SUBSCRIPTION_ID, ["12345678-0000-abcd-ABCD-000000000000"],
                ["12345678-0000-0000-0000-00000000000", "12345678000000000000000000000000", "g2345678-0000-0000-0000-000000000000"])
    _both_sides(rules.STORAGE_ACCOUNT_NAME, ["abc", "a" * 24, "st01"], ["ab", "a" * 25, "Abc", "a-b", "a_b"])
    _both_sides(rules.NETWORK_NAME, ["a", "a" * 80, "vnet-1.a_", "v_"], ["", "a" * 81, "-a", "a-", "a.", "a b"])


def test_project_names():
    _both_sides(rules.ENVIRONMENT, ["dev", "ab", "a" * 10, "prod2"], ["a", "a" * 11, "Dev", "2dev", "de-v", "de_v"])
    _both_sides(rules.WORKLOAD_NAME, ["a", "a" * 24, "lon-web", "web1"], ["", "a" * 25, "Web", "1web", "web-", "we_b"])


def test_regions_and_short_codes():
    assert rules.REGIONS == frozenset(regions.CAPABILITIES) and len(rules.REGIONS) == 55
    assert regions.has_zones("uksouth") and regions.has_zrs("uksouth")
    assert not regions.has_zones("ukwest") and not regions.has_zrs("ukwest")
    assert not regions.has_zones("westus") and regions.has_zones("westus2")
    assert rules.region_short("uksouth") == "uks" and rules.region_short("eastus2") == "eus2"
    assert rules.region_short("norwayeast") == "norwayeast"
    assert rules.region_key("UK South") == "uksouth" == rules.region_key("uksouth")
    assert len(set(rules.REGION_SHORT.values())) == len(rules.REGION_SHORT)


@pytest.mark.parametrize("size, caps", [
    ("Standard_D2s_v5", (True, True, True, True, False)),
    ("Standard_D2_v5", (False, True, True, True, False)),
    ("Standard_D4ds_v5", (True, True, True, True, False)),
    ("Standard_D2ps_v5", (True, True, True, True, True)),
    ("Standard_DS2_v2", (True, True, True, True, False)),  # premium named by the family
    ("Standard_GS5", (True, False, False, False, False)),
    ("Standard_A2_v2", (False, False, False, False, False)),
    ("Standard_M128ms", (True, True, False, True, False)),  # M v1: no Trusted Launch
    ("Standard_M416ms_v2", (True, True, False, True, False)),
    ("Standard_M176s_3_v3", None),  # not the naming convention: nothing assumed
    ("Standard_M64s_v3", (True, True, True, True, False)),
    ("Standard_NV6", (False, False, False, False, False)),
    ("Standard_NV12s_v3", (True, True, True, True, False)),
    ("Standard_E4-2s_v5", (True, True, True, True, False)),
    ("Standard_NC24ads_A100_v4", (True, True, True, True, False)),
    ("Basic_A1", None),
])
def test_size_capabilities(size, caps):
    found = vm_sizes.capabilities(size)
    assert (tuple(found) if found else None) == caps


def test_addresses():
    assert addresses.RESERVED_PER_SUBNET == 5 and addresses.BASTION_MAX_PREFIX == 26
    assert addresses.usable_addresses("10.0.0.0/29") == 3 and addresses.usable_addresses("10.0.0.0/32") == 0
    assert addresses.usable_addresses("10.0.0.0/26") == 59
    for reserved in ("224.0.0.0/4", "255.255.255.255/32", "127.0.0.0/8", "169.254.0.0/16", "168.63.129.16/32"):
        assert addresses.cidr_problem(reserved).startswith(f"must not overlap {reserved}, a range Azure reserves")
    assert addresses.cidr_problem("168.63.129.0/24").startswith("must not overlap 168.63.129.16/32")
    assert addresses.cidr_problem("168.63.128.0/24") is None and addresses.cidr_problem("10.0.0.0/8") is None
    assert addresses.cidr_problem("10.0.0.1/24") == "must be an IPv4 network in CIDR form such as 10.20.0.0/16"
    space = "10.0.0.0/16"
    assert addresses.network_problem(space, {"bastionSubnet": "10.0.1.0/26", "workloadSubnet": None}) is None
    assert addresses.network_problem(space, {"bastionSubnet": "10.0.1.0/27"}) == (
        "bastionSubnet must be /26 or larger, as Azure Bastion requires")
    assert addresses.network_problem(space, {"workloadSubnet": "10.1.0.0/24"}) == (
        "workloadSubnet 10.1.0.0/24 must lie inside addressSpace 10.0.0.0/16")
    assert addresses.network_problem(space, {"workloadSubnet": "10.0.0.0/24", "bastionSubnet": "10.0.0.0/26"}) == (
        "bastionSubnet 10.0.0.0/26 and workloadSubnet 10.0.0.0/24 must not overlap: subnets of one network are disjoint")
    assert addresses.network_problem(space, {"a": "10.0.0.0/24", "b": "10.0.1.0/24", "c": "10.0.1.128/25"}) == (
        "b 10.0.1.0/24 and c 10.0.1.128/25 must not overlap: subnets of one network are disjoint")


SUB = "12345678-0000-0000-0000-000000000000"
DEFINITION = f"/subscriptions/{SUB}/resourceGroups/rg-img/providers/Microsoft.Compute/galleries/gal/images/img"
DEFINITION_PARTS = ("Microsoft.Compute", ("galleries", "images"), (rules.GALLERY_NAME, rules.IMAGE_DEFINITION_NAME))


def test_resource_id_names_returns_each_name_of_the_chain():
    assert rules.resource_id_names(DEFINITION, *DEFINITION_PARTS) == ["gal", "img"]
    assert rules.resource_id_names(DEFINITION + "X", *DEFINITION_PARTS) == ["gal", "imgX"]
    assert rules.resource_id_names(DEFINITION.replace("Microsoft.Compute", "microsoft.compute"), *DEFINITION_PARTS) == [
        "gal", "img"]
    storage = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stimages01"
    assert rules.resource_id_names(storage, "Microsoft.Storage", ("storageAccounts",),
                                   (rules.STORAGE_ACCOUNT_NAME,)) == ["stimages01"]


@pytest.mark.parametrize("value", [
    DEFINITION + "/",  # a trailing slash
    DEFINITION.rsplit("/images/", 1)[0],  # the gallery, not a definition of it
    DEFINITION + "/versions/1.0.0",  # a version of it
    DEFINITION.replace("Microsoft.Compute", "Microsoft.Network"),
    DEFINITION.replace(SUB, "not-a-guid"),
    DEFINITION.replace("rg-img", "rg-img."),
    DEFINITION.replace("/gal/", "/gal-x/"),  # '-' is not allowed in gallery names
    DEFINITION.replace("/resourceGroups/rg-img", ""),  # no resource group: ARM parses it, the rule does not
    "gal/img",
])
def test_resource_id_names_refuses_what_is_not_that_id(value):
    assert rules.resource_id_names(value, *DEFINITION_PARTS) is None
