"""A dynamic provider's module path is part of every deployed stack's state (it is pickled by
reference): moving a provider class must be a deliberate, visible decision, never a refactor's side
effect. See components/providers/__init__.py."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import components.providers
from components.providers import STATE_PATHS
from components.providers.base import ArmDynamicProvider

# The paths as first deployed. Changing this table means existing stacks can no longer read or
# delete these resources: leave a re-exporting module at the old path first.
DEPLOYED = {
    "ImageBuildProvider": "components.providers.image_build",
    "GeneralizeProvider": "components.providers.generalize",
    "VersionReplicasProvider": "components.providers.version_replicas",
    "DefinitionVersionsProvider": "components.providers.definition_versions",
    "RolePropagationProvider": "components.providers.role_propagation",
}


def test_state_paths_never_move():
    assert {k: v for k, v in STATE_PATHS.items() if k in DEPLOYED} == DEPLOYED


@pytest.mark.parametrize("cls_name, module", sorted(STATE_PATHS.items()))
def test_each_provider_lives_at_its_state_path(cls_name, module):
    cls = getattr(importlib.import_module(module), cls_name)
    assert cls.__module__ == module and cls.__qualname__ == cls_name


def test_every_provider_is_listed():
    for info in pkgutil.iter_modules(components.providers.__path__):
        importlib.import_module(f"components.providers.{info.name}")
    # The product's providers: a test's own subclass (test_base's probe) never reaches a state.
    found = {c.__name__: c.__module__ for c in _subclasses(ArmDynamicProvider) if c.__module__.startswith("components.")}
    assert found == STATE_PATHS


def _subclasses(cls: type) -> list[type]:
    return [s for sub in cls.__subclasses__() for s in (sub, *_subclasses(sub))]
