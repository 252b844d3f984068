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
from .types import Model, PatchClassification, Region, WindowsTimeZone, _matches

Start = Annotated[str, _matches(re.compile(rules.MAINTENANCE_START_PATTERN), "'yyyy-MM-dd HH:mm', such as 2026-01-03 02:00")]
Duration = Annotated[str, _matches(re.compile(rules.IN_GUEST_PATCH_DURATION_PATTERN),
                                   "'HH:mm' from 01:30 to 03:55, the window Update Manager allows for guest patching")]
Recurrence = Annotated[str, _matches(re.compile(rules.MAINTENANCE_RECURRENCE_PATTERN),
                                     "a recurrence such as '1Week Saturday', '1Day' or '1Month Second Sunday'")]


class PatchWindow(Model):
    """A maintenance window: Update Manager starts installing at `start` (then every `recurEvery`) and
    stops starting new updates `duration` later."""

    start: Start = Field(default="2026-01-03 02:00", description=(
        "When the first window opens, `yyyy-MM-dd HH:mm` in timeZone; no later than a week after the "
        "run (the default is a past Saturday, so the window applies from the first run). Changing it: in place (the region's "
        "maintenance configuration)."))
    duration: Duration = Field(default="03:00", description=(
        "How long the window stays open for starting updates, `HH:mm` from 01:30 to 03:55. Changing it: in "
        "place."))
    recur_every: Recurrence = Field(default="1Week Saturday", description=(
        "How often the window recurs: `1Day`, `1Week Saturday`, `1Month Second Sunday`, ... Changing it: in "
        "place."))
    time_zone: WindowsTimeZone = Field(default="UTC", description=(  # a Windows time zone ID (tzutil /l)
        "The window's time zone, a Windows time zone name such as `GMT Standard Time` or `Eastern Standard "
        "Time`. Changing it: in place."))


class Patching(Model):
    mode: Literal["scheduled", "automaticByOS"] = Field(default="scheduled", description=(
        "`scheduled`: Azure Update Manager patches the fleets in a window per region (patch mode "
        "AutomaticByPlatform on a customer schedule); `automaticByOS`: Windows Update inside each VM. "
        "Changing it: in place: the VMs' patch settings change and the maintenance configurations are "
        "created or deleted."))
    # One window per fleet region; a region without one uses `window`.
    windows: dict[Region, PatchWindow] = Field(default={}, description=(
        "A patch window per fleet region, in its local time zone. Changing it: in place."))
    window: PatchWindow = Field(default=PatchWindow(), description=(
        "The window of a fleet region without its own entry in windows. Changing it: in place."))
    # issue 21 item 6: the Maintenance API's spelling UpdateRollup (either spelling read; see azure_rules).
    classifications: list[PatchClassification] = Field(
        default=["Critical", "Security", "UpdateRollup", "Definition", "Updates"], min_length=1,
        description="Windows update classifications Update Manager installs: Critical, Security, UpdateRollup "
                    "(UpdateRollUp is read as UpdateRollup), FeaturePack, ServicePack, Definition, Tools, Updates. "
                    "Changing it: in place (the maintenance configurations).")
    reboot: Literal["IfRequired", "Never", "Always"] = Field(default="IfRequired", description=(
        "Whether Update Manager restarts VMs after patching. Changing it: in place."))

    def window_for(self, region: str) -> PatchWindow:
        return self.windows.get(region, self.window)
