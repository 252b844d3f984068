"""No SAS token in a template (issue 21 item 4): a token in the body can be read by anyone who can read the
template, and rotating it would change a template Image Builder cannot update (409). Builds download as the
build identity, which holds Storage Blob Data Reader on artifactStorageAccountId; a token anywhere is refused
(without being printed), and so is a download the identity could not read."""

from __future__ import annotations

import json

import pytest

from components.config.loading import ConfigError
from offline.plan import plan
from tests.config.loading import FILE_CUSTOMIZER
from tests.graph import BUILDS, ASSIGNMENT, TEMPLATE, one, stack_value, under

TOKEN = "sv=2024-11-04&ss=b&srt=o&sp=r&se=2027-01-01&sig=S3CR3Tsignature%3D"
ACCOUNT = ("/subscriptions/12345678-0000-0000-0000-000000000000/resourceGroups/rg-artifacts/providers/"
           "Microsoft.Storage/storageAccounts/example")


def _images(**step_extra) -> dict:
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["customize"].append({**FILE_CUSTOMIZER, **step_extra})
    return images


def _plan(images: dict, account: str | None = ACCOUNT, token: str | None = None) -> dict:
    overrides = {"image-factory:images": images, **({"image-factory:artifactStorageAccountId": account} if account else {})}
    secrets = {"image-factory:artifactSasToken": token} if token else None
    return plan("dev", overrides=overrides, secrets=secrets)


def _error(images: dict, **kwargs) -> str:
    with pytest.raises(ConfigError) as error:
        _plan(images, **kwargs)
    return str(error.value)


def test_the_download_uri_is_sent_as_written_and_the_identity_may_read_the_account():
    doc = _plan(_images())
    inputs = one(doc, TEMPLATE, "win2025-base-template")["inputs"]
    assert inputs["customize"][-1]["sourceUri"] == FILE_CUSTOMIZER["sourceUri"]  # no token, not even a secret
    assert "useSasToken" not in inputs["customize"][-1]
    reader = one(doc, ASSIGNMENT, "artifact-reader")["inputs"]
    assert reader["scope"] == ACCOUNT and reader["roleDefinitionId"].endswith("/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")


def test_prods_template_bodies_hold_no_token_or_secret(plans):
    body = json.dumps(under(plans[BUILDS], TEMPLATE, "win2025-app")["inputs"])
    assert "[secret]" not in body and "sig=" not in body
    assert "https://stcontosoartifacts.blob.core.windows.net/images/app-prereqs-3.4.1.ps1" in body


def test_use_sas_token_is_refused_with_the_identity_based_fix():
    text = _error(_images(useSasToken=True))
    # The key looks like a secret (sas, token), so even its `true` is hidden.
    assert text == ("Pulumi.dev.yaml: image-factory:images.win2025-base.customize[app-prereqs-installer].useSasToken = [secret]: is no longer "
                    "supported: builds download as the build identity (Storage Blob Data Reader on "
                    "artifactStorageAccountId), so no SAS token is in a template; remove useSasToken and any token")


def test_a_token_left_in_secret_config_is_refused_without_printing_it():
    text = _error(_images(), token=TOKEN)
    assert "S3CR3T" not in text
    assert ("Pulumi.dev.yaml: image-factory:artifactSasToken: is no longer read: builds download as the build identity, "
            "with no SAS token; remove it (pulumi config rm image-factory:artifactSasToken) and revoke the token") in text


@pytest.mark.parametrize("query", [TOKEN, "sv=2024-11-04&se=2027-01-01&sp=r"])
def test_a_sas_query_in_the_stack_file_is_refused_without_printing_it(query):
    text = _error(_images(sourceUri=f"https://example.blob.core.windows.net/s/a.ps1?{query}"))
    assert "S3CR3T" not in text and "customize[app-prereqs-installer].sourceUri = " in text
    assert "must not carry a SAS token" in text and "Storage Blob Data Reader" in text


def test_a_blob_download_needs_the_artifact_account_and_only_that_one():
    text = _error(_images(), account=None)
    assert ("image-factory:images.win2025-base.customize[app-prereqs-installer].sourceUri = 'https://example.blob.core.windows.net/s/a.ps1': "
            "needs artifactStorageAccountId") in text
    text = _error(_images(), account=ACCOUNT.replace("/example", "/otheraccount"))
    assert "must be in the storage account artifactStorageAccountId names (otheraccount)" in text


def test_a_file_validator_downloads_as_the_identity_too():
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["validate"]["inVMValidations"].append(FILE_CUSTOMIZER)
    validator = one(_plan(images), TEMPLATE, "win2025-base-template")["inputs"]["validate"]["inVMValidations"][-1]
    assert validator["type"] == "File" and validator["sourceUri"] == FILE_CUSTOMIZER["sourceUri"]
    images["win2025-base"]["validate"]["inVMValidations"][-1] = {**FILE_CUSTOMIZER, "useSasToken": True}
    assert "validate.inVMValidations[app-prereqs-installer].useSasToken = [secret]: is no longer supported" in _error(images)
