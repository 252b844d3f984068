"""The CrossGuard policy pack's rules as plain functions (policy/__main__.py wraps them for Pulumi)."""

from __future__ import annotations

from .azure import AZURE
from .firm import FIRM
from .model import Policy
from .platform import PLATFORM

POLICIES: list[Policy] = FIRM + AZURE + PLATFORM


def evaluate(resources: list[dict], config: dict | None = None) -> dict[str, list[tuple[str, str]]]:
    """policy name -> (urn, message) of every violation (config: the pack config, policy/firm-config.json
    when None)."""
    from .pack_config import load

    config = load(POLICIES) if config is None else config
    return {p.name: p.evaluate(resources, config.get(p.name)) for p in POLICIES}
