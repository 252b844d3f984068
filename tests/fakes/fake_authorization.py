"""Authorization routes for the fake ARM server (Microsoft.Authorization, API 2022-04-01): GET of a role
assignment by ID, at any scope.

Behaviour modelled on ARM: a role assignment just created is not readable everywhere at once (ARM's caches
and replication: "Troubleshoot Azure RBAC", https://learn.microsoft.com/azure/role-based-access-control/troubleshooting):
it answers 404 RoleAssignmentNotFound for its first `readable_after` reads, then 200 with properties.createdOn.

Fixture: `fake_authorization` (server + Authorization routes).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import pytest

from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm, FakeRequest, Reply, arm_error

AUTHORIZATION_API_VERSIONS = {"2022-04-01"}
_ASSIGNMENT = r"(?P<scope>/subscriptions/[^/]+(/.*)?)/providers/Microsoft\.Authorization/roleAssignments/(?P<name>[^/]+)"


@dataclass
class FakeAssignment:
    arm_id: str
    readable_after: int = 0  # reads answered 404 before it shows
    created_on: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    reads: int = 0


class AuthorizationFake:
    def __init__(self, fake: FakeArm) -> None:
        self.fake = fake
        self.assignments: dict[str, FakeAssignment] = {}
        self._lock = threading.Lock()
        fake.route("GET", _ASSIGNMENT, self._get, AUTHORIZATION_API_VERSIONS)

    def add_assignment(self, name: str, scope: str = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-images",
                       **kwargs) -> FakeAssignment:
        a = FakeAssignment(f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", **kwargs)
        self.assignments[a.arm_id.lower()] = a
        return a

    def _get(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            a = self.assignments.get(req.path.lower())
            if a is not None:
                a.reads += 1
            if a is None or a.reads <= a.readable_after:
                return arm_error(404, "RoleAssignmentNotFound", f"The role assignment '{m['name']}' is not found.")
            # As ARM writes it: UTC with a Z and seven fractional digits (100 ns ticks), e.g. 2021-06-04T09:39:04.2226913Z.
            created = a.created_on.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
            return Reply(200, {"id": a.arm_id, "name": m["name"], "type": "Microsoft.Authorization/roleAssignments",
                               "properties": {"scope": m["scope"], "principalType": "ServicePrincipal",
                                              "createdOn": created, "updatedOn": created}})


@pytest.fixture
def fake_authorization(fake_arm: FakeArm) -> AuthorizationFake:
    return AuthorizationFake(fake_arm)
