"""The stack file's acknowledgements (`image-factory:acknowledge`): what a change says it means to take
down or replace. Only the offline diff reads them (offline/acknowledge.py says how they count); the
Pulumi program checks their form and does nothing with them.
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from .types import Model, WorkloadName


class Acknowledgement(Model):
    fleet: Optional[WorkloadName] = Field(
        None, description="A fleet (a key of `fleets`) this change may take down at once: every VM of a `vms` "
                          "fleet recreated or restarted together, or its scale set recreated; the offline diff's error for that "
                          "fleet becomes a warning. Changing it: nothing (Azure never sees it).")
    resource: Optional[str] = Field(
        None, min_length=1, max_length=260,
        description="The Azure name of a protected resource this change may replace or delete, as the diff "
                    "prints it (e.g. win2025-base); Pulumi still refuses until the "
                    "resource is unprotected. Changing it: nothing (Azure never sees it).")
    reason: str = Field(min_length=1, max_length=500,
                        description="Why taking it down is fine this time (a change ticket, the window agreed): "
                                    "what a reviewer approves. Changing it: nothing.")

    @model_validator(mode="after")
    def _one_target(self) -> "Acknowledgement":
        if (self.fleet is None) == (self.resource is None):
            raise ValueError("must name exactly one of fleet or resource, with a reason")
        return self
