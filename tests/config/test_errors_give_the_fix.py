"""Issue 19's "errors that don't give the fix": each mistake an operator made is one line naming the
stack file, the key, the value and the fix (and never a secret's value)."""

from __future__ import annotations

import pytest

from components.config import vm_sizes
from tests.config.loading import DEV_TEXT, IMG, NS, dev_text, line, load_text, text_problems

QUOTE = "write it in quotes, \"{0}\" (YAML reads {0} unquoted as a number)"


@pytest.mark.parametrize("size, fix", [
    ("Standard_D2s_v9", "must be a VM size Azure offers: the D family comes in v1, v2, v3, v4, v5, v6, and no Ds v9 "
                        "(did you mean Standard_D2s_v6?)"),
    ("Standard_D2sv5", "must be a VM size name as Azure writes it, Standard_<family><vCPUs><features>_v<version> "
                       "such as Standard_D4ds_v5 (did you mean Standard_D2s_v5?)"),
    ("Standard_D2xs_v5", "must be a VM size Azure offers: the D family comes in v1, v2, v3, v4, v5, v6, and no Dxs v5 "
                         "(did you mean Standard_D2s_v5?)"),
    ("Standard_Q2s_v5", "must be a VM size Azure offers: Q is not a size family"),
])
def test_a_size_azure_does_not_offer_is_refused_with_the_nearest(size, fix):
    text = dev_text("size: Standard_D2s_v5", f"size: {size}")
    assert text_problems(text) == [line("fleets.dev-app.size", repr(size), fix)]


@pytest.mark.parametrize("size", ["Standard_D2s_v5", "Standard_D4ds_v5", "Standard_A2_v2", "Standard_M128ms",
                                  "Standard_D2ps_v5", "Standard_NC24ads_A100_v4", "Standard_E4-2s_v5",
                                  "Standard_DS2_v2", "Standard_B2s", "Standard_F4s_v2", "Standard_M176s_3_v3"])
def test_sizes_azure_offers_pass(size):
    assert vm_sizes.size_problem(size) is None


def test_a_region_by_its_display_name_says_its_name():
    text = dev_text("      region: uksouth", "      region: UK South")
    assert text_problems(text) == [line("fleets.dev-app.region", "'UK South'", "must be an Azure region name such "
                                        "as uksouth or eastus (did you mean uksouth? that is its display name)")]


def test_numbers_where_text_is_needed_say_to_quote_them():
    text = dev_text('zones: ["1", "2"]', "zones: [1, 2]")
    assert text_problems(text) == [
        line("fleets.dev-app.zones[0]", "1", "must be one of '1', '2', '3': " + QUOTE.format(1)),
        line("fleets.dev-app.zones[1]", "2", "must be one of '1', '2', '3': " + QUOTE.format(2))]


@pytest.mark.parametrize("key", ["adminPasword", "adminpassword", "ADMINPASSWORD", "adminPassWord"])
def test_a_misspelt_secret_key_suggests_it_and_never_shows_the_value(key):
    lines = text_problems(DEV_TEXT + f"  {NS}:{key}: Hunter2-Secret!\n")
    assert len(lines) == 1 and "Hunter2" not in lines[0]
    assert lines[0].startswith(f"Pulumi.dev.yaml: {NS}:{key} = [secret]: is not a known key (did you mean adminPassword?)")
    assert "allowed keys: acknowledge, adminPassword, adminUsername, artifactSasToken" in lines[0]


def test_a_customizer_is_named_by_its_name():
    text = dev_text("restartTimeout: 10m", "restartTimeout: 10")
    assert text_problems(text) == [line(f"images.{IMG}.customize[restart-before-updates].restartTimeout", "10",
                                        "must be text: " + QUOTE.format(10))]


def test_a_wrong_customizer_type_names_the_type_and_the_nearest():
    text = dev_text("- type: PowerShell\n          name: baseline", "- type: Powershell\n          name: baseline")
    assert text_problems(text) == [line(
        f"images.{IMG}.customize[baseline-settings].type", "'Powershell'",
        "must be one of PowerShell, File, WindowsRestart, WindowsUpdate (case matters) (did you mean PowerShell?)")]


@pytest.mark.parametrize("script", [
    "net user svc-app Winter2027!Pass /add",
    "$password = 'Winter2027!Pass'",
    "$cred = ConvertTo-SecureString 'Winter2027!Pass' -AsPlainText -Force",
    "New-LocalUser -Name svc -Password (ConvertTo-SecureString -String \"Winter2027!Pass\" -AsPlainText -Force)",
    "Invoke-Sqlcmd -ConnectionString 'Server=db;User Id=sa;Password=Winter2027!Pass;'",
])
def test_a_literal_password_in_an_inline_script_is_an_error_that_says_to_use_a_secret(script):
    text = dev_text("- Set-TimeZone -Id 'GMT Standard Time'", "- " + repr(script).replace("\\\\", "\\") if "'" not in script
                    else "- \"" + script.replace('"', '\\"') + "\"")
    lines = text_problems(text)
    assert lines == [line(f"images.{IMG}.customize[baseline-settings].inline[0]", "[secret]",
                          "holds a literal password: the recipe is stored in the image template, which anyone who can "
                          "read it sees; read it in the script at build time (Get-AzKeyVaultSecret with the build "
                          "identity) or set it on the VM after deployment, never in the stack file")]
    assert all("Winter2027" not in x for x in lines)


def test_a_script_reading_its_password_from_a_variable_is_fine():
    text = dev_text("- Set-TimeZone -Id 'GMT Standard Time'",
                    "- $cred = ConvertTo-SecureString $env:APP_PASSWORD -AsPlainText -Force")
    assert load_text(text).images[IMG].customize[0].inline[0].startswith("$cred")


def test_an_inline_password_is_hidden_from_every_other_line():
    # Another error on the same customizer shows the whole item: the password must not ride along.
    text = dev_text("- Set-TimeZone -Id 'GMT Standard Time'", "- net user svc Winter2027!Pass /add")
    text = text.replace("          runElevated: true", "          runElevated: true\n          scriptUri: https://x.example/a.ps1", 1)
    lines = text_problems(text)
    assert len(lines) == 2 and all("Winter2027" not in x for x in lines)


SOURCE = "        sku: 2025-datacenter-azure-edition"
MARKETPLACE = "a marketplace ID: 1-50 letters, digits, '-', '_' or '.', starting with a letter or digit"


@pytest.mark.parametrize("key, value", [("publisher", '""'), ("publisher", '"a|&<>"'), ("offer", '"Windows Server"'),
                                        ("sku", '"../../etc/passwd"')])
def test_a_marketplace_source_is_checked_by_azures_rule(key, value):
    text = dev_text(SOURCE, f"{SOURCE}\n        {key}: {value}") if key != "sku" else dev_text(SOURCE, f"        sku: {value}")
    [only] = text_problems(text)
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:images.{IMG}.source.{key} = ") and only.endswith(MARKETPLACE)


CAPTURE = """  image-factory:captures:
    ref:
      region: uksouth
      {key}: {value}
"""


@pytest.mark.parametrize("key, value, fix", [
    ("version", "''", "must be 'latest' or a marketplace version Major.Minor.Build such as 26100.2894.250113"),
    ("version", "'1.0'", "must be 'latest' or a marketplace version Major.Minor.Build such as 26100.2894.250113"),
    ("version", "../../etc/passwd", "must be 'latest' or a marketplace version Major.Minor.Build such as 26100.2894.250113"),
    ("publisher", "''", MARKETPLACE),
    ("sku", "'a|&<>'", MARKETPLACE),
])
def test_a_captures_marketplace_image_is_checked_too(key, value, fix):
    [only] = text_problems(DEV_TEXT + CAPTURE.format(key=key, value=value))
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:captures.ref.{key} = ") and only.endswith(fix)
