"""A private-only Bastion somebody can reach (issue 21 item 12).

Private-only Bastion has no public IP: it is reachable only from networks connected to its VNet, over
ExpressRoute private peering, a VPN or VNet peering ("Deploy Bastion as private-only",
https://learn.microsoft.com/azure/bastion/private-only-deployment). That connectivity is made outside this
stack, so the program cannot see it: a network that does not say how it is reached (network.<region>.reachedBy),
and does not egress through a hub (which implies peering), gets a warning in the plan, not an error.
"""

from __future__ import annotations

from typing import Any

from .stack import StackConfig

Problem = tuple[str, Any, str]


def bastion_warnings(config: StackConfig) -> list[Problem]:
    if not config.bastion:
        return []
    warnings: list[Problem] = []
    for region in config.fleet_regions:
        network = config.network.get(region)
        if network and network.bastion_subnet and not network.reached_by and network.egress.type != "hub":
            warnings.append((f"network.{region}.reachedBy", None,
                             "is not set: a private-only Bastion is reachable only over ExpressRoute private peering, "
                             "a VPN or VNet peering into this network, and this stack makes none; connect the network "
                             "and say how (expressRoute, vpn or peering), or nobody can reach the fleets' RDP"))
    return warnings
