"""Each way a fleet can get its image, and that consumers take versions from what produced them."""

from tests.graph import BUILD, IMAGE, REPLICAS, TEMPLATE, VM, VMSS, by_urn, depends_on, each, resources, stack_value, under
from tests.graph import BUILDS, plan_stack
import pytest

from components.config.loading import ConfigError
from offline.plan import plan


def test_build_sits_between_template_and_consumers(plans):
    dev = plans["dev"]
    build = under(dev, BUILD, "win2025-base")
    template = under(dev, TEMPLATE, "win2025-base")
    assert build["inputs"]["template_name"] == template["inputs"]["imageTemplateName"]
    assert depends_on(dev, build, TEMPLATE) == [template]
    assert build["inputs"]["run_output_name"] == template["inputs"]["distribute"][0]["runOutputName"]
    replicas = under(dev, REPLICAS, "win2025-base")
    assert depends_on(dev, replicas, BUILD) == [build]
    for vm in each(dev, VM):
        # template -> build -> replicas -> VM: a VM waits until its version has its replicas.
        assert depends_on(dev, vm, REPLICAS) == [replicas]
        # The version does not exist before the build: a preview cannot know it, and nothing guesses it.
        assert vm["inputs"]["storageProfile"]["imageReference"] == {"id": "[unknown]"}
    assert dev["outputs"]["imageVersions"] == {"win2025-base": "[unknown]", "win2025-app": "[unknown]"}


def test_build_waits_no_longer_than_the_template_allows(plans):
    for build in each(plans[BUILDS], BUILD):
        assert build["inputs"]["build_timeout_minutes"] == 240
        assert build["inputs"]["api_version"] == "2024-02-01"


def test_pinned_image_has_no_template_and_no_build():
    images = stack_value(BUILDS, "image-factory:images")
    for image in images.values():
        image["pinned"] = {"version": "1.0.42", "regions": ["uksouth", "eastus"]}
    doc = plan_stack(BUILDS, overrides={"image-factory:images": images})
    assert not resources(doc, TEMPLATE) and not resources(doc, BUILD)
    assert not resources(doc, "azure-native:managedidentity:UserAssignedIdentity")
    version = doc["outputs"]["imageVersions"]["win2025-base"]
    assert version.endswith("/galleries/gal_imgfactory_prod_uks/images/win2025-base/versions/1.0.42")
    lon_web = under(doc, VMSS, "lon-web")["inputs"]["virtualMachineProfile"]["storageProfile"]["imageReference"]
    assert lon_web == {"id": version}


def test_pinned_version_from_another_gallery_is_consumed_as_given():
    dev_definition = ("/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/rg-imgfactory-dev-uks"
                      "/providers/Microsoft.Compute/galleries/gal_imgfactory_dev_uks/images/win2025-base")
    images = stack_value(BUILDS, "image-factory:images")
    images["win2025-base"]["pinned"] = {"version": "1.0.7", "definitionId": dev_definition,
                                        "regions": ["uksouth", "eastus"]}
    doc = plan_stack(BUILDS, overrides={"image-factory:images": images})
    assert doc["outputs"]["imageVersions"]["win2025-base"] == f"{dev_definition}/versions/1.0.7"
    assert [by_urn(doc)[r["parent"]]["name"] for r in resources(doc, TEMPLATE)] == ["win2025-app"]


def test_fleet_image_version_pins_that_fleet_only():
    fleets = stack_value(BUILDS, "image-factory:fleets")
    fleets["nyc-web"]["imageVersion"] = "1.0.3"
    images = stack_value(BUILDS, "image-factory:images")
    images["win2025-base"]["existingVersions"] = {"1.0.3": ["eastus"]}
    doc = plan_stack(BUILDS, overrides={"image-factory:fleets": fleets, "image-factory:images": images})
    nyc = under(doc, VMSS, "nyc-web")
    assert nyc["inputs"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["id"].endswith(
        "/images/win2025-base/versions/1.0.3")
    assert not depends_on(doc, nyc, BUILD) and not depends_on(doc, nyc, REPLICAS)
    assert depends_on(doc, under(doc, VMSS, "lon-web"), REPLICAS)


def test_managed_image_fleets_boot_standard_from_the_image_that_produced_it(plans):
    capture = plans["capture"]
    [captured] = resources(capture, IMAGE)
    for vm in each(capture, VM):
        fleet = vm["parent"].rsplit("::", 1)[-1]
        if fleet == "cap-vms":
            assert vm["inputs"]["storageProfile"]["imageReference"] == {"id": capture["outputs"]["capturedImages"]["ref2025"]}
            assert depends_on(capture, vm, IMAGE) == [captured]
        else:
            continue
        assert vm["inputs"]["securityProfile"]["securityType"] == "Standard"


def _pinned_to_dev_version(regions: list[str]) -> dict:
    images = stack_value(BUILDS, "image-factory:images")
    images["win2025-base"]["pinned"] = {"version": "1.0.7", "regions": regions}
    return {"image-factory:images": images}


def test_a_pinned_version_must_live_where_its_fleets_run():
    # A version promoted from dev that lives in London only cannot boot the New York fleet.
    with pytest.raises(ConfigError) as error:
        plan_stack(BUILDS, overrides=_pinned_to_dev_version(["uksouth"]))
    assert str(error.value) == (
        "Pulumi.prod.yaml: image-factory:fleets.nyc-web.region = 'eastus': must be one of the regions version 1.0.7 "
        "of image win2025-base is replicated to (uksouth): replicate it there first, or boot another version")


def test_a_fleet_image_version_must_be_listed_with_its_regions():
    fleets = stack_value(BUILDS, "image-factory:fleets")
    fleets["nyc-web"]["imageVersion"] = "1.0.3"
    with pytest.raises(ConfigError) as error:
        plan_stack(BUILDS, overrides={"image-factory:fleets": fleets})
    assert str(error.value) == (
        "Pulumi.prod.yaml: image-factory:fleets.nyc-web.imageVersion = '1.0.3': must be listed in "
        "images.win2025-base.existingVersions with the regions it is replicated to (or be the pinned version)")


def test_preview_asks_azure_where_a_pinned_version_really_lives():
    # The stack file says London and New York; Azure (at preview, with credentials) says London only.
    version = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-imgfactory-prod-uks/providers/"
               "Microsoft.Compute/galleries/gal_imgfactory_prod_uks/images/win2025-base/versions/1.0.7")
    with pytest.raises(ConfigError) as error:
        plan_stack(BUILDS, overrides=_pinned_to_dev_version(["uksouth", "eastus"]), replicas={version: ["UK South"]})
    assert str(error.value) == (
        f"image version {version} has no replica in eastus (Azure lists uksouth): replicate it there first "
        "(az sig image-version update --add publishingProfile.targetRegions name=eastus), or boot another version")
    # Where Azure agrees, the fleets boot it.
    doc = plan_stack(BUILDS, overrides=_pinned_to_dev_version(["uksouth", "eastus"]),
               replicas={version: ["UK South", "East US"]})
    nyc = under(doc, VMSS, "nyc-web")["inputs"]["virtualMachineProfile"]["storageProfile"]["imageReference"]
    assert nyc == {"id": version}
