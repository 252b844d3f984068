"""ManagedImageCapture: the manual path to a managed image, as the course teaches it, inside the graph.

reference VM (marketplace Windows Server 2025) -> Generalize (sysprep, stopped, deallocated, marked
generalized) -> compute.Image from the VM -> optionally a gallery version of that image.

Azure cannot capture a managed image from a Trusted Launch VM, so the reference VM runs with
securityType Standard; fleets booted from the managed image are Standard as well, because Trusted
Launch VMs cannot boot from managed images either. Publish to the gallery for Trusted Launch.
"""

from __future__ import annotations

from typing import Optional

import pulumi
from pulumi_azure_native import compute
from pulumi_azure_native import network as azure_network

from ..config.fleets import Capture
from ..config.images import Image
from ..images.gallery import ImageGallery
from ..images.gallery_version import gallery_version
from ..images.replica_plan import replica_counts, target_regions
from ..naming import Names, content_hash
from ..providers.generalize import Generalize, GeneralizeArgs
from .credentials import AdminCredentials
from .network import FleetNetwork
from .windows_profile import BOOT_DIAGNOSTICS, security_profile, windows_configuration

GENERALIZED_VM_IGNORES = ["tags", "osProfile", "storageProfile.osDisk", "securityProfile", "diagnosticsProfile",
                          "networkProfile"]
GENERALIZED_VM_REPLACES = ["storageProfile.imageReference", "hardwareProfile"]


def _shallow_allowed(target: Image, capture: Capture, location: str, protect: bool) -> bool:
    regions = target.regions
    return (not protect and len(regions) == 1 and regions[0].name == capture.region == location
            and (regions[0].replica_count or 1) == 1)


class ManagedImageCapture(pulumi.ComponentResource):
    image_id: pulumi.Output[str]
    version_id: pulumi.Output[str] | None
    recipe_hash: str  # of what makes the managed image: a template built on it is named after it (layering.py)
    region: str
    resource_group_id: pulumi.Output[str]  # where the managed image lives: its region's network group

    def __init__(self, capture_name: str, capture: Capture, *, network: FleetNetwork, credentials: AdminCredentials,
                 admin_username: str, subscription_id: pulumi.Input[str], gallery: ImageGallery,
                 publish_image: Optional[Image], location: str, protect: bool, names: Names,
                 opts: pulumi.ResourceOptions | None = None):
        """publish_image: the image whose definition receives the captured version (capture.publish),
        or None. location and protect: the stack's, which the gallery version follows."""
        super().__init__("image-factory:capture:ManagedImageCapture", capture_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        net = network
        rg = net.resource_group.name
        vm_name = names.reference_vm(capture_name)
        self.recipe_hash = content_hash(capture.model_dump(mode="json", exclude={"publish"}))
        self.region, self.resource_group_id = capture.region, net.resource_group.id

        nic = azure_network.NetworkInterface(
            f"{capture_name}-nic", network_interface_name=names.reference_nic(capture_name), resource_group_name=rg,
            location=capture.region,
            ip_configurations=[{"name": "ipconfig1", "subnet": {"id": net.subnet_id},
                                "private_ip_allocation_method": "Dynamic"}],
            tags=names.tags(purpose="capture-reference"), opts=child)
        vm = compute.VirtualMachine(
            f"{capture_name}-reference-vm",
            vm_name=vm_name,
            resource_group_name=rg,
            location=capture.region,
            hardware_profile={"vm_size": capture.size},
            storage_profile={
                "image_reference": {"publisher": capture.publisher, "offer": capture.offer,
                                    "sku": capture.sku, "version": capture.version},
                "os_disk": {"create_option": "FromImage", "caching": "ReadWrite", "delete_option": "Delete",
                            "managed_disk": {"storage_account_type": "Premium_LRS"}},
            },
            os_profile={"computer_name": names.reference_computer_name(capture_name),
                        "admin_username": admin_username, "admin_password": credentials.password,
                        # The reference VM never patches itself: a pending restart makes sysprep fail.
                        "windows_configuration": windows_configuration("manual")},
            network_profile={"network_interfaces": [{"id": nic.id, "primary": True, "delete_option": "Detach"}]},
            # Standard, not Trusted Launch: Azure refuses to capture a managed image from a TL VM.
            security_profile=security_profile(trusted_launch=False, encryption_at_host=True),  # as the fleets (issue 21 item 14)
            diagnostics_profile=BOOT_DIAGNOSTICS,
            tags=names.tags(purpose="capture-reference"),
            # Azure refuses every update of a generalized VM, even of a tag ("Operation ... is not allowed on
            # VM ... since the VM is generalized"): what would only update it is ignored. A different
            # source image or size is a different reference machine: it replaces the VM (name fixed, so
            # delete first), and Generalize and the image follow through replace_with.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=GENERALIZED_VM_IGNORES,
                                        replace_on_changes=GENERALIZED_VM_REPLACES, delete_before_replace=True),
        )
        generalized = Generalize(
            f"{capture_name}-generalize",
            GeneralizeArgs(subscription_id=subscription_id, resource_group_name=rg, vm_name=vm.name),
            # A recreated reference VM keeps its name and ARM ID, yet is a new, un-sysprepped machine.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[vm], replace_with=[vm]),
        )
        image = compute.Image(
            f"{capture_name}-image",
            image_name=names.captured_image(capture_name),
            resource_group_name=rg,
            location=capture.region,
            hyper_v_generation="V2",
            source_virtual_machine={"id": generalized.vm_id},
            tags=names.tags(purpose="captured-image"),
            # Re-captured whenever the VM is generalized anew; the name is fixed, so delete first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[generalized], replace_with=[generalized],
                                        delete_before_replace=True),
        )
        self.image_id = image.id
        self.version_id = None
        if capture.publish and publish_image:
            self.version_id = self._publish(capture_name, capture, publish_image, location, protect, names,
                                            gallery, image).id
        self.register_outputs({"imageId": self.image_id, "versionId": self.version_id})

    def _publish(self, capture_name: str, capture: Capture, target: Image, location: str, protect: bool,
                 names: Names, gallery: ImageGallery, image: compute.Image) -> compute.GalleryImageVersion:
        return gallery_version(
            f"{capture_name}-gallery-version", definition=capture.publish.image, version_name=capture.publish.version,
            gallery=gallery, location=location, storage_profile={"source": {"id": image.id}},
            # No fleet load is known for a captured version: explicit counts, else one per region.
            target_regions=target_regions(target, replica_counts(target, {})),
            shallow=_shallow_allowed(target, capture, location, protect),
            exclude_from_latest=target.exclude_from_latest, protect=protect,
            tags=names.tags(image=capture.publish.image, source=f"capture:{capture_name}"), parent=self)
