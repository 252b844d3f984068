"""`pulumi destroy` of an unprotected stack succeeds (issue 8, item 5), read off the offline plan's graph.

Pulumi deletes a resource only after everything that depends on it. So "A is deleted before B" is "A depends
on B, directly or through others". The order destroy needs:

    fleets -> VersionReplicas -> ImageBuild (cancels a run in progress) -> template (and its trigger)
           -> DefinitionVersions (deletes the versions Image Builder wrote) -> definition -> gallery
"""

from __future__ import annotations

from tests.graph import BUILDS, plan_stack

from offline.plan import plan
from tests.graph import (BUILD, DEFINITION, DEFINITION_VERSIONS, GALLERY, REPLICAS, TEMPLATE, VERSION, VM, by_urn,
                         each, one, parent_name, resources, stack_value, under)


def deleted_before(doc: dict, first: dict, then: dict) -> bool:
    """Whether Pulumi's delete of `first` must finish before `then`'s: `first` depends on `then`, at any depth."""
    index, seen, todo = by_urn(doc), set(), list(first["dependsOn"])
    while todo:
        urn = todo.pop()
        if urn == then["urn"]:
            return True
        if urn not in seen:
            seen.add(urn)
            todo.extend(index[urn]["dependsOn"])
    return False


def test_unprotected_stacks_have_one_version_cleanup_per_definition_under_the_gallery(plans):
    for stack in ("dev", "capture"):
        doc = plans[stack]
        definitions = resources(doc, DEFINITION)
        cleanups = resources(doc, DEFINITION_VERSIONS)
        assert sorted(c["name"] for c in cleanups) == sorted(f"versions-{d['inputs']['galleryImageName']}"
                                                             for d in definitions), stack
        for cleanup in cleanups:
            assert parent_name(cleanup) == "gallery"
            image = cleanup["name"].removeprefix("versions-")
            inputs = cleanup["inputs"]
            assert inputs["gallery_image_name"] == image
            assert inputs["gallery_name"] == one(doc, GALLERY)["inputs"]["galleryName"]
            assert inputs["subscription_id"] == doc["outputs"]["galleryId"].split("/")[2]


def test_prod_keeps_its_versions(plans):
    assert not resources(plans[BUILDS], DEFINITION_VERSIONS)


def test_destroy_order_builds_and_templates_then_versions_then_definition(plans):
    doc = plans["dev"]
    for template in each(doc, TEMPLATE):
        image = parent_name(template)
        definition = one(doc, DEFINITION, f"def-{image}")
        cleanup = one(doc, DEFINITION_VERSIONS, f"versions-{image}")
        build, replicas = under(doc, BUILD, image), under(doc, REPLICAS, image)
        assert cleanup["urn"] in template["dependsOn"]
        assert definition["urn"] in cleanup["dependsOn"]
        assert deleted_before(doc, cleanup, definition)
        assert deleted_before(doc, template, cleanup)
        assert deleted_before(doc, build, template) and deleted_before(doc, build, cleanup)
        assert deleted_before(doc, replicas, cleanup)
        # ImageBuild cancels a run before its template's delete: nothing may put it after the template.
        assert not deleted_before(doc, template, build)
        for vm in (v for v in each(doc, VM) if v["inputs"]["tags"]["image"] == image):  # VMs booting a version go before the versions do
            assert deleted_before(doc, vm, cleanup)


def test_trigger_goes_before_the_versions_it_could_write():
    doc = plan("dev", overrides={"image-factory:images": _with_trigger()})
    [trigger] = resources(doc, "azure-native:virtualmachineimages:Trigger")
    assert deleted_before(doc, trigger, one(doc, DEFINITION_VERSIONS))


def test_published_capture_version_goes_before_the_cleanup_of_its_definition(plans):
    doc = plans["capture"]
    for version in each(doc, VERSION):
        image = version["inputs"]["galleryImageName"]
        assert deleted_before(doc, version, one(doc, DEFINITION_VERSIONS, f"versions-{image}"))


def _with_trigger() -> dict:
    images = stack_value("dev", "image-factory:images")
    images.pop("win2025-app")  # a trigger watches a marketplace source; the app image builds on the base
    for image in images.values():
        image["rebuildOnNewBaseImage"] = True
        image.setdefault("source", {})["version"] = "latest"
    return images
