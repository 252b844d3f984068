"""PatchSchedule: one region's Azure Update Manager schedule for the fleets there.

A maintenance configuration (scope InGuestPatch) holds the window and what to install; a dynamic scope
on the region's fleet resource group assigns it to every Windows VM there, scale set instances
included, so a VM added later is patched without another assignment. The VMs opt in with patch mode
AutomaticByPlatform and bypassPlatformSafetyChecksOnUserSchedule (windows_profile.py). Microsoft:
"Manage a dynamic scope", https://learn.microsoft.com/azure/update-manager/manage-dynamic-scoping.
"""

from __future__ import annotations

from typing import Sequence

import pulumi
from pulumi_azure_native import maintenance, resources

from ..config.patching import Patching
from ..naming import Names


class PatchSchedule(pulumi.ComponentResource):
    configuration: maintenance.MaintenanceConfiguration

    def __init__(self, name: str, region: str, *, patching: Patching, resource_group: resources.ResourceGroup,
                 names: Names, fleets: Sequence[str], opts: pulumi.ResourceOptions | None = None):
        """fleets: the fleets of the region Update Manager patches (single VMs; never scale sets)."""
        super().__init__("image-factory:patching:PatchSchedule", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        window = patching.window_for(region)
        self.configuration = maintenance.MaintenanceConfiguration(
            f"{name}-configuration",
            resource_name_=names.maintenance_configuration(region),
            resource_group_name=resource_group.name,
            location=region,
            maintenance_scope="InGuestPatch",
            visibility="Custom",
            # "User": the customer's schedule drives guest patching (the only mode InGuestPatch takes).
            extension_properties={"InGuestPatchMode": "User"},
            start_date_time=window.start,
            duration=window.duration,
            recur_every=window.recur_every,
            time_zone=window.time_zone,
            install_patches={"reboot_setting": patching.reboot,
                             "windows_parameters": {"classifications_to_include": list(patching.classifications)}},
            tags=names.tags(),
            opts=child,
        )
        maintenance.ConfigurationAssignmentsForResourceGroup(
            f"{name}-assignment",
            configuration_assignment_name=names.patch_assignment(region),
            resource_group_name=resource_group.name,
            maintenance_configuration_id=self.configuration.id,
            # Only the VMs of the fleets it serves, by their `fleet` tag: a Flexible scale set's instances are
            # virtualMachines in the same group, and Update Manager does not serve scale sets ("Unsupported workloads
            # for Azure Update Manager", https://learn.microsoft.com/azure/update-manager/unsupported-workloads);
            # they patch by Windows Update (issue 21 item 3). The capture's reference VM stays unpatched too.
            filter={"locations": [region], "os_types": ["Windows"],
                    "resource_types": ["Microsoft.Compute/virtualMachines"],
                    "tag_settings": {"tags": {"fleet": list(fleets)}, "filter_operator": "Any"}},
            opts=child,
        )
        self.register_outputs({"maintenanceConfigurationId": self.configuration.id})
