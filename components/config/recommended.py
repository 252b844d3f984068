"""An image definition's recommended vCPUs and memory (images.<name>.recommended)."""

from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from . import azure_rules as rules
from .types import Model


class Range(Model):
    min: int = Field(ge=1, le=rules.INT32_MAX, description="The smallest recommended value. Changing it: in place.")
    max: int = Field(ge=1, le=rules.INT32_MAX, description="The largest recommended value. Changing it: in place.")

    @model_validator(mode="after")
    def _ordered(self):
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Recommended(Model):
    v_cpus: Optional[Range] = Field(default=None, alias="vCPUs", description=(
        "Recommended vCPUs, `{min, max}`. Changing it: in place (the image definition)."))
    memory_gb: Optional[Range] = Field(default=None, alias="memoryGB", description=(
        "Recommended memory in GB, `{min, max}`. Changing it: in place (the image definition)."))
