"""RolePropagation: hold the image template back until the build identity's role assignments have taken effect.

The common first-run failure: the identity, its role and the assignment are created a moment before the
template, and Image Builder, which checks at submission that the identity may read the gallery image and
write versions, is refused ("does not have authorization to perform action ..."). The template then stays
in the state in a failed state, and Image Builder refuses the next `pulumi up`'s PUT on it (issue 8, item 3).

Why a wait, and why this one. The program cannot test the permission itself: ARM's permissions API
(GET {scope}/providers/Microsoft.Authorization/permissions) answers for the caller, and the caller is the
deploying identity, not the build identity. What Microsoft documents is a delay: "Azure Resource Manager
sometimes caches configurations and data to improve performance. When you assign roles or remove role
assignments, it can take up to 10 minutes for changes to take effect." ("Troubleshoot Azure RBAC", section
"Symptom - Role assignment changes are not being detected",
https://learn.microsoft.com/azure/role-based-access-control/troubleshooting). So create:

1. polls GET {roleAssignmentId}?api-version=2022-04-01 until the assignment is readable (a new assignment can
   answer 404 for a while: ARM replication), bounded by timeout_minutes; then
2. waits until propagation_minutes (default 10, the documented bound) after the assignment's own createdOn,
   never more than propagation_minutes from now (clock skew). An assignment created long ago costs nothing.

The other fix, retrying the template creation until Azure accepts it, is not ours to make: azure-native creates
the template, and after one refusal the template is already broken (see above).

create runs when the assignments are new (first deploy, or a replaced assignment): later `pulumi up`s
wait for nothing. delete/read: nothing in Azure. Retries: arm.call_until_deadline.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
from azure.core.exceptions import AzureError, ResourceNotFoundError
from pulumi.dynamic import CreateResult

from components.providers.arm import DEFAULT_ARM_ENDPOINT, ArmCallFailed, call_until_deadline, describe_error
from components.providers.arm_resource import ArmResourceClient
from components.providers.base import ArmDynamicProvider, ArmDynamicResource, human_duration, resource_props

API_VERSION = "2022-04-01"  # roleAssignments, as azure-native 3.29 sends
DOC = "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting"
REPLACE_KEYS = ("subscription_id", "role_assignment_ids")
TUNING_KEYS = ("propagation_minutes", "timeout_minutes", "poll_interval_seconds", "api_version", "arm_endpoint")
OUTPUT_KEYS = ("effective_at",)
DEFAULTS = {"propagation_minutes": 10, "timeout_minutes": 30, "poll_interval_seconds": 15, "api_version": API_VERSION,
            "arm_endpoint": DEFAULT_ARM_ENDPOINT}


class RolePropagationError(Exception):
    """An assignment did not become readable in time; the message says which and what to do."""


class RolePropagationProvider(ArmDynamicProvider):
    """check/diff/update/delete/read: see components/providers/base.py; create: see the module doc."""

    REPLACE_KEYS, TUNING_KEYS, DEFAULTS, CLIENT = REPLACE_KEYS, TUNING_KEYS, DEFAULTS, ArmResourceClient
    RANGES = {"propagation_minutes": (0, 60), "timeout_minutes": (0.001, 240), "poll_interval_seconds": (0.001, 600)}

    def _invalid(self, key: str, value: Any) -> Optional[str]:
        if key == "role_assignment_ids":
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(v, str) and "/providers/microsoft.authorization/roleassignments/" in v.lower()
                    for v in value):
                return f"role_assignment_ids must be a list of role assignment ARM IDs, got {value!r}"
            return None
        return super()._invalid(key, value)

    def _differs(self, key: str, old: Any, new: Any) -> bool:
        if key == "role_assignment_ids":  # ARM IDs: order- and case-insensitive
            return sorted(str(v).lower() for v in old or []) != sorted(str(v).lower() for v in new or [])
        return super()._differs(key, old, new)

    def create(self, props: dict) -> CreateResult:
        a = self._with_defaults(props)
        ids = list(a["role_assignment_ids"])
        started = time.monotonic()
        deadline = started + float(a["timeout_minutes"]) * 60
        margin = dt.timedelta(minutes=float(a["propagation_minutes"]))
        effective = dt.datetime.now(dt.timezone.utc)
        with self._session(a) as session:
            for assignment_id in ids:
                created = self._readable(session, a, assignment_id, started, deadline)
                effective = max(effective, created + margin)
        now = dt.datetime.now(dt.timezone.utc)
        # Bounded by the margin itself: a createdOn ahead of our clock must not make us wait longer.
        time.sleep(min((effective - now).total_seconds(), margin.total_seconds()) if effective > now else 0)
        return CreateResult(",".join(ids) or "none", {**{k: a[k] for k in REPLACE_KEYS + TUNING_KEYS},
                                                      "effective_at": effective.isoformat(timespec="seconds")})

    def _readable(self, session: Any, a: dict, assignment_id: str, started: float, deadline: float) -> dt.datetime:
        """Poll until the assignment can be read; its createdOn (or now, when Azure gives none)."""
        while True:
            try:
                # The client is pinned to a["api_version"] (base._client), so the GET sends it.
                found = call_until_deadline(lambda: session.client.get_by_id(assignment_id),
                                            what=f"GET {assignment_id}", deadline=deadline, retry=self.arm_retry,
                                            session=session)
                return _timestamp((found.get("properties") or {}).get("createdOn"))
            except ResourceNotFoundError:
                pass  # not replicated yet
            except (AzureError, ArmCallFailed) as exc:
                raise RolePropagationError(self._message(assignment_id, describe_error(exc))) from exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RolePropagationError(self._message(
                    assignment_id, f"still not found after {human_duration(time.monotonic() - started)} "
                                      f"(timeout_minutes={a['timeout_minutes']})"))
            time.sleep(min(float(a["poll_interval_seconds"]), remaining))

    @staticmethod
    def _message(assignment_id: str, reason: str) -> str:
        return (f"RolePropagation: role assignment {assignment_id} could not be read: {reason}. The image template "
                f"waits for it, because Image Builder refuses a template whose identity lacks its permissions and "
                f"that template cannot be updated afterwards. Check `az role assignment list --ids {assignment_id}`"
                f" (and that the deploying identity may read role assignments), then run `pulumi up` again. Role "
                f"assignments can take up to 10 minutes to take effect (Troubleshoot Azure RBAC, {DOC}).")


def _timestamp(value: Any) -> dt.datetime:
    """ARM's createdOn ("2021-06-04T09:39:04.2226913Z": a Z, seven fractional digits), which Python 3.11's
    fromisoformat reads as it is."""
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
        except ValueError:
            pass
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class RolePropagationArgs:
    subscription_id: pulumi.Input[str]
    role_assignment_ids: pulumi.Input[list]  # the assignments' .id: this resource depends on them
    propagation_minutes: pulumi.Input[float] = 10  # Microsoft: "up to 10 minutes" (module doc)
    timeout_minutes: pulumi.Input[float] = 30  # for the assignments to become readable at all
    poll_interval_seconds: pulumi.Input[float] = 15
    api_version: pulumi.Input[str] = API_VERSION
    arm_endpoint: pulumi.Input[str] = DEFAULT_ARM_ENDPOINT


class RolePropagation(ArmDynamicResource, module="role_propagation", name="RolePropagation"):
    """Role assignments given time to take effect. Type token: pulumi-python:dynamic/role_propagation:RolePropagation."""

    role_assignment_ids: pulumi.Output[list]
    effective_at: pulumi.Output[str]

    def __init__(self, resource_name: str, args: RolePropagationArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(RolePropagationProvider(), resource_name, resource_props(args, OUTPUT_KEYS), opts)
