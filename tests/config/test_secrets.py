"""Secret hygiene (components/config/secrets.py): which keys name secrets, and how a value that is one is
kept out of every error line: redacted in dumps, and scrubbed from any text that still holds it."""

from __future__ import annotations

import pytest

from components.config.secrets import SECRET, looks_secret, redact, scrub, secret_strings

SAS_URI = "https://example.blob.core.windows.net/s/a.ps1?sv=2024-11-04&sig=abc%2Bdef"


@pytest.mark.parametrize("key", [
    "adminPassword", "domainJoinPassword", "artifactSasToken", "apiKey", "client_secret",
    "connectionString", "storage_connection_string", "connectionstring",
    "passcode", "passkey",  # any word that starts with "pass"
    "adminPasword", "secert", "credentail", "tokem",  # near misses of five letters and more
    "images.win2025.customizers[0].clientSecret", "image-factory:sqlPwd",
])
def test_keys_that_name_a_secret(key):
    assert looks_secret(key)


@pytest.mark.parametrize("key", [
    "sha256Checksum", "managedImage", "keyboardLayout", "adminUsername", "tokyoRegion",  # tokyo: 0.6 like token
    "tok", "compass",  # a word that only ends in "pass"
    "images.win2025.source.sku",
    "dbConnection.stringFormat",  # a phrase in two segments of a path is no phrase
])
def test_keys_that_do_not(key):
    assert not looks_secret(key)


def test_redact_hides_values_under_secret_keys_and_sas_uris_anywhere():
    dump = {"adminUsername": "azops", "adminPassword": "Pa55w0rd!", "nested": {"clientSecret": {"a": 1}},
            "customizers": [{"sourceUri": SAS_URI}, {"sourceUri": "https://example.com/a.ps1"}],
            "keys": ["k1", "k2"]}
    assert redact(dump) == {"adminUsername": "azops", "adminPassword": SECRET, "nested": {"clientSecret": SECRET},
                            "customizers": [{"sourceUri": SECRET}, {"sourceUri": "https://example.com/a.ps1"}],
                            "keys": SECRET}


def test_a_list_item_is_not_hidden_by_its_position_alone():
    assert redact(["plain", SAS_URI]) == ["plain", SECRET]


def test_secret_strings_are_every_string_under_a_secret_key_however_deep():
    value = {"adminUsername": "azops", "joinCredential": {"user": "svc-join", "passes": ["one", "two"]},
             "list": [{"token": "t0k3n"}, {"name": "visible"}], "apiKey": None, "pwd": "  "}
    assert secret_strings(value) == {"svc-join", "one", "two", "t0k3n"}


def test_secret_strings_of_a_value_already_known_secret_take_everything():
    assert secret_strings({"a": "x1", "b": ["y2", {"c": 3}]}, "", True) == {"x1", "y2", "3"}


def test_scrub_replaces_the_longest_secret_first():
    # "xyz" inside "axyzb": replacing the short one first would leave "a" and "b" of the long one in the line.
    assert scrub("value axyzb, then xyz", {"xyz", "axyzb"}) == f"value {SECRET}, then {SECRET}"


def test_scrub_leaves_secrets_too_short_to_hide_anything():
    # A one- or two-character "secret" would blank every occurrence of those letters in the line.
    assert scrub("key = ab, abc", {"ab"}) == "key = ab, abc"
    assert scrub("key = abc", {"abc"}) == f"key = {SECRET}"
