"""Retention (components/images/retention.py): the newest N versions and every version in use are kept;
the plan names each version to delete."""

from __future__ import annotations

from offline.plan import plan
from tests.graph import stack_value


def test_prods_plan_names_the_versions_retention_would_delete(plans):
    # keep 2 of 0.9.7, 0.9.8, 0.9.10, 1.0.0: compared as numbers (0.9.10 is newer than 0.9.8), and 1.0.0 is promoted.
    assert plans["prod"]["outputs"]["retention"] == {
        "win2025-base": {"keep": ["1.0.0", "0.9.10"], "delete": ["0.9.8", "0.9.7"]}}


def test_a_version_in_use_is_never_deleted():
    images, fleets = stack_value("prod", "image-factory:images"), stack_value("prod", "image-factory:fleets")
    images["win2025-base"]["retention"]["keep"] = 1
    images["win2025-base"]["existingVersions"] = {"0.9.7": ["uksouth"]}
    fleets["lon-web"]["imageVersion"] = "0.9.7"  # a canary fleet still boots an old version
    doc = plan("prod", overrides={"image-factory:images": images, "image-factory:fleets": fleets})
    assert doc["outputs"]["retention"]["win2025-base"] == {"keep": ["1.0.0", "0.9.7"], "delete": ["0.9.10", "0.9.8"]}


def test_drift_flags_a_fleet_behind_its_images_newest_version(plans):
    from offline.pr_report import behind_lines
    assert plans["prod"]["outputs"]["fleetVersions"]["lon-web"] == {
        "image": "win2025-base", "runs": "1.0.0", "newest": "1.0.0", "behind": False}
    assert behind_lines(plans["prod"]) == []
    images, fleets = stack_value("prod", "image-factory:images"), stack_value("prod", "image-factory:fleets")
    images["win2025-base"]["existingVersions"] = {"0.9.10": ["uksouth"]}
    fleets["lon-web"]["imageVersion"] = "0.9.10"
    doc = plan("prod", overrides={"image-factory:images": images, "image-factory:fleets": fleets})
    assert doc["outputs"]["fleetVersions"]["lon-web"]["behind"] is True
    assert behind_lines(doc) == ["- :warning: fleet `lon-web` runs win2025-base 0.9.10; the newest version of its "
                                 "image is 1.0.0: move it (fleets.lon-web.imageVersion) or say why it stays"]
