"""Cross-key rules that apply Azure's capability tables: tag limits, zones and zone-redundant storage
per region, VM size capabilities, disk sizes, and unique generated names. Called from cross_checks.py,
the one entry point for rules that span keys."""

from __future__ import annotations

from typing import Any

from ..naming import BASE_TAGS, EXTRA_TAGS, MOST_EXTRA_TAGS, MOVED_TAG_PREFIX, generated_names
from . import azure_rules as rules
from .regions import has_zones, has_zrs
from .stack import StackConfig
from .vm_sizes import capabilities

Problem = tuple[str, Any, str]


def azure_checks(config: StackConfig) -> list[Problem]:
    return (_check_tags(config) + _check_regions(config) + _check_sizes(config) + _check_disks(config)
            + _check_unique_names(config))


def _check_tags(config: StackConfig) -> list[Problem]:
    """Azure's tag limits, counting the tags the program adds itself (naming.BASE_TAGS, EXTRA_TAGS)."""
    problems: list[Problem] = []
    # A tag the program also sets (environment, owner, ...) is the firm's to set: it wins, and the program's
    # moves to image-factory-<name> (naming.Names.tags). Only that moved name is the program's alone.
    moved = {f"{MOVED_TAG_PREFIX}{t}".lower() for t in (*BASE_TAGS, *EXTRA_TAGS)}
    seen: dict[str, str] = {}
    for name in config.tags:
        if name.lower() in moved:
            problems.append((f"tags.{name}", config.tags[name], f"must not start with {MOVED_TAG_PREFIX}: the program "
                             "keeps its own tags there when the stack's tags set one of the same name"))
        elif name.lower() in seen:
            problems.append((f"tags.{name}", config.tags[name],
                             f"must differ from tag {seen[name.lower()]} by more than case: Azure compares tag "
                             "names ignoring case"))
        seen.setdefault(name.lower(), name)
    room = rules.MAX_TAGS - len(BASE_TAGS) - MOST_EXTRA_TAGS
    if len(config.tags) > room:
        problems.append(("tags", None, f"must hold at most {room} tags, not {len(config.tags)}: Azure allows "
                         f"{rules.MAX_TAGS} per resource and the program sets up to "
                         f"{len(BASE_TAGS) + MOST_EXTRA_TAGS} itself"))
    return problems


def _check_regions(config: StackConfig) -> list[Problem]:
    """Zones and zone-redundant storage only where the region has availability zones (regions.py)."""
    problems: list[Problem] = []
    for name, fleet in config.fleets.items():
        if fleet.zones and not has_zones(fleet.region):
            problems.append((f"fleets.{name}.zones", list(fleet.zones),
                             f"must be empty: {fleet.region} has no availability zones"))
        if fleet.os_disk.type.endswith("_ZRS") and not has_zrs(fleet.region):
            problems.append((f"fleets.{name}.osDisk.type", fleet.os_disk.type,
                             f"must be a locally redundant disk type (_LRS): {fleet.region} has no zone-redundant storage"))
    for image_name, image in config.images.items():
        for i, region in enumerate(image.regions):
            if region.storage_account_type == "Standard_ZRS" and not has_zrs(region.name):
                problems.append((f"images.{image_name}.regions[{i}].storageAccountType", region.storage_account_type,
                                 f"must be Standard_LRS or Premium_LRS: {region.name} has no zone-redundant storage"))
    return problems


def _check_sizes(config: StackConfig) -> list[Problem]:
    """VM sizes against what runs on them (vm_sizes.py): the images here are Gen2 x64 Windows."""
    problems: list[Problem] = []

    def check(key: str, size: str, premium_disk: str | None, trusted_launch: bool, host: bool = False,
              gen1: bool = False) -> None:
        caps = capabilities(size)
        if caps is None:
            return
        if caps.arm64:
            problems.append((key, size, "must be an x64 size: Windows Server images do not run on Arm64 ('p') sizes"))
        elif (not caps.gen2 and not gen1) or (trusted_launch and not caps.trusted_launch):
            needs = "Gen2 and Trusted Launch" if trusted_launch else "Gen2"
            problems.append((key, size, f"must be a size that supports {needs}: the Windows Server 2025 images are "
                             "Hyper-V generation 2"))
        if premium_disk and not caps.premium_storage:
            problems.append((key, size, f"must support premium storage for the {premium_disk} OS disk: a size with an "
                             "'s' feature such as Standard_D2s_v5, or a StandardSSD_ disk"))
        if host and not caps.encryption_at_host:
            problems.append((key, size, "must support encryption at host, which encryptionAtHost (true by default; the capture's reference VM "
                             "always) asks for"))

    for name, fleet in config.fleets.items():
        disk = fleet.os_disk.type if fleet.os_disk.type.startswith("Premium") else None
        gen1 = _boots_gen1(config, fleet.image or fleet.managed_image or "")
        check(f"fleets.{name}.size", fleet.size, disk, trusted_launch=fleet.image is not None and not gen1,
              host=fleet.encryption_at_host, gen1=gen1)
    for name, capture in config.captures.items():
        # The reference VM's OS disk is Premium_LRS (vms/capture.py); it runs securityType Standard.
        check(f"captures.{name}.size", capture.size, "Premium_LRS", trusted_launch=False, host=True)
    for name, image in config.built_images.items():
        check(f"images.{name}.build.vmSize", image.build.vm_size, None, trusted_launch=False,
              gen1=image.hyper_v_generation == "V1")
    return problems


def _boots_gen1(config: StackConfig, name: str) -> bool:
    """Whether a fleet's image (an import, or an image's definition) is Hyper-V generation 1: any x64 size runs it."""
    source = config.imports.get(name) or config.images.get(name)
    return source is not None and source.hyper_v_generation == "V1"


def _check_disks(config: StackConfig) -> list[Problem]:
    """An OS disk is at least as large as the image it is made from."""
    problems: list[Problem] = []
    for name, image in config.built_images.items():
        least = rules.marketplace_image_gb(image.source.sku)
        if image.build.os_disk_size_gb < least:
            problems.append((f"images.{name}.build.osDiskSizeGB", image.build.os_disk_size_gb,
                             f"must be at least {least}: the source image {image.source.sku} is {least} GB"))
    for name, fleet in config.fleets.items():
        image = config.images.get(fleet.image or "")
        if image and not image.pinned and fleet.os_disk.size_gb < image.build.os_disk_size_gb:
            problems.append((f"fleets.{name}.osDisk.sizeGB", fleet.os_disk.size_gb,
                             f"must be at least {image.build.os_disk_size_gb}: image {fleet.image} is built with "
                             f"an OS disk of {image.build.os_disk_size_gb} GB"))
    return problems


def _check_unique_names(config: StackConfig) -> list[Problem]:
    """Every generated Azure name unique, ignoring case, within its scope (naming.generated_names)."""
    problems: list[Problem] = []
    for (where, kind), entries in generated_names(config).items():
        first: dict[str, tuple[str, str]] = {}
        blamed: set[tuple[str, str]] = set()
        for key, name in entries:
            other_key, other = first.setdefault(name.lower(), (key, name))
            if other_key != key and (key, other_key) not in blamed:
                blamed.add((key, other_key))
                problems.append((key, None, f"gives the {kind} name {name!r}, which {other_key} gives too "
                                 f"({other!r}): Azure compares {kind} names ignoring case within {where}"))
    return problems
