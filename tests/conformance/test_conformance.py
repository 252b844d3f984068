"""Every azure-native resource each stack would create, checked against Azure's published ARM types.

The plan is produced offline, so the request bodies are rebuilt from the inputs azure-native would
receive (tests/conformance/arm_schema.to_arm_body) and validated strictly (unknown or mis-cased names,
missing required properties, read-only properties, closed enums, patterns, bounds).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conformance import arm_schema
from offline.azure_types import azure_type
from offline.plan import ROOT, plan, stack_names

REPO = ROOT

# azure-native types with no schema in the snapshot, as {token: why}. Kept explicit so that a new
# resource type the snapshot cannot check is a visible decision, not silently unvalidated. Empty since
# the snapshot gained Network, Authorization, Resources and Maintenance: every type is validated.
NO_SCHEMA: dict[str, str] = {}

# Without these the test could pass on a stack that validated nothing that matters.
MUST_VALIDATE = {
    "azure-native:virtualmachineimages:VirtualMachineImageTemplate",
    "azure-native:compute:Gallery",
    "azure-native:compute:GalleryImage",
    "azure-native:authorization:RoleDefinition",
    "azure-native:authorization:RoleAssignment",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:Subnet",
    "azure-native:network:NatGateway",
    "azure-native:network:PublicIPPrefix",
    "azure-native:resources:ResourceGroup",
}

# What one stack alone shows, validated in that stack: the disk from Hyper-V and the images made from it.
STACK_MUST_VALIDATE = {
    "onprem": {"azure-native:compute:Disk", "azure-native:compute:Image", "azure-native:compute:GalleryImageVersion"},
}


def _schema(token: str, schema_dir: Path):
    az = azure_type(token)  # a token without a row in azure_types.py fails here, loudly
    return az, arm_schema.load_resource_type(az.arm_type, az.api_version, schema_dir)


def _default_location(stack: str, resource: dict, resources: list[dict]) -> str | None:
    """What azure-native itself would put in a missing `location`: the provider's configured
    location, else the location of the resource group the resource is created in."""
    cfg_file = REPO / f"Pulumi.{stack}.yaml"
    config = (yaml.safe_load(cfg_file.read_text()) or {}).get("config") or {} if cfg_file.exists() else {}
    loc = config.get("azure-native:location")
    if isinstance(loc, str):
        return loc
    rg = resource["inputs"].get("resourceGroupName")
    for r in resources:
        if r["type"] == "azure-native:resources:ResourceGroup" and r["inputs"].get("resourceGroupName") == rg:
            loc = r["inputs"].get("location")
            return loc if isinstance(loc, str) and loc not in arm_schema.PLACEHOLDERS else None
    return None


def test_there_are_stacks():
    assert stack_names(), f"no Pulumi.<stack>.yaml in {REPO}: the conformance test would check nothing"


def test_no_schema_list_is_still_true(schema_dir):
    # If the snapshot gains a schema for a listed type, the type must leave the list and be validated.
    covered = {t: s.version for t in NO_SCHEMA if (s := _schema(t, schema_dir)[1]) is not None}
    assert not covered, f"these now have a schema; remove them from NO_SCHEMA: {covered}"


def _conformance_problems(stack: str, doc: dict, schema_dir: Path, must_validate: set[str]) -> list[str]:
    resources = [r for r in doc["resources"] if r["type"].startswith("azure-native:")]
    errors: list[str] = []
    uncovered: set[str] = set()
    validated: dict[str, str] = {}
    for r in resources:
        az, schema = _schema(r["type"], schema_dir)
        if schema is None:
            if r["type"] not in NO_SCHEMA:
                uncovered.add(f"{r['type']} ({az.arm_type}@{az.api_version})")
            continue
        body = arm_schema.to_arm_body(az, r["inputs"], schema, _default_location(stack, r, doc["resources"]))
        validated[r["type"]] = f"{az.arm_type}@{schema.version} (azure-native sends {az.api_version})"
        errors += [f"{r['urn']}: {e}" for e in arm_schema.validate(body, schema)]

    print(f"\n{stack}: validated " + "; ".join(sorted(validated.values())))
    problems = [f"azure-native type with neither a schema nor a NO_SCHEMA entry: {u}" for u in sorted(uncovered)]
    problems += [f"no schema-validated resource of type {t} (the check would be vacuous)"
                 for t in sorted(must_validate - validated.keys())]
    return problems + errors


# Prod builds nothing (it promotes dev's versions): no template, no build role; its copies must validate instead.
BUILDER_TYPES = {"azure-native:virtualmachineimages:VirtualMachineImageTemplate",
                 "azure-native:authorization:RoleDefinition", "azure-native:authorization:RoleAssignment"}
PROMOTING = (MUST_VALIDATE - BUILDER_TYPES) | {"azure-native:compute:GalleryImageVersion"}


@pytest.mark.parametrize("stack", stack_names())
def test_stack_conforms_to_arm_schema(stack, schema_dir):
    problems = _conformance_problems(stack, plan(stack), schema_dir, (PROMOTING if stack == "prod" else MUST_VALIDATE)
                                    | STACK_MUST_VALIDATE.get(stack, set()))
    assert not problems, f"{stack}: {len(problems)} problem(s):\n" + "\n".join(problems)


def test_hub_egress_conforms_to_arm_schema(schema_dir):
    """No shipped stack routes to a hub; its route table is validated on prod with eastus pointed at one."""
    network = {"uksouth": {"addressSpace": "10.30.0.0/16", "workloadSubnet": "10.30.1.0/24",
                           "bastionSubnet": "10.30.255.0/26", "buildSubnet": "10.30.2.0/24"},
               "eastus": {"addressSpace": "10.40.0.0/16", "workloadSubnet": "10.40.1.0/24",
                          "bastionSubnet": "10.40.255.0/26", "egress": {"type": "hub", "nextHopIp": "10.0.1.4"}}}
    doc = plan("prod", overrides={"image-factory:network": network})
    problems = _conformance_problems("prod", doc, schema_dir, {"azure-native:network:RouteTable", *PROMOTING})
    assert not problems, f"prod with a hub: {len(problems)} problem(s):\n" + "\n".join(problems)


def test_recipes_no_shipped_stack_uses_conform_to_arm_schema(schema_dir):
    """Image Builder features the shipped stacks do not use: an existing build subnet with its container-instance
    subnet, a managed image source, a File validator; and a proxy VM size for a build without one."""
    net = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-corp-net/providers/"
           "Microsoft.Network/virtualNetworks/vnet-corp-uks/subnets/")
    images = {name: dict(image) for name, image in
              (yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"]["image-factory:images"]).items()}
    base = images["win2025-base"]
    base["source"] = {"managedImageId": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-golden/"
                                        "providers/Microsoft.Compute/images/img-ws2025-golden"}
    base["build"] = {**base.get("build", {}), "subnetId": net + "snet-aib", "containerInstanceSubnetId": net + "snet-aci"}
    base["validate"] = {"inVMValidations": [{
        "type": "File", "name": "validation script", "sourceUri": "https://stcontoso.blob.core.windows.net/aib/check.ps1",
        "destination": "C:\\ImageFactory\\check.ps1", "sha256Checksum": "a" * 64}]}
    # The build downloads as the identity from its artifact account; no fleet, since an image built from a managed
    # image is Standard, which Trusted Launch fleets cannot boot (issue 21 items 1 and 4).
    overrides = {"image-factory:images": images, "image-factory:fleets": {}, "image-factory:artifactStorageAccountId":
                 "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-artifacts/providers/"
                 "Microsoft.Storage/storageAccounts/stcontoso"}
    doc = plan("dev", overrides=overrides)
    [template] = [r for r in doc["resources"] if r["type"] == "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
                  and r["name"] == "win2025-base-template"]
    assert template["inputs"]["validate"]["inVMValidations"][0]["type"] == "File"
    present = {r["type"] for r in doc["resources"]}  # no fleet: no network, VM or schedule of the program's
    problems = _conformance_problems("dev", doc, schema_dir, MUST_VALIDATE & present)
    assert {"azure-native:virtualmachineimages:VirtualMachineImageTemplate"} <= MUST_VALIDATE & present
    base["build"] = {"subnetId": net + "snet-aib", "proxyVmSize": "Standard_A2_v2"}
    problems += _conformance_problems("dev", plan("dev", overrides=overrides), schema_dir, set())
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_imports_no_shipped_stack_uses_conform_to_arm_schema(schema_dir):
    """A VHD already in a storage account (a disk created with createOption Import from the blob), of
    generation 2, published as a gallery version only (from the disk, no managed image)."""
    imports = {"ws2022": {
        "blobUri": "https://stcontosovhd.blob.core.windows.net/vhds/ws2022-gen2.vhd",
        "storageAccountId": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-vhd/providers/"
                            "Microsoft.Storage/storageAccounts/stcontosovhd",
        "hyperVGeneration": "V2", "managedImage": False,
        "gallery": {"identifier": {"publisher": "ContosoFinance", "offer": "WS2022-OnPrem", "sku": "gen2"}}}}
    fleets = {"onprem-app": {"region": "uksouth", "image": "ws2022", "count": 1}}
    images = {"base": {"identifier": {"publisher": "ContosoFinance", "offer": "WS2025", "sku": "base"},
                       "regions": ["uksouth"]}}
    doc = plan("onprem", overrides={"image-factory:imports": imports, "image-factory:fleets": fleets,
                                    "image-factory:images": images})
    [disk] = [r for r in doc["resources"] if r["type"] == "azure-native:compute:Disk"]
    assert disk["inputs"]["creationData"]["createOption"] == "Import"
    problems = _conformance_problems("onprem", doc, schema_dir, {"azure-native:compute:Disk",
                                                                 "azure-native:compute:GalleryImageVersion"})
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
