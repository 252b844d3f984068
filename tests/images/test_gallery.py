from tests.graph import DEFINITION, GALLERY, RG, TEMPLATE, each, one, resources, under
from offline.plan import plan


def test_every_image_gets_a_trusted_launch_capable_windows_definition(stack_plan):
    # Except those of a generation 1 disk from Hyper-V and of builds on one (the onprem stack): V1, Standard.
    for d in each(stack_plan, DEFINITION):
        i = d["inputs"]
        generation = "V1" if stack_plan["stack"] == "onprem" else "V2"
        assert (i["osType"], i["osState"], i["hyperVGeneration"], i["architecture"]) == (
            "Windows", "Generalized", generation, "x64")
        # A definition built from a managed image (a normal source) is normal: no SecurityType (issue 21 item 1);
        # so is a V1 one: Trusted Launch needs generation 2.
        built_from_managed_image = any(t["inputs"]["source"]["type"] == "ManagedImage" for t in resources(stack_plan, TEMPLATE)
                                       if t["urn"].split("::")[-1] == f"{d['name'][len('def-'):]}-template")
        if built_from_managed_image or generation == "V1":
            assert not i.get("features")
        else:
            assert {"name": "SecurityType", "value": "TrustedLaunchSupported"} in i["features"]
        assert set(i["identifier"]) == {"publisher", "offer", "sku"}
        assert i["galleryName"] == one(stack_plan, GALLERY)["inputs"]["galleryName"]


def test_definition_carries_identifier_recommendation_and_end_of_life_from_config():
    prod = plan("prod")
    base = one(prod, DEFINITION, "def-win2025-base")["inputs"]
    assert base["identifier"] == {"publisher": "ContosoFinance", "offer": "WindowsServer2025",
                                  "sku": "datacenter-azure-edition-base"}
    assert base["recommended"] == {"vCPUs": {"min": 2, "max": 32}, "memory": {"min": 8, "max": 256}}
    assert base["endOfLifeDate"] == "2034-10-10T00:00:00Z"
    assert "endOfLifeDate" not in one(prod, DEFINITION, "def-win2025-app")["inputs"]


def test_prod_protects_what_fleets_boot_from_and_dev_protects_nothing(plans):
    prod = plans["prod"]
    assert under(prod, RG, "gallery")["options"]["protect"]
    for type_ in (GALLERY, DEFINITION):
        assert all(r["options"]["protect"] for r in each(prod, type_)), type_
    assert not any(r["options"]["protect"] for r in plans["dev"]["resources"])


def test_names_follow_the_convention_per_stack(plans):
    assert one(plans["dev"], GALLERY)["inputs"]["galleryName"] == "gal_imgfactory_dev_uks"
    assert under(plans["prod"], RG, "gallery")["inputs"]["resourceGroupName"] == "rg-imgfactory-prod-uks"
    assert plans["prod"]["outputs"]["galleryId"].endswith(
        "/resourceGroups/rg-imgfactory-prod-uks/providers/Microsoft.Compute/galleries/gal_imgfactory_prod_uks")


def test_configured_gallery_name_wins():
    doc = plan("dev", overrides={"image-factory:gallery": {"name": "gal_finance_golden"}})
    assert one(doc, GALLERY)["inputs"]["galleryName"] == "gal_finance_golden"


def test_prod_locks_the_gallery_so_built_versions_cannot_be_deleted(plans):
    [lock] = resources(plans["prod"], "azure-native:authorization:ManagementLockByScope")
    assert lock["inputs"]["level"] == "CanNotDelete"
    assert lock["inputs"]["scope"] == plans["prod"]["outputs"]["galleryId"]
    assert lock["options"]["protect"]
    assert not resources(plans["dev"], "azure-native:authorization:ManagementLockByScope")
