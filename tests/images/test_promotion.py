"""Promotion (components/images/promotion.py): prod builds nothing; each of its image versions is a copy of
the version dev built, found through dev's stack outputs, replicated to prod's regions."""

from __future__ import annotations

from offline.plan import plan
from tests.graph import BUILD, IDENTITY, TEMPLATE, VERSION, VM, depends_on, plan_error, resources, stack_value

DEV_DEFINITIONS = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-imgfactory-dev-uks/providers/"
                   "Microsoft.Compute/galleries/gal_imgfactory_dev_uks/images/")


def _copies(doc: dict) -> dict[str, dict]:
    return {r["inputs"]["galleryImageName"]: r for r in resources(doc, VERSION)}


def test_prod_runs_no_image_builder_and_copies_devs_versions(plans):
    prod = plans["prod"]
    assert not resources(prod, TEMPLATE) and not resources(prod, BUILD) and not resources(prod, IDENTITY)
    copies = _copies(prod)
    assert set(copies) == {"win2025-base", "win2025-app"}
    for image, copy in copies.items():
        i = copy["inputs"]
        # The pinned version of dev's definition, as dev's own plan exports it.
        assert plans["dev"]["outputs"]["imageDefinitionIds"][image] == DEV_DEFINITIONS + image
        assert i["storageProfile"] == {"source": {"id": f"{DEV_DEFINITIONS}{image}/versions/1.0.0"}}
        assert i["galleryImageVersionName"] == "1.0.0" and i["galleryName"] == "gal_imgfactory_prod_uks"
        assert {r["name"]: r["storageAccountType"] for r in i["publishingProfile"]["targetRegions"]} == {
            "uksouth": "Standard_ZRS", "eastus": "Standard_ZRS"}
        assert i["safetyProfile"] == {"allowDeletionOfReplicatedLocations": False, "blockDeletionBeforeEndOfLife": True}
        assert i["publishingProfile"]["endOfLifeDate"] == "2027-06-30T00:00:00Z"
        # retained, not protected: the next promotion replaces it create-first, and the old version stays in
        # Azure for the VMs still booting it (components/images/promotion.py)
        assert copy["options"]["retainOnDelete"] and not copy["options"]["protect"]
    # Replica counts from prod's fleets: 6 + 80 VMs boot the base in London, 6 + 120 in New York.
    base = {r["name"]: r["regionalReplicaCount"] for r in copies["win2025-base"]["inputs"]["publishingProfile"]["targetRegions"]}
    assert base == {"uksouth": 2, "eastus": 3}
    # The fleets boot the copy, which exists once every region has its replicas.
    vm = next(v for v in resources(prod, VM) if v["name"] == "vm-nyc-app-000")
    assert copies["win2025-app"] in depends_on(prod, vm, VERSION)
    assert vm["inputs"]["storageProfile"]["imageReference"]["id"].endswith(
        "/gal_imgfactory_prod_uks/images/win2025-app/versions/1.0.0")


def test_prods_time_to_a_running_fleet_is_the_copy_not_two_builds(plans):
    path = plans["prod"]["criticalPath"]
    assert path["minutes"] < 90 and max(path["fleetsReady"].values()) < 90
    assert "win2025-app-promoted" in [link["name"] for link in path["path"]]


def test_dev_builds_both_images_and_exports_them(plans):
    dev = plans["dev"]
    templates = {r["inputs"]["imageTemplateName"].rsplit("-", 1)[0] for r in resources(dev, TEMPLATE)}
    assert templates == {"it-win2025-base", "it-win2025-app"}
    app = next(t for t in resources(dev, TEMPLATE) if t["name"] == "win2025-app-template")
    assert app["inputs"]["source"]["type"] == "SharedImageVersion"  # layered on dev's base build
    assert set(dev["outputs"]["imageVersions"]) == {"win2025-base", "win2025-app"}
    assert dev["outputs"]["imageReplicas"] == {"win2025-base": {"uksouth": 1}, "win2025-app": {"uksouth": 1}}


def test_current_copies_what_the_stack_outputs_say_now():
    images = stack_value("prod", "image-factory:images")
    images["win2025-app"]["promote"]["version"] = "current"
    built = DEV_DEFINITIONS + "win2025-app/versions/1.0.7"
    doc = plan("prod", overrides={"image-factory:images": images}, stack_outputs={"dev": {
        "imageDefinitionIds": {"win2025-base": DEV_DEFINITIONS + "win2025-base", "win2025-app": DEV_DEFINITIONS + "win2025-app"},
        "imageVersions": {"win2025-base": DEV_DEFINITIONS + "win2025-base/versions/1.0.3", "win2025-app": built}}})
    copy = _copies(doc)["win2025-app"]["inputs"]
    assert copy["storageProfile"]["source"]["id"] == built and copy["galleryImageVersionName"] == "1.0.7"
    assert _copies(doc)["win2025-base"]["inputs"]["galleryImageVersionName"] == "1.0.0"


def test_a_promotion_names_a_version_or_current():
    images = stack_value("prod", "image-factory:images")
    images["win2025-app"]["promote"]["version"] = "latest"
    message = plan_error("prod", {"image-factory:images": images})
    assert message.startswith("Pulumi.prod.yaml: image-factory:images.win2025-app.promote.version = 'latest'")
