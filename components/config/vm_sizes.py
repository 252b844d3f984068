"""What a VM size can do, read from its name and a small table of the families that differ.

Azure's size names spell their features: `Standard_<family><vCPUs>[-<constrained vCPUs>]<features>
[_<accelerator>]_v<version>`; an `s` among the lowercase features means premium storage
(Standard_D2s_v5 yes, Standard_D2_v5 no); `p` means an Arm64 processor ("Azure VM sizes naming
conventions", https://learn.microsoft.com/azure/virtual-machines/vm-naming-conventions).
Gen2, Trusted Launch and encryption at host are properties of the family; the table lists the
families that lack one ("Generation 2 VMs on Azure",
https://learn.microsoft.com/azure/virtual-machines/generation-2; "Trusted launch for Azure virtual
machines", https://learn.microsoft.com/azure/virtual-machines/trusted-launch; "Enable end-to-end
encryption using encryption at host", https://learn.microsoft.com/azure/virtual-machines/disks-enable-host-based-encryption-portal).

The rule for a size not in the table: Gen2, Trusted Launch and encryption at host are assumed (true of
every current general-purpose, compute- and memory-optimised family, v3 and later); premium storage
is read from the name. A wrong guess there is Azure's error at deployment, never a silent downgrade.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

SIZE_NAME = re.compile(
    r"^Standard_(?P<family>[A-Z]+)(?P<vcpus>[0-9]+)(?:-[0-9]+)?(?P<features>[a-z]*)"
    r"(?:_(?P<accelerator>[A-Z][A-Za-z0-9]*))?(?:_v(?P<version>[0-9]+))?$")


class SizeCapabilities(NamedTuple):
    premium_storage: bool
    gen2: bool
    trusted_launch: bool
    encryption_at_host: bool
    arm64: bool


# (family, version or None for every version; a name without _vN is version 1) -> (gen2, trusted
# launch, encryption at host)
_FAMILIES: dict[tuple[str, Optional[int]], tuple[bool, bool, bool]] = {
    ("A", None): (False, False, False),  # Av2 and Standard/Basic A: Gen1 only
    ("G", None): (False, False, False),  # G and GS: Gen1 only, retired
    ("GS", None): (False, False, False),
    ("M", 1): (True, False, True),  # M and Mv2: no Trusted Launch
    ("M", 2): (True, False, True),
    ("NV", 1): (False, False, False),  # NV v1: Gen1 only
}
_PREMIUM_FAMILIES = frozenset({"DS", "GS"})  # premium storage named by the family, not an `s`


def capabilities(size: str) -> Optional[SizeCapabilities]:
    """What size supports; None when the name does not follow Azure's convention (then nothing is
    assumed: the rules using this only speak about sizes they can read)."""
    match = SIZE_NAME.fullmatch(size)
    if not match:
        return None
    family, features = match["family"], match["features"]
    version = int(match["version"]) if match["version"] else 1
    gen2, trusted_launch, host = _FAMILIES.get((family, version), _FAMILIES.get((family, None), (True, True, True)))
    return SizeCapabilities(premium_storage="s" in features or family in _PREMIUM_FAMILIES, gen2=gen2,
                            trusted_launch=trusted_launch, encryption_at_host=host, arm64="p" in features)
