"""The project's naming convention: every Azure name the program chooses is built here.

Names are explicit (never Pulumi auto-names) so that the offline plan shows exactly what Azure will
get, and so that two stacks in one subscription cannot collide.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from . import azure_rules as rules
from .config import StackConfig

PROJECT = "imgfactory"
_GUID_NAMESPACE = uuid.UUID("5d1f3c1e-9a43-4b59-a1f4-6f0c3f1d2b7a")


def content_hash(spec: Any, length: int = 10) -> str:
    """A short, stable digest of JSON-able data: same data, same hash, on every machine."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:length]


def stable_guid(*parts: str) -> str:
    """Role definitions and assignments are named by GUID; derive it so re-runs name the same thing."""
    return str(uuid.uuid5(_GUID_NAMESPACE, "/".join(parts)))


class Names:
    def __init__(self, config: StackConfig):
        self.env = config.environment
        self.location = config.location
        self._config = config

    def suffix(self, region: str | None = None) -> str:
        """`<env>-<region code>`: what tells two stacks, and two regions of one stack, apart."""
        return f"{self.env}-{rules.region_short(region or self.location)}"

    @property
    def _suffix(self) -> str:
        return self.suffix()

    @property
    def resource_group(self) -> str:
        return self._config.resource_group or f"rg-{PROJECT}-{self._suffix}"

    @property
    def gallery(self) -> str:
        # Gallery names allow no '-'.
        return self._config.gallery.name or f"gal_{PROJECT}_{self._suffix.replace('-', '_')}"

    @property
    def builder_identity(self) -> str:
        return f"id-imagebuilder-{self._suffix}"

    def builder_role(self, subscription_id: str, resource_group: str) -> str:
        return f"Image Factory Image Builder ({resource_group}, subscription {subscription_id})"

    def template(self, image: str, spec_hash: str) -> str:
        name = f"it-{image[:46]}-{spec_hash}"
        assert rules.TEMPLATE_NAME.fullmatch(name), name
        return name

    def managed_image(self, image: str, spec_hash: str) -> str:
        # Image Builder refuses to overwrite a managed image: each template gets its own name.
        return f"img-{image[:60]}-{spec_hash}"

    def run_output(self, image: str, target: str) -> str:
        return f"{image[:50]}-{target}"

    def staging_resource_group(self, template_name: str) -> str:
        # One per template: Image Builder creates it, and deletes it with the template, so the new
        # template of a create-before-delete replacement never shares the old one's staging group.
        return f"rg-aib-staging-{template_name}"

    def tags(self, **extra: str) -> dict[str, str]:
        return {
            **self._config.tags,
            "environment": self.env,
            "owner": self._config.owner,
            "managed-by": "pulumi",
            "project": "image-factory",
            **extra,
        }
