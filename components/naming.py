"""The project's naming convention: every Azure name the program chooses is built here.

Names are explicit (never Pulumi auto-names) so that the offline plan shows exactly what Azure will
get, and so that two stacks in one subscription cannot collide. Azure's own limits on these names
live in config/azure_rules.py.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Mapping, Optional

from .config import azure_rules as rules
from .config.fleets import Fleet

PROJECT = "imgfactory"
_GUID_NAMESPACE = uuid.UUID("5d1f3c1e-9a43-4b59-a1f4-6f0c3f1d2b7a")
# VM indexes are always three digits (count is at most 1000): growing a fleet past 100 must not
# rename, and so replace, the VMs it already has.
INDEX_WIDTH = 3
FINGERPRINT_CHARS = 8  # of an imported file's fingerprint, in its disk's and image's names
# The names Azure itself requires.
BASTION_SUBNET = "AzureBastionSubnet"
WORKLOAD_SUBNET = "snet-workload"
BUILD_SUBNET = "snet-build"
# Isolated image builds: the subnet Image Builder's container instance runs in (network.<region>.containerInstanceSubnet).
CONTAINER_INSTANCE_SUBNET = "snet-build-aci"


def content_hash(spec: Any, length: int = 10) -> str:
    """A short, stable digest of JSON-able data: same data, same hash, on every machine."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:length]


def stable_guid(*parts: str) -> str:
    """Role definitions and assignments are named by GUID; derive it so re-runs name the same thing."""
    return str(uuid.uuid5(_GUID_NAMESPACE, "/".join(parts)))


def computer_name_room(fleet: Fleet) -> int:
    """Characters left for the prefix once the instance suffix is added (15 in all)."""
    if fleet.mode == "scaleset":
        return rules.WINDOWS_COMPUTER_NAME_MAX - rules.SCALE_SET_SUFFIX_LENGTH
    return rules.WINDOWS_COMPUTER_NAME_MAX - INDEX_WIDTH


def computer_name_prefix(fleet_name: str, fleet: Fleet) -> str:
    return fleet.computer_name_prefix or "".join(c for c in fleet_name if c.isalnum())[: computer_name_room(fleet)]


def _hex(fingerprint: str) -> str:
    """The digest of a fingerprint, without its algorithm ("sha256:<hex>" -> "<hex>")."""
    return fingerprint.rsplit(":", 1)[-1]


def _network_name(name: str) -> str:
    assert rules.NETWORK_NAME.fullmatch(name), name
    return name


def vm_index(position: int) -> str:
    return f"{position:0{INDEX_WIDTH}d}"


class Names:
    def __init__(self, environment: str, location: str, owner: str, tags: Mapping[str, str],
                 resource_group: Optional[str] = None, gallery: Optional[str] = None):
        self.env = environment
        self.location = location
        self._owner, self._tags = owner, dict(tags)
        self._resource_group, self._gallery = resource_group, gallery

    @classmethod
    def from_config(cls, config: Any) -> "Names":
        """The naming inputs of a StackConfig (the only keys that shape names and tags)."""
        return cls(config.environment, config.location, config.owner, config.tags,
                   config.resource_group, config.gallery.name)

    def suffix(self, region: str | None = None) -> str:
        """`<env>-<region code>`: what tells two stacks, and two regions of one stack, apart."""
        return f"{self.env}-{rules.region_short(region or self.location)}"

    # -- the gallery and Image Builder ---------------------------------------------------------

    @property
    def resource_group(self) -> str:
        return self._resource_group or f"rg-{PROJECT}-{self.suffix()}"

    @property
    def gallery(self) -> str:
        # Gallery names allow no '-'.
        return self._gallery or f"gal_{PROJECT}_{self.suffix().replace('-', '_')}"

    gallery_lock = "do-not-delete-images"

    @property
    def builder_identity(self) -> str:
        return f"id-imagebuilder-{self.suffix()}"

    def builder_role(self, subscription_id: str, resource_group: str) -> str:
        # Custom role names are unique in the whole tenant: name the subscription and group too.
        return f"Image Factory Image Builder ({resource_group}, subscription {subscription_id})"

    def builder_network_role(self, subscription_id: str, vnet: str) -> str:
        return f"Image Factory Image Builder networking ({vnet}, subscription {subscription_id})"

    @staticmethod
    def group_assignable(role_title: str) -> str:
        """The title of a role assignable at its resource's group (issue 21 item 2): new, so that the role made
        before, assignable at the VNet and of the old title, can be deleted after it (titles are tenant-unique)."""
        return f"{role_title}, group-assignable"

    def builder_scope_role(self, purpose: str, scope_id: str) -> str:
        """A role the identity holds on a scope outside the stack (an existing VNet, a source image's group).
        Role names are unique per tenant: they name the scope's group, resource and subscription, and this
        stack, since another stack's identity may hold one on the same scope."""
        parts = scope_id.split("/")
        where = parts[4] if len(parts) <= 5 else f"{parts[4]}/{parts[-1]}"
        return f"Image Factory Image Builder {purpose} ({where}, subscription {parts[2]}, stack {self.suffix()})"

    def template(self, image: str, spec_hash: str) -> str:
        name = f"it-{image[:46]}-{spec_hash}"
        assert rules.TEMPLATE_NAME.fullmatch(name), name
        return name

    def managed_image(self, image: str, spec_hash: str) -> str:
        # Image Builder refuses to overwrite a managed image: each template gets its own name.
        return f"img-{image[:60]}-{spec_hash}"

    def run_output(self, image: str, target: str) -> str:
        return f"{image[:50]}-{target}"

    def staging_resource_group(self, template_name: str) -> str:
        # One per template: Image Builder creates it, and deletes it with the template, so the new
        # template of a create-before-delete replacement never shares the old one's staging group.
        return f"rg-aib-staging-{template_name}"

    # -- fleet networks ------------------------------------------------------------------------

    def fleet_resource_group(self, region: str) -> str:
        return f"rg-{PROJECT}-fleet-{self.suffix(region)}"

    def nsg(self, region: str) -> str:
        return f"nsg-{PROJECT}-{self.suffix(region)}"

    def vnet(self, region: str) -> str:
        return f"vnet-{PROJECT}-{self.suffix(region)}"

    def bastion(self, region: str) -> str:
        return f"bas-{PROJECT}-{self.suffix(region)}"

    # Egress (network.<region>.egress), in the Cloud Adoption Framework's abbreviations (ng, ippre, rt).
    def nat_gateway(self, region: str) -> str:
        return _network_name(f"ng-{PROJECT}-{self.suffix(region)}")

    def public_ip_prefix(self, region: str) -> str:
        return _network_name(f"ippre-{PROJECT}-egress-{self.suffix(region)}")

    def route_table(self, region: str) -> str:
        return _network_name(f"rt-{PROJECT}-{self.suffix(region)}")

    hub_route = "default-to-hub"

    # -- fleets and the capture path -------------------------------------------------------------

    def vm(self, fleet: str, index: str) -> str:
        return f"vm-{fleet}-{index}"

    def nic(self, fleet: str, index: str) -> str:
        return f"nic-{fleet}-{index}"

    def scale_set(self, fleet: str) -> str:
        return f"vmss-{fleet}"

    def reference_vm(self, capture: str) -> str:
        return f"vm-ref-{capture}"[:64]

    def reference_nic(self, capture: str) -> str:
        return f"nic-ref-{capture}"

    def reference_computer_name(self, capture: str) -> str:
        return f"ref{capture.replace('-', '')}"[: rules.WINDOWS_COMPUTER_NAME_MAX]

    def captured_image(self, capture: str) -> str:
        return f"img-captured-{capture}"

    # -- disks imported from outside Azure (imports.<name>) ----------------------------------------
    # Named after the file's fingerprint: a new file is a new disk, image and version, created before the
    # old ones are deleted (nothing a fleet boots from disappears first), and `make diff` names the new ones.

    def import_disk(self, imp: str, fingerprint: str) -> str:
        return f"disk-import-{imp[:50]}-{_hex(fingerprint)[:FINGERPRINT_CHARS]}"

    def import_image(self, imp: str, fingerprint: str) -> str:
        return f"img-import-{imp[:50]}-{_hex(fingerprint)[:FINGERPRINT_CHARS]}"

    @staticmethod
    def import_version(major: int, fingerprint: str) -> str:
        """major.0.<the fingerprint's first 7 hex digits as a number, < 2^28, within Azure's int32 parts>.
        Not in upload order: each import's version is excluded from 'latest' and booted by its ID."""
        return f"{major}.0.{int(_hex(fingerprint)[:7], 16)}"

    def maintenance_configuration(self, region: str) -> str:
        return f"mc-{PROJECT}-patch-{self.suffix(region)}"

    def patch_assignment(self, region: str) -> str:
        return f"patch-{PROJECT}-{self.suffix(region)}"

    def tags(self, **extra: str) -> dict[str, str]:
        return {**self._tags, **self._yield_to_firm({"owner": self._owner, **self._own(**extra)})}

    def stable_tags(self, **extra: str) -> dict[str, str]:
        """The tags that never change for a stack: for resources that cannot be updated in place. A firm tag
        of the same name as one of them (tags.Environment) is among them, as on every other resource."""
        own = self._yield_to_firm(self._own(**extra))
        firm = {k: v for k, v in self._tags.items() if k.lower() in {t.lower() for t in self._own(**extra)}}
        return {**firm, **own}

    def _own(self, **extra: str) -> dict[str, str]:
        assert set(extra) <= set(EXTRA_TAGS) and len(extra) <= MOST_EXTRA_TAGS, extra  # see BASE_TAGS
        return {"environment": self.env, "managed-by": "pulumi", "project": "image-factory", **extra}

    def _yield_to_firm(self, own: dict[str, str]) -> dict[str, str]:
        """The program's tags, each one the stack's tags also set moved to `image-factory-<name>`: the firm's
        value wins (a policy requiring Environment: Non-Prod is met), and the program's is kept beside it.
        Azure compares tag names ignoring case ("Use tags to organize your Azure resources and management
        hierarchy", https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources)."""
        firm = {k.lower() for k in self._tags}
        return {(f"{MOVED_TAG_PREFIX}{k}" if k.lower() in firm else k): v for k, v in own.items()}


# --- the names above, for one config: what the uniqueness rule in config/cross_checks.py reads ------

# The tags the program sets itself: every resource gets BASE_TAGS, some get up to MOST_EXTRA_TAGS of
# EXTRA_TAGS (a fleet VM: fleet, image, image-version). Azure compares tag names ignoring case.
BASE_TAGS = ("environment", "owner", "managed-by", "project")
EXTRA_TAGS = ("fleet", "image", "image-version", "purpose", "source")
MOST_EXTRA_TAGS = 3
MOVED_TAG_PREFIX = "image-factory-"  # where a program tag goes when the stack's tags set one of its name


def generated_names(config: Any) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Every Azure name the program generates for config whose uniqueness Azure enforces, grouped by
    scope: (where, what kind) -> [(the config key that chose the name, the name)], in an order where a
    name the user chose comes after the names the program derives (so a clash blames the user's key).
    Names with a recipe hash (templates, Image Builder's managed images) differ by construction."""
    names = Names.from_config(config)
    scopes: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def add(where: str, kind: str, key: str, name: str) -> None:
        scopes.setdefault((where, kind), []).append((key, name))

    placed = [(f"fleets.{n}", f.region) for n, f in config.fleets.items()]
    placed += [(f"captures.{n}", c.region) for n, c in config.captures.items()]
    for region in config.fleet_regions:
        first = next(key for key, r in placed if r == region)
        add("the subscription", "resource group", f"{first}.region", names.fleet_resource_group(region))
    for region, spec in config.network.items():
        if region not in config.fleet_regions:
            continue  # no fleet there: FleetNetwork is not created
        where, key = f"resource group {names.fleet_resource_group(region)}", f"network.{region}.egress"
        if spec.egress.type == "natGateway":
            add(where, "NAT gateway", key, names.nat_gateway(region))
            add(where, "public IP prefix", key, names.public_ip_prefix(region))
        else:
            add(where, "route table", key, names.route_table(region))
    if config.patching.mode == "scheduled":
        for region in config.fleet_regions:
            add(f"resource group {names.fleet_resource_group(region)}", "maintenance configuration", "patching",
                names.maintenance_configuration(region))
    add("the subscription", "resource group", "resourceGroup" if config.resource_group else "environment",
        names.resource_group)
    for image in config.images:
        add(f"gallery {names.gallery}", "image definition", f"images.{image}", image)
    for fleet_name, fleet in config.fleets.items():
        where = f"resource group {names.fleet_resource_group(fleet.region)}"
        if fleet.mode == "scaleset":
            add(where, "scale set", f"fleets.{fleet_name}", names.scale_set(fleet_name))
            continue
        for position in range(fleet.count):
            add(where, "virtual machine", f"fleets.{fleet_name}", names.vm(fleet_name, vm_index(position)))
            add(where, "network interface", f"fleets.{fleet_name}", names.nic(fleet_name, vm_index(position)))
    for capture_name, capture in config.captures.items():
        where = f"resource group {names.fleet_resource_group(capture.region)}"
        add(where, "virtual machine", f"captures.{capture_name}", names.reference_vm(capture_name))
        add(where, "network interface", f"captures.{capture_name}", names.reference_nic(capture_name))
        add(where, "image", f"captures.{capture_name}", names.captured_image(capture_name))
        if capture.publish:
            add(f"image definition {capture.publish.image}", "image version", f"captures.{capture_name}.publish.version",
                capture.publish.version)
    return scopes
