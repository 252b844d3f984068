"""The security type of each image definition, from what its build starts from (issue 21 item 1).

Image Builder distributes a source only to targets of its own security type: a TrustedLaunchSupported source
(the Windows Server 2025 marketplace images, and versions of this gallery's TrustedLaunchSupported definitions)
only to TrustedLaunchSupported definitions, and a normal (Standard) source, such as a managed image captured
from a Standard VM, only to a normal definition ("Azure VM Image Builder overview", Confidential VM and Trusted
Launch support, https://learn.microsoft.com/azure/virtual-machines/image-builder-overview#confidential-vm-and-trusted-launch-support).
So a definition's SecurityType follows its source; images.<name>.securityType may say it only where the source
cannot be read offline (imageVersionId, a version of another gallery), and must agree with the source otherwise.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .images import Image

Problem = tuple[str, Any, str]
TRUSTED_LAUNCH_SUPPORTED = "TrustedLaunchSupported"
STANDARD = "Standard"


def source_security_type(name: str, images: Mapping[str, Image], seen: frozenset[str] = frozenset()) -> Optional[str]:
    """The security type of image `name`'s source, or None where it cannot be known offline."""
    image = images[name]
    source = image.source
    if image.pinned:
        return image.security_type
    if source.kind == "ManagedImage":
        return STANDARD  # a managed image is a normal source (captured from a Standard VM)
    if source.image in images and source.image not in seen:
        return security_type(source.image, images, seen | {name})
    if source.image_version_id or source.image:
        return None
    return TRUSTED_LAUNCH_SUPPORTED  # the Windows Server 2025 (Gen2) marketplace images


def security_type(name: str, images: Mapping[str, Image], seen: frozenset[str] = frozenset()) -> str:
    """The SecurityType image `name`'s definition gets: the configured one, else its source's, else
    TrustedLaunchSupported (this gallery's convention). A V1 definition is Standard: Trusted Launch needs
    generation 2 ("Trusted launch for Azure virtual machines", https://learn.microsoft.com/azure/virtual-machines/trusted-launch)."""
    image = images[name]
    if image.security_type or image.hyper_v_generation == "V1":
        return image.security_type or STANDARD
    return source_security_type(name, images, seen) or TRUSTED_LAUNCH_SUPPORTED


def security_type_checks(images: Mapping[str, Image], fleets: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for name, image in images.items():
        given, source = image.security_type, (None if image.pinned else source_security_type(name, images))
        if image.source.vhd_import:
            continue  # an imported disk's own check says why (import_checks.py)
        if given and source and given != source:
            problems.append((f"images.{name}.securityType", given,
                             f"must be {source}, the security type of its source: Image Builder distributes a source "
                             f"only to definitions of its own security type"))
    for name, fleet in fleets.items():
        # A build on an imported disk is Standard by nature; its fleets run without Trusted Launch and the
        # plan says so (import_checks.py), as a generation 1 import's do.
        if (fleet.image in images and security_type(fleet.image, images) == STANDARD
                and not images[fleet.image].source.vhd_import):
            problems.append((f"fleets.{name}.image", fleet.image,
                             f"must be a TrustedLaunchSupported image: {fleet.image} is Standard (built from a managed "
                             "image) and fleets run Trusted Launch; boot its managed image (managedImage) instead"))
    return problems
