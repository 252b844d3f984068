"""Layered images: prod's app image is built on the version its base image's build produced, in the
same graph, and a new base recipe means a new app template."""

from __future__ import annotations

import pytest

from offline.plan import plan
from tests.graph import BUILD, REPLICAS, TEMPLATE, depends_on, parent_name, plan_error, resources, stack_value, under
from tests.graph import BUILDS, plan_stack

VERSION_ID = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-images/providers/"
              "Microsoft.Compute/galleries/gal/images/win2025-base/versions/1.0.3")


def _template(doc: dict, image: str) -> dict:
    return under(doc, TEMPLATE, image)


def test_prods_app_image_builds_on_the_base_images_build(plans):
    doc = plans[BUILDS]
    app, base = _template(doc, "win2025-app"), _template(doc, "win2025-base")
    assert app["inputs"]["source"] == {"type": "SharedImageVersion", "imageVersionId": "[unknown]"}
    assert [parent_name(b) for b in depends_on(doc, app, BUILD)] == ["win2025-base"]
    assert not depends_on(doc, app, REPLICAS), "the app build must not wait for the base's other regions"
    assert base["inputs"]["source"]["type"] == "PlatformImage"


def test_a_new_base_recipe_means_a_new_app_template(plans):
    images = stack_value(BUILDS, "image-factory:images")
    images["win2025-base"]["customize"][0]["inline"].append("Write-Output 'hardened further'")
    doc = plan_stack(BUILDS, overrides={"image-factory:images": images})
    before = {parent_name(t): t["inputs"]["imageTemplateName"] for t in resources(plans[BUILDS], TEMPLATE)}
    after = {parent_name(t): t["inputs"]["imageTemplateName"] for t in resources(doc, TEMPLATE)}
    assert after["win2025-base"] != before["win2025-base"] and after["win2025-app"] != before["win2025-app"]


def test_an_existing_version_can_be_the_source():
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["source"] = {"imageVersionId": VERSION_ID}
    images.pop("win2025-app")
    [template] = resources(plan("dev", overrides={"image-factory:images": images}), TEMPLATE)
    assert template["inputs"]["source"] == {"type": "SharedImageVersion", "imageVersionId": VERSION_ID}


@pytest.mark.parametrize("base, allowed", [
    ("win2025-app", "must be another image of this stack to build on: win2025-base"),
    ("win2019", "must be another image of this stack to build on: win2025-base"),
])
def test_a_layer_needs_another_image_of_the_stack(base, allowed):
    images = stack_value(BUILDS, "image-factory:images")
    images["win2025-app"]["source"] = {"image": base}
    message = plan_error(BUILDS, {"image-factory:images": images})
    assert message == f"Pulumi.prod.yaml: image-factory:images.win2025-app.source.image = '{base}': {allowed}"


def test_layers_cannot_form_a_cycle():
    images = stack_value(BUILDS, "image-factory:images")
    images["win2025-base"]["source"] = {"image": "win2025-app"}
    message = plan_error(BUILDS, {"image-factory:images": images})
    assert "must not build on an image that builds on win2025-" in message


def test_a_source_is_a_marketplace_image_or_a_version_never_both():
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["source"] = {"sku": "2025-datacenter-g2", "image": "other"}
    message = plan_error("dev", {"image-factory:images": images})
    assert message.endswith(
        "give one of: a marketplace image (publisher, offer, sku, version), image, imageVersionId, capture, vhdImport or "
        "managedImageId")
