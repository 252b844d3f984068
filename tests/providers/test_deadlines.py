"""The waits' bounds in seconds: minutes from the inputs times 60, Image Builder's 240-minute default for a
build timeout of 0, and how a duration reads in an error. The scenario tests use waits of a second or
less, with loose bounds: a wrong factor would pass them, so the arithmetic is pinned here."""

from __future__ import annotations

import pytest

from components.providers import definition_versions, generalize, version_replicas
from components.providers.base import human_duration
from components.providers.image_build import ImageBuildProvider

VERSION_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute"
              "/galleries/g/images/i/versions/1.0.0")


@pytest.mark.parametrize("minutes, seconds", [(1, 60.0), (1.5, 90.0), (360, 21600.0)])
def test_each_jobs_deadline_is_its_timeout_in_seconds(minutes, seconds):
    common = {"timeout_minutes": minutes, "poll_interval_seconds": 2, "api_version": "v"}
    replicas = version_replicas._Job(None, {**common, "version_id": VERSION_ID, "target_regions": [
        {"name": "eastus", "regional_replica_count": 2, "storage_account_type": None}]}, None)
    vm = generalize._Job(None, {**common, "resource_group_name": "rg", "vm_name": "vm"}, None)
    versions = definition_versions._Purge(None, {**common, "resource_group_name": "rg", "gallery_name": "g",
                                               "gallery_image_name": "i"},
                                        definition_versions.DefinitionVersionsProvider())
    for job in (replicas, vm, versions):
        assert job.deadline - job.started == pytest.approx(seconds, abs=1e-6), type(job).__module__
        assert job.interval == 2.0
    assert ImageBuildProvider()._cancel_seconds({"cancel_timeout_minutes": minutes}) == seconds  # delete's cancel


@pytest.mark.parametrize("minutes, margin, budget", [(0, 0, 240 * 60), (0, 5, 240 * 60 + 5), (90, 0, 5400),
                                                     (0.5, 1800, 1830)])
def test_image_build_waits_the_build_timeout_plus_a_margin(minutes, margin, budget):
    provider = ImageBuildProvider(wait_margin_seconds=margin)
    assert provider._budget_seconds({"build_timeout_minutes": minutes}) == budget


def test_image_builds_default_margin_is_30_minutes():
    assert ImageBuildProvider()._budget_seconds({"build_timeout_minutes": 60}) == 3600 + 1800


@pytest.mark.parametrize("seconds, text", [(0.04, "0.0s"), (119.94, "119.9s"), (120, "2m"), (3540, "59m"),
                                           (3600, "1h 0m"), (5430, "1h 30m"), (7260, "2h 1m")])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text
