"""Layered images: a recipe that starts from another image's version (`source.image`), so the app image
is built on the patched base image instead of repeating Windows Update from the marketplace image; or
from a managed image (`source.capture`, one this stack captured; `source.managedImageId`, an existing one).

The base must be built first, in the same graph: the app template takes the base's version ID as its
source. Its content hash takes the base's template name instead (itself a hash of the base's recipe),
so a new base recipe means a new app template too: the layers never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

import pulumi
from pulumi_azure_native import compute

from ..config import azure_rules as rules
from ..config.images import Image
from ..naming import Names, content_hash


@dataclass(frozen=True)
class LayerSource:
    version_id: pulumi.Input[str]  # what the template builds on: a gallery version's or a managed image's ID
    stand_in: str  # what identifies it in the content hash, known before anything exists


def build_order(images: Mapping[str, Image]) -> list[str]:
    """The images in an order where each comes after the image it is built on (cycles are refused by
    the config's cross-checks)."""
    ordered: list[str] = []
    for name in sorted(images):
        chain = []
        while name in images and name not in ordered and name not in chain:
            chain.append(name)
            name = images[name].source.image or ""
        ordered += reversed(chain)
    return ordered


def pinned_version_id(image: Image, definition: compute.GalleryImage, version: str) -> pulumi.Output[str]:
    """A named version of an image: in the definition its pin names, else in this stack's definition."""
    pinned = image.pinned
    base = pulumi.Output.from_input(pinned.definition_id if pinned and pinned.definition_id else definition.id)
    return base.apply(lambda d: f"{d}/versions/{version}")


def layer_source(image: Image, images: Mapping[str, Image], templates: Mapping[str, object],
                 definitions: Mapping[str, compute.GalleryImage], names: Names,
                 captures: Mapping[str, object], imports: Mapping[str, object] | None = None) -> Optional[LayerSource]:
    """The gallery version or managed image an image builds on, or None for a marketplace source.
    templates: the ImageTemplates built so far (build_order puts a base first); captures: the stack's
    ManagedImageCaptures; imports: its VhdImports."""
    existing = image.source.existing_id
    if existing:
        return LayerSource(existing, existing)
    if image.source.vhd_import:
        imported = (imports or {})[image.source.vhd_import]
        # The imported image's name carries the file's fingerprint, and so does this stand-in: a new file
        # means a new template, and a build on the new image.
        return LayerSource(imported.image_id,  # type: ignore[attr-defined]
                           f"import:{image.source.vhd_import}:{imported.fingerprint}")  # type: ignore[attr-defined]
    if image.source.capture:
        capture = captures[image.source.capture]
        # The captured image keeps its name when it is captured anew (a new reference VM recipe): its
        # recipe stands in for it, so a new capture means a new template, and a build on the new image.
        return LayerSource(capture.image_id,  # type: ignore[attr-defined]
                           f"capture:{image.source.capture}:{capture.recipe_hash}")  # type: ignore[attr-defined]
    base_name = image.source.image
    if not base_name:
        return None
    base = images[base_name]
    if base.pinned:
        where = base.pinned.definition_id or f"{names.resource_group}/{names.gallery}/{base_name}"
        return LayerSource(pinned_version_id(base, definitions[base_name], base.pinned.version),
                           f"{where}/versions/{base.pinned.version}")
    template = templates[base_name]
    # The build's own version, not the replicated one: the app builds in the home region, where the base
    # version exists once its build is done, and need not wait for other regions' replicas.
    return LayerSource(template.build.artifact_id, template.template_name)  # type: ignore[attr-defined]


def source_groups(images: Mapping[str, Image], captures: Mapping[str, object],
                  names: Names) -> dict[str, pulumi.Input[str]]:
    """label -> the resource group of each custom image the built images start from outside the gallery's
    group (whose reads the distribution role already grants): the build identity must be allowed to read
    images there. One entry per group, compared case-insensitively, since a role's name is unique per
    tenant. captures: the stack's ManagedImageCaptures (a captured image lives in its region's network
    group, which an existing ID may name too)."""
    groups: dict[str, pulumi.Input[str]] = {}
    named = {names.resource_group.lower()}  # group names already covered, in this stack's subscription
    for image in images.values():
        if image.source.capture:
            capture = captures[image.source.capture]
            region = capture.region  # type: ignore[attr-defined]
            groups.setdefault(f"capture-{region}", capture.resource_group_id)  # type: ignore[attr-defined]
            named.add(names.fleet_resource_group(region).lower())
    for image in images.values():
        existing = image.source.existing_id
        if existing:
            group = rules.resource_group_of(existing)
            if group.rsplit("/", 1)[-1].lower() not in named:
                groups.setdefault(content_hash(group.lower(), 8), group)
    return groups
