"""The offline plan itself: it must fail where the engine fails, and be reproducible."""

import json
import pickle
from types import SimpleNamespace

import pytest

from offline.mock_engine import AzureMocks, RecordingMonitor
from offline.plan import plan


def test_the_harness_refuses_a_duplicate_urn_as_the_engine_does():
    # Sibling components' children collide when their names repeat (the parent's name is not in the
    # URN); the harness must fail such a program as `pulumi preview` would, not plan it.
    monitor = RecordingMonitor(AzureMocks())
    request = SimpleNamespace(parent="urn:pulumi:dev::image-factory::image-factory:network:FleetNetwork::net-eastus",
                              type="azure-native:resources:ResourceGroup", name="rg")
    # The uksouth network registered its "rg" first; the URN does not say which network it was under.
    monitor.resources[monitor.make_urn(request.parent.replace("net-eastus", "net-uksouth"), request.type, "rg")] = None
    with pytest.raises(ValueError, match="Duplicate resource URN"):
        monitor.RegisterResource(request)


def test_the_plan_is_the_same_document_every_run(plans):
    # Reviewers diff plans between commits: the same config must give the same bytes.
    assert json.dumps(plan("prod")) == json.dumps(plans["prod"])


def _wrappers(function) -> int:
    """How many of pulumi's sorting wrappers sit around pickle's own _batch_setitems."""
    depth = 0
    while function.__closure__:
        inner = [c.cell_contents for c in function.__closure__ if callable(c.cell_contents)]
        if not inner:
            break
        function, depth = inner[0], depth + 1
    return depth


def test_planning_many_stacks_in_one_process_does_not_grow_pickles_wrappers():
    # pulumi's serialize_provider wraps pickle's _batch_setitems per dynamic resource and never unwraps
    # it; after ~1,000 dynamic resources in one process pickling overflowed the stack (RecursionError).
    plan("dev")  # dev has dynamic resources (prod promotes: none)
    once = _wrappers(pickle._Pickler._batch_setitems)
    for _ in range(3):
        plan("dev")
    assert 0 < once == _wrappers(pickle._Pickler._batch_setitems)
