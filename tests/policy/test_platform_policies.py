"""policy/platform.py (issue 21, second pass): each rule fails, with its message, on a resource mutated into
what a real subscription would refuse or silently skip; test_policies.py runs them over every shipped stack."""

from __future__ import annotations

import copy

from policy import platform
from tests.graph import VM, VMSS, one


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
    doc = copy.deepcopy(plans["prod"])
    role = one(doc, "azure-native:authorization:RoleDefinition", "network-role")
    vnet = one(doc, "azure-native:authorization:RoleAssignment", "network-join")["inputs"]["scope"]
    assert _messages(platform.ASSIGNABLE_SCOPES, doc) == []
    role["inputs"]["assignableScopes"] = [vnet]
    [message] = _messages(platform.ASSIGNABLE_SCOPES, doc)
    assert message.startswith(f"assignableScopes[0] {vnet} must be a management group, a subscription or a resource group")
