"""Validated value types shared by every part of the stack config model."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from . import azure_rules as rules
from .secrets import SAS_SIGNATURE
from .addresses import cidr_problem
from .messages import region_hint, time_zone_problem
from .vm_sizes import size_problem


def _fullmatch(pattern: re.Pattern, rule: str, value: str) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"must be {rule}")
    return value


# The factories below run once, at import, to build the Annotated types: mutmut cannot activate a mutant
# there (it does so per test, after the import), so their one line is marked for it; the checks they
# bind (_fullmatch, _in_resource_id) run per value and are mutated and tested (tests/config/test_types.py).
def _matches(pattern: re.Pattern, rule: str) -> AfterValidator:
    return AfterValidator(partial(_fullmatch, pattern, rule))  # pragma: no mutate


def _region(value: str) -> str:
    if value not in rules.REGIONS:
        raise ValueError(f"must be an Azure region name such as uksouth or eastus{region_hint(value)}")
    return value


def _time_zone(value: str) -> str:
    problem = time_zone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


WindowsTimeZone = Annotated[str, AfterValidator(_time_zone)]


def _offered_size(value: str) -> str:
    problem = size_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _marketplace_version(value: str) -> str:
    if value != "latest" and not rules.MARKETPLACE_VERSION.fullmatch(value):
        raise ValueError(f"must be {rules.MARKETPLACE_VERSION_RULE}")
    return value


def _version(value: str) -> str:
    if not rules.VERSION.fullmatch(value) or any(int(p) > rules.INT32_MAX for p in value.split(".")):
        raise ValueError(f"must be {rules.VERSION_RULE}")
    return value


def _source_version(value: str) -> str:
    return _marketplace_version(value)


_URL = TypeAdapter(HttpUrl)


def _https_uri(value: str) -> str:
    # Parsed as pydantic's HttpUrl (a host is required: `https://` or `https:///a.ps1` is not a URI),
    # kept as the string written, so the template body sends exactly what the stack file says.
    try:
        url = _URL.validate_python(value)
    except ValidationError:
        url = None
    if url is None or not urlsplit(value).hostname or not value.startswith("https://"):
        raise ValueError("must be an https:// URI")
    if SAS_SIGNATURE.search(value) or rules.SAS_QUERY.search(value):
        raise ValueError(rules.NO_SAS_IN_TEMPLATE)
    return value


def _iso_date_text(value: object) -> object:
    # YAML dates reach the program as text (yaml.v3 and the strict loader keep them so): take exactly
    # YYYY-MM-DD in ASCII digits, never a number (which pydantic would read as a Unix time).
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


Region = Annotated[str, AfterValidator(_region)]
# A Windows patch classification, sent in the Maintenance API's spelling (azure_rules.maintenance_classification).
PatchClassification = Annotated[str, AfterValidator(rules.maintenance_classification)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text), Field(strict=False)]
Version = Annotated[str, AfterValidator(_version)]
TemplateName = Annotated[str, _matches(rules.TEMPLATE_NAME, rules.TEMPLATE_NAME_RULE)]
CustomizerName = Annotated[str, _matches(rules.CUSTOMIZER_NAME, rules.CUSTOMIZER_NAME_RULE)]
WindowsFilePath = Annotated[str, _matches(rules.WINDOWS_FILE_PATH, rules.WINDOWS_FILE_PATH_RULE)]
ImageName = Annotated[str, _matches(rules.IMAGE_DEFINITION_NAME, rules.IMAGE_DEFINITION_NAME_RULE)]
GalleryName = Annotated[str, _matches(rules.GALLERY_NAME, rules.GALLERY_NAME_RULE)]
ResourceGroupName = Annotated[str, _matches(rules.RESOURCE_GROUP_NAME, rules.RESOURCE_GROUP_NAME_RULE)]
Sha256 = Annotated[str, _matches(rules.SHA256, "64 hexadecimal characters (a SHA-256 digest)")]
HttpsUri = Annotated[str, AfterValidator(_https_uri)]
SourceVersion = Annotated[str, AfterValidator(_source_version)]
ComputerNamePrefix = Annotated[str, _matches(rules.COMPUTER_NAME_PREFIX, rules.COMPUTER_NAME_PREFIX_RULE)]
VmSize = Annotated[str, AfterValidator(_offered_size)]
# A marketplace image's publisher, offer and SKU, wherever one appears (image sources, captures).
MarketplaceName = Annotated[str, _matches(rules.MARKETPLACE_NAME, rules.MARKETPLACE_NAME_RULE)]
Environment = Annotated[str, _matches(rules.ENVIRONMENT, rules.ENVIRONMENT_RULE)]
# Fleet and capture names: they become parts of VM, NIC and scale set names.
WorkloadName = Annotated[str, _matches(rules.WORKLOAD_NAME, rules.WORKLOAD_NAME_RULE)]


def _in_resource_id(namespace: str, types: tuple[str, ...], names: tuple[re.Pattern, ...], rule: str, value: str) -> str:
    if rules.resource_id_names(value, namespace, types, names) is None:
        raise ValueError(f"must be {rule}")
    return value


def _resource_id(namespace: str, types: tuple[str, ...], names: tuple[re.Pattern, ...], rule: str) -> AfterValidator:
    return AfterValidator(partial(_in_resource_id, namespace, types, names, rule))  # pragma: no mutate


DefinitionId = Annotated[str, _resource_id("Microsoft.Compute", ("galleries", "images"),
                                           (rules.GALLERY_NAME, rules.IMAGE_DEFINITION_NAME), rules.DEFINITION_ID_RULE)]
VersionId = Annotated[str, _resource_id("Microsoft.Compute", ("galleries", "images", "versions"),
                                        (rules.GALLERY_NAME, rules.IMAGE_DEFINITION_NAME, rules.VERSION),
                                        rules.VERSION_ID_RULE)]
IdentityId = Annotated[str, _resource_id("Microsoft.ManagedIdentity", ("userAssignedIdentities",),
                                         (rules.IDENTITY_NAME,), rules.IDENTITY_ID_RULE)]
StorageAccountId = Annotated[str, _resource_id("Microsoft.Storage", ("storageAccounts",), (rules.STORAGE_ACCOUNT_NAME,),
                                               rules.STORAGE_ACCOUNT_ID_RULE)]
SubnetId = Annotated[str, _resource_id("Microsoft.Network", ("virtualNetworks", "subnets"),
                                       (rules.NETWORK_NAME, rules.NETWORK_NAME), rules.SUBNET_ID_RULE)]
ManagedImageId = Annotated[str, _resource_id("Microsoft.Compute", ("images",), (rules.MANAGED_IMAGE_NAME,),
                                             rules.MANAGED_IMAGE_ID_RULE)]
Int32 = Annotated[int, Field(ge=rules.INT32_MIN, le=rules.INT32_MAX)]


def _tag_name(value: str) -> str:
    if not 1 <= len(value) <= rules.TAG_NAME_MAX or any(c in rules.TAG_NAME_FORBIDDEN for c in value):
        raise ValueError(f"must be a tag name Azure accepts: {rules.TAG_NAME_RULE}")
    return value


TagName = Annotated[str, AfterValidator(_tag_name)]
TagValue = Annotated[str, Field(max_length=rules.TAG_VALUE_MAX)]


def _not_reserved(value: str) -> str:
    if value.lower() in rules.RESERVED_ADMIN_NAMES:
        raise ValueError("must not be a name Azure reserves (administrator, admin, user, test, guest, root, ...)")
    return value


AdminUsername = Annotated[str, _matches(rules.ADMIN_USERNAME, rules.ADMIN_USERNAME_RULE), AfterValidator(_not_reserved)]

def _cidr(value: str) -> str:
    problem = cidr_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]


class Model(BaseModel):
    # strict: no coercion between booleans, numbers and strings (`count: "2"`, `protect: 1` and
    # `timeoutMinutes: false` are errors, not 2, True and 0); what YAML typed is what the model takes.
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True,
                              strict=True)
