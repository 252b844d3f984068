"""What test_generalize.py and test_generalize_failures.py share: the provider under test, its inputs
and the VM's step sequence. The compute fixture is in conftest.py."""

from __future__ import annotations

import itertools

from components.providers.generalize import GeneralizeError, GeneralizeProvider
from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm
from tests.providers.engine import create_error

RG, VM = "rg-capture", "vm-ref-capture"


VM_PATH = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/{VM}"


def provider(fake: FakeArm) -> GeneralizeProvider:
    return GeneralizeProvider(**fake.provider_kwargs())


def inputs(fake: FakeArm, **overrides) -> dict:
    return {"subscription_id": SUBSCRIPTION, "resource_group_name": RG, "vm_name": VM, "vm_id": None,
            "timeout_minutes": 0.1, "poll_interval_seconds": 0.02, "arm_endpoint": fake.base_url,
            "generalized_at": None, "__provider": "serialized", **overrides}


def error_of(p: GeneralizeProvider, props: dict) -> str:
    return create_error(p, props, GeneralizeError)


def vm_calls(fake: FakeArm) -> list[str]:
    """The VM requests in order, repeats collapsed, operation polls left out: the step sequence."""
    calls = [f"{r.method} {r.path.removeprefix(VM_PATH) or '/'}" for r in fake.log if r.path.startswith(VM_PATH)]
    return [call for call, _ in itertools.groupby(calls)]


def stored_outputs(fake: FakeArm) -> dict:
    return {**GeneralizeProvider().check({}, inputs(fake)).inputs, "__provider": "old-pickle",
            "vm_id": VM_PATH, "generalized_at": "2026-01-01T10:00:00+00:00"}
