"""The config model's value types (components/config/types.py, fleets.py's IPv4 addresses): what each
accepts and the words of its refusal, which end every error line about that key."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from components.config import azure_rules as rules
from components.config import types
from components.config.fleets import IPv4Address
from components.config.images import Build

SUB = "/subscriptions/12345678-0000-0000-0000-000000000000"
IMAGE_ID = f"{SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/images/img-ref-2025"


def accepts(type_: Any, value: Any) -> Any:
    return TypeAdapter(type_).validate_python(value)


def refusal(type_: Any, value: Any) -> str:
    """The reason a type gives for refusing value (what follows the key in an error line)."""
    with pytest.raises(ValidationError) as info:
        TypeAdapter(type_).validate_python(value)
    [error] = info.value.errors()
    return str(error["ctx"]["error"]) if "ctx" in error else error["msg"]


def test_a_name_pattern_accepts_its_names_and_refuses_with_its_rule():
    assert accepts(types.GalleryName, "gal_images.prod") == "gal_images.prod"
    assert refusal(types.GalleryName, "gal-images") == f"must be {rules.GALLERY_NAME_RULE}"


@pytest.mark.parametrize("value", [
    IMAGE_ID,
    IMAGE_ID.upper().replace("/SUBSCRIPTIONS/12345678", "/subscriptions/12345678"),  # ARM IDs ignore case
])
def test_a_resource_id_of_the_right_type_is_accepted_as_written(value):
    assert accepts(types.ManagedImageId, value) == value


@pytest.mark.parametrize("value", [
    IMAGE_ID.replace("Microsoft.Compute", "Microsoft.Storage"),  # another namespace
    IMAGE_ID.replace("/images/", "/disks/"),  # another type
    IMAGE_ID.replace("img-ref-2025", "img ref"),  # a name Azure refuses for the type
    f"{SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/g/images/i",  # a gallery image
    "img-ref-2025",  # a name, not an ID
])
def test_a_resource_id_of_another_kind_is_refused_with_its_rule(value):
    assert refusal(types.ManagedImageId, value) == f"must be {rules.MANAGED_IMAGE_ID_RULE}"


def test_an_unknown_region_lists_every_region_it_may_have_meant():
    assert refusal(types.Region, "westeurope2") == (
        "must be an Azure region name such as uksouth or eastus (did you mean westcentralus, westeurope, westindia, "
        "westus, westus2, westus3?)")


@pytest.mark.parametrize("value", ["https://example.blob.core.windows.net/scripts/a.ps1",
                                   "https://example.com:8443/a.ps1?v=2"])
def test_an_https_uri_is_kept_as_written(value):
    assert accepts(types.HttpsUri, value) == value


@pytest.mark.parametrize("value", [
    "http://example.com/a.ps1",  # not https
    "HTTPS://example.com/a.ps1",  # kept as written: the template would send it so
    "https:///a.ps1",  # no host (pydantic's parser takes it)
    "https://example.com:99999/a.ps1",  # a port no URI has (urlsplit alone takes it)
    "ftp://example.com/a.ps1",
])
def test_what_is_not_an_https_uri_is_refused(value):
    assert refusal(types.HttpsUri, value) == "must be an https:// URI"


def test_an_https_uri_with_a_sas_token_is_refused_and_told_where_the_token_goes():
    refused = ("must not carry a SAS token: the template body is readable by anyone who can read the template, and a "
               "rotated token would change a template Image Builder cannot update. Give artifactStorageAccountId "
               "instead: the build identity then reads the blob with Storage Blob Data Reader")
    assert refusal(types.HttpsUri, "https://example.blob.core.windows.net/s/a.ps1?sv=2024&sig=abc") == refused
    # Any SAS query parameter, not only the signature (issue 21 item 4).
    assert refusal(types.HttpsUri, "https://example.blob.core.windows.net/s/a.ps1?se=2027-01-01&sp=r") == refused


@pytest.mark.parametrize("value", ["2027-1-02", "02.01.2027", "２０２７-01-02", 1798848000, None])
def test_a_date_is_written_yyyy_mm_dd_and_nothing_else(value):
    assert refusal(types.IsoDate, value) == "must be a date written YYYY-MM-DD"


def test_a_date_written_yyyy_mm_dd_is_that_date():
    assert str(accepts(types.IsoDate, "2027-01-02")) == "2027-01-02"


def test_a_tag_name_may_be_as_long_as_azure_allows_and_no_longer():
    assert accepts(types.TagName, "a" * rules.TAG_NAME_MAX)
    for value in ("a" * (rules.TAG_NAME_MAX + 1), "", "cost/centre"):
        assert refusal(types.TagName, value) == f"must be a tag name Azure accepts: {rules.TAG_NAME_RULE}", value


def test_an_ipv4_address_is_refused_with_an_example():
    assert accepts(IPv4Address, "10.0.0.4") == "10.0.0.4"
    assert refusal(IPv4Address, "10.0.0.256") == "must be an IPv4 address such as 10.0.0.4"


def test_a_build_outside_any_network_names_no_subnet():
    # Not private and no subnet of its own: vnetConfig stays out of the template, whatever the network has.
    assert Build().subnets("program-build-subnet", "program-aci-subnet") == (None, None)
    assert Build(private=True).subnets("program-build-subnet", "program-aci-subnet") == (
        "program-build-subnet", "program-aci-subnet")
