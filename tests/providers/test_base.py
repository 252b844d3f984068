"""base.ArmDynamicProvider's check, on a provider of its own: ranges are inclusive at both ends, and an
input not known yet (preview) defers its own check only, never the checks of the inputs after it."""

from __future__ import annotations

import pytest
from pulumi.runtime import rpc

from components.providers.base import ArmDynamicProvider


class Probe(ArmDynamicProvider):
    REPLACE_KEYS = ("name", "size")
    TUNING_KEYS = ("minutes",)
    RANGES = {"size": (1, 10), "minutes": (0.5, 90)}


def failures(**inputs) -> list[tuple[str, str]]:
    return [(f.property, f.reason) for f in Probe().check({}, inputs).failures]


@pytest.mark.parametrize("size", [1, 10, 5.5])
def test_a_range_holds_both_of_its_ends(size):
    assert failures(name="n", size=size, minutes=90) == []


@pytest.mark.parametrize("size", [0.999, 10.001, True, "5"])
def test_outside_a_range_or_not_a_number_is_refused(size):
    assert failures(name="n", size=size, minutes=1) == [("size", f"size must be a number from 1 to 10, got {size!r}")]


def test_an_unknown_input_defers_only_its_own_check():
    assert failures(name=rpc.UNKNOWN, size=rpc.UNKNOWN, minutes=91) == [
        ("minutes", "minutes must be a number from 0.5 to 90, got 91")]
