"""Driving our dynamic providers (components/providers/base.py) the way the Pulumi engine does."""

from __future__ import annotations

import base64
import threading
from typing import Any, Callable

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


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """call()'s result (or its exception), failing the test if it has not returned after `seconds`, a loose
    ceiling: a wait that ignores its deadline would otherwise hang the suite, and a mutation run would
    count the hang as a timeout, not as a failing test. The thread is a daemon: a hung one ends with pytest."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's own thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still waiting after {seconds} s: a wait outlived its deadline")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
