"""Patch windows that apply from their first intended week (issue 21 item 7).

A maintenance configuration's startDateTime is when its window first applies: Update Manager patches nothing
before it ("Maintenance Configurations - Create Or Update", maintenanceWindow.startDateTime,
https://learn.microsoft.com/rest/api/maintenance/maintenance-configurations/create-or-update). A fixed date in a
stack file is read at every `pulumi up`, so the rule is relative to the day of the run: a window may start in the
past (it then recurs from there) or within the next week, never later. The shipped stacks give a past date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from .stack import StackConfig

Problem = tuple[str, Any, str]
FIRST_WEEK_DAYS = 7  # a window's first run may be up to a week away: the weekly recurrence's own period


def fleet_patching_checks(config: StackConfig) -> list[Problem]:
    """Every fleet has a patching path that serves it (issue 21 item 3): Update Manager serves single VMs on a
    schedule, never scale sets ("Unsupported workloads for Azure Update Manager"), and needs patching.mode
    scheduled for its maintenance configuration."""
    problems: list[Problem] = []
    for name, fleet in config.fleets.items():
        if fleet.patching == "updateManager" and fleet.mode == "scaleset":
            problems.append((f"fleets.{name}.patching", fleet.patching,
                             "must be automaticByOS for a scale set: Azure Update Manager does not patch Virtual Machine "
                             "Scale Sets, so nothing would patch it"))
        elif fleet.patching == "updateManager" and config.patching.mode != "scheduled":
            problems.append((f"fleets.{name}.patching", fleet.patching,
                             "needs patching.mode scheduled: with automaticByOS there is no Update Manager schedule"))
    return problems


def patch_window_checks(config: StackConfig, today: Optional[dt.date] = None) -> list[Problem]:
    if config.patching.mode != "scheduled":
        return []
    today = today or dt.datetime.now(dt.timezone.utc).date()
    latest = today + dt.timedelta(days=FIRST_WEEK_DAYS)
    windows = [(f"patching.windows.{region}.start", w) for region, w in sorted(config.patching.windows.items())]
    if any(region not in config.patching.windows for region in config.patch_regions):
        windows.append(("patching.window.start", config.patching.window))  # the default some region uses
    problems: list[Problem] = []
    for key, window in windows:
        start = dt.date.fromisoformat(window.start[:10])
        if start > latest:
            problems.append((key, window.start, f"must be no later than {latest.isoformat()} (a week from today): "
                             f"Update Manager patches nothing before a window's start, so the fleets would go "
                             f"unpatched for {(start - today).days} days; give a past date, the window recurs from it"))
    return problems
