"""The config rules that span several keys: the one typed module that holds them.

Each rule answers (key, value, what is allowed), which loading.py turns into one line naming the stack
file. They run after the model has validated every key on its own, before any resource exists.
"""

from __future__ import annotations

import ipaddress

from ..naming import computer_name_prefix, computer_name_room
from . import azure_rules as rules
from .addresses import RESERVED_RANGES, usable_addresses
from .azure_checks import Problem, azure_checks
from .build_checks import build_checks
from .sources import source_problem
from .stack import StackConfig


def cross_check(config: StackConfig, secrets_set: frozenset[str] = frozenset()) -> list[Problem]:
    """Every rule that spans several keys, as (key, value, what is allowed). secrets_set: the secret
    keys the stack file sets (their values never reach the model)."""
    problems = []
    for image_name, image in config.images.items():
        regions = [r.name for r in image.regions]
        if config.location not in regions:
            problems.append((
                f"images.{image_name}.regions", regions,
                f"must include the stack location {config.location}: a gallery image version keeps a "
                "replica in the gallery's own region",
            ))
        same_identifier = sorted(n for n, other in config.images.items()
                                 if n != image_name and other.identifier == image.identifier)
        if same_identifier:
            problems.append((f"images.{image_name}.identifier", image.identifier.model_dump(),
                             f"must differ from that of {', '.join(same_identifier)}: Azure requires "
                             "publisher/offer/sku to be unique within a gallery"))
        if image.rebuild_on_new_base_image and image.versioning.version:
            problems.append((f"images.{image_name}.versioning.version", image.versioning.version,
                             "cannot be combined with rebuildOnNewBaseImage: every triggered build would write "
                             "the same version, which Azure never overwrites"))
        if image.rebuild_on_new_base_image and (image.pinned or image.source.kind != "PlatformImage"
                                                 or image.source.version != "latest"):
            problems.append((f"images.{image_name}.rebuildOnNewBaseImage", True,
                             "needs a built image whose source is a marketplace image at version 'latest'"))
        base = image.source.image
        if base and not image.pinned and (base == image_name or base not in config.images):
            others = ", ".join(sorted(n for n in config.images if n != image_name)) or "none"
            problems.append((f"images.{image_name}.source.image", base,
                             f"must be another image of this stack to build on: {others}"))
        elif base and not image.pinned and _layered_on(config, base, image_name):
            problems.append((f"images.{image_name}.source.image", base,
                             f"must not build on an image that builds on {image_name}: layers cannot form a cycle"))
        bad_source = None if image.pinned else source_problem(image.source)
        if bad_source:
            key, allowed = bad_source
            problems.append((f"images.{image_name}.source.{key}", getattr(image.source, key), allowed))
        if image.managed_image and not image.pinned and image.source.kind != "ManagedImage":
            # A managed image source (captured from a Standard VM) is not TrustedLaunchSupported: it may.
            what = (f"a marketplace source ({image.source.sku})" if image.source.kind == "PlatformImage"
                    else "a gallery version source (TrustedLaunchSupported like these definitions)")
            problems.append((f"images.{image_name}.managedImage", True,
                             f"cannot be true for {what}: {rules.NO_MANAGED_IMAGE_FROM_TRUSTED_LAUNCH_SOURCE}; for a "
                             "managed image use a capture (captures.<name>), or boot fleets from the gallery version"))
    if "artifactSasToken" not in secrets_set:
        problems += [(f"images.{name}.{where}[{step.name}].useSasToken", True, "needs the SAS token: pulumi config set "
                      "--secret image-factory:artifactSasToken '<token>'")
                     for name, image in config.built_images.items()
                     for where, steps in (("customize", image.customize),
                                          ("validate.inVMValidations", image.validate_.in_vm_validations
                                           if image.validate_ else []))
                     for step in steps if getattr(step, "use_sas_token", False)]
    if "domainJoinPassword" not in secrets_set:
        problems += [(f"fleets.{name}.domainJoin", None,
                      "needs the join password: pulumi config set --secret image-factory:domainJoinPassword")
                     for name, fleet in config.fleets.items() if fleet.domain_join]
    return (problems + _check_fleets(config) + _check_version_regions(config) + azure_checks(config)
            + build_checks(config) + _check_egress(config))


def _check_egress(config: StackConfig) -> list[Problem]:
    """A hub's next hop must be an address Azure can route to that is not in a subnet the program routes
    through it: in the workload subnet, 0.0.0.0/0 would loop back into the subnet it leaves."""
    problems: list[Problem] = []
    for region, spec in config.network.items():
        if spec.egress.type != "hub":
            continue
        ip = ipaddress.IPv4Address(spec.egress.next_hop_ip)
        inside = [(label, cidr) for label, cidr in (("workloadSubnet", spec.workload_subnet),
                                                    ("bastionSubnet", spec.bastion_subnet))
                  if cidr and ip in ipaddress.IPv4Network(cidr)]
        if inside or any(ip in r for r in RESERVED_RANGES) or ip.is_unspecified:
            why = (f"must lie outside network.{region}.{inside[0][0]} {inside[0][1]}: the hub's firewall or NVA sits "
                   "in the hub (or another subnet), never in a subnet routed through it") if inside else (
                   "must be a routable private address of the hub's firewall or NVA, not one Azure reserves "
                   "(0.0.0.0, multicast, broadcast, loopback, link-local, 168.63.129.16)")
            problems.append((f"network.{region}.egress.nextHopIp", str(ip), why))
    return problems


def _check_fleets(config: StackConfig) -> list[Problem]:
    problems: list[Problem] = []
    # A pinned image is not built here, so Image Builder writes no managed image for it.
    managed = sorted([*config.captures, *(n for n, i in config.images.items() if i.managed_image and not i.pinned)])
    for name, fleet in config.fleets.items():
        key = f"fleets.{name}"
        if fleet.image and fleet.image not in config.images:
            problems.append((f"{key}.image", fleet.image, f"must be one of the images: {', '.join(sorted(config.images))}"))
        elif fleet.image and fleet.region not in [r.name for r in config.images[fleet.image].regions]:
            problems.append((f"{key}.region", fleet.region,
                             f"must be one of the regions image {fleet.image} replicates to "
                             f"({', '.join(r.name for r in config.images[fleet.image].regions)})"))
        if fleet.managed_image and fleet.managed_image not in managed:
            problems.append((f"{key}.managedImage", fleet.managed_image,
                             f"must name a capture or an image with managedImage: true ({', '.join(managed) or 'none defined'})"))
        if fleet.managed_image in config.images and fleet.region != config.location:
            problems.append((f"{key}.region", fleet.region,
                             f"must be {config.location}: a managed image lives in one region, the build's"))
        if fleet.managed_image in config.captures and fleet.region != config.captures[fleet.managed_image].region:
            problems.append((f"{key}.region", fleet.region,
                             f"must be {config.captures[fleet.managed_image].region}, the region of capture {fleet.managed_image}"))
        if not fleet.subnet_id and fleet.region not in config.network:
            problems.append((f"{key}.subnetId", None,
                             f"is required unless network.{fleet.region} gives addressSpace and workloadSubnet"))
        if fleet.domain_join and not fleet.subnet_id and not (config.network.get(fleet.region) and
                                                             config.network[fleet.region].dns_servers):
            problems.append((f"{key}.domainJoin", fleet.domain_join.domain,
                             f"needs network.{fleet.region}.dnsServers (the domain's DNS), or a subnetId "
                             "in a network that resolves the domain"))
        prefix = computer_name_prefix(name, fleet)
        if len(prefix) > computer_name_room(fleet):
            problems.append((f"{key}.computerNamePrefix", prefix,
                             f"must be at most {computer_name_room(fleet)} characters, so that the "
                             f"{'scale set instance suffix' if fleet.mode == 'scaleset' else 'index'} fits "
                             f"Windows' {rules.WINDOWS_COMPUTER_NAME_MAX}-character computer name"))
    problems += _check_unique_computer_names(config) + _check_subnet_capacity(config)
    if config.bastion:
        for region in config.fleet_regions:
            if region in config.network and not config.network[region].bastion_subnet:
                problems.append((f"network.{region}.bastionSubnet", None, "is required when bastion is true"))
    for name, capture in config.captures.items():
        bad_source = source_problem(capture)  # the captured image is made V2 (vms/capture.py)
        if bad_source:
            problems.append((f"captures.{name}.{bad_source[0]}", getattr(capture, bad_source[0]), bad_source[1]))
        if capture.region not in config.network:
            problems.append((f"captures.{name}.region", capture.region,
                             f"needs network.{capture.region} (addressSpace, workloadSubnet) for the reference VM"))
        if capture.publish and capture.publish.image not in config.images:
            problems.append((f"captures.{name}.publish.image", capture.publish.image,
                             f"must be one of the images: {', '.join(sorted(config.images))}"))
    return problems


def _check_unique_computer_names(config: StackConfig) -> list[Problem]:
    """Two fleets whose prefixes nest could produce one computer name twice: one AD account, two VMs."""
    problems = []
    prefixes = {name: computer_name_prefix(name, fleet).lower() for name, fleet in config.fleets.items()}

    def collide(a: str, b: str) -> bool:
        # VM names are prefix + 3 digits; scale sets append 6 letters and digits of their own.
        rest = prefixes[b][len(prefixes[a]):]
        scale_set = "scaleset" in (config.fleets[a].mode, config.fleets[b].mode)
        return prefixes[b].startswith(prefixes[a]) and (scale_set or rest == "" or rest.isdigit())

    for name, prefix in prefixes.items():
        clash = sorted(other for other in prefixes if other != name and collide(name, other))
        if clash:
            problems.append((f"fleets.{name}.computerNamePrefix", prefix,
                             f"must not be a prefix of another fleet's ({', '.join(clash)}): computer names must be unique"))
    return problems


def _check_subnet_capacity(config: StackConfig) -> list[Problem]:
    problems = []
    for region, spec in config.network.items():
        vms = sum(f.count for f in config.fleets.values() if f.region == region and not f.subnet_id)
        vms += sum(1 for c in config.captures.values() if c.region == region)
        usable = usable_addresses(spec.workload_subnet)
        if vms > usable:
            problems.append((f"network.{region}.workloadSubnet", spec.workload_subnet,
                             f"must hold the {vms} VMs placed in it; it has {usable} usable addresses"))
    return problems


def _layered_on(config: StackConfig, start: str, target: str) -> bool:
    """Whether `start` is built, directly or through other layers, on `target`."""
    seen: set[str] = set()
    while start in config.images and start not in seen:
        seen.add(start)
        start = config.images[start].source.image or ""
        if start == target:
            return True
    return False


def _check_version_regions(config: StackConfig) -> list[Problem]:
    """A fleet boots a version only in a region the version is replicated to: ARM refuses the VM
    otherwise. Built versions replicate to the image's regions (checked in _check_fleets); pinned and
    existing versions say where they live."""
    problems: list[Problem] = []
    for name, fleet in config.fleets.items():
        image = config.images.get(fleet.image or "")
        if image is None or not (fleet.image_version or image.pinned):
            continue
        version = fleet.image_version or image.pinned.version
        known = dict(image.existing_versions)
        if image.pinned:
            known[image.pinned.version] = image.pinned.regions
        if version not in known:
            problems.append((f"fleets.{name}.imageVersion", version,
                             f"must be listed in images.{fleet.image}.existingVersions with the regions it is "
                             f"replicated to (or be the pinned version)"))
        elif fleet.region not in known[version]:
            problems.append((f"fleets.{name}.region", fleet.region,
                             f"must be one of the regions version {version} of image {fleet.image} is replicated to "
                             f"({', '.join(known[version])}): replicate it there first, or boot another version"))
    return problems
