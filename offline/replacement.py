"""Whether a change replaces a resource or updates it in place: the one table the offline diff reads.

Pulumi replaces a resource when its URN stays but the provider says an input cannot change in place.
Offline there is no provider to ask, so this module says it, from four sources:
1. the Azure name and every other part of the resource ID (a different ID is a different resource);
2. the resource's own `replaceOnChanges` option, as the program set it;
3. the dynamic providers' REPLACE_KEYS (this program's own providers, read from their modules);
4. IMMUTABLE below: properties Azure refuses to change on an existing resource, each with its source.
"""

from __future__ import annotations

import re

from components.providers import (definition_versions, disk_upload, generalize, image_build, role_propagation,
                                  version_replicas)

from .azure_types import AZURE_TYPES

# Every ARM resource: location is fixed at creation; moving means a new resource ("Move Azure
# resources to a new resource group or subscription", which excludes regions,
# https://learn.microsoft.com/azure/azure-resource-manager/management/move-resource-group-and-subscription).
ANY_AZURE_RESOURCE = ("location",)

# token -> (input paths Azure will not change in place, the document that says so)
IMMUTABLE: dict[str, tuple[tuple[str, ...], str]] = {
    "azure-native:compute:VirtualMachine": (
        ("zones", "osProfile.computerName", "osProfile.adminUsername", "storageProfile.imageReference"),
        "https://learn.microsoft.com/rest/api/compute/virtual-machines/create-or-update (zones, osProfile "
        "and imageReference are set at creation); pulumi-azure-native#1117 for imageReference"),
    "azure-native:compute:VirtualMachineScaleSet": (
        ("orchestrationMode", "platformFaultDomainCount", "virtualMachineProfile.osProfile.computerNamePrefix",
         "virtualMachineProfile.osProfile.adminUsername"),
        "https://learn.microsoft.com/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-upgrade-scale-set"
        "#properties-that-cannot-be-modified"),
    "azure-native:compute:GalleryImage": (
        ("identifier", "osType", "osState", "hyperVGeneration", "architecture"),
        "https://learn.microsoft.com/azure/virtual-machines/image-version#image-definitions (fixed at creation)"),
    "azure-native:authorization:RoleAssignment": (
        ("scope", "roleDefinitionId", "principalId", "principalType"),
        "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting (RoleAssignmentUpdateNotPermitted)"),
    "azure-native:network:Subnet": (
        (), "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-subnet"),
}

# This program's dynamic providers replace on their REPLACE_KEYS (components/providers/base.py diff()).
DYNAMIC_REPLACE_KEYS: dict[str, tuple[str, ...]] = {
    "pulumi-python:dynamic/image_build:ImageBuild": image_build.REPLACE_KEYS,
    "pulumi-python:dynamic/version_replicas:VersionReplicas": version_replicas.REPLACE_KEYS,
    "pulumi-python:dynamic/definition_versions:DefinitionVersions": definition_versions.REPLACE_KEYS,
    "pulumi-python:dynamic/generalize:Generalize": generalize.REPLACE_KEYS,
    "pulumi-python:dynamic/role_propagation:RolePropagation": role_propagation.REPLACE_KEYS,
    "pulumi-python:dynamic/disk_upload:DiskUpload": disk_upload.REPLACE_KEYS,
}


def _covers(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def replace_reasons(resource: dict, changed_paths: list[str]) -> list[str]:
    """Why these changed input paths replace the resource rather than update it (empty: an update)."""
    token = resource["type"]
    reasons: list[str] = []
    kind = AZURE_TYPES.get(token)
    for path in changed_paths:
        top = re.split(r"[.\[]", path, maxsplit=1)[0]
        if kind is not None and top in kind.path_params:
            reasons.append(f"{path}: part of the resource ID (a new name is a new resource)")
        elif any(_covers(p, path) for p in resource["options"].get("replaceOnChanges") or []):
            reasons.append(f"{path}: replaceOnChanges")
        elif kind is not None and any(_covers(p, path) for p in ANY_AZURE_RESOURCE + IMMUTABLE.get(token, ((), ""))[0]):
            reasons.append(f"{path}: Azure cannot change it in place")
        elif top in DYNAMIC_REPLACE_KEYS.get(token, ()):
            reasons.append(f"{path}: the provider replaces on it")
    return reasons
