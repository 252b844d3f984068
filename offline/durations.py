"""Nominal durations of `pulumi up` steps, in minutes: the one table the plan's estimate reads.

These are planning figures, not measurements and not promises: Azure's real times vary with the region,
the image size, capacity and the customizers. Each row names where its figure comes from. Where a
Microsoft document states a time, the figure is that time; where it gives only a range or a default, the
figure is our nominal value inside it, and the basis says so. Change a figure here and every stack's
estimate follows; nothing else holds a duration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from components.config import azure_rules as rules
from components.config.azure_rules import region_key

# Every dynamic resource of a `pulumi up` runs in one Python provider process, which serves the engine
# with 4 worker threads: a fifth operation queues until one of the four ends.
PROVIDER_THREADS = 4


@dataclass(frozen=True)
class Row:
    minutes: float
    basis: str  # what the figure is: stated by the document, or our nominal value within its range
    title: str  # the Microsoft document it comes from
    url: str


AIB_OVERVIEW = ("Azure VM Image Builder overview",
                "https://learn.microsoft.com/en-us/azure/virtual-machines/image-builder-overview")
AIB_JSON = ("Create an Azure Image Builder Bicep or ARM template JSON template",
            "https://learn.microsoft.com/en-us/azure/virtual-machines/linux/image-builder-json")
BOOT_OPTIMIZATION = ("VM optimization for gallery images with Azure VM Image Builder",
                     "https://learn.microsoft.com/en-us/azure/virtual-machines/vm-boot-optimization")
GALLERY = ("Store and share images in an Azure Compute Gallery",
           "https://learn.microsoft.com/en-us/azure/virtual-machines/azure-compute-gallery")
RBAC = ("Troubleshoot Azure RBAC", "https://learn.microsoft.com/en-us/azure/role-based-access-control/troubleshooting")
BASTION = ("Quickstart: Deploy Azure Bastion automatically",
           "https://learn.microsoft.com/en-us/azure/bastion/quickstart-host-portal")
VM = ("Quickstart: Create a Windows virtual machine in the Azure portal",
      "https://learn.microsoft.com/en-us/azure/virtual-machines/windows/quick-create-portal")
VMSS = ("Create virtual machines in a scale set using Azure portal",
        "https://learn.microsoft.com/en-us/azure/virtual-machine-scale-sets/flexible-virtual-machine-scale-sets-portal")
CAPTURE = ("Create a legacy managed image of a generalized VM in Azure",
           "https://learn.microsoft.com/en-us/azure/virtual-machines/capture-image-resource")
RESIZE = ("Resize a virtual machine", "https://learn.microsoft.com/en-us/azure/virtual-machines/sizes/resize-vm")
ROLLING = ("Configure rolling upgrades on Virtual Machine Scale Sets",
           "https://learn.microsoft.com/en-us/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-configure-rolling-upgrades")
UPLOAD = ("Upload a VHD to Azure or copy a managed disk to another region",
          "https://learn.microsoft.com/azure/virtual-machines/windows/disks-upload-vhd-to-managed-disk-powershell")
ARM = ("Azure Resource Manager overview", "https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/overview")

TABLE: dict[str, Row] = {
    "windows build": Row(60, "nominal, our figure: a Windows build with Windows Update takes 30-90 min here; the "
                             "document gives only the build timeout (default 240 min)", *AIB_JSON),
    "boot optimization": Row(rules.BOOT_OPTIMIZATION_MINUTES, "stated: optimize.vmBoot takes about 35 minutes for a "
                             "127 GB Windows image", *BOOT_OPTIMIZATION),
    "distribution, home region": Row(rules.HOME_DISTRIBUTION_MINUTES, "nominal: the first replica in the build's own "
                                     "region", *AIB_OVERVIEW),
    "replication, another region": Row(30, "nominal: a cross-region copy; the document: replication time depends on "
                                           "the image size and the regions", *GALLERY),
    "more replicas in a region": Row(10, "nominal: copies inside a region already holding the version", *GALLERY),
    "replica step, nothing to change": Row(0.5, "one GET: the version is already as requested", *GALLERY),
    "role propagation": Row(10, "stated: role assignments can take up to 10 minutes to take effect (first run)",
                            *RBAC),
    "image template": Row(2, "nominal: Image Builder validates the template when it is submitted", *AIB_JSON),
    "bastion host": Row(10, "stated: a Bastion host takes about 10 minutes to deploy", *BASTION),
    "virtual machine": Row(5, "nominal: a Windows VM deploys in a few minutes", *VM),
    "vm extension": Row(5, "nominal: an extension (domain join) runs inside a booted VM", *VM),
    "scale set": Row(15, "nominal: a Flexible scale set creates its instances in parallel", *VMSS),
    "generalize": Row(15, "nominal: sysprep, stop, deallocate, generalize", *CAPTURE),
    "managed image": Row(5, "nominal: capture of a generalized VM's disk", *CAPTURE),
    "gallery version from an image": Row(20, "nominal: a new version replicated to its region", *GALLERY),
    "copy from another gallery, same region": Row(15, "nominal: a version created from another gallery's version "
                                                      "in the region both galleries are in", *GALLERY),
    "network and other resources": Row(1, "nominal: a synchronous ARM create (resource group, VNet, subnet, NSG, NIC, "
                                          "NAT, public IP, identity, role, gallery, definition, lock, schedule)", *ARM),
    # Per GiB of data sent (only the ranges that hold data travel): 100 Mbit/s, an on-premises uplink's
    # nominal share; the disk's own limit (Standard HDD: up to 60 MB/s) is rarely what bounds it.
    "vhd upload, per GiB of data": Row(1.5, "assumed, our figure: 1 GiB at 100 Mbit/s (12.5 MB/s) takes about 1.4 "
                                            "min; the document states no speed", *UPLOAD),
    "bookkeeping": Row(0, "no Azure call at create (a password, DefinitionVersions: it acts at destroy)", *ARM),
    # What a change to a deployed stack costs (change_minutes), beside what creating it costs.
    "update in place": Row(1, "nominal: a synchronous ARM update (tags, settings)", *ARM),
    "vm resize": Row(10, "nominal: a running VM restarts to take its new size (stop, resize, start)", *RESIZE),
    "delete": Row(3, "nominal: a VM (with its OS disk) or another resource deleted", *ARM),
    "rolling batch": Row(12, "nominal: one batch of a scale set's Rolling upgrade (20% of its instances updated "
                             "and health-checked), 2 min pause included", *ROLLING),
}

BY_TYPE = {
    "pulumi-python:dynamic/role_propagation:RolePropagation": "role propagation",
    "azure-native:virtualmachineimages:VirtualMachineImageTemplate": "image template",
    "azure-native:network:BastionHost": "bastion host",
    "azure-native:compute:VirtualMachine": "virtual machine",
    "azure-native:compute:VirtualMachineExtension": "vm extension",
    "azure-native:compute:VirtualMachineScaleSet": "scale set",
    "pulumi-python:dynamic/generalize:Generalize": "generalize",
    "azure-native:compute:Image": "managed image",
    "azure-native:compute:GalleryImageVersion": "gallery version from an image",
    "random:index/randomPassword:RandomPassword": "bookkeeping",
    "pulumi-python:dynamic/definition_versions:DefinitionVersions": "bookkeeping",
}
BUILD = "pulumi-python:dynamic/image_build:ImageBuild"
REPLICAS = "pulumi-python:dynamic/version_replicas:VersionReplicas"
UPLOAD_TOKEN = "pulumi-python:dynamic/disk_upload:DiskUpload"
GIB = 1024 ** 3
TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"


def _m(row: str) -> float:
    return TABLE[row].minutes


def _upstream_of(resource: dict, index: dict[str, dict], type_: str) -> dict | None:
    return next((index[u] for u in resource["dependsOn"] if index[u]["type"] == type_), None)


def _template_regions(template: dict | None) -> list[str]:
    shared = [d for d in (template or {}).get("inputs", {}).get("distribute", []) if d.get("type") == "SharedImage"]
    return [region_key(r["name"]) for d in shared for r in d.get("targetRegions", [])]


def _build(resource: dict, index: dict[str, dict]) -> float:
    """A run: the Windows build, boot optimization if on, then distribution to every target region (in
    parallel; Image Builder's run ends when the last region is done)."""
    template = _upstream_of(resource, index, TEMPLATE) or {"inputs": {}}
    home = region_key(template["inputs"].get("location", ""))
    regions = _template_regions(template) or [home]
    optimize = template["inputs"].get("optimize", {}).get("vmBoot", {}).get("state") == "Enabled"
    copies = max(_m("distribution, home region") if r == home else _m("replication, another region") for r in regions)
    return _m("windows build") + (_m("boot optimization") if optimize else 0) + copies


def _replicas(resource: dict, index: dict[str, dict]) -> float:
    """A replica step: a cross-region copy for a region the build did not distribute to, more copies
    for a count above one; the regions of one step replicate in parallel."""
    build = _upstream_of(resource, index, BUILD)
    built_in = set(_template_regions(_upstream_of(build, index, TEMPLATE) if build else None))
    times = [(0 if region_key(r["name"]) in built_in else _m("replication, another region")) +
             (_m("more replicas in a region") if (r.get("regional_replica_count") or 1) > 1 else 0)
             for r in resource["inputs"].get("target_regions") or []]
    return max(times, default=0) or _m("replica step, nothing to change")


def _upload(resource: dict, _index: dict[str, dict]) -> float:
    """An upload: its data at the table's assumed bandwidth (the plan reads the file: resource["upload"]),
    else the whole file."""
    data = (resource.get("upload") or {}).get("dataBytes", resource["inputs"].get("size_bytes") or 0)
    return _m("vhd upload, per GiB of data") * data / GIB


def _version(resource: dict, _index: dict[str, dict]) -> float:
    """A gallery version: from a managed image (a capture's publish), or a copy of another gallery's version
    (promotion), whose create ends when every target region has its replicas, copied in parallel."""
    inputs = resource["inputs"]
    source = str((inputs.get("storageProfile") or {}).get("source", {}).get("id", ""))
    if "/galleries/" not in source.lower():
        return _m("gallery version from an image")
    home = region_key(inputs.get("location", ""))
    return max(((_m("copy from another gallery, same region") if region_key(r["name"]) == home
                 else _m("replication, another region")) +
                (_m("more replicas in a region") if (r.get("regionalReplicaCount") or 1) > 1 else 0)
                for r in (inputs.get("publishingProfile") or {}).get("targetRegions") or []),
               default=_m("copy from another gallery, same region"))


SPECIAL: dict[str, Callable[[dict, dict], float]] = {BUILD: _build, REPLICAS: _replicas, UPLOAD_TOKEN: _upload,
                                                     "azure-native:compute:GalleryImageVersion": _version}


def minutes(resource: dict, index: dict[str, dict]) -> float:
    """The nominal minutes of one custom resource of a plan document (index: the plan's resources by URN)."""
    if resource["type"] in SPECIAL:
        return SPECIAL[resource["type"]](resource, index)
    return _m(BY_TYPE.get(resource["type"], "network and other resources"))


def is_long_wait(resource: dict[str, Any]) -> bool:
    """Runs in the shared dynamic-provider process, holding one of its PROVIDER_THREADS while it waits."""
    return resource["type"].startswith("pulumi-python:dynamic")



VMSS_TYPE = "azure-native:compute:VirtualMachineScaleSet"
ROLLING_BATCHES = 5  # 20% a batch (components/vms/fleet.py)


def _rolling() -> float:
    return ROLLING_BATCHES * _m("rolling batch")


def _update_minutes(change: dict, resource: dict, old: dict, index: dict[str, dict]) -> float:
    """An in-place update of a deployed resource: what Azure does for the properties that changed."""
    props = change["properties"]
    if change["action"] == "restart":
        return _rolling() if resource["type"] == VMSS_TYPE else _m("vm resize")
    if resource["type"] == VMSS_TYPE:
        rolls = any(p.startswith("virtualMachineProfile.") for p in props)
        old_n, new_n = ((r["inputs"].get("sku") or {}).get("capacity") or 0 for r in (old, resource))
        grows = _m("scale set") if new_n > old_n else (_m("delete") if new_n < old_n else 0)
        return max(_rolling() if rolls else 0, grows) or _m("update in place")
    if resource["type"] == REPLICAS:
        had = {region_key(r["name"]): r.get("regional_replica_count") or 1
               for r in old["inputs"].get("target_regions") or []}
        times = [(0 if region_key(r["name"]) in had else _m("replication, another region")) +
                 (_m("more replicas in a region") if (r.get("regional_replica_count") or 1) > had.get(
                     region_key(r["name"]), 1) else 0)
                 for r in resource["inputs"].get("target_regions") or []]
        return max(times, default=0) or _m("replica step, nothing to change")
    return _m("update in place")


def change_minutes(change: dict, resource: dict, old: dict | None, index: dict[str, dict]) -> float:
    """The nominal minutes one classified change (offline/diff.py) takes in a `pulumi up` of a deployed
    stack: a create as in a new stack, a delete-first replacement its delete and its create, an update
    what Azure does for the properties that changed (a resize restarts, a scale set rolls in batches)."""
    if change["action"] == "add":
        return minutes(resource, index)
    if change["action"] == "replace":
        return minutes(resource, index) + (_m("delete") if change["replaceOrder"] == "delete-first" else 0)
    if change["action"] == "delete":
        return _m("delete")
    return _update_minutes(change, resource, old or resource, index)
