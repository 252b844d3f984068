import functools

import pytest

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
