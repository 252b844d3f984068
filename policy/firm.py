"""The firm's rules. Each policy says why in its message and links the document behind it."""

from __future__ import annotations

from azure.mgmt.core.tools import is_valid_resource_id, parse_resource_id

from components.config.azure_rules import SHA256, resource_group_of, vnet_of
from components.config.placeholders import ZERO_SHA256
from components.images.build_identity import (BUILD_NETWORK_ACTIONS, SOURCE_READ_ACTIONS,
                                             STORAGE_BLOB_DATA_READER)
from typing import Callable, Optional

from .model import Policy, arm_id_name, get, in_component, known, stack_of, walk

VM = "azure-native:compute:VirtualMachine"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
NIC = "azure-native:network:NetworkInterface"
BASTION = "azure-native:network:BastionHost"
PUBLIC_IP = "azure-native:network:PublicIPAddress"
PUBLIC_IP_PREFIX = "azure-native:network:PublicIPPrefix"
NAT_GATEWAY = "azure-native:network:NatGateway"
TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
# The firm's settings and rules, with the values policy/firm-config.json gives them (relative to the repository).
DOCS = "docs/firm-settings.md#"
CONFIG_FILE = "policy/firm-config.json"
STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "uniqueItems": True}


def _none_of(*types: str) -> Callable[[list[dict], dict], Optional[str]]:
    def applies(resources: list[dict], config: dict) -> Optional[str]:
        if not any(r["type"] in types and r.get("custom", True) for r in resources):
            return f"the stack has no {' or '.join(t.rsplit(':', 1)[-1] for t in types)}"
        return None
    return applies

# --- no public IPs ------------------------------------------------------------------------------------
PUBLIC_IP_KEYS = {"publicipaddress", "publicipaddressconfiguration"}


def _public_ip_on_compute(r: dict):
    if r["type"] in (VM, VMSS, NIC, BASTION):
        for path, key, value in walk(r["inputs"]):
            if key.lower() in PUBLIC_IP_KEYS and value:
                yield f"{path}: a public IP on a {r['type'].rsplit(':', 1)[-1]}; reach VMs through the private Bastion"


def _public_ip_resources(resources: list[dict]):
    """A public IP address or prefix is allowed only as a NAT gateway's egress address."""
    attached_urns, attached_names = set(), set()
    for nat in (r for r in resources if r["type"] == NAT_GATEWAY):
        attached_urns.update(nat.get("dependsOn", []))
        for _, key, value in walk(nat["inputs"]):
            if key.lower() in ("publicipaddresses", "publicipprefixes") and isinstance(value, list):
                for ref in value:
                    ref_id = ref.get("id") if isinstance(ref, dict) else ref
                    attached_names.add(arm_id_name(ref_id, "publicIPAddresses") or arm_id_name(ref_id, "publicIPPrefixes"))
    for r in resources:
        if r["type"] not in (PUBLIC_IP, PUBLIC_IP_PREFIX):
            continue
        own = (r["inputs"].get("publicIpAddressName") or r["inputs"].get("publicIpPrefixName") or "").lower()
        if r["urn"] not in attached_urns and own not in attached_names:
            yield r["urn"], f"public IP {own or r['name']} is not a NAT gateway's egress address: no public IPs"


NO_PUBLIC_IPS = Policy(
    "no-public-ips", "No public IP on VMs, NICs, scale sets or Bastion; a public IP resource only on a NAT gateway.",
    DOCS + "no-public-ips",
    resource=lambda r: list(_public_ip_on_compute(r)), stack=lambda rs: list(_public_ip_resources(rs)))

# --- Trusted Launch ----------------------------------------------------------------------------------
CAPTURE = "image-factory:capture:ManagedImageCapture"


DEFINITION = "azure-native:compute:GalleryImage"


def _standard_definitions(resources: list[dict]) -> set[str]:
    """'/galleries/<g>/images/<d>/' of the stack's Standard definitions (no SecurityType feature): a generation 1
    disk's from Hyper-V, and a build's on an imported disk. Trusted Launch VMs cannot boot their versions."""
    found = set()
    for r in resources:
        i = r["inputs"]
        if r["type"] == DEFINITION and not any(f.get("name") == "SecurityType" for f in i.get("features") or []):
            found.add(f"/galleries/{i.get('galleryName')}/images/{i.get('galleryImageName')}/".lower())
    return found


def _trusted_launch(resources: list[dict]):
    standard = _standard_definitions(resources)
    for r in resources:
        if r["type"] not in (VM, VMSS):
            continue
        profile = r["inputs"] if r["type"] == VM else r["inputs"].get("virtualMachineProfile", {})
        security = get(profile, "securityProfile.securityType")
        image_id = get(profile, "storageProfile.imageReference.id")
        # The documented capture path: the reference VM, and fleets booting a managed image, run Standard
        # (a managed image is not TrustedLaunchSupported; README "Managed images, both ways").
        on_capture_path = in_component(r, CAPTURE) or arm_id_name(image_id, "images") and "/galleries/" not in image_id.lower()
        standard_image = known(image_id) and any(d in image_id.lower() for d in standard)
        if known(security) and security != "TrustedLaunch" and not on_capture_path and not standard_image:
            yield r["urn"], f"securityProfile.securityType is {security}: fleets run Trusted Launch"


TRUSTED_LAUNCH = Policy(
    "trusted-launch", "VMs and scale sets run Trusted Launch, except on the documented capture path and from a "
    "Standard definition (a generation 1 disk's).",
    "https://learn.microsoft.com/azure/virtual-machines/trusted-launch", stack=lambda rs: list(_trusted_launch(rs)),
    applies=_none_of(VM, VMSS))

# --- allowed regions ---------------------------------------------------------------------------------
# Where the firm runs and its data may live: allowedRegions in policy/firm-config.json (London and New York).


def _regions(r: dict, config: dict):
    allowed = [a.replace(" ", "").lower() for a in config["allowedRegions"]]
    found = []
    if known(r["inputs"].get("location")):
        found.append(("location", r["inputs"]["location"]))
    for path, key, value in walk(r["inputs"]):
        parts = path.split(".")
        if key == "name" and len(parts) > 1 and parts[-2].split("[")[0].lower() in ("targetregions", "target_regions"):
            found.append((path, value))
    for path, region in found:
        if region.replace(" ", "").lower() not in allowed:
            yield (f"{path} is {region}: the firm's allowed regions are {', '.join(allowed)} "
                   f"({CONFIG_FILE}: allowed-regions.allowedRegions)")


ALLOWED = Policy("allowed-regions", "Resources and image replicas only in the firm's regions.",
                 DOCS + "allowed-regions", resource=lambda r, c: list(_regions(r, c)),
                 config_schema={"allowedRegions": {**STRINGS, "description": "Azure region names (the name column of az account list-locations): "
                                                   "where resources and image replicas may be."}})

# --- required tags -------------------------------------------------------------------------------------
# ARM types without tags ("Tag support for Azure resources",
# https://learn.microsoft.com/azure/azure-resource-manager/management/tag-support).
UNTAGGED = {"azure-native:authorization:RoleAssignment", "azure-native:authorization:RoleDefinition",
            "azure-native:authorization:ManagementLockByScope", "azure-native:network:Subnet",
            "azure-native:maintenance:ConfigurationAssignmentsForResourceGroup",
            "azure-native:virtualmachineimages:Trigger"}
# Image templates carry only the stable tags: their tags are in the name hash (image_template.py).
STABLE_ONLY = {TEMPLATE: ("owner",)}


def _tags(r: dict, config: dict):
    if not r["type"].startswith("azure-native:") or r["type"] in UNTAGGED:
        return
    # Azure compares tag names ignoring case ("Use tags to organize your Azure resources", the limitations).
    tags = {str(k).lower() for k in (r["inputs"].get("tags") or {})}
    missing = [t for t in config["requiredTags"] if t.lower() not in tags and t not in STABLE_ONLY.get(r["type"], ())]
    if missing:
        yield f"missing tag(s) {', '.join(missing)} ({CONFIG_FILE}: required-tags.requiredTags)"


TAGS = Policy("required-tags", "Every taggable resource carries the firm's required tags.",
              DOCS + "required-tags", resource=lambda r, c: list(_tags(r, c)),
              config_schema={"requiredTags": {**STRINGS, "description": "Tag names every taggable resource "
                                              "carries (compared ignoring case, as Azure does)."}})

# --- checksums -------------------------------------------------------------------------------------------


def _downloads(r: dict):
    if r["type"] != TEMPLATE:
        return
    for step in r["inputs"].get("customize") or []:
        if step.get("type") == "File" or (step.get("type") == "PowerShell" and step.get("scriptUri")):
            yield step, step.get("sourceUri") or step.get("scriptUri"), str(step.get("sha256Checksum") or "")


def _checksums(r: dict):
    for step, uri, checksum in _downloads(r):
        if not SHA256.fullmatch(checksum):
            yield f"customizer {step.get('name')} downloads {uri} without a sha256Checksum"


def _placeholder_checksums(r: dict):
    # The shipped prod stack names its reviewed script by the all-zero placeholder: a checksum nobody
    # computed checks nothing, so it is never a pass (the offline plan shows it; a real preview refuses it).
    for step, uri, checksum in _downloads(r):
        if checksum == ZERO_SHA256:
            yield (f"customizer {step.get('name')} downloads {uri} with the placeholder sha256Checksum "
                   "0000...0000: put the file's SHA-256 there (Get-FileHash -Algorithm SHA256)")


CHECKSUMS = Policy(
    "customizer-checksums", "Every File customizer and PowerShell scriptUri carries a sha256Checksum.",
    "https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-json#properties-customize",
    resource=lambda r: list(_checksums(r)), placeholder=lambda r: list(_placeholder_checksums(r)),
    applies=lambda rs, c: None if any(True for r in rs for _ in _downloads(r)) else
    "no image template downloads a file or script")

# --- prod protected --------------------------------------------------------------------------------------
PROTECTED_IN_PROD = ("azure-native:compute:Gallery", "azure-native:compute:GalleryImage",
                     "azure-native:authorization:ManagementLockByScope")


def _prod_protected(resources: list[dict], config: dict):
    prod = [r for r in resources if r.get("custom", True) and stack_of(r["urn"]) in config["protectedStacks"]]
    if not prod:
        return
    for kind in PROTECTED_IN_PROD:
        mine = [r for r in prod if r["type"] == kind]
        if not mine:
            yield prod[0]["urn"], (f"{stack_of(prod[0]['urn'])} has no {kind.rsplit(':', 1)[-1]}: the gallery, "
                                   "definitions and lock must exist")
        for r in mine:
            if not r.get("options", {}).get("protect"):
                yield r["urn"], (f"{r['name']} is not protected: the gallery, definitions and lock of "
                                 f"{', '.join(config['protectedStacks'])} are ({CONFIG_FILE}: prod-protected.protectedStacks)")


def _unprotected_stack(resources: list[dict], config: dict) -> Optional[str]:
    stacks = sorted({stack_of(r["urn"]) for r in resources if r.get("custom", True)})
    if stacks and not set(stacks) & set(config["protectedStacks"]):
        return (f"stack {', '.join(stacks)} is not one of protectedStacks ({', '.join(config['protectedStacks'])}) "
                f"in {CONFIG_FILE}")
    return None


PROD_PROTECTED = Policy("prod-protected", "The protected stacks' gallery, image definitions and delete lock are protected.",
                        DOCS + "prod-protected", stack=lambda rs, c: list(_prod_protected(rs, c)),
                        config_schema={"protectedStacks": {**STRINGS, "description": "Stack names (prod) whose gallery, "
                                                           "definitions and delete lock must be protected."}},
                        applies=_unprotected_stack)

# --- build identity scope ------------------------------------------------------------------------------
BUILD_IDENTITY = "image-factory:build_identity:BuildIdentity"


def _used_outside(resources: list[dict]) -> dict[str, list[str]]:
    """Scopes outside the stack the templates use -> the documented actions the identity may hold there: the
    network of a build subnet (networking role), the resource group of a custom source image (read)."""
    used: dict[str, list[str]] = {}
    for r in resources:
        if r["type"] != TEMPLATE:
            continue
        vnet = get(r["inputs"], "vmProfile.vnetConfig") or {}
        for subnet in (vnet.get("subnetId"), vnet.get("containerInstanceSubnetId")):
            if known(subnet) and vnet_of(str(subnet)):
                used[vnet_of(str(subnet)).lower()] = BUILD_NETWORK_ACTIONS
        source = r["inputs"].get("source") or {}
        image = source.get("imageId") or source.get("imageVersionId")
        if known(image) and is_valid_resource_id(str(image)):
            used[resource_group_of(str(image)).lower()] = SOURCE_READ_ACTIONS
    return used


def _identity_scope(resources: list[dict]):
    groups = {str(r["inputs"].get("resourceGroupName")).lower() for r in resources
              if r["type"] == "azure-native:resources:ResourceGroup"}
    used = _used_outside(resources)
    # The identity's own roles by their GUID: what an assignment that names one grants.
    actions = {str(r["inputs"].get("roleDefinitionId")).lower(): {a for p in r["inputs"].get("permissions") or []
                                                                    for a in p.get("actions") or []}
               for r in resources if r["type"] == "azure-native:authorization:RoleDefinition"
               and in_component(r, BUILD_IDENTITY)}
    for r in resources:
        if r["type"] != "azure-native:authorization:RoleAssignment" or not in_component(r, BUILD_IDENTITY):
            continue
        scope, role = r["inputs"].get("scope"), str(r["inputs"].get("roleDefinitionId") or "")
        if not known(scope):
            continue
        parts = parse_resource_id(scope) if is_valid_resource_id(scope) else {}
        if arm_id_name(scope, "storageAccounts") and role.lower().endswith(STORAGE_BLOB_DATA_READER):
            continue  # the artifact store, read-only
        granted = actions.get(role.rsplit("/", 1)[-1].lower(), {"*"})  # a built-in or unknown role: anything
        if scope.lower() in used and granted <= set(used[scope.lower()]):
            continue  # a build subnet's network or a source image's group, with Microsoft's actions for it only
        if (parts.get("resource_group") or "").lower() not in groups:
            yield r["urn"], f"the build identity's role assignment reaches {scope}, beyond the stack's own resource groups"


IDENTITY_SCOPE = Policy(
    "build-identity-scope", "The build identity's roles reach only its own resource groups, the artifact store, and "
    "the networks and source images its templates use (with Microsoft's documented actions there).",
    "https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-permissions-cli",
    stack=lambda rs: list(_identity_scope(rs)),
    applies=lambda rs, c: None if any(in_component(r, BUILD_IDENTITY) for r in rs) else "the stack builds no image")

FIRM = [NO_PUBLIC_IPS, TRUSTED_LAUNCH, ALLOWED, TAGS, CHECKSUMS, PROD_PROTECTED, IDENTITY_SCOPE]
