"""What a marketplace source image is: its OS and its Hyper-V generation, as far as it can be known
offline. Image definitions here are Windows and Hyper-V V2, and Image Builder refuses a source of
another generation at build time ("cross-generation ... not supported"), an hour into `pulumi up`.

Microsoft's Windows Server marketplace SKUs say their generation in the name: `-g2`, `-gensecond`
(2012 R2 to 2019) and the Azure Edition SKUs (`*-azure-edition*`, Gen2 only) are generation 2; the
plain SKUs (`2019-Datacenter`, `2022-datacenter`, `2025-datacenter`, ...) are generation 1
("Support for generation 2 VMs on Azure", https://learn.microsoft.com/azure/virtual-machines/generation-2).
Other Windows publishers cannot be told apart offline: they are accepted with a warning.
"""

from __future__ import annotations

import re
from typing import Protocol


class Source(Protocol):  # an image's source, or a capture's reference VM image
    publisher: str
    offer: str
    sku: str


WINDOWS_SERVER = ("microsoftwindowsserver", "windowsserver")
GEN2_SKU = re.compile(r"(-g2$|-g2-|gensecond|azure-edition)", re.IGNORECASE)
# Publishers of Linux images only: a Windows definition cannot take them.
LINUX_PUBLISHERS = frozenset({"canonical", "redhat", "suse", "debian", "openlogic", "oracle", "almalinux",
                              "resf", "kinvolk", "microsoftcblmariner", "center-for-internet-security-inc"})


def source_problem(source: Source) -> tuple[str, str] | None:
    """(the source key at fault, what is allowed) or None."""
    publisher = source.publisher.lower()
    if publisher in LINUX_PUBLISHERS:
        return "publisher", "must publish Windows images: the image definitions here are Windows (osType Windows)"
    if (publisher, source.offer.lower()) == WINDOWS_SERVER and not GEN2_SKU.search(source.sku):
        return "sku", (f"must be a Hyper-V generation 2 SKU (the definitions are V2): {source.sku} is generation 1; "
                       f"use {gen2_sku(source.sku)}")
    return None


def unknown_generation(source: Source) -> bool:
    """A publisher whose SKU names say nothing about the generation offline."""
    publisher = source.publisher.lower()
    return publisher not in LINUX_PUBLISHERS and (publisher, source.offer.lower()) != WINDOWS_SERVER


def gen2_sku(sku: str) -> str:
    # 2012 R2, 2016 and 2019 name their Gen2 SKUs -gensecond; 2022 and later -g2.
    return f"{sku}-gensecond" if re.match(r"^(2012|2016|2019)", sku) else f"{sku}-g2"
