"""Azure's behaviour that the types cannot express: each rule reuses components/config's statement of it."""

from __future__ import annotations

import re

from components.config import azure_rules as rules
from components.config.regions import CAPABILITIES
from components.images.replica_plan import derived_replicas

from .model import Policy, get, known, walk

VM = "azure-native:compute:VirtualMachine"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
REPLICAS = "pulumi-python:dynamic/version_replicas:VersionReplicas"
VERSION = "azure-native:compute:GalleryImageVersion"

# --- no ManagedImage output from a TrustedLaunchSupported source --------------------------------------


def _managed_image_output(r: dict):
    if r["type"] != TEMPLATE or (r["inputs"].get("source") or {}).get("type") != "PlatformImage":
        return
    for i, target in enumerate(r["inputs"].get("distribute") or []):
        if target.get("type") == "ManagedImage":
            yield f"distribute[{i}] is a ManagedImage: {rules.NO_MANAGED_IMAGE_FROM_TRUSTED_LAUNCH_SOURCE}"


MANAGED_IMAGE = Policy(
    "no-managed-image-from-trusted-launch-source", "No ManagedImage output from a TrustedLaunchSupported source.",
    "https://learn.microsoft.com/azure/virtual-machines/image-builder-overview",
    resource=lambda r: list(_managed_image_output(r)))

# --- vnetConfig as Image Builder takes it -------------------------------------------------------------------


def _vnet_config(r: dict):
    vnet = get(r["inputs"], "vmProfile.vnetConfig") if r["type"] == TEMPLATE else None
    if not vnet:
        return
    # In a preview the program's own subnets are [unknown]: stand-ins in one network, which they are.
    given = {k: str(v) if known(v) else f"<the program's network>/subnets/{k}" for k, v in vnet.items()}
    for field, allowed in rules.vnet_config_problems(given.get("subnetId"), given.get("containerInstanceSubnetId"),
                                                     given.get("proxyVmSize")):
        yield f"vnetConfig.{field} {allowed}"


# --- a managed image source in the template's subscription --------------------------------------------------


def _managed_image_source(r: dict):
    source = r["inputs"].get("source") or {} if r["type"] == TEMPLATE else {}
    image, staging = source.get("imageId"), r["inputs"].get("stagingResourceGroup")
    if source.get("type") != "ManagedImage" or not (known(image) and known(staging)):
        return
    if rules.subscription_of(str(image)).lower() != rules.subscription_of(str(staging)).lower():
        yield (f"source.imageId {image} is in another subscription than the template: Image Builder takes a managed "
               "image in the template's own subscription and region")


MANAGED_IMAGE_SOURCE = Policy(
    "managed-image-source-in-the-template-subscription", "A managed image source lives in the template's subscription.",
    "https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-json#managedimage-source",
    resource=lambda r: list(_managed_image_source(r)))


VNET_CONFIG = Policy(
    "image-builder-vnet-config", "A template's vnetConfig is one Image Builder accepts.",
    "https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-json#vnetconfig-optional",
    resource=lambda r: list(_vnet_config(r)))

# --- automatic platform patching needs a customer schedule ----------------------------------------------


def _patching(r: dict):
    if r["type"] not in (VM, VMSS):
        return
    profile = r["inputs"] if r["type"] == VM else r["inputs"].get("virtualMachineProfile", {})
    settings = get(profile, "osProfile.windowsConfiguration.patchSettings") or {}
    marketplace = bool(get(profile, "storageProfile.imageReference.publisher"))
    if settings.get("patchMode") == "AutomaticByPlatform" and not marketplace and \
            get(settings, "automaticByPlatformSettings.bypassPlatformSafetyChecksOnUserSchedule") is not True:
        yield ("patchMode AutomaticByPlatform on a custom image without bypassPlatformSafetyChecksOnUserSchedule: "
               "automatic guest patching does not serve custom images, so nothing would patch it")


PATCHING = Policy(
    "patching-needs-a-schedule", "AutomaticByPlatform on custom images only with a customer-managed schedule.",
    "https://learn.microsoft.com/azure/virtual-machines/automatic-vm-guest-patching",
    resource=lambda r: list(_patching(r)))

# --- zones and ZRS only where the region has them --------------------------------------------------------


def _zones(r: dict):
    location = str(r["inputs"].get("location") or "").lower()
    caps = CAPABILITIES.get(location)
    if caps and not caps.zones and r["inputs"].get("zones"):
        yield f"zones {r['inputs']['zones']} in {location}, which has no availability zones"
    for path, key, value in walk(r["inputs"]):
        if key.lower() in ("storageaccounttype", "storage_account_type") and str(value).endswith("_ZRS"):
            region = location
            parent = path.rsplit(".", 1)[0]
            sibling = get_path(r["inputs"], parent)
            if isinstance(sibling, dict) and sibling.get("name"):
                region = str(sibling["name"]).lower()
            caps = CAPABILITIES.get(region)
            if caps and not caps.zrs:
                yield f"{path} is {value} in {region}, which has no zone-redundant storage"


def get_path(value, path: str):
    """The value at a walk() path such as a.b[0].c."""
    for step in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if step.startswith("["):
            value = value[int(step[1:-1])]
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


ZONES = Policy("zones-where-offered", "No zones or ZRS in regions without availability zones.",
               "https://learn.microsoft.com/azure/reliability/availability-zones-region-support",
               resource=lambda r: list(_zones(r)))

# --- replica counts ------------------------------------------------------------------------------------


def _targets(r: dict) -> dict[str, int]:
    """region -> replica count of a version's target regions."""
    if r["type"] == REPLICAS:
        return {t["name"]: t.get("regional_replica_count", 1) for t in r["inputs"].get("target_regions") or []}
    if r["type"] == VERSION:
        return {t["name"]: t.get("regionalReplicaCount", 1)
                for t in get(r["inputs"], "publishingProfile.targetRegions") or []}
    return {}


def _replicas(resources: list[dict]):
    for version in (r for r in resources if r["type"] in (REPLICAS, VERSION)):
        targets = _targets(version)
        vms: dict[str, int] = {}
        for fleet in (r for r in resources if r["type"] in (VM, VMSS) and version["urn"] in r.get("dependsOn", [])):
            count = (fleet["inputs"].get("sku") or {}).get("capacity", 1) if fleet["type"] == VMSS else 1
            region = str(fleet["inputs"].get("location"))
            vms[region] = vms.get(region, 0) + (count if known(count) else 0)
        for region, count in sorted(targets.items()):
            if count > rules.MAX_REPLICAS_PER_REGION:
                yield version["urn"], f"{count} replicas in {region}: Azure allows at most {rules.MAX_REPLICAS_PER_REGION}"
        for region, n in sorted(vms.items()):
            need = derived_replicas(n)
            if targets.get(region, 0) < need:
                yield version["urn"], (f"{targets.get(region, 0)} replica(s) in {region} for {n} VMs booting it: at least "
                                       f"{need} (one per {rules.VM_DEPLOYMENTS_PER_REPLICA} VMs)")


REPLICA_COUNTS = Policy(
    "replica-counts", "At most 100 replicas per region, and at least one per 50 VMs of the fleets booting the version.",
    "https://learn.microsoft.com/azure/virtual-machines/azure-compute-gallery#scaling",
    stack=lambda rs: list(_replicas(rs)))

AZURE = [MANAGED_IMAGE, VNET_CONFIG, MANAGED_IMAGE_SOURCE, PATCHING, ZONES, REPLICA_COUNTS]
