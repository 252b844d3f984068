"""The typed stack config's errors: one clean line per problem, naming the key and the allowed keys,
never a secret's value, and the real program stopping with those lines before it registers a resource.
"""

from __future__ import annotations

import pulumi
import pytest

from tests.config import model
from components.config.loading import ConfigError
from offline import plan as offline_plan
from tests.config.loading import (
    NOT_A_SECRET, IMG, NS, REGIONS_TAIL, TOP_KEYS, allowed_keys, dev_raw, fleet, line, problems, with_, without)
from offline.plan import plan


# --- unknown, missing and null keys ------------------------------------------------------------

def test_unknown_top_level_key_lists_the_allowed_keys():
    raw = dev_raw()
    raw["image"] = raw["images"]
    [only] = problems(raw)
    assert only.startswith(f"Pulumi.dev.yaml: {NS}:image = {{")
    assert only.endswith(f": is not a known key (did you mean images?); allowed keys: {TOP_KEYS}")


def test_unknown_nested_key_lists_the_allowed_keys():
    raw = with_(f"images.{IMG}.buildd", {"timeoutMinutes": 60})
    assert problems(raw) == [line(
        f"images.{IMG}.buildd", '{"timeoutMinutes": 60}',
        f"is not a known key (did you mean build?); allowed keys: {allowed_keys(model.Image)}")]
    assert "timeoutMinutes" not in allowed_keys(model.Image)  # the Image's keys, not its build's


def test_unknown_customizer_key_lists_that_customizer_type_s_keys():
    raw = with_(f"images.{IMG}.customize[restart-before-updates].restartTimout", "5m")
    assert problems(raw) == [line(
        f"images.{IMG}.customize[restart-before-updates].restartTimout", "'5m'",
        "is not a known key (did you mean restartTimeout?); allowed keys: name, restartCheckCommand, restartCommand, "
        "restartTimeout, type")]
    assert allowed_keys(model.WindowsRestartCustomizer) == "name, restartCheckCommand, restartCommand, restartTimeout, type"


def test_missing_required_key():
    assert problems(without("owner")) == [line("owner", None, "is required")]


def test_missing_nested_required_key():
    assert problems(without(f"images.{IMG}.identifier.sku")) == [
        line(f"images.{IMG}.identifier.sku", None, "is required")]


def test_null_value_is_shown_as_null():
    assert problems(with_("images", None)) == [line("images", "null", "must be a map of keys to values")]
    assert problems({**dev_raw(), "imags": None}) == [line("imags", "null", f"is not a known key (did you mean images?); allowed keys: {TOP_KEYS}")]


# --- the shape of the lines --------------------------------------------------------------------

def test_long_values_are_cut_to_keep_the_line_short():
    [only] = problems(with_("owner", "x" * 300))
    # The first 30 and the last 47 characters: the end is what tells two resource IDs apart.
    assert only == line("owner", "'" + "x" * 29 + "..." + "x" * 46 + "'", "must be at most 256 characters long")


def test_several_problems_give_one_line_each():
    raw = with_("location", "uksouht")
    raw = with_(f"images.{IMG}.build.timeoutMinutes", 961, raw)
    raw = with_("gallery.name", "gal-dev", raw)
    raw = without("owner", raw)
    assert sorted(problems(raw)) == sorted([
        line("location", "'uksouht'", f"{REGIONS_TAIL} (did you mean uksouth?)"),
        line(f"images.{IMG}.build.timeoutMinutes", "961", "must be at most 960"),
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
        line("fleets.z.image", "'nope'", f"must be one of the images: win2025-app, {IMG}"),
        line("fleets.b.computerNamePrefix", "'abcdefghijklmn'",
             "must be at most 12 characters, so that the index fits Windows' 15-character computer name"),
    ]


def test_newlines_in_user_written_keys_cannot_split_a_line():
    [only] = problems(with_(f"images.{IMG}.build.vm\nSize", "Standard_D4ds_v5"))
    assert only == line(f"images.{IMG}.build.vm\\nSize", "'Standard_D4ds_v5'",
                        f"is not a known key (did you mean vmSize?); allowed keys: {allowed_keys(model.Build)}")


# --- secrets -----------------------------------------------------------------------------------

def test_a_secret_value_never_appears_in_an_error_line():
    secret = "hunter2-not-an-email"
    text = "\n".join(problems(with_("owner", secret * 20), secret=("owner",)))
    assert secret not in text
    assert text.split("\n") == [line("owner", "[secret]", NOT_A_SECRET),
                                line("owner", "[secret]", "must be at most 256 characters long")]


def test_a_secret_object_hides_its_nested_values():
    raw = with_(f"images.{IMG}.identifier.publisher", "Top-Secret-Publisher" * 10)
    text = "\n".join(problems(raw, secret=("images",)))
    assert "Top-Secret-Publisher" not in text
    assert text.split("\n") == [
        line("images", "[secret]", NOT_A_SECRET),
        line(f"images.{IMG}.identifier.publisher", "[secret]", "must be at most 128 characters long")]


def test_a_secret_under_an_unknown_dotted_key_stays_secret():
    raw = {**dev_raw(), "admin.password": "hunter2"}
    text = "\n".join(problems(raw, secret=("admin.password",)))
    assert "hunter2" not in text
    assert text == line("admin.password", "[secret]", f"is not a known key (did you mean adminPassword?); allowed keys: {TOP_KEYS}")


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
     line(f"images.{IMG}.build.timeoutMinutes", "961", "must be at most 960")),
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
    assert str(caught.value).split("\n") == [
        line("location", "[secret]", NOT_A_SECRET),
        line("location", "[secret]", f"{REGIONS_TAIL} (did you mean uksouth?)")]


def test_the_plan_command_prints_the_lines_not_a_traceback(capsys, monkeypatch):
    real_plan = offline_plan.plan
    monkeypatch.setattr(offline_plan, "plan", lambda stack: real_plan(stack, overrides={f"{NS}:location": "uksouht"}))
    assert offline_plan.main(["--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: the stack configuration is not valid:\n"
                   + line("location", "'uksouht'", f"{REGIONS_TAIL} (did you mean uksouth?)") + "\n")
