"""Azure's own rules for the names and values this program sends: the one place that knows them.

Sources: Microsoft's naming-rules page for Microsoft.Compute and Microsoft.VirtualMachineImages, the
ARM specs (bicep-types-az) and ../shared/notes/azure-image-builder-facts.md.
"""

from __future__ import annotations

import re
from typing import Optional

from azure.mgmt.core.tools import is_valid_resource_id, parse_resource_id

from .resource_ids import (ASSIGNABLE_SCOPE, ASSIGNABLE_SCOPE_RULE, assignable_scope_of,  # noqa: F401 (rules)
                           assignable_scope_problem, resource_group_of, subscription_of, vnet_of)

from .regions import CAPABILITIES

# Gallery: letters, digits, '_' and '.'; starts and ends with a letter or digit; 1-80.
GALLERY_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.]{0,78}[A-Za-z0-9])?$")
GALLERY_NAME_RULE = "1-80 letters, digits, '_' or '.', starting and ending with a letter or digit"

# Gallery image definition: letters, digits, '-', '_' and '.'; starts and ends alphanumeric; 1-80.
IMAGE_DEFINITION_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9])?$")
IMAGE_DEFINITION_NAME_RULE = "1-80 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"

# Image Builder template, runOutputName and trigger names. The spec writes `^[A-Za-z0-9-_.]{1,64}$`,
# where `9-_` is literally a range that admits ':;<=>?@[\]^'; we enforce the intended set.
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
TEMPLATE_NAME_RULE = "1-64 letters, digits, '-', '_' or '.'"

# Customizer and validator names: Image Builder's types give them no pattern (spaces are fine:
# "Install Teams"); only control characters, which cannot be printed in its logs, are refused.
CUSTOMIZER_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,256}$")
CUSTOMIZER_NAME_RULE = "1-256 characters, no control characters"
# File customizer destination on Windows: a full path with its drive ("Create an Azure Image Builder
# Bicep or ARM template JSON template", File customizer: "the full destination path and file name").
WINDOWS_FILE_PATH = re.compile(r"^[A-Za-z]:\\[^<>\"|?*\x00-\x1f]+$")
WINDOWS_FILE_PATH_RULE = "a full Windows path with a drive, such as C:\\ImageFactory\\setup.ps1"

# Gallery image version names: three dot-separated 32-bit integers.
VERSION = re.compile(r"^(0|[1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,9})$")  # ASCII digits only
VERSION_RULE = "MAJOR.MINOR.PATCH, three whole numbers such as 1.0.0"
# ARM's integers are 32-bit signed ("format": "int32" in the specs): exit codes, ranges, counts.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

# Resource group: letters, digits, '_', '-', '.', '(' and ')'; 1-90; must not end in '.'.
RESOURCE_GROUP_NAME = re.compile(r"^[\w\-.()]{0,89}[\w\-()]$")
RESOURCE_GROUP_NAME_RULE = "1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'"

# Windows computer names (NetBIOS): at most 15 characters, no '.' or specials, not all digits.
WINDOWS_COMPUTER_NAME_MAX = 15
# Scale sets append a 6-character instance suffix to computerNamePrefix.
SCALE_SET_SUFFIX_LENGTH = 6
# A letter first: with an index appended, an all-digit prefix would give an all-digit name.
COMPUTER_NAME_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
COMPUTER_NAME_PREFIX_RULE = "letters, digits and '-', starting with a letter"

# Image definitions here are Hyper-V V2, so every marketplace source is a Gen2 Windows Server image, and
# those are TrustedLaunchSupported. Image Builder distributes a TrustedLaunchSupported source only to
# TrustedLaunchSupported targets: a plain (Gen2, Standard) managed image output is not supported.
# Microsoft: "Azure VM Image Builder overview", section "Confidential VM and Trusted Launch Support",
# https://learn.microsoft.com/azure/virtual-machines/image-builder-overview
NO_MANAGED_IMAGE_FROM_TRUSTED_LAUNCH_SOURCE = (
    "Gen2 Windows Server marketplace images are TrustedLaunchSupported, and Image Builder distributes such a "
    "source only to TrustedLaunchSupported targets, which a managed image is not")

# Managed disks: an OS disk holds at most 4 TiB ("Azure managed disk types", OS disk size limits); the
# Windows Server marketplace images need 127 GB (30 GB for the smalldisk SKUs).
OS_DISK_MAX_GB = 4095
OS_DISK_MIN_GB = 30
OS_DISK_TYPES = ("Premium_LRS", "Premium_ZRS", "StandardSSD_LRS", "StandardSSD_ZRS", "Standard_LRS")
# A Flexible scale set holds at most 1,000 instances ("Virtual Machine Scale Sets" limits); a `vms`
# fleet is held to the same bound.
MAX_FLEET_COUNT = 1000
# Gallery image definition identifier: publisher up to 128 characters, offer and sku up to 64
# ("Store and share images in an Azure Compute Gallery", image definitions).
IDENTIFIER_PUBLISHER_MAX = 128
IDENTIFIER_OFFER_SKU_MAX = 64
# Image Builder's WindowsUpdate customizer: updateLimit caps the updates installed in one run.
WINDOWS_UPDATE_LIMIT_MAX = 10000

BUILD_TIMEOUT_MAX_MINUTES = 960  # 0 means Image Builder's default of 240
BUILD_TIMEOUT_DEFAULT_MINUTES = 240  # what Image Builder uses when buildTimeoutInMinutes is 0
# What a build's timeout covers (build_checks.py, offline/durations.py): boot optimization "about 35 minutes for a
# 127 GB Windows image" ("VM optimization for gallery images with Azure VM Image Builder",
# https://learn.microsoft.com/azure/virtual-machines/vm-boot-optimization); the Windows build up to 90 and home
# distribution about 15 minutes (our planning figures, not Microsoft's).
BOOT_OPTIMIZATION_MINUTES, WINDOWS_BUILD_MAX_MINUTES, HOME_DISTRIBUTION_MINUTES = 35, 90, 15
MAX_REPLICAS_PER_REGION = 100
VM_DEPLOYMENTS_PER_REPLICA = 50  # Microsoft's guidance for concurrent deployments per replica

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")

# No SAS in a template body (artifact_checks.py says why); a SAS is any of its query parameters ("Grant limited
# access to Azure Storage resources using shared access signatures").
SAS_QUERY = re.compile(r"[?&](sig|sv|se|sp|spr|srt|ss|st|sr|skoid|sktid|skt|ske|sks|skv|sdd|signedidentifier)=", re.I)
NO_SAS_IN_TEMPLATE = ("must not carry a SAS token: the template body is readable by anyone who can read the template, "
                      "and a rotated token would change a template Image Builder cannot update. Give artifactStorage"
                      "AccountId instead: the build identity then reads the blob with Storage Blob Data Reader")
BLOB_HOST = re.compile(r"^([a-z0-9]{3,24})\.blob\.core\.windows\.net$")

# Maintenance configurations (Azure Update Manager, scope InGuestPatch): start "yyyy-MM-dd HH:mm",
# duration "HH:mm" from 01:30 to 03:55 for guest patching, recurrence such as "1Week Saturday" or
# "1Day" (Microsoft: "Schedule recurring updates for machines", maintenance configuration REST docs).
MAINTENANCE_START_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"
IN_GUEST_PATCH_DURATION_PATTERN = r"^(01:(3[0-9]|[45][0-9])|02:[0-5][0-9]|03:([0-4][0-9]|5[0-5]))$"
MAINTENANCE_RECURRENCE_PATTERN = (r"^\d+(Day|Week( (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
                                  r"(,(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))*)?|Month( .+)?)$")
# The Maintenance API spells "UpdateRollup" ("Maintenance Configurations - Create Or Update",
# https://learn.microsoft.com/rest/api/maintenance/maintenance-configurations/create-or-update), the Compute API
# "UpdateRollUp"; whether the service compares case-insensitively is undocumented, so the Maintenance spelling is
# always sent (right either way) and either is read (maintenance_classification).
WINDOWS_PATCH_CLASSIFICATIONS = ("Critical", "Security", "UpdateRollup", "FeaturePack", "ServicePack",
                                 "Definition", "Tools", "Updates")


def maintenance_classification(value: str) -> str:
    """A classification in the Maintenance API's spelling, whatever its case; ValueError for one it does not list."""
    for known in WINDOWS_PATCH_CLASSIFICATIONS:
        if isinstance(value, str) and value.lower() == known.lower():
            return known
    raise ValueError(f"must be one of {', '.join(WINDOWS_PATCH_CLASSIFICATIONS)}")

# VM sizes as Azure names them (Standard_D4ds_v5); availability per region is Azure's to say.
# A marketplace image's publisher, offer and SKU (plan) IDs: letters, digits, '-' and '_' ("Create plans for
# an Azure application offer": "up to 50 lowercase alphanumeric characters, dashes, or underscores"; Azure
# compares them ignoring case, and older Microsoft SKUs carry capitals and '.', such as 2019-Datacenter).
MARKETPLACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")
MARKETPLACE_NAME_RULE = "a marketplace ID: 1-50 letters, digits, '-', '_' or '.', starting with a letter or digit"
# A marketplace image version: `latest` or Major.Minor.Build, three whole numbers ("Find and use Azure
# Marketplace VM images with Azure CLI", https://learn.microsoft.com/azure/virtual-machines/linux/cli-ps-findimage).
MARKETPLACE_VERSION = re.compile(r"^[0-9]{1,10}\.[0-9]{1,10}\.[0-9]{1,10}$")
MARKETPLACE_VERSION_RULE = "'latest' or a marketplace version Major.Minor.Build such as 26100.2894.250113"
VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]+$")
VM_SIZE_RULE = "an Azure VM size such as Standard_D4ds_v5"

# Windows admin user names: osProfile.adminUsername allows at most 20 characters, no trailing '.', and
# refuses Microsoft's full list of reserved names ("OSProfile.adminUsername" in the Compute REST API,
# https://learn.microsoft.com/rest/api/compute/virtual-machines/create-or-update#osprofile, and the
# "Windows VM FAQ", https://learn.microsoft.com/azure/virtual-machines/windows/faq).
ADMIN_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,19}$")
ADMIN_USERNAME_RULE = "1-20 letters, digits, '_' or '-', starting with a letter"
RESERVED_ADMIN_NAMES = frozenset(
    """administrator admin user user1 test user2 test1 user3 admin1 1 123 a actuser adm admin2 aspnet backup
    console david guest john owner root server sql support support_388945a0 sys test2 test3 user4 user5""".split()
)

# Tags ("Use tags to organize your Azure resources", section Limitations,
# https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations):
# at most 50 per resource; names at most 512 characters (128 for storage accounts, which this program
# does not tag) without < > % & \ ? /; values at most 256 characters; names compare ignoring case.
MAX_TAGS = 50
TAG_NAME_MAX, TAG_VALUE_MAX = 512, 256
TAG_NAME_FORBIDDEN = "<>%&\\?/"
TAG_NAME_RULE = "1-512 characters, none of < > % & \\ ? /"

# The OS disk of a VM or build can be larger than its image, never smaller ("Expand virtual hard
# disks attached to a Windows VM", https://learn.microsoft.com/azure/virtual-machines/windows/expand-os-disk).
# Windows Server marketplace images are 127 GB; their `smalldisk` SKUs 30 GB.
MARKETPLACE_IMAGE_GB, SMALLDISK_IMAGE_GB = 127, 30


def marketplace_image_gb(sku: str) -> int:
    return SMALLDISK_IMAGE_GB if "smalldisk" in sku.lower() else MARKETPLACE_IMAGE_GB

# Resource IDs the config may name, parsed with azure-mgmt-core as ARM itself reads them ("Resource
# ID" in "Azure Resource Manager template functions",
# https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-resource#resourceid).
# Subscription IDs are GUIDs; every name must follow its resource type's rule.
SUBSCRIPTION_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
STORAGE_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
# Virtual network and subnet names: 1-80 (2-64 for networks) word characters, '-', '.', '_'. NAT
# gateways, public IP prefixes, route tables and routes follow the same rule ("Naming rules and
# restrictions for Azure resources", Microsoft.Network,
# https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftnetwork).
NETWORK_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")

# A Standard public IP prefix for IPv4 is /28 (16 addresses) to /31 (2) without a support request
# ("Public IP address prefix", section Limitations,
# https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-address-prefix). A NAT gateway
# uses every address of its prefix, 64,512 SNAT ports each ("Azure NAT Gateway resource",
# https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource).
PUBLIC_IP_PREFIX_LENGTH_MIN, PUBLIC_IP_PREFIX_LENGTH_MAX = 28, 31


def resource_id_names(value: str, namespace: str, types: tuple[str, ...],
                      names: tuple[re.Pattern, ...]) -> Optional[list[str]]:
    """The names in an ARM resource ID of namespace/types (e.g. Microsoft.Compute, (galleries, images)),
    each matching its pattern in names; None if value is not such an ID."""
    if not is_valid_resource_id(value):
        return None
    parts = parse_resource_id(value)
    count = parts.get("last_child_num") or 0
    chain = [parts.get("type")] + [parts.get(f"child_type_{i}") for i in range(1, count + 1)]
    found = [parts.get("name")] + [parts.get(f"child_name_{i}") for i in range(1, count + 1)]
    if (not SUBSCRIPTION_ID.fullmatch(parts.get("subscription") or "")
            or not RESOURCE_GROUP_NAME.fullmatch(parts.get("resource_group") or "")
            or (parts.get("namespace") or "").lower() != namespace.lower()
            or [(t or "").lower() for t in chain] != [t.lower() for t in types]
            or value.rstrip("/") != value
            or not all(n and p.fullmatch(n) for n, p in zip(found, names))):
        return None
    return found


def vnet_config_problems(subnet_id: Optional[str], container_instance_subnet_id: Optional[str],
                         proxy_vm_size: Optional[str]) -> list[tuple[str, str]]:
    """(vnetConfig field, what Image Builder requires) for each vnetConfig value it refuses. Template reference,
    vnetConfig (https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-json#vnetconfig-optional):
    containerInstanceSubnetId "may be specified only if subnetId is also specified and must be on the same
    Virtual Network"; being delegated to container groups, it cannot be the build VM's subnet; proxyVmSize
    "must not be specified if containerInstanceSubnetId is specified because no proxy virtual machine is
    deployed in that case"."""
    aci, problems = container_instance_subnet_id, []
    if aci and not subnet_id:
        problems.append(("containerInstanceSubnetId", "needs subnetId: Image Builder takes a container-instance subnet "
                                                      "only with the build VM's own subnet, in the same network"))
    elif aci and subnet_id and vnet_of(aci).lower() != vnet_of(subnet_id).lower():
        problems.append(("containerInstanceSubnetId", f"must be a subnet of subnetId's virtual network "
                                                      f"({vnet_of(subnet_id)}), as Image Builder requires"))
    elif aci and subnet_id and aci.lower() == subnet_id.lower():
        problems.append(("containerInstanceSubnetId", "must differ from subnetId: the container instance's subnet is "
                                                      "delegated to Microsoft.ContainerInstance/containerGroups, "
                                                      "which leaves no room for the build VM"))
    if aci and proxy_vm_size:
        problems.append(("proxyVmSize", "must not be set for a build with a container-instance subnet: no proxy VM "
                                        "is deployed then, and Image Builder refuses the template"))
    return problems


DEFINITION_ID_RULE = ("a gallery image definition ID: /subscriptions/<id>/resourceGroups/<rg>/providers/"
                      "Microsoft.Compute/galleries/<gallery>/images/<image>")
VERSION_ID_RULE = ("a gallery image version ID: /subscriptions/<id>/resourceGroups/<rg>/providers/"
                   "Microsoft.Compute/galleries/<gallery>/images/<image>/versions/<a.b.c>")
# User-assigned identity names: 3-128 letters, digits, '-' and '_', starting with a letter or digit.
IDENTITY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")
# Managed image names: 1-80 letters, digits, '_', '.' or '-', starting with a letter or digit and ending
# with a letter, digit or '_' (Microsoft.Compute naming rules, "images").
MANAGED_IMAGE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")
MANAGED_IMAGE_ID_RULE = ("a managed image ID: /subscriptions/<id>/resourceGroups/<rg>/providers/"
                         "Microsoft.Compute/images/<name>")
SUBNET_ID_RULE = ("a subnet resource ID: /subscriptions/<id>/resourceGroups/<rg>/providers/"
                  "Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>")
IDENTITY_ID_RULE = ("a user-assigned identity ID: /subscriptions/<id>/resourceGroups/<rg>/providers/"
                    "Microsoft.ManagedIdentity/userAssignedIdentities/<name>")
STORAGE_ACCOUNT_ID_RULE = ("a storage account ID: /subscriptions/<id>/resourceGroups/<rg>/providers/"
                           "Microsoft.Storage/storageAccounts/<3-24 lowercase letters and digits>")

# The project's own keys that end up inside Azure names (not Azure's rules, but bounded by them: a
# fleet name becomes part of VM, NIC and scale set names, an environment part of every name).
ENVIRONMENT = re.compile(r"^[a-z][a-z0-9]{1,9}$")
ENVIRONMENT_RULE = "2-10 lowercase letters and digits, starting with a letter"
WORKLOAD_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$")
WORKLOAD_NAME_RULE = "1-24 lowercase letters, digits and '-', starting with a letter and not ending in '-'"

REPLICA_STORAGE_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS")

# Public Azure regions a gallery can replicate to: the rows of the capability table in regions.py. A
# region missing there is a typo far more often than a new region; add it when Microsoft opens one.
REGIONS: frozenset[str] = frozenset(CAPABILITIES)

# Short codes for resource names, in the style of the Cloud Adoption Framework.
REGION_SHORT: dict[str, str] = {
    "uksouth": "uks", "ukwest": "ukw", "eastus": "eus", "eastus2": "eus2", "westus": "wus",
    "westus2": "wus2", "westus3": "wus3", "centralus": "cus", "northeurope": "neu",
    "westeurope": "weu", "swedencentral": "sdc", "francecentral": "frc",
    "germanywestcentral": "gwc", "switzerlandnorth": "szn",
}


def region_key(name: str) -> str:
    """A region as ARM's answers may spell it ("UK South", "uksouth") in one comparable form."""
    return name.replace(" ", "").lower()


def region_short(region: str) -> str:
    # The full name where no code is listed: a cut-off prefix would give paired regions
    # (canadacentral/canadaeast, norwayeast/norwaywest, ...) the same resource names.
    return REGION_SHORT.get(region, region)

