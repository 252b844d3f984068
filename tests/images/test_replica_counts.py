"""components/images/replica_plan.py without a plan: the counts, their boundaries on both sides, and the
exact targetRegions lists (the keys VersionReplicas and Image Builder read). Fast: mutation testing runs
these (`make mutation MODULE=replica_plan`)."""

from __future__ import annotations

import pytest

from components.config import azure_rules as rules
from components.config.fleets import Fleet
from components.config.images import Image
from components.images.replica_plan import (build_regions, derived_replicas, region_steps, replica_counts, replica_plan,
                                           target_regions)
from tests.config.loading import SUBNET

IMAGE = Image.model_validate({
    "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
    "regions": ["uksouth", {"name": "eastus", "storageAccountType": "Standard_ZRS"},
                {"name": "westeurope", "replicaCount": 7, "storageAccountType": "Premium_LRS"}],
})


def _fleet(region: str, count: int, image: str = "base", **fields) -> Fleet:
    return Fleet.model_validate({"region": region, "image": image, "count": count, "subnetId": SUBNET, **fields})


@pytest.mark.parametrize("vms, replicas", [
    (0, 1), (1, 1), (49, 1), (50, 1), (51, 2), (99, 2), (100, 2), (101, 3),
    (4950, 99), (4951, 100), (5000, 100), (5001, 100), (50_000, 100)])
def test_one_replica_per_50_vms_between_1_and_100(vms, replicas):
    assert derived_replicas(vms) == replicas


def test_the_limits_are_azures():
    assert rules.VM_DEPLOYMENTS_PER_REPLICA == 50
    assert rules.MAX_REPLICAS_PER_REGION == 100


def test_configured_replica_count_wins_and_regions_without_fleets_get_one():
    assert replica_counts(IMAGE, {"uksouth": 120, "westeurope": 5000}) == {"uksouth": 3, "eastus": 1, "westeurope": 7}
    assert replica_counts(IMAGE, {}) == {"uksouth": 1, "eastus": 1, "westeurope": 7}


def test_replica_plan_sums_the_fleets_of_each_image_per_region():
    fleets = {"a": _fleet("uksouth", 30), "b": _fleet("uksouth", 30), "c": _fleet("eastus", 101),
              "pinned": _fleet("eastus", 1000, imageVersion="1.0.0"),  # loads another version
              "other": _fleet("uksouth", 1000, image="other")}
    plan = replica_plan({"base": IMAGE, "other": IMAGE}, fleets)
    assert plan == {"base": {"uksouth": 2, "eastus": 3, "westeurope": 7},
                    "other": {"uksouth": 20, "eastus": 1, "westeurope": 7}}


def test_target_regions_for_versions_and_for_image_builder():
    counts = {"uksouth": 2, "eastus": 3, "westeurope": 7}
    assert target_regions(IMAGE, counts) == [
        {"name": "uksouth", "regional_replica_count": 2, "storage_account_type": "Standard_LRS"},
        {"name": "eastus", "regional_replica_count": 3, "storage_account_type": "Standard_ZRS"},
        {"name": "westeurope", "regional_replica_count": 7, "storage_account_type": "Premium_LRS"}]
    # Image Builder distributes to the home region only, one replica (per-region steps do the rest).
    assert build_regions(IMAGE, "eastus") == [
        {"name": "eastus", "replica_count": 1, "storage_account_type": "Standard_ZRS"}]


def test_region_steps_home_first_then_the_others_sorted_each_asking_for_its_own_region_only():
    image = Image.model_validate({**IMAGE.model_dump(by_alias=True, exclude_none=True), "regions": [
        {"name": "westeurope", "storageAccountType": "Standard_ZRS"}, {"name": "eastus"}, {"name": "uksouth"}]})
    counts = {"uksouth": 2, "eastus": 3, "westeurope": 1}
    steps = region_steps(image, counts, "UKSouth")  # the home region in another spelling is still home
    assert [region for region, _ in steps] == ["uksouth", "eastus", "westeurope"]
    assert dict(steps) == {
        "uksouth": [{"name": "uksouth", "regional_replica_count": 2, "storage_account_type": "Standard_LRS"}],
        "eastus": [{"name": "eastus", "regional_replica_count": 3, "storage_account_type": "Standard_LRS"}],
        "westeurope": [{"name": "westeurope", "regional_replica_count": 1, "storage_account_type": "Standard_ZRS"}]}
