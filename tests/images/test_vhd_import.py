"""Disks from Hyper-V (imports.<name>): VHD -> disk -> upload -> managed image -> gallery version -> fleets,
and a build layered on the imported image, in the shipped onprem stack and variants of it."""

from __future__ import annotations

import os

import pytest

from components.images.vhd import data_ranges
from offline import demo_vhd
from offline.diff import diff_plans, render_text
from offline.plan import ROOT, plan, render_text as plan_text
from tests.graph import (DEFINITION, IMAGE, TEMPLATE, VERSION, VM, depends_on, one, plan_error, resources,
                         stack_value, under)

DISK = "azure-native:compute:Disk"
UPLOAD = "pulumi-python:dynamic/disk_upload:DiskUpload"
DEMO = ROOT / "onprem/ws2016-gen1.vhd"
STACK = "Pulumi.onprem.yaml: image-factory:"


@pytest.fixture(scope="module")
def onprem() -> dict:
    return plan("onprem")


def _imports(**changes) -> dict:
    imports = stack_value("onprem", "image-factory:imports")
    imports["ws2016"].update(changes)
    return imports


def _fleet_vms(doc: dict, fleet: str) -> list[dict]:
    vms = [vm for vm in resources(doc, VM) if vm["parent"].endswith(f"VmFleet::{fleet}")]
    assert vms, fleet
    return vms


def test_the_chain_runs_disk_upload_image_version_fleet(onprem):
    disk, upload = one(onprem, DISK), one(onprem, UPLOAD)
    image, version = under(onprem, IMAGE, "ws2016"), under(onprem, VERSION, "ws2016")
    assert depends_on(onprem, upload, DISK) == [disk]
    assert depends_on(onprem, image, UPLOAD) == [upload]  # the image waits for the pages, not just the disk
    assert depends_on(onprem, version, IMAGE) == [image] and depends_on(onprem, version, UPLOAD) == [upload]
    assert version["inputs"]["storageProfile"] == {"source": {"id": _id(onprem, image)}}
    assert all(depends_on(onprem, vm, VERSION) == [version] for vm in _fleet_vms(onprem, "onprem-app"))
    assert all(depends_on(onprem, vm, IMAGE) == [image] for vm in _fleet_vms(onprem, "onprem-mi"))


def _id(doc: dict, resource: dict) -> str:
    return doc["outputs"]["importedImages"]["ws2016"]["image" if resource["type"] == IMAGE else "version"]


def test_the_disk_is_an_upload_of_the_whole_file_footer_included(onprem):
    inputs = one(onprem, DISK)["inputs"]
    assert inputs["creationData"] == {"createOption": "Upload", "uploadSizeBytes": os.path.getsize(DEMO)}
    assert os.path.getsize(DEMO) == 20 * 1024 * 1024 + 512  # Azure's smallest upload: 20 MiB + the footer
    assert (inputs["hyperVGeneration"], inputs["osType"], inputs["sku"]) == ("V1", "Windows", {"name": "Standard_LRS"})
    upload = one(onprem, UPLOAD)["inputs"]
    assert upload["vhd_path"] == "onprem/ws2016-gen1.vhd"  # as the stack file says: the same plan in every clone
    assert upload["size_bytes"] == os.path.getsize(DEMO) and upload["disk_id"].endswith("/" + inputs["diskName"])


def test_the_managed_image_is_generalized_windows_of_the_stated_generation_from_the_uploaded_disk(onprem):
    inputs = under(onprem, IMAGE, "ws2016")["inputs"]
    assert inputs["hyperVGeneration"] == "V1"
    os_disk = inputs["storageProfile"]["osDisk"]
    assert (os_disk["osState"], os_disk["osType"]) == ("Generalized", "Windows")
    assert os_disk["managedDisk"]["id"].endswith("/disks/" + one(onprem, DISK)["inputs"]["diskName"])


def test_a_gen1_disk_lands_in_a_v1_standard_definition_and_its_fleets_run_without_trusted_launch(onprem):
    definition = one(onprem, DEFINITION, "def-ws2016")["inputs"]
    assert definition["hyperVGeneration"] == "V1" and "features" not in definition
    assert definition["identifier"] == {"publisher": "ContosoFinance", "offer": "WindowsServer2016-OnPrem",
                                        "sku": "datacenter-gen1"}
    for fleet in ("onprem-app", "onprem-mi"):
        assert all(vm["inputs"]["securityProfile"]["securityType"] == "Standard" for vm in _fleet_vms(onprem, fleet))
    assert (f"{STACK}imports.ws2016.hyperVGeneration = 'V1': a generation 1 disk lands in a V1 definition of its "
            "own; its fleets (onprem-app, onprem-mi) run without Trusted Launch (Secure Boot, vTPM), which needs "
            "generation 2") in onprem["warnings"]


def test_a_gen2_disk_lands_in_a_trusted_launch_supported_v2_definition_whose_version_boots_trusted_launch():
    images = stack_value("onprem", "image-factory:images")
    images["ws2016-hardened"].update(hyperVGeneration="V2", securityType="Standard")
    doc = plan("onprem", overrides={"image-factory:imports": _imports(hyperVGeneration="V2"),
                                    "image-factory:images": images})
    definition = one(doc, DEFINITION, "def-ws2016")["inputs"]
    assert definition["hyperVGeneration"] == "V2"
    assert definition["features"] == [{"name": "SecurityType", "value": "TrustedLaunchSupported"}]
    assert one(doc, DISK)["inputs"]["hyperVGeneration"] == "V2"
    assert all(vm["inputs"]["securityProfile"]["securityType"] == "TrustedLaunch" for vm in _fleet_vms(doc, "onprem-app"))
    # A managed image cannot boot a Trusted Launch VM, whatever its generation.
    assert all(vm["inputs"]["securityProfile"]["securityType"] == "Standard" for vm in _fleet_vms(doc, "onprem-mi"))
    # The layered build's definition stays Standard: the managed image is a Standard source.
    hardened = one(doc, DEFINITION, "def-ws2016-hardened")["inputs"]
    assert hardened["hyperVGeneration"] == "V2" and "features" not in hardened
    assert not any("Trusted Launch" in w for w in doc["warnings"])


def test_the_layered_build_starts_from_the_imported_managed_image(onprem):
    template = one(onprem, TEMPLATE)
    assert template["inputs"]["source"] == {"type": "ManagedImage", "imageId": _id(onprem, under(onprem, IMAGE, "ws2016"))}
    assert one(onprem, DEFINITION, "def-ws2016-hardened")["inputs"]["hyperVGeneration"] == "V1"


def test_a_build_on_a_disk_of_another_generation_is_refused():
    images = stack_value("onprem", "image-factory:images")
    images["ws2016-hardened"].update(hyperVGeneration="V2", securityType="Standard")
    assert plan_error("onprem", {"image-factory:images": images}) == (
        f"{STACK}images.ws2016-hardened.hyperVGeneration = 'V2': must be V1, the generation of imports.ws2016: "
        "Image Builder refuses a cross-generation source")


def test_a_build_on_an_imported_disk_into_a_trusted_launch_supported_definition_is_refused():
    images = stack_value("onprem", "image-factory:images")
    images["ws2016-hardened"].update(hyperVGeneration="V2", securityType="TrustedLaunchSupported")
    assert plan_error("onprem", {"image-factory:images": images,
                                 "image-factory:imports": _imports(hyperVGeneration="V2")}) == (
        f"{STACK}images.ws2016-hardened.securityType = 'TrustedLaunchSupported': must be Standard: the managed image "
        "of imports.ws2016 is a Standard source, and Image Builder refuses a Standard source into a "
        "TrustedLaunchSupported definition")


def test_a_build_on_a_gen2_import_gets_a_standard_definition_without_saying_so():
    # A definition's security type follows its source (issue 21): an imported disk's managed image is Standard.
    images = stack_value("onprem", "image-factory:images")
    images["ws2016-hardened"]["hyperVGeneration"] = "V2"
    doc = plan("onprem", overrides={"image-factory:images": images, "image-factory:imports": _imports(hyperVGeneration="V2")})
    definition = next(r for r in doc["resources"] if r["type"] == "azure-native:compute:GalleryImage"
                      and r["inputs"]["galleryImageName"] == "ws2016-hardened")
    assert definition["inputs"]["hyperVGeneration"] == "V2" and not definition["inputs"].get("features")


def test_a_v1_definition_cannot_be_trusted_launch_supported():
    images = stack_value("onprem", "image-factory:images")
    images["ws2016-hardened"]["securityType"] = "TrustedLaunchSupported"
    assert f"{STACK}images.ws2016-hardened.securityType = 'TrustedLaunchSupported': must be Standard for a V1 " \
           "definition: Trusted Launch needs generation 2" in plan_error("onprem", {"image-factory:images": images})


def test_the_generation_is_stated_never_defaulted():
    imports = _imports()
    del imports["ws2016"]["hyperVGeneration"]
    assert plan_error("onprem", {"image-factory:imports": imports}) == \
        f"{STACK}imports.ws2016.hyperVGeneration: is required"


@pytest.mark.parametrize("change, line", [
    ({"vhd": None}, "imports.ws2016: give exactly one of vhd (a local file) or blobUri (a VHD in a storage account)"),
    ({"vhd": None, "blobUri": "https://st.blob.core.windows.net/vhds/a.vhd"},
     "imports.ws2016: blobUri needs storageAccountId, the storage account that holds the blob"),
    ({"managedImage": False, "gallery": None},
     "imports.ws2016: give managedImage: true, a gallery version (gallery), or both: the import must become an image"),
])
def test_what_an_import_is_made_of_is_checked(change, line):
    imports = _imports()
    imports["ws2016"].update(change)
    imports["ws2016"] = {k: v for k, v in imports["ws2016"].items() if v is not None}
    error = plan_error("onprem", {"image-factory:imports": imports})
    key, _, allowed = line.partition(": ")
    assert error.startswith(f"{STACK}{key} = ") and error.endswith(": " + allowed) and len(error.splitlines()) == 1


def test_a_vhd_that_does_not_exist_names_the_stack_file_the_key_and_the_file():
    assert plan_error("onprem", {"image-factory:imports": _imports(vhd="onprem/nope.vhd")}) == (
        f"{STACK}imports.ws2016.vhd = 'onprem/nope.vhd': does not exist: give the path of the VHD file, "
        "relative to the stack file")


def test_a_dynamic_vhd_is_refused_at_config_load_with_its_fix(tmp_path):
    path = tmp_path / "dynamic.vhd"
    demo_vhd.write(path, 20 * 1024 * 1024)
    raw = bytearray(path.read_bytes())
    footer = bytearray(raw[-512:])
    footer[60:64], footer[64:68] = (3).to_bytes(4, "big"), b"\0\0\0\0"
    footer[64:68] = (~sum(footer) & 0xFFFFFFFF).to_bytes(4, "big")
    path.write_bytes(bytes(raw[:-512] + footer))
    error = plan_error("onprem", {"image-factory:imports": _imports(vhd=str(path))})
    assert error.startswith(f"{STACK}imports.ws2016.vhd = ") and "dynamic" in error and "Convert-VHD" in error
    assert len(error.splitlines()) == 1


def test_an_import_may_not_take_the_name_of_an_image():
    imports = {"ws2016-hardened": _imports()["ws2016"]}
    images = stack_value("onprem", "image-factory:images")
    images["ws2016-hardened"]["source"] = {"vhdImport": "ws2016-hardened"}
    fleets = {"onprem-app": {"region": "uksouth", "image": "ws2016-hardened", "count": 1}}
    assert (f"{STACK}imports.ws2016-hardened: must not share its name with an image") in plan_error(
        "onprem", {"image-factory:imports": imports, "image-factory:images": images, "image-factory:fleets": fleets})


def test_a_fleet_boots_an_imported_version_only_where_it_is_replicated():
    fleets = stack_value("onprem", "image-factory:fleets")
    fleets["onprem-app"]["region"] = "eastus"
    network = {**stack_value("onprem", "image-factory:network"),
               "eastus": {"addressSpace": "10.61.0.0/16", "workloadSubnet": "10.61.0.0/24"}}
    assert (f"{STACK}fleets.onprem-app.region = 'eastus': must be one of the regions imports.ws2016's version "
            "replicates to (uksouth)") in plan_error("onprem", {"image-factory:fleets": fleets,
                                                                "image-factory:network": network})


def test_the_plan_shows_what_will_be_uploaded(onprem):
    [entry] = onprem["uploads"]
    data = sum(end - start for start, end in data_ranges(str(DEMO)))  # [start, end) ranges
    assert (entry["file"], entry["sizeBytes"], entry["dataBytes"]) == ("onprem/ws2016-gen1.vhd", os.path.getsize(DEMO), data)
    assert 0 < data < entry["sizeBytes"] // 10  # a sparse file: only the ranges that hold data travel
    assert entry["fingerprint"] == one(onprem, UPLOAD)["inputs"]["fingerprint"]
    text = plan_text(onprem)
    assert "ws2016-upload: onprem/ws2016-gen1.vhd: 20.0 MiB file, " in text and " of data to send (" in text


def test_a_changed_file_makes_a_new_disk_image_and_version_and_the_diff_says_which(onprem, tmp_path):
    other = tmp_path / "ws2016-v2.vhd"
    demo_vhd.write(other, 21 * 1024 * 1024)
    new = plan("onprem", overrides={"image-factory:imports": _imports(vhd=str(other))})
    names = {t: (one(onprem, t)["inputs"], one(new, t)["inputs"]) for t in (DISK,)}
    old_disk, new_disk = names[DISK]
    assert old_disk["diskName"] != new_disk["diskName"]
    old_image, new_image = under(onprem, IMAGE, "ws2016")["inputs"], under(new, IMAGE, "ws2016")["inputs"]
    assert old_image["imageName"] != new_image["imageName"]
    old_version = under(onprem, VERSION, "ws2016")["inputs"]["galleryImageVersionName"]
    new_version = under(new, VERSION, "ws2016")["inputs"]["galleryImageVersionName"]
    assert old_version != new_version and new_version.startswith("1.0.")
    text = render_text(diff_plans(onprem, new))
    assert (f"WARNING: import ws2016: the VHD changed: new disk {new_disk['diskName']} (was {old_disk['diskName']}), "
            "uploaded again; a new managed image and gallery version follow") in text
    assert f"replace create-first Microsoft.Compute/galleries/images/versions {new_version} (was {old_version})" in text
    assert "template it-ws2016-hardened-" in text  # the build layered on it is rebuilt too
    assert "+- replace create-first DiskUpload ws2016-upload" in text  # uploaded again, into the new disk
    # A new name for each: the new one is created before the old one goes, so no fleet loses its image.
    assert not under(new, VERSION, "ws2016")["options"]["deleteBeforeReplace"]


BLOB = {"blobUri": "https://stcontosovhd.blob.core.windows.net/vhds/ws2022-gen2.vhd",
        "storageAccountId": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-vhd/providers/"
                            "Microsoft.Storage/storageAccounts/stcontosovhd"}


def test_a_vhd_already_in_a_storage_account_is_imported_from_its_blob_and_nothing_is_uploaded():
    imports = _imports(**BLOB)
    del imports["ws2016"]["vhd"]
    doc = plan("onprem", overrides={"image-factory:imports": imports})
    assert one(doc, DISK)["inputs"]["creationData"] == {"createOption": "Import", "sourceUri": BLOB["blobUri"],
                                                        "storageAccountId": BLOB["storageAccountId"]}
    assert not resources(doc, UPLOAD) and doc["uploads"] == []
    assert depends_on(doc, under(doc, IMAGE, "ws2016"), DISK) == [one(doc, DISK)]


def test_a_gallery_version_only_is_made_from_the_disk_itself():
    doc = plan("onprem", overrides={"image-factory:imports": _imports(managedImage=False),
                                    "image-factory:fleets": {"onprem-app": stack_value("onprem", "image-factory:fleets")["onprem-app"]},
                                    "image-factory:images": {"base": {"identifier": {"publisher": "C", "offer": "O", "sku": "S"},
                                                                      "regions": ["uksouth"]}}})
    assert not [i for i in resources(doc, IMAGE) if i["parent"].endswith("VhdImport::ws2016")]
    version = under(doc, VERSION, "ws2016")
    assert version["inputs"]["storageProfile"]["osDiskImage"]["source"]["id"].endswith(
        "/disks/" + one(doc, DISK)["inputs"]["diskName"])
    assert depends_on(doc, version, UPLOAD) == [one(doc, UPLOAD)]


def test_an_imported_version_is_excluded_from_latest_and_protected_in_a_protected_stack():
    # Its patch number comes from the fingerprint, not from time: 'latest' would not mean the newest.
    doc = plan("onprem", overrides={"image-factory:protect": True})
    version = under(doc, VERSION, "ws2016")
    assert version["inputs"]["publishingProfile"]["excludeFromLatest"] is True
    assert version["options"]["protect"] and version["inputs"]["publishingProfile"]["replicationMode"] == "Full"


def test_the_upload_takes_its_data_at_the_tables_bandwidth(onprem):
    from offline import durations
    [entry] = onprem["uploads"]
    per_gib = durations.TABLE["vhd upload, per GiB of data"].minutes
    assert entry["minutes"] == round(per_gib * entry["dataBytes"] / 2 ** 30, 1)
    resource = {"type": durations.UPLOAD_TOKEN, "inputs": {"size_bytes": 2 ** 31}, "upload": {"dataBytes": 2 ** 30}}
    assert durations.minutes(resource, {}) == per_gib  # the data counts, not the file's size


def test_a_fleet_names_an_image_or_an_import_with_a_gallery_version():
    fleets = stack_value("onprem", "image-factory:fleets")
    fleets["onprem-app"]["image"] = "nope"
    assert f"{STACK}fleets.onprem-app.image = 'nope': must be one of the images or imports with a gallery version: " \
           "ws2016, ws2016-hardened" in plan_error("onprem", {"image-factory:fleets": fleets}).splitlines()


def test_a_gen1_fleet_may_run_a_size_without_gen2_which_a_gen2_fleet_may_not():
    fleets = stack_value("onprem", "image-factory:fleets")
    fleets["onprem-app"].update(size="Standard_A2_v2", osDisk={"type": "StandardSSD_LRS"},
                               encryptionAtHost=False)  # Av2 offers no encryption at host
    plan("onprem", overrides={"image-factory:fleets": fleets})  # Av2 is generation 1 only: fine for a V1 disk
    images = stack_value("onprem", "image-factory:images")
    images["ws2016-hardened"].update(hyperVGeneration="V2", securityType="Standard")
    assert f"{STACK}fleets.onprem-app.size = 'Standard_A2_v2': must be a size that supports Gen2" in plan_error(
        "onprem", {"image-factory:fleets": fleets, "image-factory:images": images,
                   "image-factory:imports": _imports(hyperVGeneration="V2")})


def test_a_blob_uri_with_a_sas_token_is_refused_and_never_shown():
    imports = _imports(**{**BLOB, "blobUri": BLOB["blobUri"] + "?sv=2024-01-01&sig=c2VjcmV0"})
    del imports["ws2016"]["vhd"]
    error = plan_error("onprem", {"image-factory:imports": imports})
    assert error == (f"{STACK}imports.ws2016.blobUri = [secret]: must not carry a SAS token: Azure reads the blob "
                     "through storageAccountId (createOption Import), and a token in the URI would be stored in the "
                     "state; give the URI without it")
