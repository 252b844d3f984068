"""How many replicas each target region of an image version needs, from the fleets deploying it.

Microsoft's guidance: one replica per 50 concurrent VM deployments from a version. A region's count
is therefore ceil(VMs deploying there / 50), at least 1 and at most 100; an explicit replicaCount in
the stack file wins.

The counts are not part of the Image Builder template: templates are immutable and named by their
content, so a fleet growing past a multiple of 50 would mean a new template, a new build and a
fleet-wide rollout. The template distributes one replica per region; VersionReplicas then sets these
counts on the version in place.
"""

from __future__ import annotations

import math

from . import azure_rules as rules
from .config import Image, StackConfig


def derived_replicas(vm_count: int) -> int:
    return min(rules.MAX_REPLICAS_PER_REGION, max(1, math.ceil(vm_count / rules.VM_DEPLOYMENTS_PER_REPLICA)))


def build_regions(image: Image) -> list[dict]:
    """The SharedImage distributor's targetRegions (azure-native's input form): one replica each."""
    return [{"name": r.name, "replica_count": 1, "storage_account_type": r.storage_account_type}
            for r in image.regions]


def replica_plan(config: StackConfig, image_name: str, image: Image) -> list[dict]:
    """Each region's replica count for the built version, in VersionReplicas' input form."""
    regions = []
    for region in image.regions:
        # Only fleets that boot the version this build produces load its replicas.
        vms = sum(f.count for f in config.fleets.values()
                  if f.image == image_name and f.region == region.name and not f.image_version)
        regions.append({
            "name": region.name,
            "regional_replica_count": region.replica_count or derived_replicas(vms),
            "storage_account_type": region.storage_account_type,
        })
    return regions
