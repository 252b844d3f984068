import functools
from pathlib import Path

import pytest

from offline.plan import plan, stack_names
from tests.conformance import arm_schema

# The fake ARM server and its per-service routes, as fixtures for every test module.
pytest_plugins = [
    "tests.fakes.fake_arm",
    "tests.fakes.fake_authorization",
    "tests.fakes.fake_compute",
    "tests.fakes.fake_disks",
    "tests.fakes.fake_gallery",
    "tests.fakes.fake_image_builder",
    "tests.fakes.fake_network",
]


@pytest.fixture(scope="session")
def schema_dir() -> Path:
    """Azure's published ARM types (bicep-types-az), or a skip that says where to get them."""
    d = arm_schema.find_schema_dir()
    if d is None:
        pytest.skip(arm_schema.HOW_TO_GET)
    return d


@functools.lru_cache(maxsize=None)
def _cached_plan(stack: str) -> dict:
    from tests.graph import plan_stack
    return plan_stack(stack)


@pytest.fixture(params=stack_names())
def stack_plan(request) -> dict:
    """The offline plan of each shipped stack file, computed once per test session."""
    return _cached_plan(request.param)


@pytest.fixture
def plans() -> dict[str, dict]:
    from tests.graph import BUILDS
    return {name: _cached_plan(name) for name in [*stack_names(), BUILDS]}


@pytest.fixture(params=[*(s for s in stack_names() if s != "prod"), "prod-builds"])
def building_plan(request) -> dict:
    """The plan of each stack that builds images: the shipped ones but prod (which promotes dev's versions,
    tests/images/test_promotion.py), and prod as it built them (tests/fixtures/Pulumi.prod-builds.yaml)."""
    return _cached_plan(request.param)
