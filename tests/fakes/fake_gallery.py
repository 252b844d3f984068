"""Compute Gallery routes for the fake ARM server: GET, PATCH, list and DELETE of gallery image versions,
DELETE of an image definition (Microsoft.Compute, API 2024-03-03 only; other versions get ARM's 400), and the
async operations of a PATCH or a DELETE.

Behaviour modelled on ARM:
- GET answers targetRegions with display names ("East US"), like Azure does; `$expand=ReplicationStatus`
  adds properties.replicationStatus (aggregatedState, per-region summary).
- PATCH merges the body's publishingProfile into the version (a list such as targetRegions is replaced
  whole; a region without storageAccountType keeps its own, a new one gets the version's default), sets provisioningState Updating and answers `patch_status` (200/201 with the body, 202 without)
  with Azure-AsyncOperation and Location headers. A PATCH that drops a region gets the 409 ARM sends
  unless safetyProfile.allowDeletionOfReplicatedLocations; one while the version is Creating or Updating gets
  a 409 Conflict.
- A version Creating (state="Creating", `_ticks` set) ends like an update, as its `next_update` says.
- The update ends as its `UpdatePlan` says, counted in observations (version GETs and operation polls):
  Succeeded, or Failed with an error (failing one region's replication); polls=None never ends.
- DELETE of a version answers 202 (Azure-AsyncOperation, Location); the version shows provisioningState
  Deleting and is gone after `delete_polls` observations. DELETE of a definition that still has versions
  gets the 409 Compute sends ("CannotDeleteResource: Can not delete resource before nested resources are
  deleted."); a definition is known to the fake once `add_definition` or `add_version` named it.

Fixture: `fake_gallery` (server + gallery routes).
"""

from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass, field
from typing import Optional

import pytest

from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm, FakeRequest, Reply, arm_error

GALLERY_API_VERSIONS = {"2024-03-03"}
_VERSION = (r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute"
            r"/galleries/(?P<gallery>[^/]+)/images/(?P<image>[^/]+)/versions/(?P<version>[^/]+)")
_DEFINITION = (r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute"
               r"/galleries/(?P<gallery>[^/]+)/images/(?P<image>[^/]+)")
_OPERATION = r"/subscriptions/[^/]+/providers/Microsoft\.Compute/locations/[^/]+/capsOperations/(?P<op>[^/]+)"
DISPLAY_NAMES = {"eastus": "East US", "westus2": "West US 2", "westeurope": "West Europe",
                 "northeurope": "North Europe", "swedencentral": "Sweden Central"}


def display(name: str) -> str:
    return DISPLAY_NAMES.get(name.replace(" ", "").lower(), name)


@dataclass
class UpdatePlan:
    """How the next update goes: ends with `outcome` after `polls` observations; None = never ends.
    `error` is the operation's error when Failed; `failed_region` is shown Failed in replicationStatus."""
    outcome: str = "Succeeded"  # Succeeded | Failed
    polls: Optional[int] = 2
    error: dict = field(default_factory=lambda: {
        "code": "ReplicationFailed", "message": "Replication failed in region 'East US': the regional storage "
                                                "account quota was exceeded."})
    failed_region: str = "eastus"


@dataclass
class FakeVersion:
    resource_group: str
    gallery: str
    image: str
    name: str
    target_regions: list[dict]  # wire JSON
    profile: dict = field(default_factory=lambda: {"replicaCount": 1, "excludeFromLatest": False,
                                                   "endOfLifeDate": "2027-01-01T00:00:00+00:00",
                                                   "storageAccountType": "Standard_LRS", "replicationMode": "Full",
                                                   "publishedDate": "2026-01-01T10:00:00+00:00"})
    state: str = "Succeeded"
    next_update: UpdatePlan = field(default_factory=UpdatePlan)
    patch_status: int = 200
    patches: list[dict] = field(default_factory=list)  # PATCH bodies that reached the version
    delete_polls: int = 2  # observations from the DELETE until the version is gone
    _delete_ticks: Optional[int] = None
    _ticks: Optional[int] = None  # observations left in the running update
    _changed: set = field(default_factory=set)  # regions (keys) being replicated by the running update

    @property
    def arm_id(self) -> str:
        return (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{self.resource_group}/providers/Microsoft.Compute"
                f"/galleries/{self.gallery}/images/{self.image}/versions/{self.name}")

    def counts(self) -> dict[str, int]:
        return {r["name"].replace(" ", "").lower(): r.get("regionalReplicaCount") for r in self.target_regions}

    def observe(self) -> None:
        if self.state == "Deleting" and self._delete_ticks is not None:
            self._delete_ticks -= 1
            if self._delete_ticks <= 0:
                self.state = "Deleted"
            return
        if self.state not in ("Creating", "Updating") or self._ticks is None:
            return
        self._ticks -= 1
        if self._ticks <= 0:
            self.state, self._ticks = self.next_update.outcome, None

    def replication(self) -> dict:
        summary = []
        for r in self.target_regions:
            key = r["name"].replace(" ", "").lower()
            state, details = "Completed", None
            if key in self._changed and self.state == "Updating":
                state = "Replicating"
            elif key in self._changed and self.state == "Failed" and key == self.next_update.failed_region:
                state, details = "Failed", self.next_update.error["message"]
            summary.append({"region": r["name"], "state": state, "progress": 100 if state == "Completed" else 40}
                           | ({"details": details} if details else {}))
        aggregated = {"Updating": "InProgress", "Failed": "Failed"}.get(self.state, "Completed")
        return {"aggregatedState": aggregated, "summary": summary}

    def body(self, expand: Optional[str] = None) -> dict:
        props = {"provisioningState": self.state,
                 "publishingProfile": {**self.profile, "targetRegions": copy.deepcopy(self.target_regions)},
                 "storageProfile": {"osDiskImage": {"sizeInGB": 127, "hostCaching": "ReadWrite"}},
                 "safetyProfile": {"allowDeletionOfReplicatedLocations": False}}
        # Only the spelling the REST reference documents (Gallery Image Versions - Get, $expand:
        # ReplicationStatusTypes "ReplicationStatus"); that Azure takes any other is not documented.
        if expand == "ReplicationStatus":
            props["replicationStatus"] = self.replication()
        return {"id": self.arm_id, "name": self.name, "location": "westeurope",
                "type": "Microsoft.Compute/galleries/images/versions", "properties": props}


class GalleryFake:
    VERSION_PATH, OPERATION_PATH, DEFINITION_PATH = _VERSION, _OPERATION, _DEFINITION

    def __init__(self, fake: FakeArm, location: str = "westeurope") -> None:
        self.fake, self.location = fake, location
        self.versions: dict[tuple, FakeVersion] = {}
        self.operations: dict[str, FakeVersion] = {}
        self.definitions: set[tuple] = set()  # (rg, gallery, image), lower-cased
        self.deleted_definitions: list[str] = []
        self._lock = threading.Lock()
        fake.route("GET", _VERSION, self._get, GALLERY_API_VERSIONS)
        fake.route("PATCH", _VERSION, self._patch, GALLERY_API_VERSIONS)
        fake.route("DELETE", _VERSION, self._delete_version, GALLERY_API_VERSIONS)
        fake.route("GET", _DEFINITION + "/versions", self._list, GALLERY_API_VERSIONS)
        fake.route("DELETE", _DEFINITION, self._delete_definition, GALLERY_API_VERSIONS)
        fake.route("GET", _OPERATION, self._operation, GALLERY_API_VERSIONS)

    def add_definition(self, resource_group: str = "rg-images", gallery: str = "galimages",
                       image: str = "win2022") -> None:
        self.definitions.add((resource_group.lower(), gallery.lower(), image.lower()))

    def in_definition(self, resource_group: str, gallery: str, image: str) -> list[FakeVersion]:
        key = (resource_group.lower(), gallery.lower(), image.lower())
        return [v for k, v in self.versions.items() if k[:3] == key and v.state != "Deleted"]

    def add_version(self, regions: dict[str, int], name: str = "1.0.3", resource_group: str = "rg-images",
                    gallery: str = "galimages", image: str = "win2022", storage: str = "Standard_LRS",
                    **kwargs) -> FakeVersion:
        """A version replicated to `regions` ({"eastus": 1, ...}), shown with display names."""
        target = [{"name": display(n), "regionalReplicaCount": c, "storageAccountType": storage}
                  for n, c in regions.items()]
        v = FakeVersion(resource_group, gallery, image, name, target, **kwargs)
        self.add_definition(resource_group, gallery, image)
        self.versions[(resource_group.lower(), gallery.lower(), image.lower(), name.lower())] = v
        return v

    def _version(self, m) -> Optional[FakeVersion]:
        v = self.versions.get(tuple(m[k].lower() for k in ("rg", "gallery", "image", "version")))
        return None if v is None or v.state == "Deleted" else v

    @staticmethod
    def _not_found(m) -> Reply:
        return arm_error(404, "ResourceNotFound", f"The Resource 'Microsoft.Compute/galleries/{m['gallery']}/images/"
                                                  f"{m['image']}/versions/{m['version']}' under resource group "
                                                  f"'{m['rg']}' was not found.")

    def _get(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            v = self._version(m)
            if v is None:
                return self._not_found(m)
            v.observe()
            if v.state == "Deleted":
                return self._not_found(m)
            return Reply(200, v.body(req.query.get("$expand")))

    def _list(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            if (m["rg"].lower(), m["gallery"].lower(), m["image"].lower()) not in self.definitions:
                return arm_error(404, "ResourceNotFound", f"The Resource 'Microsoft.Compute/galleries/{m['gallery']}/"
                                                          f"images/{m['image']}' under resource group '{m['rg']}' was "
                                                          f"not found.")
            found = self.in_definition(m["rg"], m["gallery"], m["image"])
            for v in found:
                v.observe()
            return Reply(200, {"value": [v.body() for v in found if v.state != "Deleted"]})

    def _delete_version(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            v = self._version(m)
            if v is None:
                return Reply(204)  # ARM: deleting what is not there succeeds
            if v.state == "Updating":
                return arm_error(409, "Conflict", "An update of this gallery image version is in progress.")
            if v.state != "Deleting":
                v.state, v._delete_ticks = "Deleting", v.delete_polls
            return self._accepted(req, m, v)

    def _delete_definition(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            key = (m["rg"].lower(), m["gallery"].lower(), m["image"].lower())
            if self.in_definition(*key):
                return arm_error(409, "CannotDeleteResource",
                                 "Can not delete resource before nested resources are deleted.")
            if key in self.definitions:
                self.definitions.discard(key)
                self.deleted_definitions.append(m["image"])
            return Reply(200)

    def _accepted(self, req: FakeRequest, m, v: FakeVersion) -> Reply:
        op = uuid.uuid4().hex
        self.operations[op] = v
        url = (f"{self.fake.base_url}/subscriptions/{m['sub']}/providers/Microsoft.Compute/locations/"
               f"{self.location}/capsOperations/{op}?api-version={req.query['api-version']}")
        return Reply(202, None, {"Azure-AsyncOperation": url, "Location": url + "&monitor=true"})

    def _patch(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            v = self._version(m)
            if v is None:
                return self._not_found(m)
            # ARM's resource provider contract: a PUT/PATCH on a resource whose provisioningState is not
            # terminal is refused with 409 Conflict (azure-resource-manager-rpc, async-api-reference.md);
            # Compute does so while a version is being created (Image Builder distributing it) or updated.
            if v.state in ("Creating", "Updating"):
                return arm_error(409, "Conflict", f"The gallery image version is {v.state.lower()}: an operation "
                                                  "is in progress.")
            profile = dict(((req.json or {}).get("properties") or {}).get("publishingProfile") or {})
            regions = profile.pop("targetRegions", None)
            if regions is not None:
                old = {r["name"].replace(" ", "").lower(): r for r in v.target_regions}
                new = {r["name"].replace(" ", "").lower(): r for r in regions}
                if set(old) - set(new):
                    return arm_error(409, "OperationNotAllowed", "Deleting replicated locations "
                                     f"{sorted(set(old) - set(new))} requires safetyProfile."
                                     "allowDeletionOfReplicatedLocations to be true.")
                v._changed = {k for k, r in new.items() if old.get(k) != r}
                # A region sent without storageAccountType keeps its own, or (new) gets the version's default.
                default = v.profile.get("storageAccountType", "Standard_LRS")
                v.target_regions = [{"storageAccountType": (old.get(k) or {}).get("storageAccountType", default),
                                     **r, "name": display(r["name"])} for k, r in new.items()]
            v.patches.append(req.json)
            v.profile.update(profile)
            v.state, v._ticks = "Updating", v.next_update.polls
            op = uuid.uuid4().hex
            self.operations[op] = v
            url = (f"{self.fake.base_url}/subscriptions/{m['sub']}/providers/Microsoft.Compute/locations/"
                   f"{self.location}/capsOperations/{op}?api-version={req.query['api-version']}")
            headers = {"Azure-AsyncOperation": url, "Location": url + "&monitor=true"}
            return Reply(v.patch_status, None if v.patch_status == 202 else v.body(), headers)

    def _operation(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            v = self.operations.get(m["op"])
            if v is None:
                return arm_error(404, "OperationNotFound", m["op"])
            v.observe()
            status = {"Updating": "InProgress", "Deleting": "InProgress", "Deleted": "Succeeded"}.get(v.state, v.state)
            if req.query.get("monitor") == "true":
                return Reply(202, None, {"Location": f"{self.fake.base_url}{req.path}?monitor=true&api-version="
                                                     f"{req.query['api-version']}"}) if status == "InProgress" \
                    else Reply(200, v.body())
            body = {"name": m["op"], "status": status, "startTime": "2026-01-01T10:00:00Z"}
            if status == "Failed":
                body["error"] = v.next_update.error
            return Reply(200, body)


@pytest.fixture
def fake_gallery(fake_arm: FakeArm) -> GalleryFake:
    return GalleryFake(fake_arm)
