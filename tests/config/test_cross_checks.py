"""components/config/cross_checks.py: each rule that spans keys, with the exact line a user sees, on both
sides (the config that breaks it, and the nearest one that does not). Config loads without a plan, so
these are fast: mutation testing runs them (`make mutation MODULE=cross_checks`)."""

from __future__ import annotations

import pytest

from tests.config.loading import FILE_CUSTOMIZER, IMG, fleet, line, load_raw, problems, with_, without

NET = {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/24"}
NET_EAST = {"addressSpace": "10.30.0.0/16", "workloadSubnet": "10.30.1.0/24"}
CAPTURE = {"region": "uksouth", "size": "Standard_D2s_v5"}


def _without_subnet(**fields) -> dict:
    return {k: v for k, v in fleet(**fields).items() if k != "subnetId"}


def _with_eastus_replicas(raw: dict | None = None) -> dict:
    return with_(f"images.{IMG}.regions", ["uksouth", "eastus"], raw)


# --- fleets and what they boot ------------------------------------------------------------------

def test_unknown_managed_image():
    raw = with_("fleets", {"cap": fleet(image=None, managedImage="nope")})
    raw["fleets"]["cap"].pop("image")
    assert problems(raw) == [line("fleets.cap.managedImage", "'nope'",
                                  "must name a capture or an image with managedImage: true (none defined)")]
    raw = with_("captures", {"ref": CAPTURE, "alt": CAPTURE}, raw)
    assert problems(raw) == [line("fleets.cap.managedImage", "'nope'",
                                  "must name a capture or an image with managedImage: true (alt, ref)")]
    raw["fleets"]["cap"]["managedImage"] = "ref"
    assert load_raw(raw).fleets["cap"].managed_image == "ref"


def _managed_fleet(region: str) -> dict:
    raw = with_(f"images.{IMG}.managedImage", True)
    raw = with_("fleets", {"mi": {**fleet(region=region), "managedImage": IMG}}, raw)
    raw["fleets"]["mi"].pop("image")
    return raw


def test_a_managed_image_fleet_runs_in_the_stack_location():
    outside = line("fleets.mi.region", "'eastus'", "must be uksouth: a managed image lives in one region, the build's")
    assert outside in problems(_managed_fleet("eastus"))
    assert not any(p.startswith(f"Pulumi.dev.yaml: image-factory:fleets.mi.region")
                   for p in problems(_managed_fleet("uksouth")))


def test_a_managed_image_from_a_marketplace_source_is_refused():
    [only] = [p for p in problems(_managed_fleet("uksouth")) if "images.win2025-base.managedImage" in p]
    assert only.startswith(f"Pulumi.dev.yaml: image-factory:images.{IMG}.managedImage = true: cannot be true for a "
                           "marketplace source (2025-datacenter-azure-edition): Gen2 Windows Server marketplace images")
    assert only.endswith("for a managed image use a capture (captures.<name>), or boot fleets from the gallery version")
    # A pinned image is not built: its managedImage flag makes no managed image, so fleets cannot name it.
    raw = with_(f"images.{IMG}.pinned", {"version": "1.0.0", "regions": ["uksouth"]}, _managed_fleet("uksouth"))
    assert problems(raw) == [line("fleets.mi.managedImage", f"'{IMG}'",
                                  "must name a capture or an image with managedImage: true (none defined)")]


def test_a_fleet_runs_in_its_captures_region():
    raw = with_("captures", {"ref": CAPTURE})
    raw = with_("network", {"uksouth": NET}, raw)
    raw = with_("fleets", {"cap": {**fleet(region="eastus"), "managedImage": "ref"}}, raw)
    raw["fleets"]["cap"].pop("image")
    assert problems(raw) == [line("fleets.cap.region", "'eastus'", "must be uksouth, the region of capture ref")]
    raw["fleets"]["cap"]["region"] = "uksouth"
    assert load_raw(raw).fleets["cap"].region == "uksouth"


def test_a_fleet_runs_where_its_image_replicates():
    raw = with_("fleets", {"nyc": fleet(region="eastus")})
    assert problems(raw) == [line("fleets.nyc.region", "'eastus'",
                                  f"must be one of the regions image {IMG} replicates to (uksouth)")]
    assert load_raw(_with_eastus_replicas(raw)).fleets["nyc"].region == "eastus"


def test_a_fleet_of_an_unknown_image_is_not_also_blamed_for_its_region():
    raw = with_("fleets", {"nyc": fleet(region="eastus", image="nope")})
    assert problems(raw) == [line("fleets.nyc.image", "'nope'", f"must be one of the images: win2025-app, {IMG}")]


def test_a_fleet_without_subnet_needs_its_regions_network():
    raw = with_("fleets", {"nyc": _without_subnet(region="eastus")}, _with_eastus_replicas())
    assert problems(raw) == [line("fleets.nyc.subnetId", None,
                                  "is required unless network.eastus gives addressSpace and workloadSubnet")]
    assert load_raw(with_("network.eastus", NET_EAST, raw)).fleets["nyc"]


def test_domain_join_needs_the_password_and_the_dns():
    joined = fleet(domainJoin={"domain": "corp.example.com", "user": "CORP\\join"})
    raw = with_("fleets", {"lon": joined})
    assert problems(raw) == [line("fleets.lon.domainJoin", None,
                                  "needs the join password: pulumi config set --secret image-factory:domainJoinPassword")]
    raw = with_("domainJoinPassword", "not-in-the-model", raw)
    assert load_raw(raw, secret=("domainJoinPassword",)).fleets["lon"].domain_join  # a subnetId: DNS is its network's
    raw = with_("fleets", {"lon": {k: v for k, v in joined.items() if k != "subnetId"}}, raw)
    raw = with_("network.uksouth", {**NET, "dnsServers": ["10.20.1.4"]}, raw)
    assert load_raw(raw, secret=("domainJoinPassword",)).fleets["lon"].domain_join


# --- computer names -------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["vms", "scaleset"])
def test_a_scale_set_prefix_clashes_with_any_longer_prefix(mode):
    # A scale set appends 6 letters and digits: 'web' + 'eu1234' can equal 'webeu' + its own suffix.
    raw = with_("fleets", {"web": fleet(mode="scaleset"), "webeu": fleet(mode=mode)})
    assert problems(raw) == [line("fleets.web.computerNamePrefix", "'web'",
                                  "must not be a prefix of another fleet's (webeu): computer names must be unique")]


def test_prefixes_clash_ignoring_case_and_each_clash_is_named_once_per_fleet():
    raw = with_("fleets", {"a": fleet(computerNamePrefix="Web"), "b": fleet(computerNamePrefix="web1"),
                           "c": fleet(computerNamePrefix="web2")})
    assert problems(raw) == [line("fleets.a.computerNamePrefix", "'web'",
                                  "must not be a prefix of another fleet's (b, c): computer names must be unique")]


def test_equal_prefixes_clash_both_ways():
    raw = with_("fleets", {"a": fleet(computerNamePrefix="web"), "b": fleet(computerNamePrefix="WEB")})
    assert problems(raw) == [
        line("fleets.a.computerNamePrefix", "'web'", "must not be a prefix of another fleet's (b): computer names must be unique"),
        line("fleets.b.computerNamePrefix", "'web'", "must not be a prefix of another fleet's (a): computer names must be unique")]


def test_vm_prefixes_that_cannot_clash():
    assert load_raw(with_("fleets", {"web": fleet(), "webeu": fleet(), "web-1a": fleet()})).fleets


# --- networks, Bastion, captures -----------------------------------------------------------------

def test_bastion_needs_a_bastion_subnet_in_every_fleet_network():
    raw = with_("bastion", True, with_("fleets", {"lon": _without_subnet()}, with_("network.uksouth", NET)))
    assert problems(raw) == [line("network.uksouth.bastionSubnet", None, "is required when bastion is true")]
    raw = with_("network.uksouth.bastionSubnet", "10.20.255.0/26", raw)
    assert load_raw(raw).network["uksouth"].bastion_subnet == "10.20.255.0/26"


def test_bastion_ignores_a_network_no_fleet_uses():
    raw = with_("bastion", True, with_("network.eastus", NET_EAST, with_("network.uksouth", {
        **NET, "bastionSubnet": "10.20.255.0/26"})))
    raw = with_("fleets", {"lon": _without_subnet()}, raw)
    assert load_raw(raw).bastion is True


@pytest.mark.parametrize("vms, fits", [(58, True), (59, False)])
def test_capture_reference_vms_count_toward_the_subnet(vms, fits):
    # A /26 has 64 - 5 = 59 usable addresses; the capture's reference VM takes one.
    raw = with_("network.uksouth", {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/26"})
    raw = with_("fleets", {"lon": _without_subnet(count=vms), "ext": fleet(count=500)}, raw)  # subnetId: elsewhere
    raw = with_("captures", {"ref": CAPTURE}, raw)
    if fits:
        assert load_raw(raw).fleets["lon"].count == 58
    else:
        assert problems(raw) == [line("network.uksouth.workloadSubnet", "'10.20.1.0/26'",
                                      "must hold the 60 VMs placed in it; it has 59 usable addresses")]


def test_subnet_capacity_counts_only_its_own_region():
    raw = with_("network", {"uksouth": {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/26"},
                            "eastus": NET_EAST}, _with_eastus_replicas())
    raw = with_("fleets", {"lon": _without_subnet(count=59), "nyc": _without_subnet(region="eastus", count=200)}, raw)
    assert load_raw(raw).fleets["lon"].count == 59


def test_a_capture_region_needs_a_network():
    raw = with_("captures", {"ref": {**CAPTURE, "region": "eastus"}})
    assert problems(raw) == [line("captures.ref.region", "'eastus'",
                                  "needs network.eastus (addressSpace, workloadSubnet) for the reference VM")]
    assert load_raw(with_("network.eastus", NET_EAST, raw)).captures["ref"].region == "eastus"


def test_a_capture_publishes_to_a_known_image():
    raw = with_("captures", {"ref": {**CAPTURE, "publish": {"image": "nope", "version": "0.1.0"}}},
                with_("network.uksouth", NET))
    assert problems(raw) == [line("captures.ref.publish.image", "'nope'", f"must be one of the images: win2025-app, {IMG}")]
    raw["captures"]["ref"]["publish"]["image"] = IMG
    assert load_raw(raw).captures["ref"].publish.image == IMG


# --- images ------------------------------------------------------------------------------------------

def test_rebuild_on_new_base_image_needs_the_latest_source():
    raw = with_(f"images.{IMG}.rebuildOnNewBaseImage", True)
    assert load_raw(raw).images[IMG].rebuild_on_new_base_image
    pinned_source = with_(f"images.{IMG}.source.version", "26100.1.1", raw)
    assert problems(pinned_source) == [line(f"images.{IMG}.rebuildOnNewBaseImage", "true",
                                            "needs a built image whose source is a marketplace image at version 'latest'")]


def test_a_fleet_version_must_be_known_with_its_regions():
    raw = with_("fleets", {"lon": fleet(imageVersion="1.2.3")})
    assert problems(raw) == [line("fleets.lon.imageVersion", "'1.2.3'",
                                  f"must be listed in images.{IMG}.existingVersions with the regions it is "
                                  "replicated to (or be the pinned version)")]
    raw = with_(f"images.{IMG}.existingVersions", {"1.2.3": ["eastus", "westeurope"]}, raw)
    assert problems(raw) == [line("fleets.lon.region", "'uksouth'",
                                  f"must be one of the regions version 1.2.3 of image {IMG} is replicated to "
                                  "(eastus, westeurope): replicate it there first, or boot another version")]
    raw = with_(f"images.{IMG}.existingVersions", {"1.2.3": ["eastus", "uksouth"]}, raw)
    assert load_raw(raw).fleets["lon"].image_version == "1.2.3"


def test_a_pinned_version_names_its_regions():
    raw = with_(f"images.{IMG}.pinned", {"version": "2.0.0", "regions": ["eastus"]})
    raw = with_("fleets", {"lon": fleet()}, raw)
    assert problems(raw) == [line("fleets.lon.region", "'uksouth'",
                                  f"must be one of the regions version 2.0.0 of image {IMG} is replicated to (eastus): "
                                  "replicate it there first, or boot another version")]


def test_disk_sizes_on_both_sides():
    raw = with_(f"images.{IMG}.build.osDiskSizeGB", 200, with_("fleets", {"lon": fleet(osDisk={"sizeGB": 199})}))
    assert problems(raw) == [line("fleets.lon.osDisk.sizeGB", "199",
                                  f"must be at least 200: image {IMG} is built with an OS disk of 200 GB")]
    raw["fleets"]["lon"]["osDisk"]["sizeGB"] = 200
    assert load_raw(raw).fleets["lon"].os_disk.size_gb == 200
    small = with_(f"images.{IMG}.source.sku", "2025-datacenter-azure-edition-smalldisk",
                  with_(f"images.{IMG}.build.osDiskSizeGB", 30))
    assert load_raw(small).images[IMG].build.os_disk_size_gb == 30
    assert problems(with_(f"images.{IMG}.build.osDiskSizeGB", 126)) == [line(
        f"images.{IMG}.build.osDiskSizeGB", "126",
        "must be at least 127: the source image 2025-datacenter-azure-edition is 127 GB")]


# --- lists in the messages: every name, comma-separated -------------------------------------------

def _second_image(raw: dict, name: str = "win2025-app", **fields) -> dict:
    image = {**raw["images"][IMG], **fields}
    return with_(f"images.{name}", image, raw)


def test_messages_list_every_image_and_region():
    raw = _second_image(with_("fleets", {"lon": fleet(image="nope")}),
                        identifier={"publisher": "p", "offer": "o", "sku": "app"})
    assert problems(raw) == [line("fleets.lon.image", "'nope'", f"must be one of the images: win2025-app, {IMG}")]
    raw = with_("captures", {"ref": {**CAPTURE, "publish": {"image": "nope", "version": "0.1.0"}}},
                with_("network.uksouth", NET, with_("fleets", {}, raw)))
    assert problems(raw) == [line("captures.ref.publish.image", "'nope'",
                                  f"must be one of the images: win2025-app, {IMG}")]
    raw = with_(f"images.{IMG}.regions", ["uksouth", "westeurope"], with_("fleets", {"nyc": fleet(region="eastus")}))
    assert problems(raw) == [line("fleets.nyc.region", "'eastus'",
                                  f"must be one of the regions image {IMG} replicates to (uksouth, westeurope)")]


def test_an_identifier_shared_by_three_images_names_the_other_two():
    raw = _second_image(_second_image(with_(f"images.{IMG}.description", "x")), "win2025-copy")
    found = [p for p in problems(raw) if f"image-factory:images.{IMG}.identifier" in p]
    assert len(found) == 1 and found[0].endswith(
        "must differ from that of win2025-app, win2025-copy: Azure requires publisher/offer/sku to be unique "
        "within a gallery")


def test_every_fleet_pinned_to_a_version_is_checked_not_only_the_first():
    raw = with_("fleets", {"a": fleet(), "b": fleet(imageVersion="9.9.9")})
    assert problems(raw) == [line("fleets.b.imageVersion", "'9.9.9'",
                                  f"must be listed in images.{IMG}.existingVersions with the regions it is "
                                  "replicated to (or be the pinned version)")]


@pytest.mark.parametrize("key, raw", [
    ("fleets.lon.size", with_("fleets", {"lon": fleet(size="Standard_D2ps_v5")})),
    ("captures.ref.size", with_("captures", {"ref": {**CAPTURE, "size": "Standard_D2ps_v5"}}, with_("network.uksouth", NET))),
    (f"images.{IMG}.build.vmSize", with_(f"images.{IMG}.build.vmSize", "Standard_D4pds_v5")),
])
def test_arm64_sizes_are_refused(key, raw):
    size = "Standard_D4pds_v5" if "build" in key else "Standard_D2ps_v5"
    assert problems(raw) == [line(key, repr(size),
                                  "must be an x64 size: Windows Server images do not run on Arm64 ('p') sizes")]


def test_a_capture_reference_vm_needs_no_trusted_launch():
    # The reference VM runs securityType Standard: an M-series v1 size (Gen2, premium, no Trusted Launch) is fine.
    raw = with_("captures", {"ref": {**CAPTURE, "size": "Standard_M128ms"}}, with_("network.uksouth", NET))
    assert load_raw(raw).captures["ref"].size == "Standard_M128ms"
    raw = with_("fleets", {"lon": fleet(size="Standard_M128ms")})  # a fleet booting a gallery image needs it
    assert problems(raw) == [line("fleets.lon.size", "'Standard_M128ms'",
                                  "must be a size that supports Gen2 and Trusted Launch: the Windows Server 2025 "
                                  "images are Hyper-V generation 2")]


# --- rebuild triggers, SAS tokens, capture sources, egress across regions ---------------------------------

REBUILD = f"images.{IMG}.rebuildOnNewBaseImage"
NEEDS_MARKETPLACE_LATEST = "needs a built image whose source is a marketplace image at version 'latest'"


def test_a_rebuild_trigger_needs_a_built_marketplace_image_at_latest_and_no_fixed_version():
    assert load_raw(with_(REBUILD, True)).images[IMG].rebuild_on_new_base_image
    assert problems(with_(f"images.{IMG}.versioning.version", "1.0.0", with_(REBUILD, True))) == [line(
        f"images.{IMG}.versioning.version", "'1.0.0'", "cannot be combined with rebuildOnNewBaseImage: every "
        "triggered build would write the same version, which Azure never overwrites")]
    version = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/"
               "galleries/g/images/i/versions/1.0.0")
    for path, value in ((f"images.{IMG}.source.version", "2025.1.1"),
                        (f"images.{IMG}.source", {"imageVersionId": version}),
                        (f"images.{IMG}.pinned", {"version": "1.0.0", "regions": ["uksouth"]})):
        assert problems(with_(path, value, with_(REBUILD, True))) == [line(REBUILD, "true", NEEDS_MARKETPLACE_LATEST)]


SAS = ("is no longer supported: builds download as the build identity (Storage Blob Data Reader on "
       "artifactStorageAccountId), so no SAS token is in a template; remove useSasToken and any token")
ACCOUNT = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-artifacts/providers/"
           "Microsoft.Storage/storageAccounts/example")


def test_use_sas_token_is_refused_in_customizers_and_validators_alike():
    raw = with_("artifactStorageAccountId", ACCOUNT)
    raw = with_(f"images.{IMG}.customize[app-prereqs-installer]", {**FILE_CUSTOMIZER, "useSasToken": True}, raw)
    raw = with_(f"images.{IMG}.validate.inVMValidations[app-prereqs-installer]", {**FILE_CUSTOMIZER, "useSasToken": True}, raw)
    raw = with_(f"images.{IMG}.customize[plain]", {**FILE_CUSTOMIZER, "name": "plain"}, raw)  # no token asked: no line
    # Alongside another problem: each is reported, none replaces the other.
    raw = with_(f"images.{IMG}.versioning.version", "1.0.0", with_(REBUILD, True, raw))
    lines = problems(raw)
    assert line(f"images.{IMG}.customize[app-prereqs-installer].useSasToken", "[secret]", SAS) in lines
    assert line(f"images.{IMG}.validate.inVMValidations[app-prereqs-installer].useSasToken", "[secret]", SAS) in lines
    assert len(lines) == 3 and any(".versioning.version" in x for x in lines)
    # A token in secret config is refused too, with or without useSasToken (issue 21 item 4).
    with_token = with_("artifactSasToken", "sv=2024-11-04&sig=abc", without(f"images.{IMG}.versioning", raw))
    assert line("artifactSasToken", None, "is no longer read: builds download as the build identity, with no SAS "
                "token; remove it (pulumi config rm image-factory:artifactSasToken) and revoke the token") in \
        problems(with_token, secret=("artifactSasToken",))


def test_a_captures_source_is_a_gen2_windows_image():
    raw = with_("captures", {"ref": {**CAPTURE, "sku": "2019-Datacenter"}}, with_("network.uksouth", NET))
    assert problems(raw) == [line("captures.ref.sku", "'2019-Datacenter'", "must be a Hyper-V generation 2 SKU (the "
                                  "definitions are V2): 2019-Datacenter is generation 1; use 2019-Datacenter-gensecond")]
    raw = with_("captures", {"ref": {**CAPTURE, "publisher": "Canonical"}}, with_("network.uksouth", NET))
    assert problems(raw) == [line("captures.ref.publisher", "'Canonical'", "must publish Windows images: the image "
                                  "definitions here are Windows (osType Windows)")]


def test_every_hub_egress_is_checked_whatever_comes_before_it():
    raw = with_("network.eastus", {**NET_EAST, "egress": {"type": "hub", "nextHopIp": "10.30.1.4"}},
                with_("network.uksouth", NET))
    assert "network.eastus.egress.nextHopIp" in "\n".join(problems(raw))


# --- issue 21 item 7: a patch window applies from its first intended week ---------------------------

def test_a_patch_window_starting_more_than_a_week_ahead_is_refused():
    import datetime as dt

    from components.config.patch_checks import patch_window_checks
    default = with_("patching.windows", {})  # dev states its region's window: take it out, so the default is used
    raw = with_("patching.window.start", "2099-01-03 02:00", default)
    [refused] = [p for p in problems(raw) if "patching.window.start" in p]
    assert refused.startswith("Pulumi.dev.yaml: image-factory:patching.window.start = '2099-01-03 02:00': must be no "
                              "later than ")
    assert refused.endswith("give a past date, the window recurs from it")
    # Relative to the day of the run: a week ahead is accepted, a day more is not; a past date always is.
    start = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=7)
    config = load_raw(with_("patching.window.start", f"{start.isoformat()} 02:00", default))  # a week ahead: loads
    assert patch_window_checks(config, today=start - dt.timedelta(days=7)) == []
    assert [k for k, _, _ in patch_window_checks(config, today=start - dt.timedelta(days=8))] == ["patching.window.start"]
    assert patch_window_checks(load_raw(with_("patching.window.start", "2026-01-03 02:00", default)),
                               dt.date(2030, 1, 1)) == []
    # Per-region windows are named by region; automaticByOS has none to check.
    raw = with_("patching.windows", {"uksouth": {"start": "2099-01-03 02:00"}})
    assert any("patching.windows.uksouth.start = '2099-01-03 02:00'" in p for p in problems(raw))
    assert load_raw(with_("patching.mode", "automaticByOS", raw))


def test_the_default_and_shipped_windows_start_in_the_past(plans):
    from components.config.patching import PatchWindow
    assert PatchWindow().start < "2026-12-01"
    starts = [r["inputs"]["startDateTime"] for doc in plans.values()
              for r in doc["resources"] if r["type"] == "azure-native:maintenance:MaintenanceConfiguration"]
    assert starts and all(s < "2026-12-01" for s in starts)
