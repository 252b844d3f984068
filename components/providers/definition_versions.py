"""DefinitionVersions: delete the image versions Image Builder wrote into one gallery image definition, when
the stack deletes that definition, so that `pulumi destroy` of an unprotected stack succeeds.

Image Builder writes versions (`<major>.x.y`) that are not in the Pulumi state, and Compute refuses to delete a
definition that has versions: 409 CannotDeleteResource, "Can not delete resource before nested resources are
deleted." Microsoft's "List, update, and delete gallery resources", section "Delete resources"
(https://learn.microsoft.com/azure/virtual-machines/update-image-resources#delete-resources) deletes in
reverse order: versions, then the definition, then the gallery. This resource sits between the definition and
what writes versions:

    definition  <-  DefinitionVersions  <-  image template  <-  ImageBuild (and the template's trigger)

Pulumi deletes dependents first, so on destroy the ImageBuild goes first (cancelling a run in progress), then
the template, then this resource (deleting every version left in the definition), then the definition.

- create/update/read: nothing in Azure; the inputs are recorded (delete only sees outputs).
- delete: lists the definition's versions, starts a DELETE of each (a long-running operation: the replicas
  in every region go too), and waits, bounded by timeout_minutes, until the list is empty. Then it waits
  settle_seconds more: right after its last version is gone a definition can still refuse deletion for some
  seconds (Azure/azure-rest-api-specs#19686, Azure/azure-sdk-for-net#30258), and azure-native's delete of the
  definition comes right after. Transient failures are retried until the deadline (arm.call_until_deadline).
- Only stacks with protect: false get this resource (components/images/gallery.py); prod keeps its versions
  and locks its gallery. Caution: switching a stack's `protect` from false to true removes this resource from
  the program, and Pulumi then runs its delete: it would delete the versions. Unprotected stacks only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from pulumi.dynamic import CreateResult

from components.providers.arm import DEFAULT_ARM_ENDPOINT, ArmCallFailed, call_until_deadline, describe_error
from components.providers.base import ArmDynamicProvider, ArmDynamicResource, human_duration, resource_props

API_VERSION = "2024-03-03"  # galleries/images/versions, as azure-native 3.29 sends; azure-mgmt-compute 39 would send 2026-03-03
REPLACE_KEYS = ("subscription_id", "resource_group_name", "gallery_name", "gallery_image_name")
TUNING_KEYS = ("timeout_minutes", "poll_interval_seconds", "settle_seconds", "api_version", "arm_endpoint")
INPUT_KEYS = REPLACE_KEYS + TUNING_KEYS
OUTPUT_KEYS = ("definition_id",)
DEFAULTS = {"timeout_minutes": 120, "poll_interval_seconds": 15, "settle_seconds": 30, "api_version": API_VERSION,
            "arm_endpoint": DEFAULT_ARM_ENDPOINT}


class DefinitionVersionsError(Exception):
    """Versions are left in the definition; the message says which and what to do."""


class DefinitionVersionsProvider(ArmDynamicProvider):
    """check/diff/update/read: see components/providers/base.py; delete: see the module doc."""

    REPLACE_KEYS, TUNING_KEYS, DEFAULTS, CLIENT = REPLACE_KEYS, TUNING_KEYS, DEFAULTS, ComputeManagementClient
    RANGES = {"timeout_minutes": (0.001, 1440), "poll_interval_seconds": (0.001, 3600), "settle_seconds": (0, 600)}

    def create(self, props: dict) -> CreateResult:
        a = self._with_defaults(props)
        definition_id = (f"/subscriptions/{a['subscription_id']}/resourceGroups/{a['resource_group_name']}/providers"
                         f"/Microsoft.Compute/galleries/{a['gallery_name']}/images/{a['gallery_image_name']}")
        return CreateResult(f"{definition_id}/versions", {**{k: a[k] for k in INPUT_KEYS},
                                                          "definition_id": definition_id})

    def delete(self, _id: str, props: dict) -> None:
        a = self._with_defaults(props)
        with self._session(a) as session:
            job = _Purge(session, a, self)
            try:
                deleted = job.run()
            except (AzureError, ArmCallFailed) as exc:
                raise DefinitionVersionsError(f"{job.failed(describe_error(exc))}") from exc
        if deleted:
            time.sleep(float(a["settle_seconds"]))


class _Purge:
    """One delete: the definition, the deadline, and the versions seen last (for the error message)."""

    def __init__(self, session: Any, a: dict, provider: DefinitionVersionsProvider) -> None:
        self.session, self.a, self.retry = session, a, provider.arm_retry
        self.names = (a["resource_group_name"], a["gallery_name"], a["gallery_image_name"])
        self.what = (f"gallery image definition {a['gallery_name']}/{a['gallery_image_name']} "
                     f"(resource group {a['resource_group_name']})")
        self.interval, self.started = float(a["poll_interval_seconds"]), time.monotonic()
        self.deadline = self.started + float(a["timeout_minutes"]) * 60
        self.seen: dict[str, Optional[str]] = {}  # version name -> provisioningState

    @property
    def ops(self) -> Any:
        return self.session.client.gallery_image_versions  # the current client: a 401 renews it

    def run(self) -> int:
        """Delete every version; returns how many there were."""
        try:
            versions = self._list()
        except ResourceNotFoundError:
            return 0  # the definition is gone already
        for name, state in versions.items():
            if state != "Deleting":  # one being deleted already (a previous, interrupted destroy) is waited for
                self._call(f"DELETE versions/{name}", lambda n=name: self.ops.begin_delete(
                    *self.names, n, api_version=self.a["api_version"], polling=False))
        while versions:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise DefinitionVersionsError(self.failed(
                    f"timed out after {human_duration(time.monotonic() - self.started)} "
                    f"(timeout_minutes={self.a['timeout_minutes']})"))
            time.sleep(min(self.interval, remaining))
            try:
                versions = self._list()
            except ResourceNotFoundError:
                break
        return len(self.seen)

    def _list(self) -> dict[str, Optional[str]]:
        found = self._call(f"GET {self.what} versions", lambda: list(self.ops.list_by_gallery_image(
            *self.names, api_version=self.a["api_version"])))
        versions = {v.name: (v.as_dict().get("properties") or {}).get("provisioningState") for v in found}
        self.seen.update(versions)
        return versions

    def _call(self, what: str, call: Any) -> Any:
        # DELETE is idempotent (a version already gone answers 204), so it is retried like a read.
        return call_until_deadline(call, what=what, deadline=self.deadline, retry=self.retry, session=self.session)

    def failed(self, reason: str) -> str:
        rg, gallery, image = self.names
        seen = ", ".join(f"{n}: {s or '?'}" for n, s in sorted(self.seen.items())) or "none listed"
        return (f"DefinitionVersions could not delete the image versions of {self.what}: {reason}. Versions seen: "
                f"[{seen}]. Azure refuses to delete a definition that still has versions. A CanNotDelete lock on the "
                f"gallery or its group also refuses it (`az lock list -g {rg}`). Check `az sig image-version list -g "
                f"{rg} -r {gallery} -i {image} -o table`, delete what is left (`az sig image-version delete`), then "
                f"run `pulumi destroy` (or `pulumi up`) again.")


@dataclass
class DefinitionVersionsArgs:
    subscription_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    gallery_name: pulumi.Input[str]
    gallery_image_name: pulumi.Input[str]  # pass definition.name: this resource must depend on the definition
    timeout_minutes: pulumi.Input[float] = 120  # deleting a version removes its replicas in every region
    poll_interval_seconds: pulumi.Input[float] = 15
    settle_seconds: pulumi.Input[float] = 30
    api_version: pulumi.Input[str] = API_VERSION
    arm_endpoint: pulumi.Input[str] = DEFAULT_ARM_ENDPOINT


class DefinitionVersions(ArmDynamicResource, module="definition_versions", name="DefinitionVersions"):
    """The versions in one image definition, deleted with it. Type token:
    pulumi-python:dynamic/definition_versions:DefinitionVersions."""

    definition_id: pulumi.Output[str]
    gallery_name: pulumi.Output[str]
    gallery_image_name: pulumi.Output[str]

    def __init__(self, resource_name: str, args: DefinitionVersionsArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(DefinitionVersionsProvider(), resource_name, resource_props(args, OUTPUT_KEYS), opts)
