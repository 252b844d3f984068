"""Where builds download from (File customizers, scriptUri), across keys: as the build identity, never with a
SAS token in the template (issue 21 item 4).

A token in a template body can be read by anyone who can read the template, and rotating it would change a
template Image Builder cannot update (409, "Update/Upgrade of image templates is currently not supported").
So a download from Azure Storage needs artifactStorageAccountId, the account the build identity gets Storage
Blob Data Reader on (images/build_identity.py), and it must be that account: the identity reads no other.
"""

from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import urlsplit

from . import azure_rules as rules
from .stack import StackConfig

Problem = tuple[str, Any, str]

NO_SAS_TOKEN = ("is no longer supported: builds download as the build identity (Storage Blob Data Reader on "
                "artifactStorageAccountId), so no SAS token is in a template; remove useSasToken and any token")
UNUSED_TOKEN = ("is no longer read: builds download as the build identity, with no SAS token; remove it "
                "(pulumi config rm image-factory:artifactSasToken) and revoke the token")


def _downloads(config: StackConfig) -> Iterator[tuple[str, Any]]:
    """(key of the step, step) for every customizer and validator of the images this stack builds."""
    for name, image in config.built_images.items():
        for where, steps in (("customize", image.customize),
                             ("validate.inVMValidations", image.validate_.in_vm_validations if image.validate_ else [])):
            for step in steps:  # named by its name, as every error line names a step (messages.py)
                yield f"images.{name}.{where}[{step.name}]", step


def artifact_checks(config: StackConfig, secrets_set: frozenset[str]) -> list[Problem]:
    problems: list[Problem] = []
    if "artifactSasToken" in secrets_set:
        problems.append(("artifactSasToken", None, UNUSED_TOKEN))
    account = config.artifact_storage_account_id
    account_name = account.rstrip("/").rsplit("/", 1)[-1].lower() if account else None
    for key, step in _downloads(config):
        if getattr(step, "use_sas_token", False):
            problems.append((f"{key}.useSasToken", True, NO_SAS_TOKEN))
        field = "sourceUri" if getattr(step, "source_uri", None) else "scriptUri"
        uri = getattr(step, "source_uri", None) or getattr(step, "script_uri", None)
        host = rules.BLOB_HOST.fullmatch((urlsplit(uri).hostname or "").lower()) if uri else None
        if host and account_name is None:
            problems.append((f"{key}.{field}", uri, "needs artifactStorageAccountId (the storage account's ID): the "
                             "build downloads as the build identity, which gets Storage Blob Data Reader there"))
        elif host and host.group(1) != account_name:
            problems.append((f"{key}.{field}", uri, f"must be in the storage account artifactStorageAccountId names "
                             f"({account_name}): the build identity can read only that account"))
    return problems
