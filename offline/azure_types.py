"""What the offline plan knows about each azure-native resource type the program creates.

One table serves two readers: the mock engine (which must answer with ARM-shaped resource IDs) and
the conformance test (which must drop path parameters and look the body up in Azure's published
types). A type the program starts to use without a row here fails both loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FAKE_SUBSCRIPTION_ID = "11111111-2222-3333-4444-555555555555"
FAKE_TENANT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

_RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"


@dataclass(frozen=True)
class AzureType:
    token: str
    arm_type: str
    api_version: str  # the version azure-native 3.29 sends for this token
    id_template: str
    # azure-native input names that differ from the ARM property they are sent as (the swagger's
    # x-ms-client-name), or that it flattens out of a nested object: {input name: ARM name or a.b path}.
    wire_names: tuple[tuple[str, str], ...] = ()

    @property
    def path_params(self) -> frozenset[str]:
        return frozenset(re.findall(r"{(\w+)}", self.id_template))

    def resource_id(self, inputs: dict) -> str:
        values = {"subscriptionId": FAKE_SUBSCRIPTION_ID, **inputs}
        missing = sorted(p for p in self.path_params if not values.get(p))
        if missing:
            raise KeyError(f"{self.token}: no value for path parameter(s) {missing}")
        return self.id_template.format(**values)


def _t(token: str, arm_type: str, api: str, template: str, **wire_names: str) -> AzureType:
    return AzureType(token, arm_type, api, template, tuple(sorted(wire_names.items())))


AZURE_TYPES: dict[str, AzureType] = {
    t.token: t
    for t in [
        _t("azure-native:resources:ResourceGroup", "Microsoft.Resources/resourceGroups", "2024-03-01", _RG),
        _t("azure-native:compute:Gallery", "Microsoft.Compute/galleries", "2024-03-03",
           _RG + "/providers/Microsoft.Compute/galleries/{galleryName}"),
        _t("azure-native:compute:GalleryImage", "Microsoft.Compute/galleries/images", "2024-03-03",
           _RG + "/providers/Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}"),
        _t("azure-native:compute:GalleryImageVersion", "Microsoft.Compute/galleries/images/versions",
           "2024-03-03",
           _RG + "/providers/Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}"
           "/versions/{galleryImageVersionName}"),
        _t("azure-native:compute:Disk", "Microsoft.Compute/disks", "2024-03-02",
           _RG + "/providers/Microsoft.Compute/disks/{diskName}"),
        _t("azure-native:compute:Image", "Microsoft.Compute/images", "2024-11-01",
           _RG + "/providers/Microsoft.Compute/images/{imageName}"),
        _t("azure-native:compute:VirtualMachine", "Microsoft.Compute/virtualMachines", "2024-11-01",
           _RG + "/providers/Microsoft.Compute/virtualMachines/{vmName}"),
        _t("azure-native:compute:VirtualMachineExtension", "Microsoft.Compute/virtualMachines/extensions",
           "2024-11-01",
           _RG + "/providers/Microsoft.Compute/virtualMachines/{vmName}/extensions/{vmExtensionName}"),
        _t("azure-native:compute:VirtualMachineScaleSet", "Microsoft.Compute/virtualMachineScaleSets",
           "2024-11-01", _RG + "/providers/Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}"),
        _t("azure-native:compute:VirtualMachineScaleSetExtension",
           "Microsoft.Compute/virtualMachineScaleSets/extensions", "2024-11-01",
           _RG + "/providers/Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}/extensions/{vmssExtensionName}"),
        _t("azure-native:virtualmachineimages:VirtualMachineImageTemplate",
           "Microsoft.VirtualMachineImages/imageTemplates", "2024-02-01",
           _RG + "/providers/Microsoft.VirtualMachineImages/imageTemplates/{imageTemplateName}"),
        _t("azure-native:virtualmachineimages:Trigger", "Microsoft.VirtualMachineImages/imageTemplates/triggers",
           "2024-02-01",
           _RG + "/providers/Microsoft.VirtualMachineImages/imageTemplates/{imageTemplateName}/triggers/{triggerName}"),
        _t("azure-native:managedidentity:UserAssignedIdentity",
           "Microsoft.ManagedIdentity/userAssignedIdentities", "2023-01-31",
           _RG + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}"),
        _t("azure-native:authorization:RoleDefinition", "Microsoft.Authorization/roleDefinitions",
           "2022-05-01-preview", "{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
           roleType="type"),
        _t("azure-native:authorization:ManagementLockByScope", "Microsoft.Authorization/locks",
           "2020-05-01", "{scope}/providers/Microsoft.Authorization/locks/{lockName}"),
        _t("azure-native:authorization:RoleAssignment", "Microsoft.Authorization/roleAssignments",
           "2022-04-01", "{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}"),
        _t("azure-native:maintenance:MaintenanceConfiguration", "Microsoft.Maintenance/maintenanceConfigurations",
           "2023-10-01-preview",
           _RG + "/providers/Microsoft.Maintenance/maintenanceConfigurations/{resourceName}",
           # azure-native flattens properties.maintenanceWindow into the resource's own inputs.
           startDateTime="maintenanceWindow.startDateTime", expirationDateTime="maintenanceWindow.expirationDateTime",
           duration="maintenanceWindow.duration", timeZone="maintenanceWindow.timeZone",
           recurEvery="maintenanceWindow.recurEvery"),
        _t("azure-native:maintenance:ConfigurationAssignmentsForResourceGroup",
           "Microsoft.Maintenance/configurationAssignments", "2023-10-01-preview",
           _RG + "/providers/Microsoft.Maintenance/configurationAssignments/{configurationAssignmentName}"),
        _t("azure-native:network:VirtualNetwork", "Microsoft.Network/virtualNetworks", "2024-05-01",
           _RG + "/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}"),
        _t("azure-native:network:Subnet", "Microsoft.Network/virtualNetworks/subnets", "2024-05-01",
           _RG + "/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}"),
        _t("azure-native:network:NetworkSecurityGroup", "Microsoft.Network/networkSecurityGroups", "2024-05-01",
           _RG + "/providers/Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}"),
        _t("azure-native:network:NetworkInterface", "Microsoft.Network/networkInterfaces", "2024-05-01",
           _RG + "/providers/Microsoft.Network/networkInterfaces/{networkInterfaceName}"),
        _t("azure-native:network:PublicIPAddress", "Microsoft.Network/publicIPAddresses", "2024-05-01",
           _RG + "/providers/Microsoft.Network/publicIPAddresses/{publicIpAddressName}"),
        _t("azure-native:network:NatGateway", "Microsoft.Network/natGateways", "2024-05-01",
           _RG + "/providers/Microsoft.Network/natGateways/{natGatewayName}"),
        _t("azure-native:network:PublicIPPrefix", "Microsoft.Network/publicIPPrefixes", "2024-05-01",
           _RG + "/providers/Microsoft.Network/publicIPPrefixes/{publicIpPrefixName}"),
        _t("azure-native:network:RouteTable", "Microsoft.Network/routeTables", "2024-05-01",
           _RG + "/providers/Microsoft.Network/routeTables/{routeTableName}"),
        _t("azure-native:network:BastionHost", "Microsoft.Network/bastionHosts", "2024-05-01",
           _RG + "/providers/Microsoft.Network/bastionHosts/{bastionHostName}"),
    ]
}


def azure_type(token: str) -> AzureType:
    try:
        return AZURE_TYPES[token]
    except KeyError:
        raise KeyError(
            f"{token} has no row in offline/azure_types.py: add its ARM type, API version and ID template"
        ) from None
