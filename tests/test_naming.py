"""components/naming.py: the names Azure gets. A change to any value pinned here renames resources in
Azure: a new content hash rebuilds every image (new template names, new builds, a fleet-wide rollout),
a new GUID re-creates the custom role and its assignments. Change a golden value only on purpose."""

from __future__ import annotations

import datetime
import hashlib

import pytest

from components.config import azure_rules as rules
from components.config.fleets import Fleet
from components.config.images import Image
from components.images.image_template import spec_hash
from components.naming import (
    BASE_TAGS,
    EXTRA_TAGS,
    INDEX_WIDTH,
    MOST_EXTRA_TAGS,
    Names,
    computer_name_prefix,
    computer_name_room,
    content_hash,
    generated_names,
    stable_guid,
    vm_index,
)
from tests.config.loading import SUBNET, dev_raw, fleet, load_raw, with_

SPEC = {"b": [1, 2.5, None, True], "a": "\u00e9", "c": {"y": 1, "x": 2}}
# json.dumps with sorted keys, no spaces, ASCII escapes: the serialization the hash is taken over.
CANONICAL = '{"a":"\\u00e9","b":[1,2.5,null,true],"c":{"x":2,"y":1}}'
FIXED_RECIPE = {
    "identifier": {"publisher": "contoso", "offer": "windows-server", "sku": "2025-base"},
    "regions": ["uksouth", {"name": "eastus", "replicaCount": 2, "storageAccountType": "Standard_ZRS"}],
    "customize": [{"type": "PowerShell", "name": "baseline", "inline": ["Set-TimeZone -Id 'UTC'"]}],
}
NAMES = Names("dev", "uksouth", "someone@contoso.example", {"cost-centre": "42"})


# --- golden values --------------------------------------------------------------------------------

def test_content_hash_is_sha256_of_the_canonical_json():
    assert hashlib.sha256(CANONICAL.encode()).hexdigest() == content_hash(SPEC, length=64)
    assert content_hash(SPEC) == "344ae6ea9a"  # golden: the default length is 10
    assert content_hash(SPEC, length=64) == "344ae6ea9aa048cf4ae9967cada98b2367731d28b24040919880f556eeb728e1"


def test_content_hash_ignores_key_order_and_stringifies_what_json_cannot_hold():
    assert content_hash({"c": {"x": 2, "y": 1}, "a": "\u00e9", "b": [1, 2.5, None, True]}) == content_hash(SPEC)
    assert content_hash({"b": [2.5, 1, None, True], "a": "\u00e9", "c": {"y": 1, "x": 2}}) != content_hash(SPEC)
    assert content_hash({"when": datetime.date(2030, 1, 31)}) == "39bbe16288"
    assert content_hash({"when": datetime.date(2030, 1, 31)}) == content_hash({"when": "2030-01-31"})


def test_stable_guid_golden_values():
    # The build role's definition name for subscription 0 and dev's resource group.
    assert stable_guid("00000000-0000-0000-0000-000000000000", "rg-imgfactory-dev-uks",
                       "image-builder-role") == "f7e9b8ea-52c1-5d7a-aca6-4492bba2f365"
    assert stable_guid("a") == "10aeb295-55c4-565a-879c-33cadceaa9da"
    assert stable_guid("a", "b") == stable_guid("a/b") == "496f3b42-09e1-5523-a8a3-54350c53f326"


def test_template_name_of_a_fixed_recipe():
    image = Image.model_validate(FIXED_RECIPE)
    digest = spec_hash("win2025-base", image, "uksouth", NAMES)
    # Golden: a change rebuilds every image. Changed on purpose once, when templates began distributing to
    # the home region only (per-region readiness, issue 11).
    assert digest == "9b464f6e68"
    assert NAMES.template("win2025-base", digest) == "it-win2025-base-9b464f6e68"
    # The owner and free-form tags are not in the recipe (they would rebuild images on an owner change).
    other_owner = Names("dev", "uksouth", "someone-else@contoso.example", {"cost-centre": "43"})
    assert spec_hash("win2025-base", image, "uksouth", other_owner) == digest
    assert spec_hash("win2025-base", image, "eastus", NAMES) != digest


# --- names and their truncation lengths -------------------------------------------------------------

def test_every_fixed_name():
    n = NAMES
    assert n.suffix() == "dev-uks"
    assert n.suffix("eastus") == "dev-eus"
    assert n.suffix("canadacentral") == "dev-canadacentral"  # no short code: the full name
    assert n.resource_group == "rg-imgfactory-dev-uks"
    assert n.gallery == "gal_imgfactory_dev_uks"
    assert n.gallery_lock == "do-not-delete-images"
    assert n.builder_identity == "id-imagebuilder-dev-uks"
    assert n.builder_role("sub", "rg") == "Image Factory Image Builder (rg, subscription sub)"
    assert n.staging_resource_group("it-x-1") == "rg-aib-staging-it-x-1"
    assert n.fleet_resource_group("eastus") == "rg-imgfactory-fleet-dev-eus"
    assert n.nsg("eastus") == "nsg-imgfactory-dev-eus"
    assert n.vnet("eastus") == "vnet-imgfactory-dev-eus"
    assert n.bastion("eastus") == "bas-imgfactory-dev-eus"
    assert n.vm("web", "007") == "vm-web-007"
    assert n.nic("web", "007") == "nic-web-007"
    assert n.scale_set("web") == "vmss-web"
    assert n.reference_nic("cap") == "nic-ref-cap"
    assert n.captured_image("cap") == "img-captured-cap"
    assert n.maintenance_configuration("eastus") == "mc-imgfactory-patch-dev-eus"
    assert n.patch_assignment("eastus") == "patch-imgfactory-dev-eus"
    given = Names("dev", "uksouth", "o", {}, resource_group="my-rg", gallery="my_gallery")
    assert (given.resource_group, given.gallery) == ("my-rg", "my_gallery")
    config = load_raw(dev_raw())
    assert Names.from_config(config).resource_group == (config.resource_group or "rg-imgfactory-dev-uks")
    assert Names.from_config(config).tags()["owner"] == config.owner


def test_gallery_name_of_a_region_with_dashes_in_its_suffix():
    assert Names("dev2", "eastus2", "o", {}).gallery == "gal_imgfactory_dev2_eus2"
    assert rules.GALLERY_NAME.fullmatch(Names("dev", "canadacentral", "o", {}).gallery)


@pytest.mark.parametrize("length, kept", [(46, 46), (47, 46), (80, 46)])
def test_template_name_keeps_46_characters_of_the_image(length, kept):
    image = "a" * length
    name = NAMES.template(image, "0123456789")
    assert name == f"it-{'a' * kept}-0123456789"
    assert len(name) == 3 + kept + 11 <= 64


@pytest.mark.parametrize("length, kept", [(60, 60), (61, 60), (80, 60)])
def test_managed_image_name_keeps_60_characters_of_the_image(length, kept):
    assert NAMES.managed_image("b" * length, "0123456789") == f"img-{'b' * kept}-0123456789"


@pytest.mark.parametrize("length, kept", [(50, 50), (51, 50), (80, 50)])
def test_run_output_name_keeps_50_characters_of_the_image(length, kept):
    assert NAMES.run_output("c" * length, "gallery") == f"{'c' * kept}-gallery"


@pytest.mark.parametrize("length, total", [(57, 64), (58, 64), (80, 64), (10, 17)])
def test_reference_vm_name_is_at_most_64_characters(length, total):
    name = NAMES.reference_vm("d" * length)
    assert name.startswith("vm-ref-ddd") and len(name) == total


def test_reference_computer_name_drops_dashes_and_keeps_15_characters():
    assert NAMES.reference_computer_name("win-base") == "refwinbase"
    assert NAMES.reference_computer_name("a-" * 20) == "ref" + "a" * 12
    assert len(NAMES.reference_computer_name("e" * 12)) == 15 == rules.WINDOWS_COMPUTER_NAME_MAX


def test_vm_index_is_three_digits():
    assert INDEX_WIDTH == 3
    assert [vm_index(0), vm_index(7), vm_index(99), vm_index(999)] == ["000", "007", "099", "999"]


def _fleet(**fields) -> Fleet:
    return Fleet.model_validate({"region": "uksouth", "image": "img", "count": 1, "subnetId": SUBNET, **fields})


def test_computer_name_room_leaves_room_for_the_index_or_the_scale_set_suffix():
    assert computer_name_room(_fleet()) == 12 == 15 - 3
    assert computer_name_room(_fleet(mode="scaleset")) == 9 == 15 - 6


def test_computer_name_prefix_from_the_fleet_name():
    assert computer_name_prefix("web-fleet-london-01", _fleet()) == "webfleetlond"  # 12 letters and digits
    assert computer_name_prefix("web-fleet-london-01", _fleet(mode="scaleset")) == "webfleetl"  # 9
    assert computer_name_prefix("web", _fleet()) == "web"
    assert computer_name_prefix("web-fleet-london-01", _fleet(computerNamePrefix="lon")) == "lon"


def test_tags_and_stable_tags():
    assert NAMES.stable_tags() == {"environment": "dev", "managed-by": "pulumi", "project": "image-factory"}
    assert NAMES.tags(fleet="web") == {"cost-centre": "42", "owner": "someone@contoso.example", "environment": "dev",
                                       "managed-by": "pulumi", "project": "image-factory", "fleet": "web"}
    # The firm's tag wins over the program's of the same name (ignoring case, as Azure compares them), and
    # the program's value moves to image-factory-<name>: on every resource, and among the stable tags too.
    assert Names("dev", "uksouth", "o", {"owner": "x", "Environment": "Non-Prod"}).tags() == {
        "owner": "x", "Environment": "Non-Prod", "image-factory-owner": "o", "image-factory-environment": "dev",
        "managed-by": "pulumi", "project": "image-factory"}
    assert Names("dev", "uksouth", "o", {"Environment": "Non-Prod", "cost": "1"}).stable_tags() == {
        "Environment": "Non-Prod", "image-factory-environment": "dev", "managed-by": "pulumi", "project": "image-factory"}
    assert set(NAMES.tags(fleet="f", image="i", **{"image-version": "1.0.0"})) >= set(BASE_TAGS)
    assert MOST_EXTRA_TAGS == 3 and len(BASE_TAGS) == 4 and len(EXTRA_TAGS) == 5
    with pytest.raises(AssertionError):
        NAMES.stable_tags(colour="red")
    with pytest.raises(AssertionError):
        NAMES.stable_tags(fleet="f", image="i", purpose="p", source="s")


def test_generated_names_of_a_small_config():
    raw = with_("fleets", {"web": fleet(count=2), "big": fleet(count=4, mode="scaleset")})
    raw = with_("patching", {"mode": "scheduled"}, raw)
    config = load_raw(raw)
    scopes = generated_names(config)
    assert scopes  # the loops below must see names
    rg = "resource group rg-imgfactory-fleet-dev-uks"
    assert scopes[(rg, "virtual machine")] == [("fleets.web", "vm-web-000"), ("fleets.web", "vm-web-001")]
    assert scopes[(rg, "network interface")] == [("fleets.web", "nic-web-000"), ("fleets.web", "nic-web-001")]
    assert scopes[(rg, "scale set")] == [("fleets.big", "vmss-big")]
    assert scopes[(rg, "maintenance configuration")] == [("patching", "mc-imgfactory-patch-dev-uks")]
    groups = scopes[("the subscription", "resource group")]
    assert groups[0] == ("fleets.web.region", "rg-imgfactory-fleet-dev-uks")
    assert groups[-1][1] == Names.from_config(config).resource_group
    assert groups[-1][0] == ("resourceGroup" if config.resource_group else "environment")


def test_names_from_a_config_that_chooses_its_group_and_gallery():
    raw = with_("gallery", {"name": "gal_chosen"}, with_("resourceGroup", "rg-chosen", dev_raw()))
    raw = with_("tags", {"cost-centre": "7"}, with_("owner", "someone@contoso.example", raw))
    names = Names.from_config(load_raw(raw))
    assert (names.resource_group, names.gallery) == ("rg-chosen", "gal_chosen")
    assert (names.env, names.location) == ("dev", "uksouth")
    assert names.tags() == {"cost-centre": "7", "owner": "someone@contoso.example", "environment": "dev",
                            "managed-by": "pulumi", "project": "image-factory"}


def test_generated_names_per_region_of_a_two_region_stack():
    raw = with_(f"images.win2025-base.regions", ["uksouth", "eastus"])
    raw = with_("fleets", {"lon": fleet(count=1), "nyc": fleet(region="eastus", count=1)}, raw)
    raw = with_("captures", {"ref": {"region": "eastus"}}, with_("network.eastus", {
        "addressSpace": "10.30.0.0/16", "workloadSubnet": "10.30.1.0/24"}, raw))
    raw = with_("patching", {"mode": "scheduled"}, raw)
    scopes = generated_names(load_raw(raw))
    east = "resource group rg-imgfactory-fleet-dev-eus"
    assert scopes[("the subscription", "resource group")][:2] == [
        ("fleets.nyc.region", "rg-imgfactory-fleet-dev-eus"), ("fleets.lon.region", "rg-imgfactory-fleet-dev-uks")]
    assert scopes[(east, "maintenance configuration")] == [("patching", "mc-imgfactory-patch-dev-eus")]
    assert scopes[(east, "virtual machine")] == [("fleets.nyc", "vm-nyc-000"), ("captures.ref", "vm-ref-ref")]
    assert scopes[(east, "network interface")] == [("fleets.nyc", "nic-nyc-000"), ("captures.ref", "nic-ref-ref")]
    assert scopes[(east, "image")] == [("captures.ref", "img-captured-ref")]
    assert scopes[("gallery gal_imgfactory_dev_uks", "image definition")] == [
        ("images.win2025-base", "win2025-base"), ("images.win2025-app", "win2025-app")]


def test_generated_names_after_a_scale_set_and_of_published_captures():
    raw = with_("fleets", {"big": fleet(count=4, mode="scaleset"), "web": fleet(count=1)})  # scale set first
    raw = with_("captures", {"ref": {"region": "uksouth", "publish": {"image": "win2025-base", "version": "0.1.0"}}},
                with_("resourceGroup", "rg-chosen", raw))
    scopes = generated_names(load_raw(raw))
    rg = "resource group rg-imgfactory-fleet-dev-uks"
    assert scopes[(rg, "virtual machine")] == [("fleets.web", "vm-web-000"), ("captures.ref", "vm-ref-ref")]
    assert scopes[("image definition win2025-base", "image version")] == [("captures.ref.publish.version", "0.1.0")]
    assert scopes[("the subscription", "resource group")][-1] == ("resourceGroup", "rg-chosen")


@pytest.mark.parametrize("nat, hub", [("uksouth", "eastus"), ("eastus", "uksouth")])
def test_egress_names_per_region_and_only_where_fleets_run(nat, hub):
    raw = with_(f"images.win2025-base.regions", ["uksouth", "eastus"])
    raw = with_("fleets", {"lon": fleet(count=1), "nyc": fleet(region="eastus", count=1)}, raw)
    # A network without fleets first: the regions after it must still be named.
    raw["network"] = {"westeurope": {"addressSpace": "10.40.0.0/16", "workloadSubnet": "10.40.1.0/24"},
                      "uksouth": {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/24"},
                      "eastus": {"addressSpace": "10.30.0.0/16", "workloadSubnet": "10.30.1.0/24"}}
    raw["network"][hub]["egress"] = {"type": "hub", "nextHopIp": "10.0.1.4"}
    scopes = generated_names(load_raw(raw))
    code = {"uksouth": "uks", "eastus": "eus"}
    at = {region: f"resource group rg-imgfactory-fleet-dev-{code[region]}" for region in code}
    assert scopes[(at[nat], "NAT gateway")] == [(f"network.{nat}.egress", f"ng-imgfactory-dev-{code[nat]}")]
    assert scopes[(at[nat], "public IP prefix")] == [(f"network.{nat}.egress",
                                                      f"ippre-imgfactory-egress-dev-{code[nat]}")]
    assert scopes[(at[hub], "route table")] == [(f"network.{hub}.egress", f"rt-imgfactory-dev-{code[hub]}")]
    assert (at[hub], "NAT gateway") not in scopes and (at[nat], "route table") not in scopes
    # westeurope has a network but no fleet: FleetNetwork is not created there, so no names.
    assert not [k for k in scopes if "weu" in k[0]]


def test_the_names_of_roles_on_scopes_outside_the_stack():
    vnet = "/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet-a"
    group = "/subscriptions/88888888-0000-0000-0000-000000000000/resourceGroups/rg-golden"
    names = Names("prod", "uksouth", "o@example.com", {})
    assert names.builder_scope_role("networking", vnet) == (
        "Image Factory Image Builder networking (rg-spoke/vnet-a, subscription 99999999-0000-0000-0000-000000000000, "
        "stack prod-uks)")
    assert names.builder_scope_role("source images", group) == (
        "Image Factory Image Builder source images (rg-golden, subscription 88888888-0000-0000-0000-000000000000, "
        "stack prod-uks)")


def test_an_imported_disk_image_and_version_are_named_after_the_files_digest():
    a, b = "sha256:" + "9ea81840" + "0" * 56, "sha256:" + "4fbb8a91" + "f" * 56
    assert NAMES.import_disk("ws2016", a) == "disk-import-ws2016-9ea81840"  # the digest, not "sha256:"
    assert NAMES.import_image("ws2016", a) == "img-import-ws2016-9ea81840"
    assert NAMES.import_disk("ws2016", a) != NAMES.import_disk("ws2016", b)
    assert NAMES.import_version(1, a) == f"1.0.{0x9ea8184}" != NAMES.import_version(1, b)
    # Each part of a version name is an int32 (rules.VERSION); seven hex digits stay below 2^28.
    highest = NAMES.import_version(7, "sha256:" + "f" * 64)
    assert rules.VERSION.fullmatch(highest) and int(highest.rsplit(".", 1)[1]) < 2 ** 31
    assert rules.MANAGED_IMAGE_NAME.fullmatch(NAMES.import_image("x" * 80, a))
