"""Azure's platform rules read again against Microsoft's documents (issue 21, second pass): what a real
subscription would refuse or silently skip, on the resources the program sends. Each rule reuses
components/config's statement of it where there is one."""

from __future__ import annotations

from components.config import azure_rules as rules

from .model import Policy, get, known

VM = "azure-native:compute:VirtualMachine"
VMSS = "azure-native:compute:VirtualMachineScaleSet"


def _profile(r: dict) -> dict:
    return r["inputs"] if r["type"] == VM else r["inputs"].get("virtualMachineProfile") or {}


# --- encryption at host on every VM (item 14) -----------------------------------------------------------


def _encryption_at_host(r: dict):
    if r["type"] not in (VM, VMSS):
        return
    value = get(_profile(r), "securityProfile.encryptionAtHost")
    if known(value) and value is not True:
        yield ("securityProfile.encryptionAtHost is not true: the temp disk and the disk caches on the host are not "
               "encrypted (set encryptionAtHost: true; the subscription needs the feature "
               "Microsoft.Compute/EncryptionAtHost registered)")


ENCRYPTION_AT_HOST = Policy(
    "encryption-at-host", "Every VM and scale set encrypts its temp disk and caches at the host.",
    "https://learn.microsoft.com/azure/virtual-machines/disk-encryption#encryption-at-host---end-to-end-encryption-for-your-vm-data",
    resource=lambda r: list(_encryption_at_host(r)))

# --- a custom role's assignable scopes (item 2) -----------------------------------------------------------

ROLE = "azure-native:authorization:RoleDefinition"


def _assignable_scopes(r: dict):
    if r["type"] != ROLE:
        return
    for i, scope in enumerate(r["inputs"].get("assignableScopes") or []):
        if known(scope) and rules.assignable_scope_problem(str(scope)):
            yield f"assignableScopes[{i}] {scope} {rules.assignable_scope_problem(str(scope))}"


ASSIGNABLE_SCOPES = Policy(
    "custom-role-assignable-scopes", "A custom role is assignable at management groups, subscriptions or resource groups.",
    "https://learn.microsoft.com/azure/role-based-access-control/role-definitions#assignablescopes",
    resource=lambda r: list(_assignable_scopes(r)))

# --- no SAS token in a template body (item 4) ------------------------------------------------------------

TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
SECRET = "[secret]"


def _sas_in_template(r: dict):
    if r["type"] != TEMPLATE:
        return
    steps = [("customize", s) for s in r["inputs"].get("customize") or []]
    steps += [("validate.inVMValidations", s) for s in get(r["inputs"], "validate.inVMValidations") or []]
    for where, step in steps:  # a step by its name, as every other line names it (issue 19)
        for field in ("sourceUri", "scriptUri"):
            uri = step.get(field)
            if uri == SECRET or (isinstance(uri, str) and rules.SAS_QUERY.search(uri)):
                yield (f"{where}[{step.get('name')}].{field} carries a SAS token (or a secret): the template body is readable by anyone "
                       "who can read the template, and a rotated token is an update Image Builder refuses; download as "
                       "the build identity (Storage Blob Data Reader on artifactStorageAccountId)")


NO_SAS_IN_TEMPLATE = Policy(
    "no-sas-in-template", "A template's download URIs carry no SAS token: the build identity reads the artifacts.",
    "https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-permissions-cli",
    resource=lambda r: list(_sas_in_template(r)))

# --- a source's security type matches its definition's (item 1) -------------------------------------------

DEFINITION = "azure-native:compute:GalleryImage"


def _security_types(resources: list[dict]):
    by_urn = {r["urn"]: r for r in resources}
    for template in (r for r in resources if r["type"] == TEMPLATE):
        if (template["inputs"].get("source") or {}).get("type") != "ManagedImage":
            continue
        for definition in (by_urn[u] for u in template.get("dependsOn", []) if by_urn.get(u, {}).get("type") == DEFINITION):
            features = {f.get("name"): f.get("value") for f in definition["inputs"].get("features") or []}
            if str(features.get("SecurityType", "")).startswith("TrustedLaunch"):
                yield template["urn"], (f"source is a ManagedImage (a normal source) and distributes to "
                                        f"{definition['name']}, a {features['SecurityType']} definition: Image Builder "
                                        "distributes a source only to definitions of its own security type")


SECURITY_TYPES = Policy(
    "source-security-type-matches-definition", "A template's source has the security type of its definition.",
    "https://learn.microsoft.com/azure/virtual-machines/image-builder-overview#confidential-vm-and-trusted-launch-support",
    stack=lambda rs: list(_security_types(rs)))

PLATFORM = [ENCRYPTION_AT_HOST, ASSIGNABLE_SCOPES, NO_SAS_IN_TEMPLATE, SECURITY_TYPES]
