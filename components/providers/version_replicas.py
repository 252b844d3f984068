"""VersionReplicas: set the replica counts of a built gallery image version in place.

Counts follow fleet sizes (a replica per 50 concurrent VM deployments); in the content-addressed Image Builder
template they would force a new build and rollout at each multiple of 50. So the template distributes 1 replica
per region, and this resource PATCHes the version's publishingProfile.targetRegions (API 2024-03-03).
target_regions: [{"name": "eastus", "regional_replica_count": 3, "storage_account_type": "Standard_LRS"}, ...]
(the program sends one region per resource: one step per region, see image_template.py)
(snake case; names compare ignoring case and spaces, Azure saying "East US"; storage_account_type None/absent:
an existing region keeps its type, a new one gets the version's default). Regions are never removed: one on the
version but not requested keeps its count (Azure removes a replicated region only with safetyProfile.
allowDeletionOfReplicatedLocations; losing the source region breaks the version: a person's decision, not a
side effect of a fleet change). Regions keep their other fields; updatable publishingProfile fields go back as
read. No PATCH if already as requested; a running update is waited for (bounded by timeout_minutes, as
custom_timeouts are not enforced). version_id/subscription changes replace, target_regions ones update in
place. delete does nothing in Azure (the version belongs to its build; retention is separate).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
from azure.core.exceptions import AzureError, HttpResponseError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import (GalleryImageVersionPublishingProfile, GalleryImageVersionStorageProfile,
                                       GalleryImageVersionUpdate)
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, UpdateResult

from components.config import azure_rules as rules
from components.config.azure_rules import region_key  # "East US" (Azure's answer) == "eastus"
from components.providers.arm import (DEFAULT_ARM_ENDPOINT, ArmCallFailed, ArmRetry, ArmSession, call_until_deadline,
                                      call_with_retry, describe_error, lro_polling)
from components.providers.base import ArmDynamicProvider, ArmDynamicResource, human_duration, is_number, resource_props

API_VERSION = "2024-03-03"  # azure-mgmt-compute 39 would send 2026-03-03; it takes the version per call only
REPLACE_KEYS = ("subscription_id", "version_id")
TUNING_KEYS = ("timeout_minutes", "poll_interval_seconds", "api_version", "arm_endpoint")
INPUT_KEYS = REPLACE_KEYS + ("target_regions",) + TUNING_KEYS
OUTPUT_KEYS = ("resource_group_name", "applied_target_regions", "applied_at")
DEFAULTS = {"timeout_minutes": 360, "poll_interval_seconds": 30, "api_version": API_VERSION,
            "arm_endpoint": DEFAULT_ARM_ENDPOINT}
REGION_KEYS = {"name", "regional_replica_count", "storage_account_type"}
UPDATABLE_PROFILE = ("replicaCount", "excludeFromLatest", "endOfLifeDate", "targetExtendedLocations")
_VERSION_ID = re.compile(r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute"
                         r"/galleries/(?P<gallery>[^/]+)/images/(?P<image>[^/]+)/versions/(?P<version>[^/]+)", re.I)


# One update of a version at a time. The program gives each region its own step (image_template.py), and
# the steps of one version have no dependency between them, so that no region's fleets wait for another
# region's replica change; the engine may therefore run them at once. Every dynamic resource of a
# `pulumi up` lives in one provider process, so a lock per version ID (held from the read to the end of
# replication) keeps their read-merge-writes apart: otherwise both read the same regions, and the second
# PATCH gets 409 Conflict during the first's update, or drops the first's region once it has ended. An
# update started elsewhere (the portal, a colleague) is waited for by _Job.run itself. The lock is module
# state, not provider state: providers pickle by reference, and a lock does not pickle.
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def version_lock(version_id: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(version_id.lower(), threading.Lock())


class VersionReplicasError(Exception):
    """The version lacks the requested replicas; the message says why and what to do."""


def _signature(regions, count="regional_replica_count", storage="storage_account_type", default=1) -> list[tuple]:
    # Our regions, or Azure's camelCase ones, as what this resource manages, order-free.
    return sorted((region_key(r["name"]), r.get(count) or default, (r.get(storage) or "").lower()) for r in regions)


class VersionReplicasProvider(ArmDynamicProvider):
    """check/diff/delete/read: see components/dynamic.py; update applies a target_regions change."""

    REPLACE_KEYS, TUNING_KEYS, DEFAULTS, CLIENT = REPLACE_KEYS, TUNING_KEYS, DEFAULTS, ComputeManagementClient
    RANGES = {"timeout_minutes": (0.001, 1440), "poll_interval_seconds": (0.001, 3600)}

    @property
    def input_keys(self) -> tuple[str, ...]:
        return INPUT_KEYS  # target_regions: neither replaced nor mere tuning

    def check(self, olds: dict, news: dict) -> CheckResult:
        result, vid, sub = super().check(olds, news), news.get("version_id"), news.get("subscription_id")
        if (m := _VERSION_ID.fullmatch(vid) if isinstance(vid, str) else None) and isinstance(sub, str) and \
                m["sub"].lower() != sub.lower():
            result.failures.append(CheckFailure("version_id", f"version_id {vid!r} is not in subscription {sub}"))
        return result

    def _invalid(self, key: str, value: Any) -> Optional[str]:
        if key == "version_id" and isinstance(value, str) and not _VERSION_ID.fullmatch(value):
            return f"version_id must be a gallery image version ID (.../galleries/g/images/i/versions/v): {value!r}"
        if key == "target_regions":
            return _invalid_regions(value)
        return super()._invalid(key, value)

    def _differs(self, key: str, old: Any, new: Any) -> bool:
        if key == "version_id":
            return str(old or "").lower() != str(new or "").lower()
        if key == "target_regions":
            return old is None or _signature(old) != _signature(new or [])
        return super()._differs(key, old, new)

    def create(self, props: dict) -> CreateResult:
        return CreateResult(props["version_id"], self._apply(self._with_defaults(props)))

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        if self._differs("target_regions", olds.get("target_regions"), news.get("target_regions")):
            return UpdateResult(self._apply(self._with_defaults(news)))
        return super().update(id_, olds, news)  # tuning only: keep what was applied

    def _apply(self, a: dict) -> dict:
        with version_lock(a["version_id"]), self._session(a) as session:
            job = _Job(session, a, self.arm_retry)
            try:
                applied = job.run()
            except (AzureError, ArmCallFailed) as exc:
                raise VersionReplicasError(f"VersionReplicas could not {job.step} for {job.what}: "
                                           f"{describe_error(exc)}. Last seen: provisioningState {job.state}. "
                                           f"{job.advice}") from exc
        at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")  # or when found as requested
        return {**{k: a.get(k) for k in INPUT_KEYS}, "resource_group_name": job.names[0],
                "applied_target_regions": applied, "applied_at": at}


def _invalid_regions(value: Any) -> Optional[str]:
    if not isinstance(value, (list, tuple)) or not value:
        return f"target_regions must be a non-empty list of {sorted(REGION_KEYS)} dicts, got {value!r}"
    for r in value:
        if not isinstance(r, dict) or set(r) - REGION_KEYS or not isinstance(r.get("name"), str) or not r["name"]:
            return f"each target region must be a dict with keys {sorted(REGION_KEYS)} (name required), got {r!r}"
        count, storage = r.get("regional_replica_count"), r.get("storage_account_type")
        top = rules.MAX_REPLICAS_PER_REGION
        if not is_number(count) or count != int(count) or not 1 <= count <= top:  # 3.0 from the engine is fine
            return f"regional_replica_count of region {r['name']!r} must be an integer from 1 to {top}, got {count!r}"
        if storage is not None and not (isinstance(storage, str) and storage):
            return f"storage_account_type of region {r['name']!r} must be a non-empty string or None, got {storage!r}"
    keys = [region_key(r["name"]) for r in value]
    dupes = [r["name"] for r, k in zip(value, keys) if keys.count(k) > 1]
    return f"region {dupes[0]!r} is listed more than once in target_regions" if dupes else None


def _wire(r: dict, name: str) -> dict:  # int(): the engine gives a provider floats, Azure wants integers
    return {"name": name, "regionalReplicaCount": int(r["regional_replica_count"]),
            **({"storageAccountType": r["storage_account_type"]} if r.get("storage_account_type") else {})}


class _Job:
    """One apply: the version, the deadline, and what was seen last (for the error messages)."""

    def __init__(self, session: ArmSession, a: dict, retry: ArmRetry) -> None:
        self.session, self.a, self.retry, self.api = session, a, retry, a["api_version"]
        m = _VERSION_ID.fullmatch(a["version_id"])
        self.names, self.what = m.group("rg", "gallery", "image", "version"), (
            f"gallery image version {m['gallery']}/{m['image']}/{m['version']} (resource group {m['rg']})")
        self.wanted = ", ".join(f"{r['name']}={int(r['regional_replica_count'])}" + (
            f" ({r['storage_account_type']})" if r.get("storage_account_type") else "") for r in a["target_regions"])
        self.advice = (f"Check `az sig image-version show -g {m['rg']} -r {m['gallery']} -i {m['image']} -e "
                       f"{m['version']} --expand ReplicationStatus`, fix the cause (quota, capacity, a storage type "
                       f"the region lacks), then run `pulumi up` again: it re-applies the counts, rebuilds nothing.")
        self.interval, self.started = float(a["poll_interval_seconds"]), time.monotonic()
        self.deadline = self.started + float(a["timeout_minutes"]) * 60
        self.step, self.state, self.profile, self.replication, self.op_error = "read the version", None, {}, [], None

    @property
    def ops(self) -> Any:
        return self.session.client.gallery_image_versions  # the current client: a 401 renews it

    def run(self) -> list[dict]:
        self._wait()  # an update already running (ours, interrupted) ends first
        desired = self._merge(list(self.profile.get("targetRegions") or []))
        if not (self.state == "Succeeded" and self._matches(desired)):
            self.step = "update targetRegions"
            # The spec marks storageProfile required in an update body too: send back what the GET showed.
            body = GalleryImageVersionUpdate(publishing_profile=GalleryImageVersionPublishingProfile(
                {**{k: self.profile[k] for k in UPDATABLE_PROFILE if k in self.profile}, "targetRegions": desired}),
                storage_profile=GalleryImageVersionStorageProfile(self.storage) if self.storage else None)
            poller = call_with_retry(lambda: self._patch(body), what=f"PATCH {self.what}", retry=self.retry,
                                     session=self.session, settled=lambda _e: False if self._matches(desired, reread=True) else None)
            if poller:  # else a 201/202, or the PATCH took effect though its answer was lost: _wait() follows
                try:
                    poller.result(timeout=max(0.0, self.deadline - time.monotonic()))
                except AzureError as exc:  # the version's own state below says what happened
                    self.op_error = describe_error(exc)
            self.step = "wait for replication"
            self._wait()
            if self.state != "Succeeded" or not self._matches(desired):
                raise VersionReplicasError(self._message("failed"))
        return [{"name": region_key(r["name"]), "regional_replica_count": r.get("regionalReplicaCount") or
                 self.profile.get("replicaCount") or 1, "storage_account_type": r.get("storageAccountType")}
                for r in self.profile.get("targetRegions", [])]

    def _merge(self, current: list[dict]) -> list[dict]:
        # The requested regions over the version's own; unrequested ones are kept (module doc), new ones go last.
        requested = {region_key(r["name"]): r for r in self.a["target_regions"]}
        on_version = {region_key(c["name"]) for c in current}
        merged = [{**c, **_wire(requested[region_key(c["name"])], c["name"])} if region_key(c["name"]) in requested
                  else c for c in current]
        return merged + [_wire(r, r["name"]) for k, r in requested.items() if k not in on_version]

    def _matches(self, desired: list[dict], reread: bool = False) -> bool:
        if reread:  # after an error or a lost answer: did the PATCH take effect?
            self._read()
        count = self.profile.get("replicaCount") or 1
        have, want = (_signature(r, "regionalReplicaCount", "storageAccountType", count)
                      for r in (self.profile.get("targetRegions", []), desired))
        # A new region sent without a storage type gets the version's default: any type matches it.
        return len(have) == len(want) and all(h[:2] == w[:2] and w[2] in ("", h[2]) for h, w in zip(have, want))

    def _patch(self, body: Any) -> Any:
        try:  # retry_total=0: call_with_retry retries, after asking whether the PATCH took effect
            return self.ops.begin_update(*self.names, body, api_version=self.api, retry_total=0,
                                         polling=lro_polling(self.interval, self.a["arm_endpoint"]))
        except HttpResponseError as exc:  # a 201/202 is accepted too; azure-mgmt-compute 39 only expects 200
            if exc.status_code not in (201, 202):
                raise
        return False

    def _wait(self) -> None:
        while self._read() in ("Creating", "Updating"):
            if (now := time.monotonic()) >= self.deadline:
                raise VersionReplicasError(self._message(
                    f"timed out after {human_duration(now - self.started)} (timeout_minutes="
                    f"{self.a['timeout_minutes']}; Azure carries on, and the next `pulumi up` waits for it)"))
            time.sleep(min(self.interval, self.deadline - now))

    def _read(self) -> Optional[str]:
        # Retried until the wait's deadline: an outage or a 401 mid-replication does not end the wait.
        v = call_until_deadline(lambda: self.ops.get(*self.names, expand="ReplicationStatus", api_version=self.api),
                                what=f"GET {self.what}", retry=self.retry, session=self.session,
                                deadline=self.deadline)
        props = v.as_dict().get("properties") or {}
        self.state, self.profile = props.get("provisioningState"), props.get("publishingProfile") or {}
        self.storage = props.get("storageProfile")
        self.replication = (props.get("replicationStatus") or {}).get("summary") or []
        return self.state

    def _message(self, outcome: str) -> str:
        status = "; ".join(f"{s.get('region')}: {s.get('state')}" + ("" if s.get("state") == "Completed" or s.get(
            "progress") is None else f" {s['progress']}%") + (f" ({s['details']})" if s.get("details") else "")
            for s in self.replication) or "not reported"
        have = ", ".join(f"{r['name']}={r.get('regionalReplicaCount')}" for r in self.profile.get("targetRegions", []))
        return (f"VersionReplicas for {self.what} {outcome} while setting target regions [{self.wanted}]: last "
                f"provisioningState {self.state}, regions on the version [{have}], replication status: {status}"
                + (f", operation: {self.op_error}" if self.op_error else "") + f". {self.advice}")


@dataclass
class VersionReplicasArgs:
    subscription_id: pulumi.Input[str]
    version_id: pulumi.Input[str]  # ImageBuild.artifact_id: .../galleries/{g}/images/{i}/versions/{v}
    target_regions: pulumi.Input[list]  # [{"name", "regional_replica_count", "storage_account_type"}]: module doc
    timeout_minutes: pulumi.Input[float] = 360
    poll_interval_seconds: pulumi.Input[float] = 30
    api_version: pulumi.Input[str] = API_VERSION
    arm_endpoint: pulumi.Input[str] = DEFAULT_ARM_ENDPOINT


class VersionReplicas(ArmDynamicResource, module="version_replicas", name="VersionReplicas"):
    """Replica counts of one gallery image version. Type: pulumi-python:dynamic/version_replicas:VersionReplicas."""

    version_id: pulumi.Output[str]
    target_regions: pulumi.Output[list]  # as requested
    applied_target_regions: pulumi.Output[list]  # every region on the version after the update, kept ones too
    applied_at: pulumi.Output[str]
    timeout_minutes: pulumi.Output[float]

    def __init__(self, resource_name: str, args: VersionReplicasArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(VersionReplicasProvider(), resource_name, resource_props(args, OUTPUT_KEYS), opts)
