import pytest

from components.replicas import derived_replicas
from tests.graph import TEMPLATE, resources


@pytest.mark.parametrize("vms, replicas", [(0, 1), (1, 1), (50, 1), (51, 2), (120, 3), (4999, 100), (20000, 100)])
def test_one_replica_per_50_concurrent_deployments_within_azure_limits(vms, replicas):
    assert derived_replicas(vms) == replicas


def _regions(doc: dict) -> dict:
    out = {}
    for t in resources(doc, TEMPLATE):
        image = t["parent"].rsplit("::", 1)[-1]
        [shared] = [d for d in t["inputs"]["distribute"] if d["type"] == "SharedImage"]
        out[image] = {r["name"]: r["replicaCount"] for r in shared["targetRegions"]}
    return out


def test_prod_replica_counts_follow_the_fleets(plans):
    # lon-web 80 VMs, nyc-web 120 on win2025-base; 6 + 6 app VMs on win2025-app.
    assert _regions(plans["prod"]) == {"win2025-base": {"uksouth": 2, "eastus": 3},
                                       "win2025-app": {"uksouth": 1, "eastus": 1}}


def test_configured_replica_count_wins(plans):
    assert _regions(plans["dev"]) == {"win2025-base": {"uksouth": 1}}  # explicit 1 in Pulumi.dev.yaml
    assert _regions(plans["capture"]) == {"win2025-base": {"uksouth": 20}}  # 1000-VM scale set
