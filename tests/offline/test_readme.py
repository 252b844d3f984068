"""The README's prerequisites name every resource provider the shipped stacks deploy to, and the
features the program's options need: a subscription missing one fails only halfway through `up`."""

from __future__ import annotations

import re

from offline.azure_types import azure_type
from offline.plan import ROOT

README = (ROOT / "README.md").read_text()
PREREQUISITES = README[README.index("### Prerequisites in the subscription"):README.index("### Recovering")]


def test_every_resource_provider_the_stacks_use_is_listed(plans):
    namespaces = {azure_type(r["type"]).arm_type.split("/")[0] for doc in plans.values()
                  for r in doc["resources"] if r["type"].startswith("azure-native:")}
    namespaces.discard("Microsoft.Authorization")  # registered in every subscription
    namespaces.discard("Microsoft.Resources")
    assert namespaces and all(f"`{ns}`" in PREREQUISITES for ns in namespaces), namespaces


def test_image_builders_own_needs_and_the_features_are_listed():
    for name in ("Microsoft.ContainerInstance", "Microsoft.VirtualMachineImages/Triggers",
                 "Microsoft.Compute/EncryptionAtHost", "Microsoft.Compute/ImageReferenceUpgradeForVmoVMs",
                 "Microsoft.Compute/VMSSFlexRollingUpgrade"):
        assert f"`{name}`" in PREREQUISITES, name
    assert re.search(r"az provider register --namespace", PREREQUISITES)
    assert re.search(r"az feature register --namespace", PREREQUISITES)
