"""policy/platform.py (issue 21, second pass): each rule fails, with its message, on a resource mutated into
what a real subscription would refuse or silently skip; test_policies.py runs them over every shipped stack."""

from __future__ import annotations

import copy

from policy import platform
from tests.graph import BUILDS, VM, VMSS, one


def _messages(policy, doc) -> list[str]:
    return [m for _, m in policy.evaluate(doc["resources"])]


def test_a_vm_without_encryption_at_host_is_reported(plans):
    for stack, type_ in (("dev", VM), ("prod", VMSS), ("capture", VM)):
        assert _messages(platform.ENCRYPTION_AT_HOST, plans[stack]) == [], stack
    doc = copy.deepcopy(plans["dev"])
    one(doc, VM, "vm-dev-app-000")["inputs"]["securityProfile"]["encryptionAtHost"] = False
    [message] = _messages(platform.ENCRYPTION_AT_HOST, doc)
    assert "Microsoft.Compute/EncryptionAtHost registered" in message


def test_a_role_assignable_at_a_vnet_is_reported(plans):
    doc = copy.deepcopy(plans[BUILDS])
    role = one(doc, "azure-native:authorization:RoleDefinition", "network-role")
    vnet = one(doc, "azure-native:authorization:RoleAssignment", "network-join")["inputs"]["scope"]
    assert _messages(platform.ASSIGNABLE_SCOPES, doc) == []
    role["inputs"]["assignableScopes"] = [vnet]
    [message] = _messages(platform.ASSIGNABLE_SCOPES, doc)
    assert message.startswith(f"assignableScopes[0] {vnet} must be a management group, a subscription or a resource group")


def test_a_sas_token_in_a_template_body_is_reported(plans):
    doc = copy.deepcopy(plans[BUILDS])
    template = next(r for r in doc["resources"] if r["type"] == platform.TEMPLATE and "win2025-app" in r["urn"])
    assert _messages(platform.NO_SAS_IN_TEMPLATE, doc) == []
    [index] = [i for i, s in enumerate(template["inputs"]["customize"]) if s["type"] == "File"]
    template["inputs"]["customize"][index]["sourceUri"] += "?sv=2024-11-04&se=2027-01-01&sig=abc"
    [message] = _messages(platform.NO_SAS_IN_TEMPLATE, doc)
    name = template["inputs"]["customize"][index]["name"]
    assert message.startswith(f"customize[{name}].sourceUri carries a SAS token")
    template["inputs"]["customize"][index]["sourceUri"] = "[secret]"
    assert len(_messages(platform.NO_SAS_IN_TEMPLATE, doc)) == 1


def test_a_managed_image_source_into_a_trusted_launch_definition_is_reported(plans):
    doc = copy.deepcopy(plans["capture"])
    assert _messages(platform.SECURITY_TYPES, doc) == []
    definition = one(doc, platform.DEFINITION, "def-win2025-ref-hardened")
    assert not definition["inputs"].get("features")  # a normal definition: the source is a captured managed image
    definition["inputs"]["features"] = [{"name": "SecurityType", "value": "TrustedLaunchSupported"}]
    [message] = _messages(platform.SECURITY_TYPES, doc)
    assert "source is a ManagedImage (a normal source) and distributes to def-win2025-ref-hardened" in message
