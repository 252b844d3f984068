"""components/config/security_types.py (issue 21 item 1): a definition's security type follows its build's
source, because Image Builder distributes a source only to definitions of its own security type."""

from __future__ import annotations

from tests.config.loading import IMG, line, load_raw, problems, with_

from components.config.security_types import security_type

NET = {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/24"}
CAPTURE = {"region": "uksouth", "size": "Standard_D2s_v5"}
LAYER = {"identifier": {"publisher": "P", "offer": "O", "sku": "layer"}, "source": {"image": "ref"},
         "regions": ["uksouth"]}


def _from_capture(**fields) -> dict:
    raw = with_("captures", {"cap": CAPTURE}, with_("network.uksouth", NET))
    raw = with_("images.ref", {"identifier": {"publisher": "P", "offer": "O", "sku": "ref"},
                               "source": {"capture": "cap"}, "regions": ["uksouth"], **fields}, raw)
    return raw


def test_an_image_built_from_a_capture_gets_a_standard_definition_and_so_do_its_layers():
    config = load_raw(with_("images.layer", LAYER, _from_capture()))
    assert security_type("ref", config.images) == "Standard"
    assert security_type("layer", config.images) == "Standard"
    assert security_type(IMG, config.images) == "TrustedLaunchSupported"


def test_a_security_type_that_contradicts_the_source_is_refused():
    assert problems(_from_capture(securityType="TrustedLaunchSupported")) == [line(
        "images.ref.securityType", "'TrustedLaunchSupported'", "must be Standard, the security type of its source: "
        "Image Builder distributes a source only to definitions of its own security type")]
    assert load_raw(_from_capture(securityType="Standard"))
    assert line(f"images.{IMG}.securityType", "'Standard'", "must be TrustedLaunchSupported, the security type of its "
                "source: Image Builder distributes a source only to definitions of its own security type") in \
        problems(with_(f"images.{IMG}.securityType", "Standard"))


def test_a_fleet_cannot_boot_a_standard_image_with_trusted_launch():
    raw = with_("fleets.dev-app.image", "ref", _from_capture())
    assert line("fleets.dev-app.image", "'ref'", "must be a TrustedLaunchSupported image: ref is Standard (built from a "
                "managed image) and fleets run Trusted Launch; boot its managed image (managedImage) instead") in problems(raw)
