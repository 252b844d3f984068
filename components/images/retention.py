"""Retention: per image, the newest N versions plus every version in use are kept; the rest are retired.

In use: a version a fleet boots (fleets.<name>.imageVersion), the version the stack pins or promotes, and
the one it promotes (a copy in this gallery). Versions are compared as major.minor.patch numbers, not as
text (1.0.10 is newer than 1.0.9). A retired version is first excluded from `latest` (so no new VM picks
it), then deleted; never a version in use. In prod, a promoted copy blocks its own deletion before its
end of life (safetyProfile.blockDeletionBeforeEndOfLife, promotion.py), so Azure refuses an early delete
even if this list were wrong. The plan and the stack output `retention` name each version to delete.
"""

from __future__ import annotations

from typing import Mapping

from ..config.fleets import Fleet
from ..config.images import Image


def _number(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def in_use(image_name: str, image: Image, fleets: Mapping[str, Fleet]) -> set[str]:
    """The versions of this image something boots or copies."""
    used = {f.image_version for f in fleets.values() if f.image == image_name and f.image_version}
    if image.pinned:
        used.add(image.pinned.version)
    if image.promote and image.promote.version != "current":
        used.add(image.promote.version)
    return used


def retention_plan(images: Mapping[str, Image], fleets: Mapping[str, Fleet]) -> dict[str, dict[str, list[str]]]:
    """{image: {"keep": [...], "delete": [...]}} for every image with a retention rule, newest first."""
    plan = {}
    for name, image in images.items():
        if not image.retention:
            continue
        existing = sorted(set(image.retention.existing), key=_number, reverse=True)
        keep = set(existing[:image.retention.keep]) | in_use(name, image, fleets)
        plan[name] = {"keep": [v for v in existing if v in keep],
                      "delete": [v for v in existing if v not in keep]}
    return plan


def fleet_versions(images: Mapping[str, Image], fleets: Mapping[str, Fleet]) -> dict[str, dict]:
    """Drift, per fleet: the version it runs and the newest version of its image this stack knows of (the
    versions it holds, pins or promotes), and whether it is behind. A version a build makes here is known
    only after the build: `runs` is then None, and nothing is judged."""
    found = {}
    for fleet_name, fleet in sorted(fleets.items()):
        image = images.get(fleet.image or "")
        if image is None:
            continue
        current = image.pinned.version if image.pinned else (
            image.promote.version if image.promote and image.promote.version != "current" else None)
        runs = fleet.image_version or current
        known = {*image.existing_versions, *(image.retention.existing if image.retention else []),
                 *([current] if current else [])}
        newest = max(known, key=_number) if known and current else None
        found[fleet_name] = {"image": fleet.image, "runs": runs, "newest": newest,
                             "behind": bool(runs and newest and _number(runs) < _number(newest))}
    return found


def export_lifecycle(images: Mapping[str, Image], fleets: Mapping[str, Fleet]) -> None:
    """The stack outputs `retention` (per image: versions kept, versions to delete) and `fleetVersions` (drift)."""
    import pulumi
    pulumi.export("retention", retention_plan(images, fleets))
    pulumi.export("fleetVersions", fleet_versions(images, fleets))
