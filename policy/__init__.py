"""The CrossGuard policy pack's rules as plain functions (policy/__main__.py wraps them for Pulumi)."""

from __future__ import annotations

from .azure import AZURE
from .firm import FIRM
from .model import Policy
from .platform import PLATFORM

POLICIES: list[Policy] = FIRM + AZURE + PLATFORM


def evaluate(resources: list[dict]) -> dict[str, list[tuple[str, str]]]:
    """policy name -> (urn, message) of every violation."""
    return {p.name: p.evaluate(resources) for p in POLICIES}
