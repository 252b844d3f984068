"""Driving our dynamic providers (components/providers/base.py) the way the Pulumi engine does."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider


def create(provider: Any, props: dict) -> Any:
    """What the engine does: check, then create with the checked inputs."""
    checked = provider.check({}, props)
    assert not checked.failures, [(f.property, f.reason) for f in checked.failures]
    return provider.create(checked.inputs)


def create_error(provider: Any, props: dict, error: type[Exception]) -> str:
    """The message of the `error` that create raises."""
    with pytest.raises(error) as info:
        create(provider, props)
    return str(info.value)


def assert_pickles_by_reference(provider: Any, module: str) -> None:
    """The provider goes into the state as a reference to `module`'s class: no bytecode, no secrets."""
    pickled = base64.b64decode(serialize_provider(provider))
    assert module.encode() in pickled
    assert b"_create_code" not in pickled and b"_create_function" not in pickled  # no bytecode in state
    assert len(pickled) < 1000
