"""The typed stack config: the shipped stack files load, and every rule gives the exact line a user
sees. Tests load config the way the program does (tests/config/loading.py) without running it.

The shape of the error itself (unknown keys, several problems, secrets, the program stopping cleanly) is
in tests/test_config_errors.py; the property that no invalid config ends in anything but clean lines is
in tests/test_config_property.py.
"""

from __future__ import annotations

import contextvars

import pytest
from pulumi.runtime import config as runtime_config

from components.config import azure_rules as rules
from components.config.loading import load
from components.config.placeholders import OFFLINE_ENV
from components.naming import computer_name_prefix
from offline import plan as offline_plan
from offline.plan import stack_config
from tests.config.loading import (
    FILE_CUSTOMIZER,
    clipped,
    IMG,
    NS,
    REGIONS_TAIL,
    dev_raw,
    fleet,
    line,
    load_raw,
    problems,
    with_,
    without,
)

# --- the stack files themselves ----------------------------------------------------------------

@pytest.mark.parametrize("stack", offline_plan.stack_names())
def test_every_stack_file_loads(stack, monkeypatch):
    monkeypatch.setenv(OFFLINE_ENV, "1")  # as the offline plan loads it: prod holds placeholders
    config, secret_keys = stack_config(stack)

    def run():
        runtime_config.set_all_config(config, secret_keys)
        return load(stack)

    loaded = contextvars.Context().run(run)
    assert loaded.environment == stack
    assert loaded.location in rules.REGIONS


def test_dev_config_round_trips_through_the_loader():
    loaded = load_raw(dev_raw())
    image = loaded.images[IMG]
    assert image.build.timeout_minutes == 180
    assert [c.name for c in image.customize] == [
        "baseline-settings", "restart-before-updates", "windows-update", "restart-after-updates"]
    assert [r.name for r in image.regions] == ["uksouth"]


# --- one test per rule, each asserting the exact line ------------------------------------------

def test_gallery_name():
    assert problems(with_("gallery.name", "gal-dev")) == [line(
        "gallery.name", "'gal-dev'",
        "must be 1-80 letters, digits, '_' or '.', starting and ending with a letter or digit")]


def test_gallery_name_may_not_end_in_a_dot():
    assert problems(with_("gallery.name", "gal_dev.")) == [line(
        "gallery.name", "'gal_dev.'",
        "must be 1-80 letters, digits, '_' or '.', starting and ending with a letter or digit")]


def test_image_definition_name():
    raw = dev_raw()
    raw["images"] = {"win 2025": raw["images"][IMG]}
    assert problems(raw) == [line(
        "images.win 2025", "'win 2025'",
        "must be 1-80 letters, digits, '-', '_' or '.', starting and ending with a letter or digit")]


def test_customizer_and_validator_names_follow_azures_rule_not_the_template_names():
    # Image Builder's types give these names no pattern: "Install Teams" is fine (issue 12).
    loaded = load_raw(with_(f"images.{IMG}.customize[0].name", "Install Teams: baseline"))
    assert loaded.images[IMG].customize[0].name == "Install Teams: baseline"
    assert load_raw(with_(f"images.{IMG}.validate.inVMValidations[check-image-factory-folder].name", "check:folder"))
    assert problems(with_(f"images.{IMG}.customize[1].name", "two\nlines")) == [line(
        f"images.{IMG}.customize[1].name", "'two\\nlines'", f"must be {rules.CUSTOMIZER_NAME_RULE}")]
    assert problems(with_(f"images.{IMG}.customize[1].name", "r" * 257)) == [line(
        f"images.{IMG}.customize[1].name", clipped(repr("r" * 257)), f"must be {rules.CUSTOMIZER_NAME_RULE}")]


def test_file_destination_is_a_full_windows_path():
    raw = with_(f"images.{IMG}.customize[app-prereqs-installer]", {**FILE_CUSTOMIZER, "destination": "ImageFactory/a.ps1"})
    assert problems(raw) == [line(f"images.{IMG}.customize[app-prereqs-installer].destination", "'ImageFactory/a.ps1'",
                                  f"must be {rules.WINDOWS_FILE_PATH_RULE}")]


@pytest.mark.parametrize("sku, allowed", [
    ("2019-Datacenter", "use 2019-Datacenter-gensecond"),
    ("2025-datacenter", "use 2025-datacenter-g2"),
])
def test_a_generation_1_source_is_refused_with_the_gen2_sku(sku, allowed):
    [only] = problems(with_(f"images.{IMG}.source.sku", sku))
    assert only == line(f"images.{IMG}.source.sku", repr(sku),
                        f"must be a Hyper-V generation 2 SKU (the definitions are V2): {sku} is generation 1; {allowed}")


@pytest.mark.parametrize("sku", ["2025-datacenter-g2", "2022-datacenter-azure-edition", "2019-datacenter-gensecond"])
def test_generation_2_sources_are_accepted(sku):
    assert load_raw(with_(f"images.{IMG}.source.sku", sku)).images[IMG].source.sku == sku


def test_a_linux_source_is_refused():
    raw = with_(f"images.{IMG}.source", {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server"})
    assert problems(raw) == [line(f"images.{IMG}.source.publisher", "'Canonical'",
                                  "must publish Windows images: the image definitions here are Windows (osType Windows)")]


def test_customizer_names_must_be_unique():
    raw = with_(f"images.{IMG}.customize[3].name", "restart-before-updates")
    [only] = problems(raw)
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:images.{IMG} = {{")
    assert only.endswith(": customizer names must be unique, repeated: restart-before-updates")


@pytest.mark.parametrize("count", [3, 1000])
def test_computer_name_prefix_too_long_for_15_characters(count):
    # The index is always three digits, so a fleet can grow past 100 without renaming its VMs.
    raw = with_("fleets", {"lon-app": fleet(count=count, computerNamePrefix="lonappserver")})  # 12 + 3 = 15
    assert load_raw(raw).fleets["lon-app"].computer_name_prefix == "lonappserver"
    raw = with_("fleets", {"lon-app": fleet(count=count, computerNamePrefix="lonappserver1")})
    assert problems(raw) == [line(
        "fleets.lon-app.computerNamePrefix", "'lonappserver1'",
        "must be at most 12 characters, so that the index fits Windows' 15-character computer name")]


def test_computer_name_prefixes_may_not_nest():
    raw = with_("fleets", {"lon-app": fleet(computerNamePrefix="lonapp"), "lon-app2": fleet(computerNamePrefix="lonapp2")})
    assert problems(raw) == [line(
        "fleets.lon-app.computerNamePrefix", "'lonapp'",
        "must not be a prefix of another fleet's (lon-app2): computer names must be unique")]


def test_computer_name_prefix_room_for_a_scale_set_suffix():
    raw = with_("fleets", {"lon-app": fleet(mode="scaleset", computerNamePrefix="lonappweb1")})  # 10 + 6 > 15
    assert problems(raw) == [line(
        "fleets.lon-app.computerNamePrefix", "'lonappweb1'",
        "must be at most 9 characters, so that the scale set instance suffix fits Windows' 15-character computer name")]


@pytest.mark.parametrize("prefix", ["lon.app", "123"])  # '.' is not allowed; all digits + index = all digits
def test_computer_name_prefix_characters(prefix):
    raw = with_("fleets", {"lon-app": fleet(computerNamePrefix=prefix)})
    assert problems(raw) == [line(
        "fleets.lon-app.computerNamePrefix", repr(prefix),
        "must be letters, digits and '-', starting with a letter")]


def test_default_computer_name_prefix_always_fits():
    raw = with_("fleets", {"london-application-tier": fleet(count=1000)})
    loaded = load_raw(raw)
    prefix = computer_name_prefix("london-application-tier", loaded.fleets["london-application-tier"])
    assert prefix == "londonapplic" and len(prefix) + 3 <= rules.WINDOWS_COMPUTER_NAME_MAX


def test_unknown_region_with_a_did_you_mean_hint():
    assert problems(with_("location", "uksouht")) == [
        line("location", "'uksouht'", f"{REGIONS_TAIL} (did you mean uksouth?)")]


def test_unknown_region_without_a_close_match_has_no_hint():
    raw = with_(f"images.{IMG}.regions", ["uksouth", "moonbase1"])
    assert problems(raw) == [line(f"images.{IMG}.regions[1].name", "'moonbase1'", REGIONS_TAIL)]


def test_unknown_fleet_region():
    raw = with_("fleets", {"lon-app": fleet(region="London")})
    assert problems(raw) == [line("fleets.lon-app.region", "'London'", REGIONS_TAIL)]


@pytest.mark.parametrize("minutes", [0, 960])
def test_build_timeout_bounds_are_accepted(minutes):
    loaded = load_raw(with_(f"images.{IMG}.build.timeoutMinutes", minutes))
    assert loaded.images[IMG].build.timeout_minutes == minutes


@pytest.mark.parametrize("minutes, allowed", [
    (961, "must be at most 960"),
    (-1, "must be at least 0"),
])
def test_build_timeout_out_of_range(minutes, allowed):
    assert problems(with_(f"images.{IMG}.build.timeoutMinutes", minutes)) == [
        line(f"images.{IMG}.build.timeoutMinutes", str(minutes), allowed)]


def test_versioning_major_must_not_be_negative():
    assert problems(with_(f"images.{IMG}.versioning.major", -1)) == [
        line(f"images.{IMG}.versioning.major", "-1", "must be at least 0")]


def test_versioning_major_must_fit_a_32_bit_version_part():
    assert problems(with_(f"images.{IMG}.versioning.major", 2**31)) == [
        line(f"images.{IMG}.versioning.major", str(2**31), f"must be at most {2**31 - 1}")]


BAD_VERSIONS = ["1.0", "1.0.0.0", "01.0.0", "1.0.x", "v1.0.0", "1.0.0 ", "2147483648.0.0"]
GOOD_VERSIONS = ["0.0.0", "1.0.0", "2147483647.2147483647.2147483647"]


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_pinned_version(version):
    assert problems(with_(f"images.{IMG}.pinned", {"version": version, "regions": ["uksouth"]})) == [
        line(f"images.{IMG}.pinned.version", repr(version), f"must be {rules.VERSION_RULE}")]


@pytest.mark.parametrize("version", GOOD_VERSIONS)
def test_pinned_version_accepts(version):
    pinned = {"version": version, "regions": ["uksouth"]}
    assert load_raw(with_(f"images.{IMG}.pinned", pinned)).images[IMG].pinned.version == version


@pytest.mark.parametrize("version", BAD_VERSIONS[:3])
def test_fleet_image_version(version):
    raw = with_("fleets", {"lon-app": fleet(imageVersion=version)})
    assert problems(raw) == [line("fleets.lon-app.imageVersion", repr(version), f"must be {rules.VERSION_RULE}")]


def test_source_version():
    assert problems(with_(f"images.{IMG}.source.version", "26100.2894")) == [line(
        f"images.{IMG}.source.version", "'26100.2894'",
        "must be 'latest' or a marketplace version Major.Minor.Build such as 26100.2894.250113")]


def test_fleet_needs_region_and_count():
    raw = with_("fleets", {"lon-app": {}})
    assert problems(raw) == [line(f"fleets.lon-app.{key}", None, "is required") for key in ("region", "count")]


def test_fleet_needs_an_image_or_a_managed_image():
    raw = with_("fleets", {"lon-app": {k: v for k, v in fleet().items() if k != "image"}})
    [only] = problems(raw)
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:fleets.lon-app = {{")
    assert only.endswith(": give exactly one of image or managedImage")


def test_fleet_needs_a_subnet_or_a_network():
    raw = with_("fleets", {"lon-app": {k: v for k, v in fleet().items() if k != "subnetId"}})
    raw.pop("network", None)
    assert problems(raw) == [line(
        "fleets.lon-app.subnetId", None, "is required unless network.uksouth gives addressSpace and workloadSubnet")]
    raw = with_("network", {"uksouth": {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/24"}}, raw)
    assert load_raw(raw).fleets["lon-app"].subnet_id is None


def test_fleet_must_reference_a_known_image():
    raw = with_("fleets", {"lon-app": fleet(image="win2022-base")})
    assert problems(raw) == [line("fleets.lon-app.image", "'win2022-base'", f"must be one of the images: win2025-app, {IMG}")]


def test_fleet_count_bounds():
    raw = with_("fleets", {"lon-app": fleet(count=0)})
    assert problems(raw) == [line("fleets.lon-app.count", "0", "must be at least 1")]


def test_image_regions_must_include_the_stack_location():
    raw = with_("fleets", {}, with_(f"images.{IMG}.regions", ["eastus"]))  # no fleet in uksouth to complain
    assert problems(raw) == [line(
        f"images.{IMG}.regions", '["eastus"]',
        "must include the stack location uksouth: a gallery image version keeps a replica in the gallery's own region")]


def test_each_region_once():
    raw = with_(f"images.{IMG}.regions", ["uksouth", "uksouth"])
    [only] = problems(raw)
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:images.{IMG} = {{")
    assert only.endswith(": each region may appear once in regions")


def test_script_uri_needs_a_checksum():
    raw = without(f"images.{IMG}.customize[baseline-settings].inline")
    raw = with_(f"images.{IMG}.customize[baseline-settings].scriptUri", "https://example.blob.core.windows.net/s/baseline.ps1", raw)
    [only] = problems(raw)
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:images.{IMG}.customize[baseline-settings] = {{")
    assert only.endswith(": scriptUri needs sha256Checksum, so the build runs exactly the reviewed script")


def test_powershell_needs_exactly_one_of_inline_or_script_uri():
    [only] = problems(without(f"images.{IMG}.customize[baseline-settings].inline"))
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:images.{IMG}.customize[baseline-settings] = {{")
    assert only.endswith(": give exactly one of inline or scriptUri")


def test_file_customizer_needs_https():
    raw = with_(f"images.{IMG}.customize[app-prereqs-installer]", {**FILE_CUSTOMIZER, "sourceUri": "http://example.com/a.ps1"})
    assert problems(raw) == [
        line(f"images.{IMG}.customize[app-prereqs-installer].sourceUri", "'http://example.com/a.ps1'", "must be an https:// URI")]


def test_file_customizer_checksum_is_a_sha256():
    raw = with_(f"images.{IMG}.customize[app-prereqs-installer]", {**FILE_CUSTOMIZER, "sha256Checksum": "abc"})
    assert problems(raw) == [line(
        f"images.{IMG}.customize[app-prereqs-installer].sha256Checksum", "'abc'", "must be 64 hexadecimal characters (a SHA-256 digest)")]


def test_unknown_customizer_type():
    raw = with_(f"images.{IMG}.customize[baseline-settings].type", "Shell")
    [only] = problems(raw)
    assert only.endswith(".type = 'Shell': must be one of PowerShell, File, WindowsRestart, WindowsUpdate (case matters) "
                         "(did you mean PowerShell?)")


def test_recommended_range_order():
    raw = with_(f"images.{IMG}.recommended.vCPUs", {"min": 16, "max": 2})
    assert problems(raw) == [line(
        f"images.{IMG}.recommended.vCPUs", '{"min": 16, "max": 2}', "min (16) must not exceed max (2)")]


def test_replica_storage_type():
    raw = with_(f"images.{IMG}.regions[0].storageAccountType", "Premium_ZRS")
    assert problems(raw) == [line(
        f"images.{IMG}.regions[0].storageAccountType", "'Premium_ZRS'",
        "must be one of 'Standard_LRS', 'Standard_ZRS', 'Premium_LRS' (did you mean Premium_LRS?)")]


def test_workload_subnet_must_hold_its_fleets():
    raw = with_("network", {"uksouth": {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/26"}})
    raw = with_("fleets", {"lon-app": {k: v for k, v in fleet(count=60).items() if k != "subnetId"}}, raw)
    assert problems(raw) == [line("network.uksouth.workloadSubnet", "'10.20.1.0/26'",
                                  "must hold the 60 VMs placed in it; it has 59 usable addresses")]


def test_domain_join_needs_the_domains_dns():
    raw = with_("network", {"uksouth": {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/24"}})
    joined = {k: v for k, v in fleet(domainJoin={"domain": "corp.example.com", "user": "CORP\\join"}).items()
              if k != "subnetId"}
    raw = with_("fleets", {"lon-app": joined}, raw)
    assert line("fleets.lon-app.domainJoin", "'corp.example.com'",
                "needs network.uksouth.dnsServers (the domain's DNS), or a subnetId in a network that "
                "resolves the domain") in problems(raw)


@pytest.mark.parametrize("name", ["Administrator", "admin", "root"])
def test_admin_username_may_not_be_one_azure_reserves(name):
    assert problems(with_("adminUsername", name)) == [line(
        "adminUsername", repr(name),
        "must not be a name Azure reserves (administrator, admin, user, test, guest, root, ...)")]


def test_run_as_system_needs_run_elevated():
    raw = with_(f"images.{IMG}.customize[baseline-settings].runAsSystem", True)
    raw = with_(f"images.{IMG}.customize[baseline-settings].runElevated", False, raw)
    [only] = problems(raw)
    assert only.startswith(f'Pulumi.dev.yaml: {NS}:images.{IMG}.customize[baseline-settings] = {{"type": "PowerShell"')
    assert only.endswith(": runAsSystem needs runElevated: true, as Image Builder requires")


def test_image_identifiers_are_unique_in_a_gallery():
    base = with_(f"images.{IMG}.description", "x")
    second = dict(base["images"][IMG])
    raw = with_("images", {**base["images"], "win2025-copy": second}, base)
    assert any(p.startswith(f"Pulumi.dev.yaml: {NS}:images.{IMG}.identifier = ") and
               p.endswith("must differ from that of win2025-copy: Azure requires publisher/offer/sku to be unique "
                          "within a gallery") for p in problems(raw))


def test_networks_are_ipv4():
    raw = with_("network", {"uksouth": {"addressSpace": "10.20.0.0/16", "workloadSubnet": "fd00::/64"}})
    assert problems(raw) == [line("network.uksouth.workloadSubnet", "'fd00::/64'",
                                  "must be an IPv4 network in CIDR form such as 10.20.0.0/16")]


def test_vm_prefixes_that_cannot_produce_the_same_name_may_nest():
    # web + 3 digits can never equal webeu + 3 digits; with a digit after the prefix it could.
    ok = with_("fleets", {"web": fleet(), "web-eu": fleet()})
    assert load_raw(ok).fleets["web-eu"]
    clash = with_("fleets", {"web": fleet(), "web1": fleet()})
    assert problems(clash) == [line("fleets.web.computerNamePrefix", "'web'",
                                    "must not be a prefix of another fleet's (web1): computer names must be unique")]
