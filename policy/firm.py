"""The firm's rules. Each policy says why in its message and links the document behind it."""

from __future__ import annotations

from azure.mgmt.core.tools import is_valid_resource_id, parse_resource_id

from components.config.azure_rules import SHA256, resource_group_of, vnet_of
from components.images.build_identity import (BUILD_NETWORK_ACTIONS, SOURCE_READ_ACTIONS,
                                             STORAGE_BLOB_DATA_READER)
from components.naming import BASE_TAGS

from .model import Policy, arm_id_name, get, in_component, known, stack_of, walk

VM = "azure-native:compute:VirtualMachine"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
NIC = "azure-native:network:NetworkInterface"
BASTION = "azure-native:network:BastionHost"
PUBLIC_IP = "azure-native:network:PublicIPAddress"
PUBLIC_IP_PREFIX = "azure-native:network:PublicIPPrefix"
NAT_GATEWAY = "azure-native:network:NatGateway"
TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
README = "README.md#"  # the README states the firm's rules (relative to the repository)

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
    README + "fleets",
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
    "https://learn.microsoft.com/azure/virtual-machines/trusted-launch", stack=lambda rs: list(_trusted_launch(rs)))

# --- allowed regions ---------------------------------------------------------------------------------
# London and New York (README): where the firm runs and where its data may live.
ALLOWED_REGIONS = ("uksouth", "eastus")


def _regions(r: dict):
    found = []
    if known(r["inputs"].get("location")):
        found.append(("location", r["inputs"]["location"]))
    for path, key, value in walk(r["inputs"]):
        parts = path.split(".")
        if key == "name" and len(parts) > 1 and parts[-2].split("[")[0].lower() in ("targetregions", "target_regions"):
            found.append((path, value))
    for path, region in found:
        if region.replace(" ", "").lower() not in ALLOWED_REGIONS:
            yield f"{path} is {region}: allowed regions are {', '.join(ALLOWED_REGIONS)}"


ALLOWED = Policy("allowed-regions", "Resources and image replicas only in the firm's regions.",
                 README + "stacks", resource=lambda r: list(_regions(r)))

# --- required tags -------------------------------------------------------------------------------------
# ARM types without tags ("Tag support for Azure resources",
# https://learn.microsoft.com/azure/azure-resource-manager/management/tag-support).
UNTAGGED = {"azure-native:authorization:RoleAssignment", "azure-native:authorization:RoleDefinition",
            "azure-native:authorization:ManagementLockByScope", "azure-native:network:Subnet",
            "azure-native:maintenance:ConfigurationAssignmentsForResourceGroup",
            "azure-native:virtualmachineimages:Trigger"}
# Image templates carry only the stable tags: their tags are in the name hash (image_template.py).
STABLE_ONLY = {TEMPLATE: ("owner",)}


def _tags(r: dict):
    if not r["type"].startswith("azure-native:") or r["type"] in UNTAGGED:
        return
    tags = r["inputs"].get("tags") or {}
    missing = [t for t in BASE_TAGS if t not in tags and t not in STABLE_ONLY.get(r["type"], ())]
    if missing:
        yield f"missing tag(s) {', '.join(missing)}"


TAGS = Policy("required-tags", f"Every taggable resource carries {', '.join(BASE_TAGS)}.",
              "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources",
              resource=lambda r: list(_tags(r)))

# --- checksums -------------------------------------------------------------------------------------------


def _checksums(r: dict):
    if r["type"] != TEMPLATE:
        return
    for i, step in enumerate(r["inputs"].get("customize") or []):
        downloads = step.get("type") == "File" or (step.get("type") == "PowerShell" and step.get("scriptUri"))
        if downloads and not SHA256.fullmatch(str(step.get("sha256Checksum") or "")):
            yield f"customize[{i}] ({step.get('name')}) downloads {step.get('sourceUri') or step.get('scriptUri')} without a sha256Checksum"


CHECKSUMS = Policy(
    "customizer-checksums", "Every File customizer and PowerShell scriptUri carries a sha256Checksum.",
    "https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-json#properties-customize",
    resource=lambda r: list(_checksums(r)))

# --- prod protected --------------------------------------------------------------------------------------
PROTECTED_IN_PROD = ("azure-native:compute:Gallery", "azure-native:compute:GalleryImage",
                     "azure-native:authorization:ManagementLockByScope")


def _prod_protected(resources: list[dict]):
    prod = [r for r in resources if r.get("custom", True) and stack_of(r["urn"]) == "prod"]
    if not prod:
        return
    for kind in PROTECTED_IN_PROD:
        mine = [r for r in prod if r["type"] == kind]
        if not mine:
            yield prod[0]["urn"], f"prod has no {kind.rsplit(':', 1)[-1]}: the gallery, definitions and lock must exist"
        for r in mine:
            if not r.get("options", {}).get("protect"):
                yield r["urn"], f"{r['name']} is not protected: prod's gallery, definitions and lock are"


PROD_PROTECTED = Policy("prod-protected", "prod's gallery, image definitions and delete lock are protected.",
                        "https://www.pulumi.com/docs/iac/concepts/options/protect/", stack=lambda rs: list(_prod_protected(rs)))

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
    stack=lambda rs: list(_identity_scope(rs)))

FIRM = [NO_PUBLIC_IPS, TRUSTED_LAUNCH, ALLOWED, TAGS, CHECKSUMS, PROD_PROTECTED, IDENTITY_SCOPE]
