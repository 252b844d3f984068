"""The vCPU quota a stack needs per region and VM family, counted from its offline plan.

Azure counts vCPUs against two limits per region and subscription: the family's ("Standard DSv5 Family
vCPUs") and the region's total ("Total Regional vCPUs"); a deployment past either fails with
OperationNotAllowed ("Azure subscription and service limits, quotas, and constraints" and "Check vCPU
quotas", https://learn.microsoft.com/azure/virtual-machines/quotas). Counted here: every VM (fleet VMs,
capture reference VMs), every scale set at its capacity, and every Image Builder build VM (in the
template's region, all builds at once) with its proxy VM when the build runs in a network without a
container-instance subnet (Image Builder's default proxy size Standard_A1_v2, "Azure VM Image Builder
networking options"). A VM's vCPUs are read from its size name (Azure's naming convention puts them
there: Standard_D4s_v5 has 4); its family is the name without the vCPU count, as Azure's quota names
spell it (Standard_D4ds_v5 -> standardDDSv5Family).

`python -m offline.quota` prints the table for every shipped stack (docs/quota.md holds it; a test keeps it current).
"""

from __future__ import annotations

import sys
from collections import Counter

from components.config.vm_sizes import SIZE_NAME

PROXY_VM_SIZE = "Standard_A1_v2"  # Image Builder's default proxy VM (vnetConfig.proxyVmSize)


def family(size: str) -> tuple[str, int]:
    """(Azure's quota family name, vCPUs) of a size such as Standard_D4ds_v5 -> (standardDDSv5Family, 4)."""
    match = SIZE_NAME.fullmatch(size)
    if not match:
        raise ValueError(f"{size} is not a VM size name Azure's convention can read")
    version = f"v{match['version']}" if match["version"] else ""
    return f"standard{match['family']}{match['features'].upper()}{version}Family", int(match["vcpus"])


def _vms(resource: dict) -> list[tuple[str, str, int]]:
    """(region, size, how many) that resource runs."""
    kind, inputs = resource["type"], resource["inputs"]
    if kind == "azure-native:compute:VirtualMachine":
        return [(inputs["location"], inputs["hardwareProfile"]["vmSize"], 1)]
    if kind == "azure-native:compute:VirtualMachineScaleSet":
        return [(inputs["location"], inputs["sku"]["name"], inputs["sku"]["capacity"])]
    if kind == "azure-native:virtualmachineimages:VirtualMachineImageTemplate":
        profile = inputs.get("vmProfile", {})
        found = [(inputs["location"], profile.get("vmSize", "Standard_D1_v2"), 1)]
        network = profile.get("vnetConfig") or {}
        if network and not network.get("containerInstanceSubnetId"):
            found.append((inputs["location"], network.get("proxyVmSize") or PROXY_VM_SIZE, 1))
        return found
    return []


def quota(plan: dict) -> dict[str, dict[str, int]]:
    """{region: {family: vCPUs, ..., "total": vCPUs}} for one offline plan."""
    need: dict[str, Counter] = {}
    for resource in plan["resources"]:
        for region, size, count in _vms(resource):
            name, vcpus = family(size)
            need.setdefault(region, Counter())[name] += vcpus * count
    return {region: {**dict(sorted(c.items())), "total": sum(c.values())} for region, c in sorted(need.items())}


def table(plans: dict[str, dict]) -> str:
    lines = ["| Stack | Region | vCPUs per VM family | Total regional vCPUs |", "|---|---|---|---|"]
    for stack, plan in plans.items():
        for region, families in quota(plan).items():
            per = ", ".join(f"`{name}` {n}" for name, n in families.items() if name != "total")
            lines.append(f"| `{stack}` | {region} | {per} | {families['total']} |")
    return "\n".join(lines)


def main() -> int:
    from .plan import ROOT, plan

    stacks = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
    print(table({stack: plan(stack) for stack in stacks}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
