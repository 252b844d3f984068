"""Each way a fleet can get its image, and that consumers take versions from what produced them."""

from tests.graph import BUILD, IMAGE, REPLICAS, TEMPLATE, VM, VMSS, by_urn, depends_on, resources, stack_value, under
from offline.plan import plan


def test_build_sits_between_template_and_consumers(plans):
    dev = plans["dev"]
    build = under(dev, BUILD, "win2025-base")
    template = under(dev, TEMPLATE, "win2025-base")
    assert build["inputs"]["template_name"] == template["inputs"]["imageTemplateName"]
    assert depends_on(dev, build, TEMPLATE) == [template]
    assert build["inputs"]["run_output_name"] == template["inputs"]["distribute"][0]["runOutputName"]
    [replicas] = resources(dev, REPLICAS)
    assert depends_on(dev, replicas, BUILD) == [build]
    for vm in resources(dev, VM):
        # template -> build -> replicas -> VM: a VM waits until its version has its replicas.
        assert depends_on(dev, vm, REPLICAS) == [replicas]
        # The version does not exist before the build: a preview cannot know it, and nothing guesses it.
        assert vm["inputs"]["storageProfile"]["imageReference"] == {"id": "[unknown]"}
    assert dev["outputs"]["imageVersions"] == {"win2025-base": "[unknown]"}


def test_build_waits_no_longer_than_the_template_allows(plans):
    for build in resources(plans["prod"], BUILD):
        assert build["inputs"]["build_timeout_minutes"] == 240
        assert build["inputs"]["api_version"] == "2024-02-01"


def test_pinned_image_has_no_template_and_no_build():
    images = stack_value("prod", "image-factory:images")
    for image in images.values():
        image["pinned"] = {"version": "1.0.42"}
    doc = plan("prod", overrides={"image-factory:images": images})
    assert not resources(doc, TEMPLATE) and not resources(doc, BUILD)
    assert not resources(doc, "azure-native:managedidentity:UserAssignedIdentity")
    version = doc["outputs"]["imageVersions"]["win2025-base"]
    assert version.endswith("/galleries/gal_imgfactory_prod_uks/images/win2025-base/versions/1.0.42")
    lon_web = under(doc, VMSS, "lon-web")["inputs"]["virtualMachineProfile"]["storageProfile"]["imageReference"]
    assert lon_web == {"id": version}


def test_pinned_version_from_another_gallery_is_consumed_as_given():
    dev_definition = ("/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/rg-imgfactory-dev-uks"
                      "/providers/Microsoft.Compute/galleries/gal_imgfactory_dev_uks/images/win2025-base")
    images = stack_value("prod", "image-factory:images")
    images["win2025-base"]["pinned"] = {"version": "1.0.7", "definitionId": dev_definition}
    doc = plan("prod", overrides={"image-factory:images": images})
    assert doc["outputs"]["imageVersions"]["win2025-base"] == f"{dev_definition}/versions/1.0.7"
    assert [by_urn(doc)[r["parent"]]["name"] for r in resources(doc, TEMPLATE)] == ["win2025-app"]


def test_fleet_image_version_pins_that_fleet_only():
    fleets = stack_value("prod", "image-factory:fleets")
    fleets["nyc-web"]["imageVersion"] = "1.0.3"
    doc = plan("prod", overrides={"image-factory:fleets": fleets})
    nyc = under(doc, VMSS, "nyc-web")
    assert nyc["inputs"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["id"].endswith(
        "/images/win2025-base/versions/1.0.3")
    assert not depends_on(doc, nyc, BUILD) and not depends_on(doc, nyc, REPLICAS)
    assert depends_on(doc, under(doc, VMSS, "lon-web"), REPLICAS)


def test_managed_image_fleets_boot_standard_from_the_image_that_produced_it(plans):
    capture = plans["capture"]
    [captured] = resources(capture, IMAGE)
    for vm in resources(capture, VM):
        fleet = vm["parent"].rsplit("::", 1)[-1]
        if fleet == "cap-vms":
            assert vm["inputs"]["storageProfile"]["imageReference"] == {"id": capture["outputs"]["capturedImages"]["ref2025"]}
            assert depends_on(capture, vm, IMAGE) == [captured]
        else:
            continue
        assert vm["inputs"]["securityProfile"]["securityType"] == "Standard"
