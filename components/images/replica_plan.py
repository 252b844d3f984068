"""How many replicas each target region of an image version needs, from the fleets deploying it, and
the one builder of `targetRegions` lists.

Microsoft's guidance: one replica per 50 concurrent VM deployments from a version. A region's count
is therefore ceil(VMs deploying there / 50), at least 1 and at most 100; an explicit replicaCount in
the stack file wins.

The counts are not part of the Image Builder template: templates are immutable and named by their
content, so a fleet growing past a multiple of 50 would mean a new template, a new build and a
fleet-wide rollout. The template distributes one replica to the gallery's home region (the stack's
`location`) only: Image Builder's run ends only when distribution to all its target regions is done, so
every further region in the template would hold back every fleet until the farthest copy had landed.
One VersionReplicas step per region then sets that region's count on the version in place (`region_steps`).
"""

from __future__ import annotations

import math
from typing import Mapping

from ..config import azure_rules as rules
from ..config.fleets import Fleet
from ..config.images import Image

ReplicaCounts = dict[str, int]  # region -> replicas


def derived_replicas(vm_count: int) -> int:
    return min(rules.MAX_REPLICAS_PER_REGION, max(1, math.ceil(vm_count / rules.VM_DEPLOYMENTS_PER_REPLICA)))


def replica_counts(image: Image, vms_per_region: Mapping[str, int]) -> ReplicaCounts:
    """Each region's count: the stack file's replicaCount, else one replica per 50 VMs deploying there."""
    return {r.name: r.replica_count or derived_replicas(vms_per_region.get(r.name, 0)) for r in image.regions}


def replica_plan(images: Mapping[str, Image], fleets: Mapping[str, Fleet]) -> dict[str, ReplicaCounts]:
    """Every image's replica counts, from the fleets that boot the version its build produces (a fleet
    pinned to another imageVersion loads that version, not this one)."""
    plan = {}
    for image_name, image in images.items():
        vms: dict[str, int] = {}
        for fleet in fleets.values():
            if fleet.image == image_name and not fleet.image_version:
                vms[fleet.region] = vms.get(fleet.region, 0) + fleet.count
        plan[image_name] = replica_counts(image, vms)
    return plan


def target_regions(image: Image, counts: Mapping[str, int], *, count_key: str = "regional_replica_count") -> list[dict]:
    """`targetRegions` in azure-native's input form. count_key: `replica_count` for Image Builder's
    SharedImage distributor, `regional_replica_count` for gallery image versions (and VersionReplicas)."""
    return [{"name": r.name, count_key: counts[r.name], "storage_account_type": r.storage_account_type}
            for r in image.regions]


def build_regions(image: Image, home: str) -> list[dict]:
    """The template's targetRegions: the home region only, one replica (its step sets the real count)."""
    return [r for r in target_regions(image, {r.name: 1 for r in image.regions}, count_key="replica_count")
            if rules.region_key(r["name"]) == rules.region_key(home)]


def region_steps(image: Image, counts: Mapping[str, int], home: str) -> list[tuple[str, list[dict]]]:
    """One (region, targetRegions) per VersionReplicas step: the home region first, then the others sorted
    (the order of the plan; each step asks for its own region only and keeps the others on the version)."""
    regions = sorted(image.regions, key=lambda r: (rules.region_key(r.name) != rules.region_key(home), r.name))
    return [(r.name, [t for t in target_regions(image, counts) if t["name"] == r.name]) for r in regions]
