"""Small readers over a plan document, so tests say what they check and not how to find it."""

from __future__ import annotations

import copy
import json

import pytest

from components.config import strict_yaml
from components.config.loading import ConfigError
from offline.plan import ROOT, plan

# tests/fixtures/Pulumi.prod-builds.yaml: prod as it was before promotion, building its images itself (privately,
# layered, in two regions), planned as stack "prod". The image tests of builds use it; the shipped prod promotes.
BUILDS = "prod-builds"
BUILDS_FILE = ROOT / "tests" / "fixtures" / "Pulumi.prod-builds.yaml"


def plan_stack(stack: str, **kwargs) -> dict:
    """plan(), where BUILDS is the fixture file planned as prod."""
    if stack == BUILDS:
        return plan("prod", text=BUILDS_FILE.read_bytes(), **kwargs)
    return plan(stack, **kwargs)


# Type tokens as they appear in the plan.
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
BASTION = "azure-native:network:BastionHost"
BUILD = "pulumi-python:dynamic/image_build:ImageBuild"
REPLICAS = "pulumi-python:dynamic/version_replicas:VersionReplicas"
DEFINITION = "azure-native:compute:GalleryImage"
DEFINITION_VERSIONS = "pulumi-python:dynamic/definition_versions:DefinitionVersions"
EXTENSION = "azure-native:compute:VirtualMachineExtension"
FLEET = "image-factory:fleet:VmFleet"
GALLERY = "azure-native:compute:Gallery"
GENERALIZE = "pulumi-python:dynamic/generalize:Generalize"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
IMAGE = "azure-native:compute:Image"
MAINTENANCE = "azure-native:maintenance:MaintenanceConfiguration"
MAINTENANCE_SCOPE = "azure-native:maintenance:ConfigurationAssignmentsForResourceGroup"
NIC = "azure-native:network:NetworkInterface"
NSG = "azure-native:network:NetworkSecurityGroup"
RG = "azure-native:resources:ResourceGroup"
ROLE = "azure-native:authorization:RoleDefinition"
ROLE_PROPAGATION = "pulumi-python:dynamic/role_propagation:RolePropagation"
SUBNET = "azure-native:network:Subnet"
TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
VERSION = "azure-native:compute:GalleryImageVersion"
VM = "azure-native:compute:VirtualMachine"
VMSS = "azure-native:compute:VirtualMachineScaleSet"


def stack_value(stack: str, key: str):
    """A fresh copy of one config value from a shipped stack file, for tests to modify."""
    path = BUILDS_FILE if stack == BUILDS else ROOT / f"Pulumi.{stack}.yaml"
    return copy.deepcopy(strict_yaml.parse(path.read_bytes(), stack)["config"][key])


def plan_error(stack: str, overrides: dict, **kwargs) -> str:
    """The text of the ConfigError that planning stack with overrides must raise."""
    with pytest.raises(ConfigError) as error:
        plan_stack(stack, overrides=overrides, **kwargs)
    return str(error.value)


def resources(doc: dict, type_: str) -> list[dict]:
    return [r for r in doc["resources"] if r["type"] == type_]


def each(doc: dict, type_: str) -> list[dict]:
    """resources(), for a loop whose assertions must run: at least one resource of type_, or the test fails."""
    found = resources(doc, type_)
    assert found, f"no {type_} in the plan of stack {doc.get('stack')}: the loop would assert nothing"
    return found


def one(doc: dict, type_: str, name: str | None = None) -> dict:
    found = [r for r in resources(doc, type_) if name is None or r["name"] == name]
    assert len(found) == 1, f"expected one {type_} {name or ''}, found {len(found)}"
    return found[0]


def by_urn(doc: dict) -> dict[str, dict]:
    return {r["urn"]: r for r in doc["resources"]}


def depends_on(doc: dict, resource: dict, type_: str) -> list[dict]:
    index = by_urn(doc)
    return [index[u] for u in resource["dependsOn"] if index[u]["type"] == type_]


def counts(doc: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in doc["resources"]:
        out[r["type"]] = out.get(r["type"], 0) + 1
    return out


def parent_name(resource: dict) -> str:
    """The name of the component a resource belongs to (e.g. the image of a template)."""
    return resource["parent"].rsplit("::", 1)[-1]


def under(doc: dict, type_: str, parent: str) -> dict:
    """The one resource of type_ whose component is named parent."""
    found = [r for r in resources(doc, type_) if parent_name(r) == parent]
    assert len(found) == 1, f"expected one {type_} under {parent}, found {len(found)}"
    return found[0]


def upstream(doc: dict, resource: dict) -> list[dict]:
    """Every resource `resource` waits for, directly or through others (the transitive closure)."""
    index, seen, todo = by_urn(doc), set(), list(resource["dependsOn"])
    while todo:
        urn = todo.pop()
        if urn not in seen:
            seen.add(urn)
            todo.extend(index[urn]["dependsOn"])
    return [index[u] for u in sorted(seen)]


def mentions(resource: dict, region: str) -> bool:
    """Whether a resource targets `region` anywhere in its inputs (location, target regions, ...)."""
    text = json.dumps(resource["inputs"]).lower()
    return region.lower() in text.replace(" ", "")
