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
from .types import Model, Region, WindowsTimeZone, _matches

Start = Annotated[str, _matches(re.compile(rules.MAINTENANCE_START_PATTERN), "'yyyy-MM-dd HH:mm', such as 2027-01-02 02:00")]
Duration = Annotated[str, _matches(re.compile(rules.IN_GUEST_PATCH_DURATION_PATTERN),
                                   "'HH:mm' from 01:30 to 03:55, the window Update Manager allows for guest patching")]
Recurrence = Annotated[str, _matches(re.compile(rules.MAINTENANCE_RECURRENCE_PATTERN),
                                     "a recurrence such as '1Week Saturday', '1Day' or '1Month Second Sunday'")]


class PatchWindow(Model):
    """A maintenance window: Update Manager starts installing at `start` (then every `recurEvery`) and
    stops starting new updates `duration` later."""

    start: Start = "2027-01-02 02:00"
    duration: Duration = "03:00"
    recur_every: Recurrence = "1Week Saturday"
    time_zone: WindowsTimeZone = "UTC"  # a Windows time zone ID (tzutil /l): GMT Standard Time


class Patching(Model):
    mode: Literal["scheduled", "automaticByOS"] = "scheduled"
    # One window per fleet region; a region without one uses `window`.
    windows: dict[Region, PatchWindow] = {}
    window: PatchWindow = PatchWindow()
    classifications: list[Literal[rules.WINDOWS_PATCH_CLASSIFICATIONS]] = Field(  # type: ignore[valid-type]
        default=["Critical", "Security", "UpdateRollUp", "Definition", "Updates"], min_length=1)
    reboot: Literal["IfRequired", "Never", "Always"] = "IfRequired"

    def window_for(self, region: str) -> PatchWindow:
        return self.windows.get(region, self.window)
