"""The stack file as a user writes it: YAML problems, types without coercion, secrets and namespaces.

Each test reads a whole `Pulumi.dev.yaml` text the way the offline plan does (the strict loader, then
Pulumi's wire form) and asserts the exact lines a user sees.
"""

from __future__ import annotations

import pytest

from components.config.loading import stack_file_problems
from components.config.wire import PROVIDER_KEYS
from tests.config.loading import (NOT_A_SECRET, IMG, NS, REGIONS_TAIL, TOP_KEYS, dev_text, line, load_text, text_problems)

F = "Pulumi.dev.yaml"


# --- one strict loader: every YAML problem is one line with file, line and column ----------------

@pytest.mark.parametrize("old, new, expected", [
    ("  image-factory:protect: false", "\timage-factory:protect: false",
     f"{F}:7:1: found character '\\t' that cannot start any token while scanning for the next token"),
    ("  image-factory:protect: false", "   image-factory:protect: false",
     f"{F}:7:25: mapping values are not allowed here"),
    ('      zones: ["1", "2"]', "      zones: ['1, \"2\"]",
     f"{F}:120:1: found unexpected end of stream while scanning a quoted scalar that starts at line 115, column 15"),
    ("  image-factory:protect: false", "  image-factory:protect: !bool false",
     f"{F}:7:26: the YAML tag '!bool' is not allowed in a stack file"),
    ("  image-factory:protect: false", "  image-factory:protect: !!python/object:os.system false",
     f"{F}:7:26: the YAML tag '!!python/object:os.system' is not allowed in a stack file"),
    ("config:\n  azure-native:location: uksouth", "config:\n  - azure-native:location: uksouth",
     f"{F}:5:3: expected <block end>, but found '?' while parsing a block collection that starts at line 4, "
     "column 3"),
])
def test_yaml_problems_are_one_line_with_line_and_column(old, new, expected):
    assert text_problems(dev_text(old, new)) == [expected]


def test_config_written_as_a_list():
    text = "config:\n  - image-factory:owner: me\n  - image-factory:location: uksouth\n"
    assert text_problems(text) == [f"{F}:2:3: config must be a map of namespace:key to values, not a list or a "
                                   "single value"]


def test_a_file_that_is_not_utf8():
    text = dev_text("it-platform@contoso", "it-platf\xf6rm@contoso").encode("latin-1")
    assert text_problems(text) == [f"{F}:5:32: is not UTF-8 text (byte 0xf6); save the file as UTF-8"]


def test_a_duplicate_key_is_an_error_not_last_one_wins():
    assert text_problems(dev_text("  image-factory:protect: false", "  image-factory:protect: false\n"
                                  "  image-factory:protect: true")) == [
        f"{F}:8:3: duplicate key 'image-factory:protect' (first at line 7, column 3): one key, one value"]
    assert text_problems(dev_text("      count: 2", "      count: 2\n      count: 20")) == [
        f"{F}:114:7: duplicate key 'count' (first at line 113, column 7): one key, one value"]


def test_the_program_reads_the_stack_file_strictly_where_it_can_see_it(tmp_path):
    # Under `pulumi up` the CLI has parsed the file already (last key wins): the program reads it too.
    (tmp_path / f"Pulumi.dev.yaml").write_text(dev_text("      count: 2", "      count: 2\n      count: 20"))
    assert stack_file_problems("dev", tmp_path) == [
        f"{F}:114:7: duplicate key 'count' (first at line 113, column 7): one key, one value"]
    assert stack_file_problems("nofile", tmp_path) == []  # no file: the engine's values are all there is


# --- strict types: no coercion between booleans, numbers and strings --------------------------

@pytest.mark.parametrize("old, new, expected", [
    ("      count: 2", "      count: yes", line("fleets.dev-app.count", "'yes'", "must be a whole number")),
    ("      count: 2", "      count: true", line("fleets.dev-app.count", "true", "must be a whole number")),
    ("      count: 2", '      count: "2"', line("fleets.dev-app.count", "'2'", "must be a whole number")),
    ("      count: 2", "      count: 010", line("fleets.dev-app.count", "'010'", "must be a whole number")),
    ("      count: 2", "      count: 1e3", line("fleets.dev-app.count", "1000.0", "must be a whole number")),
    ("      count: 2", "      count: 2.0", line("fleets.dev-app.count", "2.0", "must be a whole number")),
    ("        timeoutMinutes: 180", "        timeoutMinutes: no",
     line(f"images.{IMG}.build.timeoutMinutes", "'no'", "must be a whole number")),
    ("        timeoutMinutes: 180", "        timeoutMinutes: \u0661\u0662\u0660",
     line(f"images.{IMG}.build.timeoutMinutes", "'\u0661\u0662\u0660'", "must be a whole number")),
    ("        major: 1", "        major: on", line(f"images.{IMG}.versioning.major", "'on'", "must be a whole number")),
    ("          runElevated: true", "          runElevated: 1",
     line(f"images.{IMG}.customize[baseline-settings].runElevated", "1", "must be true or false")),
    ("          runElevated: true", "          runElevated: yes",
     line(f"images.{IMG}.customize[baseline-settings].runElevated", "'yes'", "must be true or false")),
    ("  image-factory:protect: false", "  image-factory:protect: no",
     line("protect", "'no'", "must be true or false")),
    ("          restartTimeout: 10m", "          restartTimeout: \u0661\u0660m",
     line(f"images.{IMG}.customize[restart-before-updates].restartTimeout", "'\u0661\u0660m'", "must match the pattern ^[0-9]+[smh]$")),
    ("  image-factory:tags:\n    cost-centre: it-platform-dev", "  image-factory:tags:\n    cost-centre: 42",
     line("tags.cost-centre", "42", "must be text: write it in quotes, \"42\" (YAML reads 42 unquoted as a number)")),
])
def test_no_coercion(old, new, expected):
    assert text_problems(dev_text(old, new)) == [expected]


def test_non_ascii_digits_in_versions():
    text = dev_text("      count: 2", "      count: 2\n      imageVersion: 1\u0660.0.0")
    assert text_problems(text) == [line("fleets.dev-app.imageVersion", "'1\u0660.0.0'",
                                        "must be MAJOR.MINOR.PATCH, three whole numbers such as 1.0.0")]


@pytest.mark.parametrize("written", ['"2024"', "2024", "'0010'"])
def test_a_string_key_keeps_the_text_as_written(written):
    # Pulumi hands every top-level scalar over as its text: 2024 and "2024" are one string, and valid.
    loaded = load_text(dev_text("  image-factory:protect: false", f"  image-factory:resourceGroup: {written}"))
    assert loaded.resource_group == written.strip("'\"")


@pytest.mark.parametrize("written, expected", [("true", True), ("True", True), ("false", False)])
def test_a_boolean_key_takes_true_or_false(written, expected):
    assert load_text(dev_text("  image-factory:protect: false", f"  image-factory:protect: {written}")).protect is expected


def test_an_empty_image_name_on_a_fleet_is_a_line_not_a_key_error():
    assert text_problems(dev_text("      image: win2025-base\n      count", '      image: ""\n      count')) == [
        line("fleets.dev-app.image", "''",
             "must be 1-80 letters, digits, '-', '_' or '.', starting and ending with a letter or digit")]


# --- the right key: user keys named like customizer types ---------------------------------------

def test_an_image_named_like_a_customizer_type_is_named_in_the_line():
    text = dev_text(f"    {IMG}:", "    PowerShell:").replace(f"image: {IMG}", "image: PowerShell")
    text = text.replace("        timeoutMinutes: 180", "        timeoutMinutes: 961")
    assert text_problems(text) == [line("images.PowerShell.build.timeoutMinutes", "961",
                                        "must be at most 960")]


def test_a_tag_named_like_a_customizer_type_is_named_in_the_line():
    text = dev_text("    cost-centre: it-platform-dev", "    File: 42")
    assert text_problems(text) == [line("tags.File", "42", "must be text: write it in quotes, \"42\" (YAML reads 42 unquoted as a number)")]


# --- secret hygiene -------------------------------------------------------------------------------

def test_a_password_under_a_misspelt_key_is_not_echoed():
    text = dev_text("  image-factory:protect: false", "  image-factory:protect: false\n"
                    "  image-factory:adminPasword: Hunter2-Hunter2")
    lines = text_problems(text)
    assert lines == [line("adminPasword", "[secret]", f"is not a known key (did you mean adminPassword?); allowed keys: {TOP_KEYS}")]


def test_a_secret_looking_key_inside_an_object_is_hidden_in_every_dump():
    text = dev_text("      count: 2", "      count: 2\n      apiKey: Hunter2-Hunter2")
    assert text_problems(text) == [
        line("fleets.dev-app.apiKey", "[secret]",
             "is not a known key; allowed keys: computerNamePrefix, count, domainJoin, encryptionAtHost, image, "
             "imageVersion, licenseType, managedImage, mode, osDisk, patching, region, rolloutBatch, size, subnetId, "
             "timeZone, zones")]
    text = dev_text("    cost-centre: it-platform-dev", "    api-key: [Hunter2-Hunter2]")
    assert text_problems(text) == [line("tags.api-key", "[secret]", "must be text")]


@pytest.mark.parametrize("key", ["adminPassword", "domainJoinPassword"])
def test_a_plain_text_password_is_an_error_with_the_command_to_fix_it(key):
    text = dev_text("  image-factory:protect: false", f"  image-factory:protect: false\n  image-factory:{key}: Hunter2-x")
    assert text_problems(text) == [line(key, "[secret]", "must be a secret, encrypted in the stack file: "
                                        f"pulumi config set --secret {NS}:{key} <value>")]


@pytest.mark.parametrize("key, value", [
    ("owner", "it-platform@contoso-finance.example"), ("resourceGroup", "rg-images"), ("tags", '{"a": "b"}')])
def test_a_secure_value_on_a_key_used_in_names_or_tags_is_an_error(key, value):
    assert text_problems(dev_text("", ""), secrets={f"{NS}:{key}": value}) == [
        line(key, "[secret]", NOT_A_SECRET)]


# --- namespaces -----------------------------------------------------------------------------------

def test_a_misspelt_namespace_is_an_error_with_did_you_mean():
    text = dev_text("  image-factory:protect: false", "  image-factroy:protect: true")
    assert text_problems(text) == [
        f"{F}: image-factroy:protect = 'true': is not a namespace this program reads (did you mean "
        f"image-factory:protect?); it reads image-factory:* and azure-native:* only"]


def test_unknown_provider_keys_and_bad_provider_values():
    text = dev_text("  azure-native:location: uksouth", "  azure-native:location: UK South\n"
                    "  azure-native:subscriptonId: 0000\n  azure-native:useMsi: yes")
    assert text_problems(text) == [
        f"{F}: azure-native:location = 'UK South': {REGIONS_TAIL} (did you mean uksouth? that is its display name)",
        f"{F}: azure-native:subscriptonId = '0000': is not a key azure-native documents (did you mean "
        f"subscriptionId?); its keys: {', '.join(sorted(PROVIDER_KEYS))}",
        f"{F}: azure-native:useMsi = 'yes': must be true or false"]


def test_a_provider_secret_is_never_shown():
    text = dev_text("  azure-native:location: uksouth", "  azure-native:location: uksouth\n"
                    "  azure-native:clientSecrett: Hunter2-Hunter2")
    [only] = text_problems(text)
    assert only.startswith(f"{F}: azure-native:clientSecrett = [secret]: is not a key azure-native documents "
                           "(did you mean clientSecret?)")


def test_the_provider_key_list_is_azure_natives_own():
    from pulumi_azure_native.config import vars as provider_vars
    documented = {name for name in dir(provider_vars._ExportableConfig) if not name.startswith("_")}
    camel = {n.split("_")[0] + "".join(p.title() for p in n.split("_")[1:]) for n in documented}
    assert camel == PROVIDER_KEYS


@pytest.mark.parametrize("written, shown", [("{team: platform}", '{"team": "platform"}'), ("[a, b]", '["a", "b"]')])
def test_a_map_or_list_where_a_string_belongs(written, shown):
    text = dev_text("  image-factory:owner: it-platform@contoso-finance.example", f"  image-factory:owner: {written}")
    assert text_problems(text) == [line("owner", shown, "must be text")]


def test_a_secret_as_short_as_the_stack_name_does_not_break_the_line():
    text = dev_text("    cost-centre: it-platform-dev", "    cost-centre: it-platform-dev\n    api-key: dev")
    text = text.replace("  image-factory:location: uksouth", "  image-factory:location: dev")
    assert text_problems(text) == [line("location", "[secret]", REGIONS_TAIL)]


def test_the_plan_command_prints_yaml_problems_not_a_traceback(capsys, monkeypatch):
    from offline import plan as offline_plan
    real_plan = offline_plan.plan
    broken = dev_text("      count: 2", "      count: 2\n      count: 20")
    monkeypatch.setattr(offline_plan, "plan", lambda stack: real_plan(stack, text=broken))
    assert offline_plan.main(["--stack", "dev"]) == 2
    assert capsys.readouterr().err == ("error: the stack configuration is not valid:\n"
                                       f"{F}:114:7: duplicate key 'count' (first at line 113, column 7): one key, one value\n")
