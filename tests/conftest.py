import functools

import pytest

# The fake ARM server and its per-service routes, as fixtures for every test module.
from tests.harness.fake_arm import fake, fake_arm  # noqa: F401
from tests.harness.fake_compute import fake_compute  # noqa: F401
from tests.harness.fake_gallery import fake_gallery  # noqa: F401
from tests.harness.fake_image_builder import fake_image_builder  # noqa: F401
from tests.harness.offline_plan import plan, stack_names


@functools.lru_cache(maxsize=None)
def _cached_plan(stack: str) -> dict:
    return plan(stack)


@pytest.fixture(params=stack_names())
def stack_plan(request) -> dict:
    """The offline plan of each shipped stack file, computed once per test session."""
    return _cached_plan(request.param)


@pytest.fixture
def plans() -> dict[str, dict]:
    return {name: _cached_plan(name) for name in stack_names()}
