"""The lifecycle keys of an image (docs/lifecycle.md): promotion from the stack that builds it, and retention."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from .types import IsoDate, Model, Version


class Retention(Model):
    """Which versions of an image's definition to keep: the newest `keep`, and every version in use."""

    keep: int = Field(ge=1, le=100, description="How many of the newest versions to keep (1-100), besides every "
                                                "version a fleet boots (imageVersion) or the stack promotes or pins. "
                                                "Changing it: nothing in Azure yet: the plan lists the others for deletion "
                                                "(docs/lifecycle.md).")
    existing: list[Version] = Field(default=[], description=(
        "The versions the definition holds now (`az sig image-version list`), for the plan to show what retention "
        "would delete; the offline plan has no Azure to ask. Changing it: nothing (what the plan lists)."))


class Promote(Model):
    """Copy a version another stack built (its stack outputs, through a StackReference) into this stack's
    gallery, instead of building: prod runs exactly the bits dev tested (docs/lifecycle.md)."""

    from_stack: Annotated[str, Field(
        min_length=1, pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$",
        description="The stack that builds this image: its name in this project (dev), or organization/project/"
                    "stack. Its outputs imageDefinitionIds and imageVersions say what it built. Changing it: "
                    "nothing by itself (where the copy comes from).")]
    version: Annotated[str, Field(
        pattern=r"^(current|[0-9]+\.[0-9]+\.[0-9]+)$",
        description="The version to copy, as major.minor.patch (reviewed: the diff names it), or `current`: "
                    "whatever the stack exports now (the diff then shows the version it resolves to). Changing it: "
                    "replace VMs: a new version is a new copy in this gallery, and every fleet booting it is "
                    "replaced, wave by wave.")]
    end_of_life: Optional[IsoDate] = Field(
        default=None, description="The copy's end-of-life date (publishingProfile.endOfLifeDate). With protect, "
                                  "Azure refuses to delete the copy before it (safetyProfile). Changing it: in place.")
