"""SubnetRelease: on destroy, hold the container-instance subnet's delete back until the container service has let
go of it.

    subnet (delegated to Microsoft.ContainerInstance/containerGroups) <- SubnetRelease <- image template

Isolated builds run Image Builder's container instance in the firm's own subnet ("Azure VM Image Builder
networking options", https://learn.microsoft.com/azure/virtual-machines/security-isolated-image-builds-image-builder).
While a container group uses a delegated subnet, the container service holds it with a serviceAssociationLink,
and a subnet delete is refused with InUseSubnetCannotBeDeleted ("Add, change, or delete a virtual network subnet",
Delete a subnet, https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-subnet#delete-a-subnet).
Pulumi's destroy order already deletes the template (and with it Image Builder's container group) before the
subnet, but the link is removed by the container service on its own time, after the group is gone.

So delete (Pulumi runs it after the template's delete, before the subnet's) polls GET subnet (network API
2024-05-01) until no serviceAssociationLink is left, or the subnet is gone, within timeout_minutes. Microsoft does
not say how long the link may outlive the group, nor whether asking the container service to drop it succeeds
while it would go by itself; so the form that works either way: wait first, and from half the timeout on ask once
("Subnet Service Association Link - Delete", DELETE {subnet}/providers/Microsoft.ContainerInstance/
serviceAssociationLinks/default, API 2023-05-01: it "does not delete other resources provided by the user"),
whatever its answer, and go on waiting. A link still there at the end is an error that names it and what to do.

create, read, update: nothing in Azure (the subnet is its own resource). Retries: arm.call_until_deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from pulumi.dynamic import CreateResult

from components.providers.arm import DEFAULT_ARM_ENDPOINT, ArmCallFailed, call_until_deadline, describe_error
from components.providers.arm_resource import ArmResourceClient
from components.providers.base import ArmDynamicProvider, ArmDynamicResource, human_duration, resource_props

API_VERSION = "2024-05-01"  # subnets, as azure-native 3.29 sends
ACI_API_VERSION = "2023-05-01"  # Microsoft.ContainerInstance's serviceAssociationLinks delete
REPLACE_KEYS = ("subscription_id", "subnet_id")
TUNING_KEYS = ("timeout_minutes", "poll_interval_seconds", "api_version", "arm_endpoint")
OUTPUT_KEYS: tuple[str, ...] = ()
DEFAULTS = {"timeout_minutes": 30, "poll_interval_seconds": 15, "api_version": API_VERSION,
            "arm_endpoint": DEFAULT_ARM_ENDPOINT}


class SubnetReleaseError(Exception):
    """The subnet is still held by a service association link; the message names it and what to do."""


class SubnetReleaseProvider(ArmDynamicProvider):
    """check/diff/update/read: see components/providers/base.py; delete: see the module doc."""

    REPLACE_KEYS, TUNING_KEYS, DEFAULTS, CLIENT = REPLACE_KEYS, TUNING_KEYS, DEFAULTS, ArmResourceClient
    RANGES = {"timeout_minutes": (0.001, 240), "poll_interval_seconds": (0.001, 600)}

    def _invalid(self, key: str, value: Any) -> Optional[str]:
        if key == "subnet_id" and not (isinstance(value, str) and "/providers/microsoft.network/virtualnetworks/"
                                       in value.lower() and "/subnets/" in value.lower()):
            return f"subnet_id must be a subnet's ARM ID, got {value!r}"
        return super()._invalid(key, value)

    def _differs(self, key: str, old: Any, new: Any) -> bool:
        if key == "subnet_id":  # ARM IDs: case-insensitive
            return str(old or "").lower() != str(new or "").lower()
        return super()._differs(key, old, new)

    def create(self, props: dict) -> CreateResult:
        a = self._with_defaults(props)
        return CreateResult(a["subnet_id"], {k: a[k] for k in REPLACE_KEYS + TUNING_KEYS})

    def delete(self, _id: str, props: dict) -> None:
        a = self._with_defaults(props)
        subnet = a["subnet_id"]
        started = time.monotonic()
        timeout = float(a["timeout_minutes"]) * 60
        deadline, ask_at, asked = started + timeout, started + timeout / 2, None
        with self._session(a) as session:
            while True:
                try:
                    found = call_until_deadline(lambda: session.client.get_by_id(subnet), what=f"GET {subnet}",
                                                deadline=deadline, retry=self.arm_retry, session=session)
                except ResourceNotFoundError:
                    return  # the subnet (or its network) is gone already
                except (AzureError, ArmCallFailed) as exc:
                    raise SubnetReleaseError(_message(subnet, f"could not be read: {describe_error(exc)}")) from exc
                links = (found.get("properties") or {}).get("serviceAssociationLinks") or []
                if not links:
                    return
                now = time.monotonic()
                if asked is None and now >= ask_at:
                    asked = self._ask_to_drop(session, subnet, deadline)
                if now >= deadline:
                    held = ", ".join(f"{link.get('id') or link.get('name')} ("
                                     f"{(link.get('properties') or {}).get('linkedResourceType') or 'unknown type'})"
                                     for link in links)
                    raise SubnetReleaseError(_message(subnet, (
                        f"is still held by {held} after {human_duration(now - started)} (timeout_minutes="
                        f"{a['timeout_minutes']}; the container service was asked to drop the link: {asked})")))
                time.sleep(min(float(a["poll_interval_seconds"]), deadline - now))

    def _ask_to_drop(self, session: Any, subnet: str, deadline: float) -> str:
        """The container service's delete of its link: what it answered, for the message. Any answer is fine:
        waiting goes on either way."""
        link = f"{subnet}/providers/Microsoft.ContainerInstance/serviceAssociationLinks/default"
        try:
            call_until_deadline(lambda: session.client.delete_by_id(link, ACI_API_VERSION), what=f"DELETE {link}",
                                deadline=deadline, retry=self.arm_retry, session=session)
            return "accepted"
        except HttpResponseError as exc:
            return f"refused, {describe_error(exc)}"
        except (AzureError, ArmCallFailed) as exc:
            return f"no answer, {describe_error(exc)}"


def _message(subnet: str, reason: str) -> str:
    return (f"SubnetRelease: container-instance subnet {subnet} {reason}. Azure refuses to delete a subnet that a "
            f"service association link holds (InUseSubnetCannotBeDeleted). Check that no container group is left in "
            f"the subnet (`az container list --query \"[?subnetIds[?id=='{subnet}']]\"`; Image Builder's is in the "
            f"template's staging resource group), delete it if one is, then run `pulumi destroy` (or `pulumi up`) "
            f"again: this step waits for the link again, and the subnet's delete follows.")


@dataclass
class SubnetReleaseArgs:
    subscription_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]  # the subnet's .id: this resource depends on it, and its users on this
    timeout_minutes: pulumi.Input[float] = 30  # delete: how long the link may take to go
    poll_interval_seconds: pulumi.Input[float] = 15
    api_version: pulumi.Input[str] = API_VERSION
    arm_endpoint: pulumi.Input[str] = DEFAULT_ARM_ENDPOINT


class SubnetRelease(ArmDynamicResource, module="subnet_release", name="SubnetRelease"):
    """A container-instance subnet, released before its delete. Type token:
    pulumi-python:dynamic/subnet_release:SubnetRelease."""

    subnet_id: pulumi.Output[str]  # give this to the subnet's users (the template), not the subnet's own id

    def __init__(self, resource_name: str, args: SubnetReleaseArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(SubnetReleaseProvider(), resource_name, resource_props(args, OUTPUT_KEYS), opts)
