"""The typed stack config: every rule, each with the exact line a user sees, and a property test that
no invalid config ends in anything but one clean line per problem (ConfigError, never a traceback).

Most tests load config the way the program does (components.load_config.load, reading Pulumi's
runtime config) without running the program, so hundreds of generated configs stay fast. A few go
end to end through the offline plan to prove the program stops before it registers a resource.
"""

from __future__ import annotations

import contextvars
import copy
import re
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.runtime import config as runtime_config

from components import azure_rules as rules
from components import config as model
from components.config_fleets import computer_name_prefix
from components.load_config import ConfigError, load
from tests.harness import offline_plan
from tests.harness.offline_plan import ROOT, plan, stack_config

NS = "image-factory"
IMG = "win2025-base"  # the dev stack's image
REGIONS_TAIL = "must be an Azure region name such as uksouth or eastus"
SUBNET = "/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/workload"


def allowed_keys(cls: type) -> str:
    """The keys a model allows, as its camelCase aliases: the list an unknown-key line must give."""
    return ", ".join(sorted(f.alias or name for name, f in cls.model_fields.items()))


TOP_KEYS = allowed_keys(model.StackConfig)


# --- loading config the way Pulumi hands it to the program -------------------------------------

def dev_raw() -> dict[str, Any]:
    """The dev stack's `image-factory:*` keys, without the namespace, as parsed YAML."""
    entries = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return {k.partition(":")[2]: v for k, v in entries.items() if k.startswith(f"{NS}:")}


def load_raw(raw: dict[str, Any], secret: tuple[str, ...] = ()) -> model.StackConfig:
    """load() on exactly these `image-factory:*` keys (plus the dev file's other namespaces), in Pulumi's
    wire form (stack_config: objects as JSON), in a fresh context so that no run leaks into another."""
    config, secret_keys = stack_config("dev", {f"{NS}:{k}": v for k, v in raw.items()})
    config = {k: v for k, v in config.items() if not k.startswith(f"{NS}:") or k[len(NS) + 1:] in raw}
    secret_keys += [f"{NS}:{k}" for k in secret]

    def run() -> model.StackConfig:
        runtime_config.set_all_config(config, secret_keys)
        return load("dev")

    return contextvars.Context().run(run)


def problems(raw: dict[str, Any], secret: tuple[str, ...] = ()) -> list[str]:
    """The lines of the ConfigError that loading raw must raise."""
    with pytest.raises(ConfigError) as caught:
        load_raw(raw, secret)
    return str(caught.value).split("\n")


def with_(path: str, value: Any, raw: dict | None = None) -> dict[str, Any]:
    """A copy of the dev config (or raw) with value at a dotted path; `[i]` indexes a list."""
    raw = copy.deepcopy(dev_raw() if raw is None else raw)
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    node = raw
    for part in parts[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    if isinstance(node, list) and parts[-1] == len(node):
        node.append(value)
    else:
        node[parts[-1]] = value
    return raw


def without(path: str, raw: dict | None = None) -> dict[str, Any]:
    raw = copy.deepcopy(dev_raw() if raw is None else raw)
    *parents, last = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    node = raw
    for part in parents:
        node = node[part]
    del node[last]
    return raw


def fleet(**fields) -> dict[str, Any]:
    return {"region": "uksouth", "image": IMG, "count": 3, "subnetId": SUBNET, **fields}


def line(key: str, value: str | None, allowed: str) -> str:
    shown = "" if value is None else f" = {value}"
    return f"Pulumi.dev.yaml: {NS}:{key}{shown}: {allowed}"


# --- the stack files themselves ----------------------------------------------------------------

@pytest.mark.parametrize("stack", offline_plan.stack_names())
def test_every_stack_file_loads(stack):
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
    assert image.build.timeout_minutes == 120
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


def test_customizer_name_must_fit_the_template_name_pattern():
    assert problems(with_(f"images.{IMG}.customize[0].name", "baseline settings")) == [line(
        f"images.{IMG}.customize[0].name", "'baseline settings'", "must be 1-64 letters, digits, '-', '_' or '.'")]
    assert problems(with_(f"images.{IMG}.customize[1].name", "r" * 65)) == [line(
        f"images.{IMG}.customize[1].name", repr("r" * 65), "must be 1-64 letters, digits, '-', '_' or '.'")]


def test_validator_name_must_fit_the_template_name_pattern():
    assert problems(with_(f"images.{IMG}.validate.inVMValidations[0].name", "check:folder")) == [line(
        f"images.{IMG}.validate.inVMValidations[0].name", "'check:folder'",
        "must be 1-64 letters, digits, '-', '_' or '.'")]


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
    (961, "input should be less than or equal to 960"),
    (-1, "input should be greater than or equal to 0"),
])
def test_build_timeout_out_of_range(minutes, allowed):
    assert problems(with_(f"images.{IMG}.build.timeoutMinutes", minutes)) == [
        line(f"images.{IMG}.build.timeoutMinutes", str(minutes), allowed)]


def test_versioning_major_must_not_be_negative():
    assert problems(with_(f"images.{IMG}.versioning.major", -1)) == [
        line(f"images.{IMG}.versioning.major", "-1", "input should be greater than or equal to 0")]


def test_versioning_major_must_fit_a_32_bit_version_part():
    assert problems(with_(f"images.{IMG}.versioning.major", 2**31)) == [
        line(f"images.{IMG}.versioning.major", str(2**31), f"input should be less than or equal to {2**31 - 1}")]


BAD_VERSIONS = ["1.0", "1.0.0.0", "01.0.0", "1.0.x", "v1.0.0", "1.0.0 ", "2147483648.0.0"]
GOOD_VERSIONS = ["0.0.0", "1.0.0", "2147483647.2147483647.2147483647"]


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_pinned_version(version):
    assert problems(with_(f"images.{IMG}.pinned.version", version)) == [
        line(f"images.{IMG}.pinned.version", repr(version), f"must be {rules.VERSION_RULE}")]


@pytest.mark.parametrize("version", GOOD_VERSIONS)
def test_pinned_version_accepts(version):
    assert load_raw(with_(f"images.{IMG}.pinned.version", version)).images[IMG].pinned.version == version


@pytest.mark.parametrize("version", BAD_VERSIONS[:3])
def test_fleet_image_version(version):
    raw = with_("fleets", {"lon-app": fleet(imageVersion=version)})
    assert problems(raw) == [line("fleets.lon-app.imageVersion", repr(version), f"must be {rules.VERSION_RULE}")]


def test_source_version():
    assert problems(with_(f"images.{IMG}.source.version", "26100.2894")) == [line(
        f"images.{IMG}.source.version", "'26100.2894'",
        "must be 'latest' or a marketplace version such as 26100.2894.250113")]


def test_unknown_top_level_key_lists_the_allowed_keys():
    raw = dev_raw()
    raw["image"] = raw["images"]
    [only] = problems(raw)
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:image = {{")
    assert only.endswith(f": is not a known key; allowed keys: {TOP_KEYS}")


def test_unknown_nested_key_lists_the_allowed_keys():
    raw = with_(f"images.{IMG}.buildd", {"timeoutMinutes": 60})
    assert problems(raw) == [line(
        f"images.{IMG}.buildd", '{"timeoutMinutes": 60}',
        f"is not a known key; allowed keys: {allowed_keys(model.Image)}")]
    assert "timeoutMinutes" not in allowed_keys(model.Image)  # the Image's keys, not its build's


def test_unknown_customizer_key_lists_that_customizer_type_s_keys():
    raw = with_(f"images.{IMG}.customize[1].restartTimout", "5m")
    assert problems(raw) == [line(
        f"images.{IMG}.customize[1].restartTimout", "'5m'",
        "is not a known key; allowed keys: name, restartCheckCommand, restartCommand, restartTimeout, type")]
    assert allowed_keys(model.WindowsRestartCustomizer) == "name, restartCheckCommand, restartCommand, restartTimeout, type"


def test_missing_required_key():
    assert problems(without("owner")) == [line("owner", None, "is required")]


def test_missing_nested_required_key():
    assert problems(without(f"images.{IMG}.identifier.sku")) == [
        line(f"images.{IMG}.identifier.sku", None, "is required")]


def test_null_value_is_shown_as_null():
    assert problems(with_("images", None)) == [line("images", "null", "input should be a valid dictionary")]
    assert problems({**dev_raw(), "imags": None}) == [line("imags", "null", f"is not a known key; allowed keys: {TOP_KEYS}")]


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
    assert problems(raw) == [line("fleets.lon-app.image", "'win2022-base'", f"must be one of the images: {IMG}")]


def test_fleet_count_bounds():
    raw = with_("fleets", {"lon-app": fleet(count=0)})
    assert problems(raw) == [line("fleets.lon-app.count", "0", "input should be greater than or equal to 1")]


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
    raw = without(f"images.{IMG}.customize[0].inline")
    raw = with_(f"images.{IMG}.customize[0].scriptUri", "https://example.blob.core.windows.net/s/baseline.ps1", raw)
    [only] = problems(raw)
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:images.{IMG}.customize[0] = {{")
    assert only.endswith(": scriptUri needs sha256Checksum, so the build runs exactly the reviewed script")


def test_powershell_needs_exactly_one_of_inline_or_script_uri():
    [only] = problems(without(f"images.{IMG}.customize[0].inline"))
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:images.{IMG}.customize[0] = {{")
    assert only.endswith(": give exactly one of inline or scriptUri")


FILE_CUSTOMIZER = {
    "type": "File", "name": "app-prereqs-installer", "sourceUri": "https://example.blob.core.windows.net/s/a.ps1",
    "destination": "C:\\ImageFactory\\a.ps1", "sha256Checksum": "9f" * 32,
}


def test_file_customizer_needs_https():
    raw = with_(f"images.{IMG}.customize[4]", {**FILE_CUSTOMIZER, "sourceUri": "http://example.com/a.ps1"})
    assert problems(raw) == [
        line(f"images.{IMG}.customize[4].sourceUri", "'http://example.com/a.ps1'", "must be an https:// URI")]


def test_file_customizer_checksum_is_a_sha256():
    raw = with_(f"images.{IMG}.customize[4]", {**FILE_CUSTOMIZER, "sha256Checksum": "abc"})
    assert problems(raw) == [line(
        f"images.{IMG}.customize[4].sha256Checksum", "'abc'", "must be 64 hexadecimal characters (a SHA-256 digest)")]


def test_unknown_customizer_type():
    raw = with_(f"images.{IMG}.customize[0].type", "Shell")
    [only] = problems(raw)
    assert only.endswith(": input tag 'Shell' found using 'type' does not match any of the expected tags: "
                         "'PowerShell', 'File', 'WindowsRestart', 'WindowsUpdate'")


def test_recommended_range_order():
    raw = with_(f"images.{IMG}.recommended.vCPUs", {"min": 16, "max": 2})
    assert problems(raw) == [line(
        f"images.{IMG}.recommended.vCPUs", '{"min": 16, "max": 2}', "min (16) must not exceed max (2)")]


def test_replica_storage_type():
    raw = with_(f"images.{IMG}.regions[0].storageAccountType", "Premium_ZRS")
    assert problems(raw) == [line(
        f"images.{IMG}.regions[0].storageAccountType", "'Premium_ZRS'",
        "input should be 'Standard_LRS', 'Standard_ZRS' or 'Premium_LRS'")]


def test_long_values_are_cut_to_keep_the_line_short():
    [only] = problems(with_("owner", "x" * 300))
    assert only == line("owner", "'" + "x" * 76 + "...", "string should have at most 256 characters")


def test_several_problems_give_one_line_each():
    raw = with_("location", "uksouht")
    raw = with_(f"images.{IMG}.build.timeoutMinutes", 961, raw)
    raw = with_("gallery.name", "gal-dev", raw)
    raw = without("owner", raw)
    assert sorted(problems(raw)) == sorted([
        line("location", "'uksouht'", f"{REGIONS_TAIL} (did you mean uksouth?)"),
        line(f"images.{IMG}.build.timeoutMinutes", "961", "input should be less than or equal to 960"),
        line("gallery.name", "'gal-dev'",
             "must be 1-80 letters, digits, '_' or '.', starting and ending with a letter or digit"),
        line("owner", None, "is required"),
    ])


def test_several_cross_key_problems_give_one_line_each():
    raw = with_(f"images.{IMG}.regions", ["eastus"])
    raw = with_("fleets", {"z": fleet(region="eastus", image="nope"),
                           "b": fleet(region="eastus", computerNamePrefix="abcdefghijklmn")}, raw)
    assert problems(raw) == [
        line(f"images.{IMG}.regions", '["eastus"]',
             "must include the stack location uksouth: a gallery image version keeps a replica in the gallery's own region"),
        line("fleets.z.image", "'nope'", f"must be one of the images: {IMG}"),
        line("fleets.b.computerNamePrefix", "'abcdefghijklmn'",
             "must be at most 12 characters, so that the index fits Windows' 15-character computer name"),
    ]


def test_newlines_in_user_written_keys_cannot_split_a_line():
    [only] = problems(with_(f"images.{IMG}.build.vm\nSize", "Standard_D4ds_v5"))
    assert only == line(f"images.{IMG}.build.vm\\nSize", "'Standard_D4ds_v5'",
                        f"is not a known key; allowed keys: {allowed_keys(model.Build)}")


# --- secrets -----------------------------------------------------------------------------------

def test_a_secret_value_never_appears_in_an_error_line():
    secret = "hunter2-not-an-email"
    text = "\n".join(problems(with_("owner", secret * 20), secret=("owner",)))
    assert secret not in text
    assert text == line("owner", "[secret]", "string should have at most 256 characters")


def test_a_secret_object_hides_its_nested_values():
    raw = with_(f"images.{IMG}.identifier.publisher", "Top-Secret-Publisher" * 10)
    text = "\n".join(problems(raw, secret=("images",)))
    assert "Top-Secret-Publisher" not in text
    assert text == line(f"images.{IMG}.identifier.publisher", "[secret]", "string should have at most 128 characters")


def test_a_secret_under_an_unknown_dotted_key_stays_secret():
    raw = {**dev_raw(), "admin.password": "hunter2"}
    text = "\n".join(problems(raw, secret=("admin.password",)))
    assert "hunter2" not in text
    assert text == line("admin.password", "[secret]", f"is not a known key; allowed keys: {TOP_KEYS}")


# --- end to end: the real program stops before it registers a resource -------------------------

@pytest.fixture
def monitors(monkeypatch) -> list:
    seen = []

    class Recording(offline_plan.RecordingMonitor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self)

    monkeypatch.setattr(offline_plan, "RecordingMonitor", Recording)
    return seen


@pytest.mark.parametrize("overrides, expected", [
    ({f"{NS}:location": "uksouht"}, line("location", "'uksouht'", f"{REGIONS_TAIL} (did you mean uksouth?)")),
    ({f"{NS}:images": with_(f"images.{IMG}.build.timeoutMinutes", 961)["images"]},
     line(f"images.{IMG}.build.timeoutMinutes", "961", "input should be less than or equal to 960")),
    ({f"{NS}:fleets": {"lon-app": fleet(count=3, computerNamePrefix="lonappserver12")}},
     line("fleets.lon-app.computerNamePrefix", "'lonappserver12'",
          "must be at most 12 characters, so that the index fits Windows' 15-character computer name")),
])
def test_the_program_stops_with_one_clean_line(monitors, overrides, expected):
    with pytest.raises(pulumi.RunError) as caught:
        plan("dev", overrides=overrides)
    assert type(caught.value) is ConfigError
    assert str(caught.value) == expected
    [monitor] = monitors
    assert [r.type for r in monitor.registrations] == ["pulumi:pulumi:Stack"]  # no resource at all


def test_the_program_reports_a_secret_without_its_value(monitors):
    with pytest.raises(ConfigError) as caught:
        plan("dev", secrets={f"{NS}:location": "uksouht-secret"})
    assert "uksouht-secret" not in str(caught.value)
    # The hint names real regions only: it says the secret looks like one, never what it is.
    assert str(caught.value) == line("location", "[secret]", f"{REGIONS_TAIL} (did you mean uksouth?)")


def test_the_plan_command_prints_the_lines_not_a_traceback(capsys, monkeypatch):
    real_plan = offline_plan.plan
    monkeypatch.setattr(offline_plan, "plan", lambda stack: real_plan(stack, overrides={f"{NS}:location": "uksouht"}))
    assert offline_plan.main(["--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: the stack configuration is not valid:\n"
                   + line("location", "'uksouht'", f"{REGIONS_TAIL} (did you mean uksouth?)") + "\n")


# --- property: every invalid config ends in clean lines ----------------------------------------

LINE = re.compile(rf"^Pulumi\.dev\.yaml: {NS}:\S.* = .*: .+$|^Pulumi\.dev\.yaml: {NS}:\S+: .+$")
NOT_IN_A_LINE = ("Traceback", "<class", "pydantic", "object at 0x", "instance of")

DEV = dev_raw()
P = f"images.{IMG}"

# Junk of each JSON kind; `junk_unlike(x)` never has x's kind, so where x was valid it cannot be.
letters = st.text(st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")), min_size=6, max_size=12).filter(
    lambda s: s not in rules.REGIONS)  # `regions: [name]` is valid shorthand for `regions: [{name: name}]`
any_text = st.text(max_size=30)
ints = st.integers(-10**12, 10**12)
floats = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
lists = st.lists(st.one_of(ints, letters), max_size=3)
dicts = st.dictionaries(letters, st.one_of(ints, letters), max_size=3)


def top_level(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """A top-level string reaches the loader as is and is read as JSON if it parses: '"rg"' means rg."""
    return strategy.filter(lambda s: not s.strip().startswith('"'))


def junk_unlike(value: Any) -> st.SearchStrategy:
    if isinstance(value, bool):  # pydantic reads "yes", 1, ... as booleans; 6+ letters and lists it cannot
        return st.one_of(letters, lists, dicts)
    if isinstance(value, int):  # ...and "12" or 12.0 as integers
        return st.one_of(letters, lists, dicts, floats)
    if isinstance(value, str):
        return st.one_of(ints, floats, st.booleans(), lists, dicts)
    if isinstance(value, list):
        return st.one_of(letters, ints, dicts.filter(bool))
    return st.one_of(letters, ints, st.lists(dicts, min_size=1, max_size=2))  # a dict


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append(prefix + (key,))
        found += paths(child, prefix + (key,))
    return found


def get(raw: Any, path: tuple) -> Any:
    for part in path:
        raw = raw[part]
    return raw


def not_matching(pattern: re.Pattern, strategy: st.SearchStrategy = any_text) -> st.SearchStrategy:
    return strategy.filter(lambda s: not pattern.fullmatch(s))


def outside(lo: int, hi: int) -> st.SearchStrategy:
    return st.one_of(st.integers(max_value=lo - 1), st.integers(min_value=hi + 1))


def path_of(dotted: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", dotted))


# (path, values that break that key's rule), for the rules the issue names and their neighbours.
RULE_BREAKERS: list[tuple[str, st.SearchStrategy]] = [
    ("location", not_matching(re.compile("|".join(sorted(rules.REGIONS))), letters)),
    ("owner", top_level(st.one_of(st.just(""), st.text(min_size=257, max_size=300)))),
    ("gallery.name", not_matching(rules.GALLERY_NAME)),
    ("resourceGroup", top_level(not_matching(rules.RESOURCE_GROUP_NAME))),
    ("environment", top_level(not_matching(re.compile(r"[a-z][a-z0-9]{1,9}")))),
    (f"{P}.build.timeoutMinutes", outside(0, rules.BUILD_TIMEOUT_MAX_MINUTES)),
    (f"{P}.build.osDiskSizeGB", outside(30, 4095)),
    (f"{P}.build.vmSize", not_matching(re.compile(r"Standard_[A-Za-z0-9_]+", re.ASCII))),
    (f"{P}.versioning.major", outside(0, rules.INT32_MAX)),
    (f"{P}.identifier.publisher", st.one_of(st.just(""), st.text(min_size=129, max_size=140))),
    (f"{P}.identifier.sku", st.one_of(st.just(""), st.text(min_size=65, max_size=80))),
    (f"{P}.source.version",
     any_text.filter(lambda s: s != "latest" and not re.fullmatch(r"\d+\.\d+\.\d+", s))),
    (f"{P}.customize[0].name", not_matching(rules.TEMPLATE_NAME)),
    (f"{P}.customize[2].name", not_matching(rules.TEMPLATE_NAME, st.text(min_size=60, max_size=80))),
    (f"{P}.customize[0].type", any_text.filter(lambda s: s not in ("PowerShell", "File", "WindowsRestart", "WindowsUpdate"))),
    (f"{P}.customize[0].inline", st.just([])),
    (f"{P}.customize[0].scriptUri", st.just("https://example.com/a.ps1")),  # both inline and scriptUri
    (f"{P}.customize[1].restartTimeout", not_matching(re.compile(r"\d+[smh]", re.ASCII), st.text(
        st.characters(min_codepoint=32, max_codepoint=126), max_size=8))),
    (f"{P}.customize[2].updateLimit", outside(1, 10000)),
    (f"{P}.customize[3].name", st.just("baseline-settings")),  # a repeated name
    (f"{P}.customize[4]", any_text.filter(lambda s: not s.startswith("https://")).map(
        lambda uri: {**FILE_CUSTOMIZER, "sourceUri": uri})),
    (f"{P}.customize[4]", not_matching(rules.SHA256).map(lambda sha: {**FILE_CUSTOMIZER, "sha256Checksum": sha})),
    (f"{P}.pinned.version", not_matching(rules.VERSION, any_text)),
    (f"{P}.pinned.version", st.tuples(st.integers(2**31, 10**10), st.integers(0, 9)).map(lambda t: f"{t[1]}.{t[0]}.0")),
    ("adminUsername", top_level(not_matching(re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,19}", re.ASCII)))),
    ("network.uksouth", st.builds(lambda a, w: {"addressSpace": a, "workloadSubnet": w},
                                  st.just("10.20.0.0/16"), st.sampled_from(["10.21.0.0/24", "10.20.1.1/24", "x", "10.20.0.0/33"]))),
    (f"{P}.validate.inVMValidations[0].name", not_matching(rules.TEMPLATE_NAME)),
    (f"{P}.errorHandling.onCustomizerError", any_text.filter(lambda s: s not in ("cleanup", "abort"))),
    (f"{P}.regions", st.just([])),
    (f"{P}.regions", st.lists(st.sampled_from(sorted(rules.REGIONS - {"uksouth"})), min_size=1, max_size=3)),
    (f"{P}.regions", st.just(["uksouth", "uksouth"])),
    (f"{P}.regions[0].name", letters.filter(lambda s: s not in rules.REGIONS)),
    (f"{P}.regions[0].replicaCount", outside(1, rules.MAX_REPLICAS_PER_REGION)),
    (f"{P}.regions[0].storageAccountType", any_text.filter(lambda s: s not in rules.REPLICA_STORAGE_TYPES)),
    (f"{P}.recommended.vCPUs", st.builds(lambda lo, d: {"min": lo + d, "max": lo},
                                         st.integers(1, 100), st.integers(1, 100))),
    (f"{P}.endOfLife", st.sampled_from(["2034-13-01", "2034-02-30", "next year", "10/10/2034"])),
    ("tags.cost-centre", st.one_of(ints, lists, dicts)),
    ("fleets.lon-app", st.builds(fleet, count=st.one_of(outside(1, 1000)))),
    ("fleets.lon-app", st.builds(fleet, region=letters.filter(lambda s: s not in rules.REGIONS))),
    ("fleets.lon-app", st.builds(fleet, image=letters)),
    ("fleets.lon-app", st.builds(fleet, zones=st.lists(st.sampled_from(["0", "4", "az1"]), min_size=1))),
    ("fleets.lon-app", st.builds(fleet, computerNamePrefix=st.text(
        st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")), min_size=14, max_size=20))),
    ("fleets.lon-app", st.builds(fleet, computerNamePrefix=not_matching(rules.COMPUTER_NAME_PREFIX))),
    ("fleets.lon-app", st.builds(fleet, imageVersion=not_matching(rules.VERSION))),
    ("fleets.lon-app", st.builds(fleet, subnetId=any_text)),
    ("fleets.lon-app", st.builds(fleet, mode=letters)),
    ("fleets", st.dictionaries(not_matching(re.compile(r"[a-z][a-z0-9-]{0,23}")), st.builds(fleet),
                               min_size=1, max_size=2)),
]

REQUIRED = ["owner", "location", "images", f"{P}.identifier", f"{P}.identifier.offer", f"{P}.regions",
            f"{P}.customize[0].type", f"{P}.customize[1].name", f"{P}.regions[0].name",
            f"{P}.validate.inVMValidations[0].type", f"{P}.recommended.memoryGB.max"]

# Where a misspelt key is an error: every object of the dev config that is a model, not a map.
MODEL_NODES: list[tuple[tuple, type]] = [
    ((), model.StackConfig), (path_of(P), model.Image), (path_of(f"{P}.identifier"), model.Identifier),
    (path_of(f"{P}.source"), model.PlatformSource), (path_of(f"{P}.build"), model.Build),
    (path_of(f"{P}.customize[0]"), model.PowerShellCustomizer),
    (path_of(f"{P}.customize[1]"), model.WindowsRestartCustomizer),
    (path_of(f"{P}.customize[2]"), model.WindowsUpdateCustomizer), (path_of(f"{P}.validate"), model.Validation),
    (path_of(f"{P}.validate.inVMValidations[0]"), model.PowerShellValidator),
    (path_of(f"{P}.errorHandling"), model.ErrorHandling), (path_of(f"{P}.regions[0]"), model.TargetRegion),
    (path_of(f"{P}.versioning"), model.Versioning), (path_of(f"{P}.recommended"), model.Recommended),
    (path_of(f"{P}.recommended.vCPUs"), model.Range),
]
MODEL_NODES += [(("fleets", name), model.Fleet) for name in DEV.get("fleets", {})]
MODEL_NODES += [(("network", name), model.RegionNetwork) for name in DEV.get("network", {})]
REQUIRED += [f"fleets.{name}.count" for name in DEV.get("fleets", {})]
REQUIRED += [f"network.{name}.addressSpace" for name in DEV.get("network", {})]
MAPS = {("images",), ("tags",), ("fleets",), ("network",)}  # any key is allowed in these


def _known(cls: type) -> set[str]:
    return {n for name, f in cls.model_fields.items() for n in (name, f.alias) if n}


# A mutation is (path, value) to set, or (path, DELETE) to remove; each one alone makes the config invalid.
DELETE = object()

rule_breaker = st.sampled_from(RULE_BREAKERS).flatmap(
    lambda rb: rb[1].map(lambda value: (path_of(rb[0]), value)))
wrong_kind = st.sampled_from([p for p in paths(DEV) if p not in MAPS and len(p) > 0]).flatmap(
    lambda p: junk_unlike(get(DEV, p)).map(lambda value: (p, value)))
missing = st.sampled_from(REQUIRED).map(lambda p: (path_of(p), DELETE))
extra_key = st.sampled_from(MODEL_NODES).flatmap(lambda node: st.tuples(
    st.text(min_size=1, max_size=20).filter(lambda k, cls=node[1]: k not in _known(cls) and not k[0].isspace()),
    st.one_of(ints, any_text, st.booleans(), st.none(), lists, dicts),
).map(lambda kv, path=node[0]: (path + (kv[0],), kv[1])))

mutation = st.one_of(rule_breaker, wrong_kind, missing, extra_key)


def apply(raw: dict, path: tuple, value: Any) -> bool:
    """Set (or delete) path in raw; False if an earlier mutation changed the way into something else.
    Every value set is invalid where it lands, so a later mutation can never repair an earlier one."""
    node = raw
    for part in path[:-1]:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.setdefault(part, {})  # e.g. gallery or pinned: absent from the dev stack
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        if value is DELETE:
            return node.pop(last, DELETE) is not DELETE
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last <= len(node):
        if value is DELETE:
            if last == len(node):
                return False
            del node[last]
        elif last == len(node):
            node.append(value)
        else:
            node[last] = value
    else:
        return False
    return True


def test_property_every_invalid_config_ends_in_clean_lines():
    examples = []

    @settings(max_examples=600, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.lists(mutation, min_size=1, max_size=3))
    def check(mutations):
        raw = copy.deepcopy(DEV)
        applied = [m for m in mutations if apply(raw, *m)]
        assert applied  # the first always applies: it was drawn against the unchanged config
        try:
            load_raw(raw)
        except ConfigError as error:
            text = str(error)
        else:
            raise AssertionError(f"accepted an invalid config; mutations: {applied!r}")
        # Any other exception type propagates and fails the test: that is a crash, not a clean error.
        assert text, "an empty error"
        for one in text.split("\n"):
            assert LINE.match(one), f"not a problem line: {one!r}"
            assert not any(bad in one for bad in NOT_IN_A_LINE), one
        examples.append(len(text.split("\n")))

    check()
    assert len(examples) >= 500, len(examples)


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
    raw = with_(f"images.{IMG}.customize[0].runAsSystem", True)
    raw = with_(f"images.{IMG}.customize[0].runElevated", False, raw)
    [only] = problems(raw)
    assert only.startswith(f'Pulumi.dev.yaml: {NS}:images.{IMG}.customize[0] = {{"type": "PowerShell"')
    assert only.endswith(": runAsSystem needs runElevated: true, as Image Builder requires")


def test_image_identifiers_are_unique_in_a_gallery():
    base = with_(f"images.{IMG}.description", "x")
    second = dict(base["images"][IMG])
    raw = with_("images", {**base["images"], "win2025-copy": second}, base)
    assert any(p.startswith(f"Pulumi.dev.yaml: {NS}:images.{IMG}.identifier = ") and
               p.endswith("must differ from that of win2025-copy: Azure requires publisher/offer/sku to be unique "
                          "within a gallery") for p in problems(raw))
