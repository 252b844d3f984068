"""Pulumi's in-process mock engine, made to answer like Azure and to record what the program sends.

Azure-shaped answers matter because the program reads them back: IDs are ARM paths, identities have
principal IDs, and identity maps come back as maps. Pulumi's mock engine echoes inputs as outputs by
default, which crashes where an output's shape differs from its input (identity.userAssignedIdentities
is a list going in and a map coming out); `azure_outputs` is the one place that reshapes them.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

from components.config.azure_rules import REGIONS

from .azure_types import FAKE_SUBSCRIPTION_ID, FAKE_TENANT_ID, azure_type

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
SIG_KEY = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

def _guid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def azure_outputs(token: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The (id, outputs) Azure would answer with for a resource created from these inputs."""
    if token.startswith("pulumi-python:dynamic"):
        # A dynamic resource's outputs exist only once its provider has run (a build has finished):
        # left out here, they show as unknown, as in a real preview of a new stack.
        state = {k: v for k, v in inputs.items() if k != "__provider" and v is not None}
        return f"dynamic-{_guid(token, repr(sorted(state)))}", state

    if token == "random:index/randomPassword:RandomPassword":
        # The password exists only after `pulumi up`: unknown (and secret) in any preview.
        return f"random-{_guid(repr(sorted(inputs.items())))}", dict(inputs)

    kind = azure_type(token)
    resource_id = kind.resource_id(inputs)
    state = copy.deepcopy(inputs)
    state.update(id=resource_id, name=resource_id.rsplit("/", 1)[-1], type=kind.arm_type)

    if token == "azure-native:managedidentity:UserAssignedIdentity":
        state.update(principalId=_guid(resource_id, "principal"), clientId=_guid(resource_id, "client"),
                     tenantId=FAKE_TENANT_ID)
    identity = state.get("identity")
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
        identity["userAssignedIdentities"] = {
            uai: {"principalId": _guid(uai, "principal"), "clientId": _guid(uai, "client")}
            for uai in identity["userAssignedIdentities"]
        }
    return resource_id, state


class AzureMocks(pulumi.runtime.Mocks):
    """replicas: where existing gallery image versions are replicated, {version ID: [regions]}, for the
    preview-time check of pinned versions. Offline nothing says, so a version not listed is taken to
    exist as the stack file states (with a replica in every region), which a real preview verifies."""

    def __init__(self, replicas: dict[str, list[str]] | None = None, stack_outputs: dict[str, dict] | None = None):
        super().__init__()
        self._replicas = {k.lower(): v for k, v in (replicas or {}).items()}
        self._stack_outputs = stack_outputs or {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.typ == STACK_REFERENCE:
            return self._stack_reference(args.inputs["name"])
        if not args.custom:
            return "", args.inputs  # a component: nothing in Azure to answer for
        return azure_outputs(args.typ, args.inputs)

    def _stack_reference(self, name: str) -> tuple[str, dict[str, Any]]:
        """A StackReference answers with the referenced stack's outputs (offline: its own offline plan's, or
        a file of them, see offline/plan.py); secrets stay out. What the referenced plan shows as "[unknown]" (a
        version its `pulumi up` has not built yet) stays that text, which this plan shows alike: the engine's
        unknown value cannot be used, since one unknown anywhere in a stack's outputs makes every output
        of the reference unknown in a preview, the known definition IDs a pinned promotion needs too."""
        stack = name.rsplit("/", 1)[-1]
        if stack not in self._stack_outputs:
            raise ValueError(f"the offline plan has no outputs of stack {name}: plan it (Pulumi.{stack}.yaml), or "
                             f"give a file of its outputs (--stack-outputs {stack}=<pulumi stack output --json>)")
        outputs = {k: v for k, v in self._stack_outputs[stack].items() if v != "[secret]"}
        return name, {"name": name, "outputs": outputs, "secretOutputNames": []}

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "azure-native:authorization:getClientConfig":
            return {"clientId": _guid("client"), "objectId": _guid("object"),
                    "subscriptionId": FAKE_SUBSCRIPTION_ID, "tenantId": FAKE_TENANT_ID}
        if args.token == "azure-native:compute:getGalleryImageVersion":
            a = args.args
            vid = (f"/subscriptions/{FAKE_SUBSCRIPTION_ID}/resourceGroups/{a['resourceGroupName']}/providers/"
                   f"Microsoft.Compute/galleries/{a['galleryName']}/images/{a['galleryImageName']}"
                   f"/versions/{a['galleryImageVersionName']}")
            regions = self._replicas.get(vid.lower(), sorted(REGIONS))
            return {"id": vid, "name": a["galleryImageVersionName"], "location": regions[0],
                    "publishingProfile": {"targetRegions": [{"name": r} for r in regions]}}
        raise NotImplementedError(f"the offline plan has no mock for the function {args.token}")


STACK_REFERENCE = "pulumi:pulumi:StackReference"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    dependencies: list[str]
    inputs: dict[str, Any]
    options: dict[str, Any]


def _render(value: Any) -> Any:
    """Wire values as a reader should see them: secrets and unknowns never show their content."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return "[secret]"
        if sig == RESOURCE_SIG:
            return value.get("urn")
        return {k: _render(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf carries every number as a double; ARM wants integers back
    return value


def _timeouts(request) -> dict[str, str] | None:
    t = request.customTimeouts
    found = {k: getattr(t, k) for k in ("create", "update", "delete") if getattr(t, k)}
    return found or None


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registrations = []

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        if urn in self.resources:
            # The real engine refuses this too ("Duplicate resource URN"): siblings of different
            # component instances need names of their own, because the parent's name is not in the URN.
            raise ValueError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        response = super().RegisterResource(request)
        self.registrations.append(Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            dependencies=list(request.dependencies),
            inputs=_render(json_format.MessageToDict(request.object)),
            options={
                "protect": bool(request.protect),
                "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                "replaceOnChanges": list(request.replaceOnChanges),
                "ignoreChanges": list(request.ignoreChanges),
                "customTimeouts": _timeouts(request),
                "retainOnDelete": bool(request.retainOnDelete),
                # Beyond the documented set (kept stable): the resources whose replacement replaces this.
                "replaceWith": list(request.replace_with),
            },
        ))
        return response
