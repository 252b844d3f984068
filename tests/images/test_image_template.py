"""An image template is never updated in place: Image Builder answers a PUT on an existing template
with 409 ("Update/Upgrade of image templates is currently not supported") and azure-native updates with
a full PUT. So every config change either gives the template a new name (a new template, a new build)
or leaves every one of its inputs byte-identical. Walked here over every leaf of a real stack's image."""

from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest

from components.config.loading import ConfigError
from components.images.image_template import TemplateRefs, spec_hash, template_spec
from components.naming import Names
from offline.plan import plan
from tests.config import model
from tests.graph import TEMPLATE, one, stack_value

# The dev stack without fleets: the template is all this walk looks at, and planning VMs ~50 times
# would only cost time.
LEAN = {"image-factory:fleets": {}, "image-factory:network": {}}
IMAGE = "win2025-base"


def _template(overrides: dict) -> dict:
    return one(plan("dev", overrides={**LEAN, **overrides}), TEMPLATE, f"{IMAGE}-template")["inputs"]


def _leaves(node: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _mutated(value: Any) -> list[Any]:
    """Other values of the same kind, at least one of which the config model accepts."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    text = str(value)
    swaps = {"cleanup": "abort", "abort": "cleanup", "Standard_LRS": "Standard_ZRS", "latest": "26100.2894.250113",
             "10m": "15m", "Standard_D4ds_v5": "Standard_D8ds_v5", "uksouth": "ukwest"}
    return [swaps.get(text, text + "2"), text + "-x", text[:-1] + "9"]


def _set(root: dict, path: tuple, value: Any) -> dict:
    root = copy.deepcopy(root)
    node = root
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return root


def test_every_image_leaf_renames_the_template_or_leaves_it_untouched():
    images = stack_value("dev", "image-factory:images")
    before = _template({})
    renamed, refused = [], []
    for path in _leaves(images[IMAGE]):
        for value in _mutated(_get(images[IMAGE], path)):
            try:
                after = _template({"image-factory:images": {IMAGE: _set(images[IMAGE], path, value)}})
            except ConfigError:
                continue
            if after["imageTemplateName"] == before["imageTemplateName"]:
                assert after == before, f"{'.'.join(map(str, path))} = {value!r} changes the template in place"
            else:
                renamed.append(path)
            break
        else:
            refused.append(path)
    # The walk must have tested something: 25 of dev's leaves shape the template; description,
    # identifier and recommended shape only the definition; customizer types have no other valid value.
    assert len(renamed) >= 25, (len(renamed), refused)


def _get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


@pytest.mark.parametrize("key, value", [
    ("image-factory:owner", "someone-else@contoso-finance.example"),
    ("image-factory:tags", {"cost-centre": "it-platform-other", "new-tag": "x"}),
    ("image-factory:fleets", {"more": {"region": "uksouth", "image": IMAGE, "count": 400, "mode": "scaleset",
                                       "subnetId": "/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups"
                                                   "/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"}}),
])
def test_owner_tags_and_fleet_sizes_leave_the_template_untouched(key, value):
    # Owner and cost tags change often; fleet sizes move replica counts, which VersionReplicas applies
    # to the built version in place. None of them may touch the template.
    assert _template({key: value}) == _template({})


@pytest.mark.parametrize("path, value", [
    (("build", "vmSize"), "Standard_D8ds_v5"),  # vmProfile: Azure refuses the update, so a new template
    (("build", "osDiskSizeGB"), 256),
    (("customize", 0, "inline", 0), "Set-TimeZone -Id 'UTC'"),
    (("regions", 0, "storageAccountType"), "Standard_ZRS"),
])
def test_recipe_changes_rename_the_template(path, value):
    images = stack_value("dev", "image-factory:images")
    changed = _template({"image-factory:images": {IMAGE: _set(images[IMAGE], path, value)}})
    assert changed["imageTemplateName"] != _template({})["imageTemplateName"]


def test_template_name_and_inputs_are_stable_for_the_same_config():
    assert _template({}) == _template({})


def test_template_tags_are_the_stable_ones_only():
    assert _template({})["tags"] == {"environment": "dev", "managed-by": "pulumi", "project": "image-factory",
                                     "image": IMAGE}


def test_a_managed_image_output_is_refused_for_a_marketplace_source():
    # Image Builder: a TrustedLaunchSupported source (every Gen2 Windows Server marketplace image)
    # distributes only to TrustedLaunchSupported targets; a managed image is not one.
    images = stack_value("dev", "image-factory:images")
    images[IMAGE]["managedImage"] = True
    with pytest.raises(ConfigError) as error:
        _template({"image-factory:images": images})
    assert str(error.value) == (
        "Pulumi.dev.yaml: image-factory:images.win2025-base.managedImage = true: cannot be true for a marketplace "
        "source (2025-datacenter-azure-edition): Gen2 Windows Server marketplace images are TrustedLaunchSupported, "
        "and Image Builder distributes such a source only to TrustedLaunchSupported targets, which a managed image "
        "is not; for a managed image use a capture (captures.<name>), or boot fleets from the gallery version")


def test_managed_image_distribution_is_named_per_template():
    # The distributor stays for sources that are not TrustedLaunchSupported (issue 12's managed-image
    # sources); its name carries the template's digest, since Image Builder never overwrites one.
    image = model.Image.model_validate({**stack_value("dev", "image-factory:images")[IMAGE], "managedImage": True})
    names = Names("dev", "uksouth", "owner@example.com", {})
    digest = spec_hash(IMAGE, image, "uksouth", names)
    refs = TemplateRefs("def-id", f"/images/{names.managed_image(IMAGE, digest)}", "identity-id", "rg")
    [managed] = [d for d in template_spec(IMAGE, image, "uksouth", names, refs)["distribute"] if d["type"] == "ManagedImage"]
    assert managed["image_id"] == f"/images/img-{IMAGE}-{digest}" and managed["location"] == "uksouth"
