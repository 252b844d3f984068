"""The course's capture path: reference VM -> sysprep/generalize -> managed image -> fleet, in order."""

from offline.plan import plan
from tests.graph import GENERALIZE, IMAGE, VERSION, VM, depends_on, one, resources, under


def test_capture_chain_runs_in_order(plans):
    doc = plans["capture"]
    reference = under(doc, VM, "ref2025")
    generalize = one(doc, GENERALIZE)
    image = one(doc, IMAGE)
    fleet_vms = [vm for vm in resources(doc, VM) if vm["parent"].endswith("VmFleet::cap-vms")]
    # sysprep -> stopped -> deallocated -> generalized all happen inside Generalize, after the VM exists.
    assert depends_on(doc, generalize, VM) == [reference]
    assert generalize["inputs"]["vm_name"] == reference["inputs"]["vmName"]
    assert depends_on(doc, image, GENERALIZE) == [generalize]
    assert image["inputs"]["sourceVirtualMachine"] == {"id": "[unknown]"}  # Generalize's vm_id output
    assert len(fleet_vms) == 2 and all(depends_on(doc, vm, IMAGE) == [image] for vm in fleet_vms)


def test_reference_vm_is_standard_security_because_trusted_launch_cannot_be_captured(plans):
    reference = under(plans["capture"], VM, "ref2025")["inputs"]
    assert reference["securityProfile"]["securityType"] == "Standard"
    assert reference["storageProfile"]["imageReference"] == {
        "publisher": "MicrosoftWindowsServer", "offer": "WindowsServer",
        "sku": "2025-datacenter-azure-edition", "version": "latest"}


def test_a_new_reference_vm_means_a_new_generalize_and_image(plans):
    doc = plans["capture"]
    reference, generalize, image = under(doc, VM, "ref2025"), one(doc, GENERALIZE), one(doc, IMAGE)
    assert generalize["options"]["replaceWith"] == [reference["urn"]]
    assert image["options"]["replaceWith"] == [generalize["urn"]]


def test_captured_image_is_published_as_a_gallery_version(plans):
    doc = plans["capture"]
    version = one(doc, VERSION)
    assert depends_on(doc, version, IMAGE) == [one(doc, IMAGE)]
    inputs = version["inputs"]
    assert inputs["galleryImageVersionName"] == "0.1.0"
    assert inputs["galleryImageName"] == "win2025-base"
    assert inputs["publishingProfile"]["replicationMode"] == "Shallow"  # not a protected (prod) stack
    assert version["options"]["customTimeouts"]["create"] == "6h"


def test_generalized_reference_vm_ignores_updates_azure_would_refuse(plans):
    # Azure refuses any update of a generalized VM, even a tag; a new source image or size replaces it.
    options = under(plans["capture"], VM, "ref2025")["options"]
    assert {"tags", "osProfile", "securityProfile", "diagnosticsProfile"} <= set(options["ignoreChanges"])
    assert "storageProfile.imageReference" in options["replaceOnChanges"] and options["deleteBeforeReplace"]


def test_reference_vm_does_not_patch_itself(plans):
    # A pending restart from updates makes sysprep fail.
    windows = under(plans["capture"], VM, "ref2025")["inputs"]["osProfile"]["windowsConfiguration"]
    assert windows["enableAutomaticUpdates"] is False
    assert windows["patchSettings"]["patchMode"] == "Manual"


def test_owner_change_does_not_touch_the_generalized_vm():
    before = under(plan("capture"), VM, "ref2025")
    after = under(plan("capture", overrides={"image-factory:owner": "new-owner@contoso-finance.example"}), VM, "ref2025")
    changed = {k for k in before["inputs"] if before["inputs"][k] != after["inputs"].get(k)}
    assert changed == {"tags"} and "tags" in after["options"]["ignoreChanges"]
