"""The rules of imported disks (imports.<name>), across keys: the VHD file itself (read as Microsoft's VHD
specification defines it, by components/images/vhd.py), the definition it lands in, the builds layered on
it and the fleets booting it.

Image Builder refuses a source whose generation or security type differs from the distribution's
("Azure VM Image Builder overview", Confidential VM and Trusted Launch support,
https://learn.microsoft.com/azure/virtual-machines/image-builder-overview): a managed image of an
uploaded disk is a Standard source, so a build on it goes to a Standard definition of the disk's
generation. Trusted Launch needs generation 2 ("Trusted launch for Azure virtual machines",
https://learn.microsoft.com/azure/virtual-machines/trusted-launch).
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..images.vhd import VhdInfo, check_vhd
from .imports import VhdImport
from .security_types import security_type
from .stack import StackConfig

Problem = tuple[str, object, str]


@functools.lru_cache(maxsize=32)
def _checked(path: str, generation: str, mtime_ns: int, size: int) -> tuple[VhdInfo | None, tuple[str, ...]]:
    info, problems = check_vhd(path, generation)
    return info, tuple(problems)


def checked_vhd(imp: VhdImport, folder: Path | None = None) -> tuple[VhdInfo | None, tuple[str, ...]]:
    """(the import's VHD as read, or None; its problems): read once per file content, however often asked.
    (None, ()) for a blob, which Azure reads itself. folder: the stack file's (the program runs there)."""
    path = imp.local_path(folder or Path.cwd())
    if path is None:
        return None, ()
    try:
        stat = path.stat()
    except OSError:
        return None, ("does not exist: give the path of the VHD file, relative to the stack file",)
    return _checked(str(path), imp.hyper_v_generation, stat.st_mtime_ns, stat.st_size)


def gallery_imports(config: StackConfig) -> list[str]:
    """The imports that become a gallery version (a fleet's `image` may name them)."""
    return sorted(name for name, imp in config.imports.items() if imp.gallery)


def import_checks(config: StackConfig, folder: Path | None = None) -> list[Problem]:
    problems: list[Problem] = []
    for name, imp in config.imports.items():
        key = f"imports.{name}"
        if imp.vhd:
            problems += [(f"{key}.vhd", imp.vhd, why) for why in checked_vhd(imp, folder)[1]]
        if name in config.images or name in config.captures:
            other = "an image" if name in config.images else "a capture"
            problems.append((key, None, f"must not share its name with {other}: "
                             "fleets name an import as they name images and captures (image, managedImage), and its "
                             "gallery version lives in a definition of the import's name"))
        if imp.gallery:
            same = sorted(n for n, i in config.images.items() if i.identifier == imp.gallery.identifier)
            if same:
                problems.append((f"{key}.gallery.identifier", imp.gallery.identifier.model_dump(),
                                 f"must differ from that of {', '.join(same)}: Azure requires publisher/offer/sku "
                                 "to be unique within a gallery"))
    for name, image in config.images.items():
        key = f"images.{name}"
        if image.hyper_v_generation == "V1" and image.security_type == "TrustedLaunchSupported":
            problems.append((f"{key}.securityType", image.security_type,
                             "must be Standard for a V1 definition: Trusted Launch needs generation 2"))
        source = image.source.vhd_import
        if source is None or image.pinned:
            continue
        imp = config.imports.get(source)
        if imp is None or not imp.managed_image:
            usable = sorted(n for n, i in config.imports.items() if i.managed_image)
            problems.append((f"{key}.source.vhdImport", source,
                             f"must be an import with managedImage: true ({', '.join(usable) or 'none defined'})"))
            continue
        if image.hyper_v_generation != imp.hyper_v_generation:
            problems.append((f"{key}.hyperVGeneration", image.hyper_v_generation,
                             f"must be {imp.hyper_v_generation}, the generation of imports.{source}: Image Builder "
                             "refuses a cross-generation source"))
        if image.security_type not in (None, "Standard"):  # unset, it follows its source (security_types.py)
            problems.append((f"{key}.securityType", image.security_type,
                             f"must be Standard: the managed image of imports.{source} is a Standard source, "
                             "and Image Builder refuses a Standard source into a TrustedLaunchSupported definition"))
    return problems + _fleet_checks(config)


def _fleet_checks(config: StackConfig) -> list[Problem]:
    problems: list[Problem] = []
    for name, fleet in config.fleets.items():
        imp = config.imports.get(fleet.image or "")
        if imp and imp.gallery:
            regions = [config.location, *imp.gallery.regions]
            if fleet.region not in regions:
                problems.append((f"fleets.{name}.region", fleet.region,
                                 f"must be one of the regions imports.{fleet.image}'s version replicates to "
                                 f"({', '.join(regions)})"))
            if fleet.image_version:
                problems.append((f"fleets.{name}.imageVersion", fleet.image_version,
                                 f"cannot pin a version of imports.{fleet.image}: a fleet boots the version the "
                                 "import's file makes"))
        imp = config.imports.get(fleet.managed_image or "")
        if imp and imp.managed_image and fleet.region != config.location:
            problems.append((f"fleets.{name}.region", fleet.region,
                             f"must be {config.location}: the managed image of imports.{fleet.managed_image} lives "
                             "in the stack location"))
    return problems


def import_notes(config: StackConfig) -> list[Problem]:
    """What the plan says about imports without refusing them: a generation 1 disk's fleets and Trusted Launch."""
    notes: list[Problem] = []
    for name, imp in config.imports.items():
        if imp.hyper_v_generation == "V1":
            fleets = sorted(f for f, fleet in config.fleets.items() if name in (fleet.image, fleet.managed_image))
            notes.append((f"imports.{name}.hyperVGeneration", "V1",
                          f"a generation 1 disk lands in a V1 definition of its own; its fleets "
                          f"({', '.join(fleets) or 'none yet'}) run without Trusted Launch (Secure Boot, vTPM), "
                          "which needs generation 2"))
    return notes
