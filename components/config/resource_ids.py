"""Parts of ARM resource IDs, and the scopes a custom role may be assignable at: Azure's rules, kept beside
azure_rules.py (which re-exports them) so that module stays one screenful of constants and checks."""

from __future__ import annotations

import re
from typing import Optional


def vnet_of(subnet_id: str) -> str:
    """The ID of the virtual network a subnet ID is in (the ID up to /subnets/); '' for no subnet ID."""
    at = subnet_id.lower().rfind("/subnets/")
    return subnet_id[:at] if at > 0 else ""


def resource_group_of(resource_id: str) -> str:
    """/subscriptions/<id>/resourceGroups/<group> of a resource ID."""
    return "/".join(resource_id.split("/")[:5])


def subscription_of(resource_id: str) -> str:
    return resource_id.split("/")[2] if resource_id.count("/") >= 2 else ""


# A custom role's assignableScopes take management groups, subscriptions or resource groups ("Understand Azure role
# definitions", https://learn.microsoft.com/azure/role-based-access-control/role-definitions#assignablescopes); an
# assignment of the role may still be scoped to a resource (a VNet) inside one of them.
ASSIGNABLE_SCOPE = re.compile(r"^(/providers/Microsoft\.Management/managementGroups/[^/]+|/subscriptions/[^/]+"
                              r"(/resourceGroups/[^/]+)?)/?$", re.IGNORECASE)
ASSIGNABLE_SCOPE_RULE = "must be a management group, a subscription or a resource group: custom roles take no narrower"


def assignable_scope_problem(scope: str) -> Optional[str]:
    return None if ASSIGNABLE_SCOPE.fullmatch(scope) else ASSIGNABLE_SCOPE_RULE


def assignable_scope_of(scope: str) -> str:
    """The narrowest scope a custom role may be assignable at that holds `scope` (a resource's group)."""
    return scope if ASSIGNABLE_SCOPE.fullmatch(scope) else resource_group_of(scope)
