"""Managed images as build sources: one this stack captured (source.capture: the capture path feeding Image
Builder, shipped in the capture stack) or an existing one (source.managedImageId). The identity may read
the source where it lives; a new capture recipe is a new template."""

from __future__ import annotations

import pytest

from components.images.build_identity import SOURCE_READ_ACTIONS
from offline.plan import plan
from tests.config.loading import clipped
from tests.graph import (ASSIGNMENT, IMAGE, ROLE, ROLE_PROPAGATION, TEMPLATE, depends_on, one, parent_name,
                         plan_error, resources, stack_value, under)

LAYERED = "win2025-ref-hardened"
FLEET_RG = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-imgfactory-fleet-capture-uks"
IMAGE_ID = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-golden/providers/"
            "Microsoft.Compute/images/img-ws2025-golden")
VERSION_ID = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-images/providers/"
              "Microsoft.Compute/galleries/gal/images/win2025-base/versions/1.0.3")


def _names(doc: dict) -> dict[str, str]:
    return {parent_name(t): t["inputs"]["imageTemplateName"] for t in resources(doc, TEMPLATE)}


def test_the_capture_stack_builds_on_the_image_it_captured(plans):
    doc = plans["capture"]
    template = under(doc, TEMPLATE, LAYERED)
    assert template["inputs"]["source"]["type"] == "ManagedImage"
    captured = one(doc, IMAGE, "ref2025-image")
    assert captured in depends_on(doc, template, IMAGE), "the build must wait for the captured image"
    assert template["inputs"]["distribute"][0]["artifactTags"]["source-image"] == "capture:ref2025"
    # A captured (Standard) source is not TrustedLaunchSupported: a managed image output is allowed.
    assert [d["type"] for d in template["inputs"]["distribute"]] == ["SharedImage", "ManagedImage"]


def test_the_identity_may_read_images_where_the_capture_keeps_them_and_templates_wait_for_it(plans):
    doc = plans["capture"]
    role = one(doc, ROLE, "source-role-capture-uksouth")["inputs"]
    read = one(doc, ASSIGNMENT, "source-read-capture-uksouth")
    assert role["scope"] == read["inputs"]["scope"] == FLEET_RG and role["assignableScopes"] == [FLEET_RG]
    assert role["permissions"][0]["actions"] == SOURCE_READ_ACTIONS
    assert read in depends_on(doc, one(doc, ROLE_PROPAGATION), ASSIGNMENT)
    assert read in depends_on(doc, under(doc, TEMPLATE, LAYERED), ASSIGNMENT)


def test_a_new_capture_recipe_is_a_new_template_and_its_publish_target_is_not(plans):
    before = _names(plans["capture"])
    captures = stack_value("capture", "image-factory:captures")
    captures["ref2025"]["size"] = "Standard_D4s_v5"
    resized = _names(plan("capture", overrides={"image-factory:captures": captures}))
    assert resized[LAYERED] != before[LAYERED] and resized["win2025-base"] == before["win2025-base"]
    captures = stack_value("capture", "image-factory:captures")
    captures["ref2025"]["publish"]["version"] = "0.2.0"
    assert _names(plan("capture", overrides={"image-factory:captures": captures}))[LAYERED] == before[LAYERED]


@pytest.mark.parametrize("source, kind, key", [
    ({"managedImageId": IMAGE_ID}, "ManagedImage", "imageId"),
    ({"imageVersionId": VERSION_ID}, "SharedImageVersion", "imageVersionId"),
])
def test_an_existing_custom_source_is_read_where_it_lives(source, kind, key):
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["source"] = source
    images.pop("win2025-app")
    doc = plan("dev", overrides={"image-factory:images": images, "image-factory:fleets": {}})
    [template] = resources(doc, TEMPLATE)
    given = next(iter(source.values()))
    assert template["inputs"]["source"] == {"type": kind, key: given}
    group = "/".join(given.split("/")[:5])
    [role] = [r for r in resources(doc, ROLE) if r["name"].startswith("source-role-")]
    assert role["inputs"]["scope"] == group and role["inputs"]["assignableScopes"] == [group]
    # The source group's own subscription, which may differ from the stack's (a gallery version elsewhere).
    assert role["inputs"]["roleName"] == (f"Image Factory Image Builder source images ({group.rsplit('/', 1)[-1]}, "
                                          f"subscription {group.split('/')[2]}, stack dev-uks)")


def test_a_marketplace_build_reads_no_other_group(plans):
    assert not [r for r in resources(plans["dev"], ROLE) if r["name"].startswith("source-role-")]


def test_a_source_in_the_gallerys_group_or_the_captures_group_adds_no_second_role():
    # The distribution role already reads the gallery's group; a captured image's group has its role already:
    # a second role of the same name there would be refused (role names are unique per tenant).
    gallery_rg = FLEET_RG.replace("rg-imgfactory-fleet-capture-uks", "rg-imgfactory-capture-uks")
    images = stack_value("capture", "image-factory:images")
    images["win2025-base"]["source"] = {"managedImageId": f"{FLEET_RG}/providers/Microsoft.Compute/images/other"}
    images["win2025-extra"] = {**images[LAYERED], "identifier": {"publisher": "ContosoFinance",
                                                                 "offer": "WindowsServer2025", "sku": "extra"},
                               "source": {"managedImageId": f"{gallery_rg}/providers/Microsoft.Compute/images/x"}}
    fleets = {"cap-vms": stack_value("capture", "image-factory:fleets")["cap-vms"]}  # big-ss boots a Standard image now
    doc = plan("capture", overrides={"image-factory:images": images, "image-factory:fleets": fleets})
    assert [r["name"] for r in resources(doc, ROLE) if r["name"].startswith("source-role-")] == [
        "source-role-capture-uksouth"]


def _error(stack: str, image: str, change: dict, captures: dict | None = None) -> str:
    images = stack_value(stack, "image-factory:images")
    images[image].update(change)
    overrides = {"image-factory:images": images, **({"image-factory:captures": captures} if captures else {})}
    return plan_error(stack, overrides)


def test_a_capture_source_must_name_a_capture():
    assert _error("capture", LAYERED, {"source": {"capture": "ref2019"}}) == (
        f"Pulumi.capture.yaml: image-factory:images.{LAYERED}.source.capture = 'ref2019': must be one of the "
        "captures: ref2025")


def test_a_capture_source_must_capture_in_the_stack_location():
    captures = stack_value("capture", "image-factory:captures")
    captures["ref2025"]["region"] = "eastus"
    network = stack_value("capture", "image-factory:network")
    network["eastus"] = {"addressSpace": "10.60.0.0/16", "workloadSubnet": "10.60.0.0/22"}
    images = stack_value("capture", "image-factory:images")
    message = plan_error("capture", {"image-factory:captures": captures, "image-factory:network": network,
                                     "image-factory:images": images})
    assert (f"Pulumi.capture.yaml: image-factory:images.{LAYERED}.source.capture = 'ref2025': must capture in "
            "uksouth, not eastus: Image Builder builds from a managed image in the template's region, the stack "
            "location") in message.split("\n")


def test_a_managed_image_id_must_be_one():
    bad = IMAGE_ID.replace("/images/", "/disks/")
    assert _error("dev", "win2025-base", {"source": {"managedImageId": bad}}) == (
        f"Pulumi.dev.yaml: image-factory:images.win2025-base.source.managedImageId = {clipped(repr(bad))}: must be a "
        "managed image ID: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/images/<name>")


def test_a_managed_image_output_is_refused_for_a_gallery_version_source():
    assert _error("dev", "win2025-base", {"source": {"imageVersionId": VERSION_ID}, "managedImage": True}) == (
        "Pulumi.dev.yaml: image-factory:images.win2025-base.managedImage = true: cannot be true for a gallery "
        "version source (TrustedLaunchSupported like these definitions): Gen2 Windows Server marketplace images are "
        "TrustedLaunchSupported, and Image Builder distributes such a source only to TrustedLaunchSupported targets, "
        "which a managed image is not; for a managed image use a capture (captures.<name>), or boot fleets from the "
        "gallery version")
