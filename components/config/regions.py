"""What each Azure region the model accepts can do: availability zones and zone-redundant storage.

One row per region in azure_rules.REGIONS (a test holds the two together). Sources: Microsoft's
"Azure regions list" and "Azure regions with availability zone support"
(https://learn.microsoft.com/azure/reliability/regions-list,
https://learn.microsoft.com/azure/reliability/availability-zones-region-support), read from memory and
from a stored copy of those pages while writing this, not fetched at run time: when Microsoft adds
zones to a region, flip its row. Zone-redundant storage (Standard_ZRS image replicas, Premium_ZRS and
StandardSSD_ZRS disks) is offered in the regions that have zones ("Zone-redundant storage",
https://learn.microsoft.com/azure/storage/common/storage-redundancy#zone-redundant-storage; "ZRS for
managed disks", https://learn.microsoft.com/azure/virtual-machines/disks-redundancy), so ZRS follows zones.
"""

from __future__ import annotations

from typing import NamedTuple


class RegionCapabilities(NamedTuple):
    zones: bool  # availability zones 1-3: VM zones, zonal placement
    zrs: bool  # zone-redundant storage: Standard_ZRS replicas, *_ZRS managed disks


_WITH_ZONES = """
    australiaeast austriaeast belgiumcentral brazilsouth canadacentral centralindia centralus chilecentral
    eastasia eastus eastus2 francecentral germanywestcentral indonesiacentral israelcentral italynorth
    japaneast japanwest koreacentral malaysiawest mexicocentral newzealandnorth northeurope norwayeast
    polandcentral qatarcentral southafricanorth southcentralus southeastasia spaincentral swedencentral
    switzerlandnorth uaenorth uksouth westeurope westus2 westus3
""".split()
_WITHOUT_ZONES = """
    australiacentral australiacentral2 australiasoutheast brazilsoutheast canadaeast francesouth germanynorth
    koreasouth northcentralus norwaywest southafricawest southindia switzerlandwest uaecentral ukwest
    westcentralus westindia westus
""".split()

CAPABILITIES: dict[str, RegionCapabilities] = {
    **{r: RegionCapabilities(zones=True, zrs=True) for r in _WITH_ZONES},
    **{r: RegionCapabilities(zones=False, zrs=False) for r in _WITHOUT_ZONES},
}


def has_zones(region: str) -> bool:
    return CAPABILITIES[region].zones


def has_zrs(region: str) -> bool:
    return CAPABILITIES[region].zrs
