"""VmFleet: identical Windows VMs in one region, as single VMs or as one Flexible scale set.

Rollout when the image changes:
- `vms` mode: azure-native cannot change storageProfile.imageReference in place
  (pulumi-azure-native#1117), so each VM is replaced. The VM name and its Windows computer name are
  fixed (the computer name is the machine's identity in AD DS, and two live machines may not share
  it), so the names do not allow create-before-delete: the old VM goes first, one VM per resource.
  So the fleet rolls in waves (Fleet.waves: a zone, or rollout_batch VMs, at a time). Each VM of a
  wave gets the Application Health extension; every VM of wave k+1 dependsOn wave k's extensions.
  An extension's create ends only when the VM runs and its guest agent has installed the handler
  ("Azure virtual machine extensions and features", https://learn.microsoft.com/azure/virtual-machines/
  extensions/overview), so wave k+1 is registered, and its old VMs deleted, only once wave k is back.
  The edge is dependsOn only, no property of wave k+1 reads wave k: Pulumi's delete-before-replace
  deletes first only the dependents whose *inputs* depend on the replaced resource, so replacing wave
  k does not drag wave k+1 down with it (docs/lifecycle.md).
- `scaleset` mode: the image is part of the scale set's model and changes in place; instances then
  roll by the Rolling upgrade policy (20% a batch, health-checked by the Application Health
  extension on RDP's port), so capacity never drops by more than a batch.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import compute, network

from ..config.fleets import Fleet
from ..naming import Names, computer_name_prefix, vm_index
from .boot_image import FleetImage
from .credentials import AdminCredentials
from .network import FleetNetwork
from .windows_profile import BOOT_DIAGNOSTICS, PatchMode, domain_join_extension, os_disk, security_profile, windows_configuration

IMAGE_REFERENCE = "storageProfile.imageReference"
COMPUTER_NAME = "osProfile.computerName"
ADMIN_PASSWORD = "osProfile.adminPassword"
# Azure refuses a new time zone on an existing VM: "PropertyChangeNotAllowed: Changing property
# 'windowsConfiguration.timeZone' is not allowed" (hashicorp/terraform-provider-azurerm#16848, which made it
# ForceNew): a fleet's new timeZone means new VMs, as its field description says.
TIME_ZONE = "osProfile.windowsConfiguration.timeZone"
SCALE_SET_TIMEOUTS = pulumi.CustomTimeouts(create="3h", update="6h", delete="2h")
# Rolling upgrades for Flexible scale sets judge instance health with this extension.
HEALTH_EXTENSION = {
    "name": "health",
    "publisher": "Microsoft.ManagedServices",
    "type": "ApplicationHealthWindows",
    "type_handler_version": "2.0",
    "auto_upgrade_minor_version": True,
    "settings": {"protocol": "tcp", "port": 3389},
}


class VmFleet(pulumi.ComponentResource):
    def __init__(self, fleet_name: str, fleet: Fleet, *, image: FleetImage, network: FleetNetwork,
                 credentials: AdminCredentials, admin_username: str, patching: PatchMode, names: Names,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("image-factory:fleet:VmFleet", fleet_name, None, opts)
        self._fleet, self._image, self._credentials, self._names = fleet, image, credentials, names
        self._admin_username, self._patching = admin_username, patching
        net = network
        self._rg = net.resource_group.name
        self._subnet_id = pulumi.Output.from_input(fleet.subnet_id) if fleet.subnet_id else net.subnet_id
        # Only the version is unknown until the build has run; the other tags stay readable in a preview.
        # The NICs take the plain tags: an image-version tag there would make every NIC wait for the build and
        # its replicas (a false dependency on the critical path) and retag every NIC at each new version.
        self._nic_tags = names.tags(fleet=fleet_name, image=image.label)
        self._tags = {**self._nic_tags, "image-version": image.id.apply(lambda ref: ref.rsplit("/", 1)[-1])}
        self._join_password = credentials.domain_join_password
        prefix = computer_name_prefix(fleet_name, fleet)

        if fleet.mode == "scaleset":
            self.vm_ids = [self._scale_set(fleet_name, prefix).id]
        else:
            self.vm_ids = self._waves(fleet_name, prefix)
        self.register_outputs({"vmIds": self.vm_ids})

    def _waves(self, fleet_name: str, prefix: str) -> list[pulumi.Output[str]]:
        """The VMs, wave by wave: each wave's VMs wait for the previous wave's health extensions."""
        ids: dict[int, pulumi.Output[str]] = {}
        healthy: list[pulumi.Resource] = []
        for wave in self._fleet.waves():
            gate = list(healthy)
            healthy = []
            for i in wave:
                vm, last = self._vm(fleet_name, vm_index(i), prefix, i, after=gate)
                ids[i] = vm.id
                healthy.append(self._health(fleet_name, vm_index(i), vm, last))
        return [ids[i] for i in sorted(ids)]

    def _health(self, fleet_name: str, index: str, vm: compute.VirtualMachine,
                last: pulumi.Resource) -> compute.VirtualMachineExtension:
        """The wave's gate: the Application Health extension (tcp on RDP's port, as the scale sets'), after
        the VM's other extension (Azure runs one extension operation on a VM at a time)."""
        return compute.VirtualMachineExtension(
            f"health-{fleet_name}-{index}",
            vm_extension_name=HEALTH_EXTENSION["name"],
            vm_name=vm.name,
            resource_group_name=self._rg,
            location=self._fleet.region,
            publisher=HEALTH_EXTENSION["publisher"],
            type=HEALTH_EXTENSION["type"],
            type_handler_version=HEALTH_EXTENSION["type_handler_version"],
            auto_upgrade_minor_version=True,
            settings=HEALTH_EXTENSION["settings"],
            tags=self._nic_tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[last] if last is not vm else None),
        )

    def _zone(self, index: int) -> list[str] | None:
        zones = self._fleet.zones
        return [zones[index % len(zones)]] if zones else None  # round-robin across the zones given

    def _vm(self, fleet_name: str, index: str, prefix: str, position: int,
            after: list[pulumi.Resource]) -> tuple[compute.VirtualMachine, pulumi.Resource]:
        """The VM (replaced only after `after`, the previous wave's gates), and the last resource on it."""
        fleet = self._fleet
        nic = network.NetworkInterface(
            f"nic-{fleet_name}-{index}",
            network_interface_name=self._names.nic(fleet_name, index),
            resource_group_name=self._rg,
            location=fleet.region,
            ip_configurations=[{"name": "ipconfig1", "subnet": {"id": self._subnet_id},
                                "private_ip_allocation_method": "Dynamic"}],
            tags=self._nic_tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        vm = compute.VirtualMachine(
            f"vm-{fleet_name}-{index}",
            vm_name=self._names.vm(fleet_name, index),
            resource_group_name=self._rg,
            location=fleet.region,
            zones=self._zone(position),
            hardware_profile={"vm_size": fleet.size},
            storage_profile={"image_reference": {"id": self._image.id}, "os_disk": os_disk(fleet)},
            os_profile={
                "computer_name": f"{prefix}{index}",
                "admin_username": self._admin_username,
                "admin_password": self._credentials.password,
                "windows_configuration": windows_configuration(self._patching, self._fleet.time_zone),
            },
            # Detach, not Delete: the NIC is a resource of its own in Pulumi's state, and a replaced VM
            # must find it again instead of taking it down with it.
            network_profile={"network_interfaces": [{"id": nic.id, "primary": True, "delete_option": "Detach"}]},
            security_profile=security_profile(self._image.trusted_launch, fleet.encryption_at_host),
            diagnostics_profile=BOOT_DIAGNOSTICS,
            license_type=fleet.license_type,
            tags=self._tags,
            # Azure refuses to change adminPassword, computerName or timeZone of an existing VM. Ignoring the
            # password would make every rebuilt VM keep the old (perhaps leaked) one; replacing is
            # honest: a new password or computer name means new VMs.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=after or None,
                                        replace_on_changes=[IMAGE_REFERENCE, COMPUTER_NAME, ADMIN_PASSWORD, TIME_ZONE]),
        )
        if fleet.domain_join:
            return vm, compute.VirtualMachineExtension(
                f"join-{fleet_name}-{index}",
                vm_extension_name="domain-join",
                vm_name=vm.name,
                resource_group_name=self._rg,
                location=fleet.region,
                **domain_join_extension(fleet.domain_join, self._join_password),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return vm, vm

    def _scale_set(self, fleet_name: str, prefix: str) -> compute.VirtualMachineScaleSet:
        fleet = self._fleet
        extensions = [HEALTH_EXTENSION]
        if fleet.domain_join:
            extensions.append({"name": "domain-join", **domain_join_extension(fleet.domain_join, self._join_password)})
        return compute.VirtualMachineScaleSet(
            f"vmss-{fleet_name}",
            vm_scale_set_name=self._names.scale_set(fleet_name),
            resource_group_name=self._rg,
            location=fleet.region,
            zones=fleet.zones or None,
            orchestration_mode="Flexible",
            platform_fault_domain_count=1,
            single_placement_group=False,
            sku={"name": fleet.size, "capacity": fleet.count},
            upgrade_policy={
                "mode": "Rolling",
                "rolling_upgrade_policy": {
                    "max_batch_instance_percent": 20,
                    "max_unhealthy_instance_percent": 20,
                    "max_unhealthy_upgraded_instance_percent": 20,
                    "pause_time_between_batches": "PT2M",
                    "prioritize_unhealthy_instances": True,
                },
            },
            virtual_machine_profile={
                "storage_profile": {"image_reference": {"id": self._image.id}, "os_disk": os_disk(fleet, scale_set=True)},
                "os_profile": {
                    "computer_name_prefix": prefix,
                    "admin_username": self._admin_username,
                    "admin_password": self._credentials.password,
                    "windows_configuration": windows_configuration(self._patching, self._fleet.time_zone),
                },
                "network_profile": {
                    "network_api_version": "2022-11-01",
                    "network_interface_configurations": [{
                        "name": "nic", "primary": True, "delete_option": "Delete",
                        "ip_configurations": [{"name": "ipconfig1", "subnet": {"id": self._subnet_id}}],
                    }],
                },
                "security_profile": security_profile(self._image.trusted_launch, fleet.encryption_at_host),
                "diagnostics_profile": BOOT_DIAGNOSTICS,
                "extension_profile": {"extensions": extensions},
                # Nested None is sent as JSON null, which ARM rejects: leave the key out instead.
                **({"license_type": fleet.license_type} if fleet.license_type else {}),
            },
            tags=self._tags,
            # A 1,000-instance create, or a rolling image update in 20% batches, outlasts the
            # provider's 120-minute default.
            opts=pulumi.ResourceOptions(parent=self, custom_timeouts=SCALE_SET_TIMEOUTS),
        )
