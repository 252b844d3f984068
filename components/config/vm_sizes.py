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

import difflib
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


# --- the sizes Azure offers ------------------------------------------------------------------------
# (family -> version -> the feature letters its sizes carry; version 1 is a name without _vN). Read from
# Microsoft's "Sizes for virtual machines in Azure" (https://learn.microsoft.com/azure/virtual-machines/sizes)
# and its per-series pages while writing this, not fetched at run time: when Azure adds a series, add its row
# (a test names every shipped size). Feature letters, in the order Azure writes them ("Azure VM sizes naming
# conventions"): a AMD, b block storage performance, d local disk, i isolated, l low memory, m memory
# intensive, p Arm64, t tiny memory, s premium storage; "" a size with none.
_OFFERED: dict[str, dict[int, str]] = {
    "A": {1: "", 2: " m"},
    "B": {1: "s ms ls", 2: "s ls ts ps pls pts as als ats"},
    "D": {1: "", 2: "", 3: " s", 4: " s d ds a as", 5: " s d ds as ads ps pds pls plds ls lds",
          6: "s ds ls lds as ads als alds ps pds pls plds"},
    "DS": {1: "", 2: ""},
    "DC": {2: "s", 3: "s ds", 5: "as ads", 6: "as ads es eds"},
    "E": {3: " s", 4: " s d ds a as i is ds", 5: " s d ds as ads bs bds ps pds is ids",
          6: "s ds as ads ps pds"},
    "EC": {5: "as ads es eds"},
    "F": {1: " s", 2: "s", 6: "as als ams"},
    "FX": {1: "mds", 2: "mds"},
    "G": {1: ""},
    "GS": {1: ""},
    "H": {1: " m r mr"},
    "L": {1: "s", 2: "s", 3: "s as"},
    "M": {1: " s ms ls ts", 2: "s ms", 3: "s ds ms mds bs bds"},
}
# GPU and HPC families name their accelerator (Standard_NC24ads_A100_v4): only family and version are checked.
_ANY_FEATURES: dict[str, set[int]] = {"NC": {1, 2, 3, 4, 5}, "ND": {1, 2, 4, 5}, "NG": {1}, "NP": {1},
                                      "NV": {1, 3, 4, 5}, "HB": {1, 2, 3, 4}, "HC": {1}, "HX": {1}}
_LOOSE_NAME = re.compile(r"^(?:standard_)?(?P<family>[a-z]+)(?P<vcpus>[0-9]+)(?P<constrained>-[0-9]+)?"
                         r"(?P<features>[a-z]*)(?:[_-]?v(?P<version>[0-9]+))?$", re.IGNORECASE)
OFFERED_NAME = re.compile(
    r"^Standard_(?P<family>[A-Z]+)(?P<vcpus>[0-9]+)(?:-[0-9]+)?(?P<features>[a-z]*)"
    r"(?:_(?P<accelerator>[A-Z][A-Za-z0-9]*|[0-9]+))?(?:_v(?P<version>[0-9]+))?$")
NAMING = ("https://learn.microsoft.com/azure/virtual-machines/vm-naming-conventions")


def _offered(family: str, version: int, features: str) -> bool:
    if family in _ANY_FEATURES:
        return version in _ANY_FEATURES[family]
    return features in _OFFERED.get(family, {}).get(version, "-").split(" ")


def _name(family: str, vcpus: str, features: str, version: int) -> str:
    return f"Standard_{family}{vcpus}{features}" + (f"_v{version}" if version > 1 else "")


def _nearest(family: str, vcpus: str, features: str, version: int) -> str | None:
    """The offered size closest to a name that is not: the same features in the nearest version, else the
    nearest features in the same version."""
    versions = _OFFERED.get(family, {})
    with_features = [v for v, f in versions.items() if features in f.split(" ")]
    if with_features:
        return _name(family, vcpus, features, min(with_features, key=lambda v: (abs(v - version), -v)))
    if version in versions:
        close = difflib.get_close_matches(features, versions[version].split(" "), n=1, cutoff=0.3)
        if close:
            return _name(family, vcpus, close[0], version)
    return None


def size_problem(size: str) -> str | None:
    """Why Azure offers no VM size of this name, with the nearest one it does; None when it offers it."""
    match = OFFERED_NAME.fullmatch(size)
    if match:
        family, features = match["family"], match["features"]
        version = int(match["version"]) if match["version"] else 1
        if _offered(family, version, features):
            return None
        if family not in _OFFERED and family not in _ANY_FEATURES:
            close = difflib.get_close_matches(family, sorted(_OFFERED) + sorted(_ANY_FEATURES), n=1)
            hint = f" (did you mean the {close[0]} family?)" if close else ""
            return f"must be a VM size Azure offers: {family} is not a size family{hint}"
        near = _nearest(family, match["vcpus"], features, version)
        offered = ", ".join(f"v{v}" for v in sorted(_OFFERED.get(family, {v: "" for v in _ANY_FEATURES.get(family, ())})))
        hint = f" (did you mean {near}?)" if near else ""
        return (f"must be a VM size Azure offers: the {family} family comes in {offered}, and no "
                f"{family}{features or ''} v{version}{hint}")
    loose = _LOOSE_NAME.fullmatch(size.replace("Standard ", "Standard_"))
    near = None
    if loose:
        family, features = loose["family"].upper(), loose["features"].lower()
        version = int(loose["version"]) if loose["version"] else 1
        candidate = _name(family, loose["vcpus"] + (loose["constrained"] or ""), features, version)
        near = candidate if OFFERED_NAME.fullmatch(candidate) and _offered(family, version, features) else None
    hint = f" (did you mean {near}?)" if near else ""
    return (f"must be a VM size name as Azure writes it, Standard_<family><vCPUs><features>_v<version> "
            f"such as Standard_D4ds_v5{hint}")
