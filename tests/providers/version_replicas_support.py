"""What test_version_replicas.py and test_version_replicas_failures.py share: the provider under test and
its inputs. The gallery fixture is in conftest.py."""

from __future__ import annotations

from components.providers.version_replicas import VersionReplicasProvider
from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm

VERSION_PATH = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-images/providers/Microsoft.Compute"
                f"/galleries/galimages/images/win2022/versions/1.0.3")


def provider(fake: FakeArm) -> VersionReplicasProvider:
    return VersionReplicasProvider(**fake.provider_kwargs())


def region(name: str, count: int, storage: str | None = "Standard_LRS") -> dict:
    return {"name": name, "regional_replica_count": count, "storage_account_type": storage}


def inputs(fake: FakeArm, regions: list[dict] | None = None, **overrides) -> dict:
    return {"subscription_id": SUBSCRIPTION, "version_id": VERSION_PATH,
            "target_regions": regions if regions is not None else [region("eastus", 3), region("westeurope", 1)],
            "timeout_minutes": 0.2, "poll_interval_seconds": 0.02, "arm_endpoint": fake.base_url,
            "applied_target_regions": None, "applied_at": None, "__provider": "serialized", **overrides}


def patches(fake: FakeArm) -> list:
    return fake.requests("PATCH", VERSION_PATH + "$")


def stored_outputs(fake: FakeArm) -> dict:
    applied = [region("eastus", 3), region("westeurope", 1)]
    return {**VersionReplicasProvider().check({}, inputs(fake)).inputs, "__provider": "old-pickle",
            "applied_target_regions": applied, "applied_at": "2026-01-01T10:00:00+00:00",
            "resource_group_name": "rg-images"}
