"""Each dynamic resource as the engine gets it: its type token, name, inputs (the Args fields, the
pickled provider) and the dependencies that order it. The provider tests call the providers directly;
this is the one place the resource classes' constructors are checked (the dev stack's offline plan)."""

from __future__ import annotations

import dataclasses
import functools

import pytest

from components.providers import definition_versions, image_build, role_propagation, subnet_release, version_replicas
from offline.plan import plan
from tests.graph import BUILD, BUILDS, REPLICAS, TEMPLATE, depends_on, each, plan_stack


@functools.lru_cache(maxsize=None)
def _dev() -> dict:
    return plan("dev")


@functools.lru_cache(maxsize=None)
def _prod() -> dict:
    return plan_stack(BUILDS)  # prod as it built privately (isolated builds): the shipped prod promotes


@pytest.mark.parametrize("type_, args, name", [
    (REPLICAS, version_replicas.VersionReplicasArgs, "win2025-base-replicas-uksouth"),
    (BUILD, image_build.ImageBuildArgs, "win2025-base-build"),
    ("pulumi-python:dynamic/definition_versions:DefinitionVersions", definition_versions.DefinitionVersionsArgs,
     "versions-win2025-base"),
    ("pulumi-python:dynamic/role_propagation:RolePropagation", role_propagation.RolePropagationArgs,
     "role-propagation"),
    ("pulumi-python:dynamic/subnet_release:SubnetRelease", subnet_release.SubnetReleaseArgs,
     "net-uksouth-snet-build-aci-release"),  # isolated builds: the prod-builds fixture's
])
def test_each_dynamic_resource_is_registered_with_its_args(type_, args, name):
    [resource] = [r for r in each(_prod() if type_.endswith(":SubnetRelease") else _dev(), type_)
                  if r["name"] == name]  # the base image's (dev builds two)
    assert resource["custom"] is True
    assert set(resource["inputs"]) == {f.name for f in dataclasses.fields(args)} | {"__provider"}
    assert resource["inputs"]["__provider"] == "[secret]"  # the pickled provider, as the engine keeps it


def test_the_build_follows_its_template_and_the_replicas_follow_the_build():
    doc = _dev()
    build = next(r for r in each(doc, BUILD) if r["name"] == "win2025-base-build")
    replicas = next(r for r in each(doc, REPLICAS) if r["name"] == "win2025-base-replicas-uksouth")
    assert [t["type"] for t in depends_on(doc, build, TEMPLATE)] == [TEMPLATE]
    assert depends_on(doc, replicas, BUILD) == [build]
    assert replicas["inputs"]["target_regions"] == [
        {"name": "uksouth", "regional_replica_count": 1, "storage_account_type": "Standard_LRS"}]
