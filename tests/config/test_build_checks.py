"""components/config/build_checks.py: where a build runs and what it starts from, each rule with the exact
line a user sees, on both sides (the config that breaks it, and the nearest one that does not). Config
loads without a plan, so these are fast: `make mutation MODULE=cross_checks` runs them."""

from __future__ import annotations

import pytest

from components.config.images import PlatformSource
from components.config.loading import ConfigError
from components.config.sources import unknown_generation
from tests.config.loading import IMG, clipped, line, load_raw, with_

VNET = "/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/"
AIB, ACI = f"{VNET}vnet-a/subnets/aib", f"{VNET}vnet-a/subnets/aci"
OTHER_ACI = f"{VNET}vnet-b/subnets/aci"
HOME = {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/24", "buildSubnet": "10.20.2.0/24"}
BUILD = f"images.{IMG}.build"


def _build(**fields) -> dict:
    raw = with_("network.uksouth", HOME)
    for key, value in fields.items():
        raw = with_(f"{BUILD}.{key}", value, raw)
    return raw


def _lines(raw: dict) -> list[str]:
    """The problems of raw, or [] when it loads."""
    try:
        load_raw(raw)
    except ConfigError as error:
        return str(error).split("\n")
    return []


def _id(value: str) -> str:
    return clipped(repr(value))


def test_a_private_build_needs_the_locations_build_subnet():
    wanted = line(f"{BUILD}.private", "true", "needs network.uksouth.buildSubnet (and its addressSpace, workloadSubnet): "
                  "private builds run in the stack location's network")
    assert _lines(with_(f"{BUILD}.private", True)) == [wanted]
    assert _lines(_build(private=True)) == []
    # A pinned image is not built: its build settings are not checked.
    assert _lines(with_(f"images.{IMG}.pinned", {"version": "1.0.0", "regions": ["uksouth"]},
                        with_(f"{BUILD}.private", True))) == []


def test_private_or_an_existing_subnet_not_both():
    assert _lines(_build(private=True, subnetId=AIB)) == [line(
        f"{BUILD}.subnetId", _id(AIB), "cannot be combined with private: true: give private (the build subnet of the "
        "program's network) or subnetId (an existing subnet), not both")]
    assert _lines(_build(subnetId=AIB)) == [] and _lines(_build(private=True)) == []


def test_a_container_instance_subnet_needs_the_build_subnet_beside_it():
    assert _lines(_build(containerInstanceSubnetId=ACI)) == [line(
        f"{BUILD}.containerInstanceSubnetId", _id(ACI), "needs subnetId: Image Builder takes a container-instance "
        "subnet only with the build VM's own subnet, in the same network")]
    assert _lines(_build(subnetId=AIB, containerInstanceSubnetId=OTHER_ACI)) == [line(
        f"{BUILD}.containerInstanceSubnetId", _id(OTHER_ACI), f"must be a subnet of subnetId's virtual network "
        f"({VNET}vnet-a), as Image Builder requires")]
    assert _lines(_build(subnetId=AIB, containerInstanceSubnetId=AIB)) == [line(
        f"{BUILD}.containerInstanceSubnetId", _id(AIB), "must differ from subnetId: the container instance's subnet "
        "is delegated to Microsoft.ContainerInstance/containerGroups, which leaves no room for the build VM")]
    assert _lines(_build(subnetId=AIB, containerInstanceSubnetId=ACI)) == []
    # Resource IDs are case-insensitive: the same network and the same subnet in other cases.
    assert _lines(_build(subnetId=AIB, containerInstanceSubnetId=ACI.replace("vnet-a", "VNET-A"))) == []
    assert len(_lines(_build(subnetId=AIB, containerInstanceSubnetId=AIB.replace("/aib", "/AIB")))) == 1


def test_no_proxy_size_with_container_instances_or_outside_a_network():
    isolated = line(f"{BUILD}.proxyVmSize", "'Standard_A2_v2'", "must not be set for a build with a container-instance "
                    "subnet: no proxy VM is deployed then, and Image Builder refuses the template")
    assert _lines(_build(subnetId=AIB, containerInstanceSubnetId=ACI, proxyVmSize="Standard_A2_v2")) == [isolated]
    home = with_("network.uksouth.containerInstanceSubnet", "10.20.3.0/27", _build(private=True, proxyVmSize="Standard_A2_v2"))
    assert _lines(home) == [isolated]
    assert _lines(_build(private=True, proxyVmSize="Standard_A2_v2")) == []
    assert _lines(_build(subnetId=AIB, proxyVmSize="Standard_A2_v2")) == []
    # An existing subnet ignores the program's container-instance subnet: the proxy size is the build's own.
    assert _lines(with_("network.uksouth.containerInstanceSubnet", "10.20.3.0/27",
                        _build(subnetId=AIB, proxyVmSize="Standard_A2_v2"))) == []
    assert _lines(_build(proxyVmSize="Standard_A2_v2")) == [line(
        f"{BUILD}.proxyVmSize", "'Standard_A2_v2'", "applies only to a build in a network (private: true or subnetId): "
        "the proxy VM sits in the build subnet")]


def test_a_container_instance_subnet_needs_a_build_subnet_in_its_network():
    raw = with_("network.uksouth", {**HOME, "containerInstanceSubnet": "10.20.3.0/27"})
    assert _lines(raw) == []
    del raw["network"]["uksouth"]["buildSubnet"]
    assert _lines(raw) == [line("network.uksouth.containerInstanceSubnet", "'10.20.3.0/27'",
                                "needs buildSubnet: the container instance reaches the build VM there")]


CAPTURE = {"region": "uksouth", "size": "Standard_D2s_v5"}


def test_a_capture_source_names_a_capture_of_the_stack_location():
    raw = with_(f"images.{IMG}.source", {"capture": "ref"}, with_("fleets", {}))  # no fleet: a Standard image (from a managed image) cannot boot Trusted Launch fleets
    assert _lines(raw) == [line(f"images.{IMG}.source.capture", "'ref'", "must be one of the captures: none defined")]
    raw = with_("captures", {"ref": CAPTURE, "alt": CAPTURE}, raw)
    assert _lines(raw) == []
    assert load_raw(raw).images[IMG].source.kind == "ManagedImage"
    raw = with_("captures.ref.region", "eastus", with_("network.eastus", {"addressSpace": "10.30.0.0/16",
                                                                       "workloadSubnet": "10.30.1.0/24"}, raw))
    assert _lines(raw) == [line(f"images.{IMG}.source.capture", "'ref'", "must capture in uksouth, not eastus: Image "
                                "Builder builds from a managed image in the template's region, the stack location")]
    raw = with_(f"images.{IMG}.source", {"capture": "nope"}, raw)
    assert _lines(raw) == [line(f"images.{IMG}.source.capture", "'nope'", "must be one of the captures: alt, ref")]


def test_a_managed_image_output_only_from_a_managed_image_source():
    raw = with_("captures", {"ref": CAPTURE}, with_(f"images.{IMG}.managedImage", True, with_("fleets", {})))  # no fleet: a Standard image (from a managed image) cannot boot Trusted Launch fleets
    assert _lines(with_(f"images.{IMG}.source", {"capture": "ref"}, raw)) == []
    managed = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/"
               "images/golden")
    assert _lines(with_(f"images.{IMG}.source", {"managedImageId": managed}, raw)) == []
    version = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/"
               "galleries/g/images/i/versions/1.0.0")
    [only] = _lines(with_(f"images.{IMG}.source", {"imageVersionId": version}, raw))
    assert only.startswith(f"Pulumi.dev.yaml: image-factory:images.{IMG}.managedImage = true: cannot be true for a "
                           "gallery version source (TrustedLaunchSupported like these definitions): ")


# --- what a build starts from: layers (cross_checks.py) and marketplace sources (sources.py) --------------

def _layers(**sources: str) -> dict:
    """dev with images a, b, c (copies of its image), each built on the image sources names, if any."""
    raw = with_("fleets", {}, with_("images", {}))
    base = with_("tags", {})["images"][IMG]
    for name in "abc":
        image = {**base, "identifier": {"publisher": "P", "offer": "O", "sku": name}}
        if name in sources:
            image["source"] = {"image": sources[name]}
        raw["images"][name] = image
    return raw


def test_layers_build_on_another_image_of_the_stack_in_a_chain_without_cycles():
    assert _lines(_layers(b="a", c="b")) == []
    assert _lines(_layers(a="a")) == [line("images.a.source.image", "'a'",
                                           "must be another image of this stack to build on: b, c")]
    assert _lines(_layers(a="z")) == [line("images.a.source.image", "'z'",
                                           "must be another image of this stack to build on: b, c")]
    cycle = "must not build on an image that builds on {}: layers cannot form a cycle"
    assert _lines(_layers(a="b", b="c", c="a")) == [line(f"images.{n}.source.image", f"'{base}'", cycle.format(n))
                                                     for n, base in (("a", "b"), ("b", "c"), ("c", "a"))]
    assert _lines(_layers(a="b", b="a")) == [line("images.a.source.image", "'b'", cycle.format("a")),
                                             line("images.b.source.image", "'a'", cycle.format("b"))]
    # A cycle further up the chain is not this image's cycle: c builds on a, which is in a cycle with b.
    lines = _lines(_layers(a="b", b="a", c="a"))
    assert not [x for x in lines if "images.c.source.image" in x]


@pytest.mark.parametrize("publisher, offer, sku, unknown", [
    ("MicrosoftWindowsServer", "WindowsServer", "2025-datacenter-azure-edition", False),
    ("microsoftwindowsserver", "windowsserver", "2022-datacenter-g2", False),  # compared case-insensitively
    ("MicrosoftWindowsDesktop", "windows-11", "win11-24h2-ent", True),
    ("MicrosoftWindowsServer", "WindowsServerSemiAnnual", "datacenter-core-20h2", True),  # another offer
    ("Canonical", "ubuntu-24_04-lts", "server", False),  # known: Linux, refused instead
])
def test_which_sources_have_a_generation_unknown_offline(publisher, offer, sku, unknown):
    source = PlatformSource(publisher=publisher, offer=offer, sku=sku)
    assert unknown_generation(source) is unknown


def test_an_image_cannot_build_on_itself_and_a_pinned_ones_source_is_not_checked():
    # dev's other image, the app image, is layered on the base: the only other image to build on.
    assert _lines(with_(f"images.{IMG}.source", {"image": IMG})) == [line(
        f"images.{IMG}.source.image", f"'{IMG}'", "must be another image of this stack to build on: win2025-app")]
    pinned = with_(f"images.{IMG}.pinned", {"version": "1.0.0", "regions": ["uksouth"]})
    assert _lines(with_(f"images.{IMG}.source", {"sku": "2019-Datacenter"}, pinned)) == []  # not built here
    assert len(_lines(with_(f"images.{IMG}.source", {"sku": "2019-Datacenter"}))) == 1


# --- issue 21 item 11: the timeout covers the build, boot optimization and distribution -------------

def test_a_timeout_shorter_than_build_optimization_and_distribution_is_refused():
    refused = line(f"{BUILD}.timeoutMinutes", "120",
                   "must be at least 140: the run must fit a Windows build (up to 90), boot optimization (about 35 "
                   "for a 127 GB image) and distribution to the home region (about 15); a run that times out leaves "
                   "no version")
    assert refused in _lines(with_(f"{BUILD}.timeoutMinutes", 120))
    assert not any("timeoutMinutes" in p for p in _lines(with_(f"{BUILD}.timeoutMinutes", 140)))
    # 0 is Image Builder's default of 240; without boot optimization 105 is enough.
    assert not any("timeoutMinutes" in p for p in _lines(with_(f"{BUILD}.timeoutMinutes", 0)))
    raw = with_(f"images.{IMG}.optimizeVmBoot", False, with_(f"{BUILD}.timeoutMinutes", 105))
    assert not any("timeoutMinutes" in p for p in _lines(raw))
    assert any("must be at least 105" in p for p in _lines(with_(f"{BUILD}.timeoutMinutes", 104, raw)))
