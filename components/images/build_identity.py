"""BuildIdentity: the identity Azure Image Builder builds as, and its least-privilege role.

The templates themselves (one per built image) are ImageTemplate components (image_template.py).
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import pulumi
from pulumi_azure_native import authorization, managedidentity, resources

from ..config.azure_rules import assignable_scope_of
from ..naming import Names, content_hash, stable_guid
from ..providers.role_propagation import RolePropagation, RolePropagationArgs

# Exactly the seven actions of Microsoft's documented distribution role ("Azure Image Builder Service
# Image Creation Role", https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-permissions-cli
# and the azvmimagebuilder sample aibRoleImageCreation.json), on the gallery's resource group only.
# All seven even where nothing is distributed as a managed image: a trimmed set is not something
# Microsoft documents or supports, and a permission error only shows at the end of a 60-minute build.
BUILD_ROLE_ACTIONS = [
    "Microsoft.Compute/galleries/read",
    "Microsoft.Compute/galleries/images/read",
    "Microsoft.Compute/galleries/images/versions/read",
    "Microsoft.Compute/galleries/images/versions/write",
    "Microsoft.Compute/images/write",
    "Microsoft.Compute/images/read",
    "Microsoft.Compute/images/delete",
]


# Microsoft's "Azure Image Builder Service Networking Role" (aibRoleNetworking.json): what private
# builds need on the network they run in.
BUILD_NETWORK_ACTIONS = [
    "Microsoft.Network/virtualNetworks/read",
    "Microsoft.Network/virtualNetworks/subnets/join/action",
]

# What building on an existing custom image needs where that image lives ("Configure Azure VM Image Builder
# permissions by using the Azure CLI", section "Customize existing images"): read the gallery version or
# the managed image, on the source's resource group only.
SOURCE_READ_ACTIONS = [
    "Microsoft.Compute/galleries/read",
    "Microsoft.Compute/galleries/images/read",
    "Microsoft.Compute/galleries/images/versions/read",
    "Microsoft.Compute/images/read",
]

NETWORK_ROLE_DESCRIPTION = "Lets Azure Image Builder put its build and proxy VMs into this network's build subnet."

STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"  # Azure built-in role


class BuildIdentity(pulumi.ComponentResource):
    identity: managedidentity.UserAssignedIdentity
    role: authorization.RoleDefinition
    role_assignment: authorization.RoleAssignment
    # What templates wait for: the assignments above, given the time Azure documents for them to take effect.
    role_propagation: RolePropagation

    def __init__(self, name: str, *, location: str, resource_group: resources.ResourceGroup,
                 subscription_id: pulumi.Input[str], artifact_storage_account_id: Optional[str], names: Names,
                 build_network_id: Optional[pulumi.Input[str]] = None, existing_networks: Sequence[str] = (),
                 source_groups: Mapping[str, pulumi.Input[str]] = {}, opts: pulumi.ResourceOptions | None = None):
        """artifact_storage_account_id: where File customizers and scriptUri download from (the
        identity gets blob read there). build_network_id: the program's VNet private builds run in;
        existing_networks: the VNets of builds on existing subnets (build.subnetId): the identity gets
        Microsoft's networking role on each, and on no other network. source_groups: label -> the resource
        group of a custom source image outside the gallery's group (the identity may read images there)."""
        super().__init__("image-factory:build_identity:BuildIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rg = resource_group

        self.identity = managedidentity.UserAssignedIdentity(
            "identity",
            resource_name_=names.builder_identity,
            resource_group_name=rg.name,
            location=location,
            tags=names.tags(),
            opts=child,
        )
        self.role = authorization.RoleDefinition(
            "role",
            # Role definition names are tenant-wide GUIDs: derive from subscription and group.
            role_definition_id=pulumi.Output.all(subscription_id, rg.name).apply(
                lambda p: stable_guid(p[0], p[1], "image-builder-role")),
            role_name=pulumi.Output.all(subscription_id, rg.name).apply(lambda p: names.builder_role(p[0], p[1])),
            description="Lets Azure Image Builder publish image versions into this gallery and write managed images.",
            role_type="CustomRole",
            scope=rg.id,
            assignable_scopes=[rg.id],
            permissions=[{"actions": BUILD_ROLE_ACTIONS, "not_actions": []}],
            opts=child,
        )
        self.role_assignment = authorization.RoleAssignment(
            "role-assignment",
            role_assignment_name=pulumi.Output.all(subscription_id, rg.name, names.builder_identity).apply(
                lambda p: stable_guid(p[0], p[1], p[2], "image-builder-assignment")),
            scope=rg.id,
            role_definition_id=self.role.id,
            principal_id=self.identity.principal_id,
            # The SDK default is User, which Azure rejects for a managed identity; ServicePrincipal
            # also skips the directory lookup that fails while a new identity is still replicating.
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            opts=child,
        )

        self.artifact_reader = None
        if artifact_storage_account_id:
            # File customizers and scriptUri download as the build identity: it needs blob read there.
            self.artifact_reader = authorization.RoleAssignment(
                "artifact-reader",
                role_assignment_name=pulumi.Output.all(subscription_id, names.builder_identity).apply(
                    lambda p: stable_guid(p[0], artifact_storage_account_id, p[1], "artifact-reader")),
                scope=artifact_storage_account_id,
                # Built-in roles exist in every subscription; name the one the storage account is in.
                role_definition_id=(f"/subscriptions/{artifact_storage_account_id.split('/')[2]}"
                                    f"/providers/Microsoft.Authorization/roleDefinitions/{STORAGE_BLOB_DATA_READER}"),
                principal_id=self.identity.principal_id,
                principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
                opts=child,
            )
        # The program's network keeps the first, unsuffixed child names and its role name. A scope outside the
        # stack (an existing VNet, a source image's group) is named after its ID, and its role definition's GUID
        # and name also after this stack's identity: another stack may hold a role on the same scope.
        self.network_joins = [] if build_network_id is None else [self._scoped_role(
            "network-role", "network-join", build_network_id, BUILD_NETWORK_ACTIONS, NETWORK_ROLE_DESCRIPTION,
            pulumi.Output.all(subscription_id, build_network_id).apply(
                lambda p: names.builder_network_role(p[0], p[1].rsplit("/", 1)[-1])), subscription_id, names,
            on_resource=True)]
        self.network_joins += [self._scoped_role(
            f"network-role-{label}", f"network-join-{label}", vnet, BUILD_NETWORK_ACTIONS, NETWORK_ROLE_DESCRIPTION,
            names.builder_scope_role("networking", vnet), subscription_id, names, outside=True, on_resource=True)
            for label, vnet in ((content_hash(v.lower(), 8), v) for v in existing_networks)]
        self.source_readers = [self._scoped_role(
            f"source-role-{label}", f"source-read-{label}", group, SOURCE_READ_ACTIONS,
            "Lets Azure Image Builder read the custom images it builds on in this resource group.",
            pulumi.Output.from_input(group).apply(lambda g: names.builder_scope_role("source images", g)),
            subscription_id, names, outside=True) for label, group in sorted(source_groups.items())]
        # Image Builder checks the identity's permissions when the template is submitted, and a template it
        # refused cannot be updated afterwards: the templates wait until the assignments have taken effect
        # (components/providers/role_propagation.py).
        self.role_propagation = RolePropagation(
            "role-propagation",
            RolePropagationArgs(
                subscription_id=subscription_id,
                role_assignment_ids=[a.id for a in (self.role_assignment, self.artifact_reader, *self.network_joins,
                                                     *self.source_readers) if a],
            ),
            opts=child,
        )
        self.register_outputs({"identityId": self.identity.id, "roleAssignmentId": self.role_assignment.id})

    @property
    def assignments(self) -> list[authorization.RoleAssignment]:
        """Every role assignment of the identity: what a template must wait for."""
        return [a for a in (self.role_assignment, self.artifact_reader, *self.network_joins, *self.source_readers) if a]

    def _scoped_role(self, role_name: str, assignment_name: str, scope: pulumi.Input[str], actions: list[str],
                     description: str, title: pulumi.Input[str], subscription_id: pulumi.Input[str],
                     names: Names, outside: bool = False, on_resource: bool = False) -> authorization.RoleAssignment:
        """A custom role of exactly `actions`, assigned to the identity at `scope` only. The role itself is
        assignable at `scope`'s resource group (or `scope`, when it is a group already): custom roles take only
        management groups, subscriptions or resource groups as assignableScopes ("Understand Azure role
        definitions", AssignableScopes, https://learn.microsoft.com/azure/role-based-access-control/role-definitions#assignablescopes),
        while an assignment may be narrower, so the identity still holds it on the VNet alone.
        outside: a scope another stack may use too (its GUID then also names this stack's identity). on_resource:
        `scope` is a resource (a VNet), narrower than a group."""
        child = pulumi.ResourceOptions(parent=self)
        ids = pulumi.Output.all(subscription_id, scope)
        stack = (names.builder_identity,) if outside else ()
        # Issue 21 item 2: a stack deployed when the role was assignable at the VNet gets a new role (a new GUID and
        # title, "assignable at the group") and a new assignment of it, created before the old ones are deleted:
        # Azure refuses a second role of the same name in a tenant and any update of an assignment's role.
        group = ids.apply(lambda p: assignable_scope_of(p[1]))
        at_group = ["assignable-at-group"] if on_resource else []
        role = authorization.RoleDefinition(
            role_name,
            role_definition_id=ids.apply(lambda p: stable_guid(p[0], p[1], *stack, f"image-builder-{role_name}",
                                                               *at_group)),
            role_name=pulumi.Output.from_input(title).apply(lambda t: names.group_assignable(t) if at_group else t),
            description=description,
            role_type="CustomRole",
            scope=group,
            assignable_scopes=[group],
            permissions=[{"actions": actions, "not_actions": []}],
            opts=child,
        )
        return authorization.RoleAssignment(
            assignment_name,
            role_assignment_name=ids.apply(lambda p: stable_guid(p[0], p[1], names.builder_identity, assignment_name,
                                                                 *at_group)),
            scope=scope,
            role_definition_id=role.id,
            principal_id=self.identity.principal_id,
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            opts=child,
        )
