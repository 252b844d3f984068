"""How fleets get patched: Azure Update Manager on a schedule per region, or Windows Update on its own.

Automatic guest patching (AutomaticByPlatform without a schedule) serves only a list of marketplace
images, not custom images, and that mode switches Windows' own automatic updates off: fleets booted
from our gallery would then go unpatched. So the default is Update Manager's "Customer Managed
Schedules": patch mode AutomaticByPlatform with bypassPlatformSafetyChecksOnUserSchedule, and a
maintenance configuration per region that says when (Microsoft: "Automatic VM guest patching",
https://learn.microsoft.com/azure/virtual-machines/automatic-vm-guest-patching, and "Configure schedule
patching on Azure VMs", https://learn.microsoft.com/azure/update-manager/prerequsite-for-schedule-patching).
`automaticByOS` leaves it to Windows Update inside each VM, for a stack that chooses that.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from . import azure_rules as rules
from .types import Model, PatchClassification, Region, _matches

Start = Annotated[str, _matches(re.compile(rules.MAINTENANCE_START_PATTERN), "'yyyy-MM-dd HH:mm', such as 2027-01-02 02:00")]
Duration = Annotated[str, _matches(re.compile(rules.IN_GUEST_PATCH_DURATION_PATTERN),
                                   "'HH:mm' from 01:30 to 03:55, the window Update Manager allows for guest patching")]
Recurrence = Annotated[str, _matches(re.compile(rules.MAINTENANCE_RECURRENCE_PATTERN),
                                     "a recurrence such as '1Week Saturday', '1Day' or '1Month Second Sunday'")]


class PatchWindow(Model):
    """A maintenance window: Update Manager starts installing at `start` (then every `recurEvery`) and
    stops starting new updates `duration` later."""

    start: Start = "2026-01-03 02:00"  # a past Saturday: the window applies from the first run (issue 21 item 7)
    duration: Duration = "03:00"
    recur_every: Recurrence = "1Week Saturday"
    time_zone: str = Field(default="UTC", min_length=1)  # a Windows time zone name: GMT Standard Time


class Patching(Model):
    mode: Literal["scheduled", "automaticByOS"] = "scheduled"
    # One window per fleet region; a region without one uses `window`.
    windows: dict[Region, PatchWindow] = {}
    window: PatchWindow = PatchWindow()
    # issue 21 item 6: the Maintenance API's spelling UpdateRollup (either spelling read; see azure_rules).
    classifications: list[PatchClassification] = Field(
        default=["Critical", "Security", "UpdateRollup", "Definition", "Updates"], min_length=1,
        description="Windows update classifications Update Manager installs: Critical, Security, UpdateRollup "
                    "(UpdateRollUp is read as UpdateRollup), FeaturePack, ServicePack, Definition, Tools, Updates. "
                    "A change updates the maintenance configurations in place.")
    reboot: Literal["IfRequired", "Never", "Always"] = "IfRequired"

    def window_for(self, region: str) -> PatchWindow:
        return self.windows.get(region, self.window)
