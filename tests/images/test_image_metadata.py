"""The user's own metadata and identities in a recipe (issue 12): managedResourceTags, artifactTags, the
build VM's identities, an explicit version name and a VHD output. Each reaches the template as Image
Builder's types spell it, is part of the content hash, and conforms to Azure's published types."""

from __future__ import annotations

import copy

import pytest

from components.config.loading import ConfigError
from offline.plan import plan
from tests.conformance.test_conformance import MUST_VALIDATE, _conformance_problems
from tests.graph import TEMPLATE, one, stack_value

IDENTITY = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-build/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/id-build-feeds")
EXTRAS = {"managedResourceTags": {"cost-centre": "it-platform", "policy-exempt": "no"},
          "artifactTags": {"release": "2026.12"}, "vhd": True, "versioning": {"version": "2.3.4"}}


def _image(**extra) -> dict:
    image = stack_value("dev", "image-factory:images")["win2025-base"]
    image.update(copy.deepcopy(extra))
    image["build"]["userAssignedIdentities"] = [IDENTITY]
    return image


@pytest.fixture(scope="module")
def doc() -> dict:
    return plan("dev", overrides={"image-factory:images": {"win2025-base": _image(**EXTRAS)}})


def test_the_users_metadata_reaches_the_template(doc):
    inputs = one(doc, TEMPLATE)["inputs"]
    assert inputs["managedResourceTags"]["cost-centre"] == "it-platform"
    assert inputs["managedResourceTags"]["purpose"] == "image-build"  # the program's own stay
    assert inputs["vmProfile"]["userAssignedIdentities"] == [IDENTITY]
    shared, vhd = inputs["distribute"]
    assert shared["artifactTags"]["release"] == "2026.12" and shared["artifactTags"]["image"] == "win2025-base"
    assert shared["galleryImageId"].endswith("/images/win2025-base/versions/2.3.4") and "versioning" not in shared
    # The month's rebuild marker (images.<name>.rebuild) is on what the build makes too: which month a version has.
    assert vhd == {"type": "VHD", "runOutputName": "win2025-base-vhd", "artifactTags": {"release": "2026.12",
                                                                                       "image": "win2025-base",
                                                                                       "rebuild": "2026-12"}}


def test_the_template_conforms_to_azures_types(doc, schema_dir):
    assert not _conformance_problems("dev", doc, schema_dir, MUST_VALIDATE)


@pytest.mark.parametrize("key, value", [(k, v) for k, v in EXTRAS.items()] + [("build", None)])
def test_each_is_part_of_the_recipe_hash(key, value):
    plain = stack_value("dev", "image-factory:images")["win2025-base"]
    with_one = copy.deepcopy(plain)
    if key == "build":
        with_one["build"]["userAssignedIdentities"] = [IDENTITY]
    else:
        with_one[key] = value
    names = [one(plan("dev", overrides={"image-factory:images": {"win2025-base": image}}), TEMPLATE)
             ["inputs"]["imageTemplateName"] for image in (plain, with_one)]
    assert names[0] != names[1]


def test_an_explicit_version_cannot_be_rebuilt_by_a_trigger():
    image = _image(versioning={"version": "2.3.4"}, rebuildOnNewBaseImage=True)
    with pytest.raises(ConfigError) as error:
        plan("dev", overrides={"image-factory:images": {"win2025-base": image}})
    assert "image-factory:images.win2025-base.versioning.version = '2.3.4': cannot be combined with " \
           "rebuildOnNewBaseImage" in str(error.value)
