"""A SAS token on a download URI is a credential: it comes from secret config (artifactSasToken), is
appended only when the template is sent, never enters the recipe hash (the checksum pins the content, so
rotating the token rebuilds nothing) and never shows in a plan or an error line."""

from __future__ import annotations

import copy
import json

import pytest

from components.config.loading import ConfigError
from offline.plan import plan
from tests.config.loading import FILE_CUSTOMIZER
from tests.graph import TEMPLATE, one, stack_value

TOKEN = "sv=2024-11-04&ss=b&srt=o&sp=r&se=2027-01-01&sig=S3CR3Tsignature%3D"


def _images(**step_extra) -> dict:
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["customize"].append({**FILE_CUSTOMIZER, **step_extra})
    return images


def _template(images: dict, token: str | None = TOKEN) -> dict:
    secrets = {"image-factory:artifactSasToken": token} if token else None
    return one(plan("dev", overrides={"image-factory:images": images}, secrets=secrets), TEMPLATE, "win2025-base-template")["inputs"]


def test_the_token_is_sent_as_a_secret_and_never_shown():
    inputs = _template(_images(useSasToken=True))
    assert inputs["customize"][-1]["sourceUri"] == "[secret]"
    assert "useSasToken" not in inputs["customize"][-1]  # not an Image Builder property
    assert "S3CR3T" not in json.dumps(inputs)


def test_rotating_the_token_rebuilds_nothing():
    images = _images(useSasToken=True)
    names = {_template(copy.deepcopy(images), token)["imageTemplateName"] for token in (TOKEN, TOKEN.replace("S3", "N3"))}
    assert len(names) == 1


def test_a_token_in_the_stack_file_is_refused_without_printing_it():
    uri = f"https://example.blob.core.windows.net/s/a.ps1?{TOKEN}"
    with pytest.raises(ConfigError) as error:
        _template(_images(sourceUri=uri))
    text = str(error.value)
    assert "S3CR3T" not in text and "customize[4].sourceUri = [secret]: must not carry a SAS token" in text
    assert "pulumi config set --secret image-factory:artifactSasToken" in text


def test_use_sas_token_needs_the_secret():
    with pytest.raises(ConfigError) as error:
        _template(_images(useSasToken=True), token=None)
    # The key looks like a secret (sas, token), so even its `true` is hidden.
    assert str(error.value) == ("Pulumi.dev.yaml: image-factory:images.win2025-base.customize[4].useSasToken = [secret]: "
                                "needs the SAS token: pulumi config set --secret image-factory:artifactSasToken '<token>'")


def test_a_file_validator_downloads_with_the_token_too():
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["validate"]["inVMValidations"].append({**FILE_CUSTOMIZER, "useSasToken": True})
    validator = _template(images)["validate"]["inVMValidations"][-1]
    assert validator["type"] == "File" and validator["sourceUri"] == "[secret]" and "useSasToken" not in validator
    with pytest.raises(ConfigError) as error:
        _template(images, token=None)
    assert "validate.inVMValidations[1].useSasToken = [secret]: needs the SAS token" in str(error.value)
