"""A source whose generation cannot be known offline plans, with a warning saying so."""

from offline.plan import plan
from tests.graph import stack_value


def test_an_unknown_publisher_plans_with_a_warning():
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["source"] = {"publisher": "MicrosoftWindowsDesktop", "offer": "windows-11", "sku": "win11-24h2-ent"}
    doc = plan("dev", overrides={"image-factory:images": images})
    assert doc["warnings"] == [
        "Pulumi.dev.yaml: image-factory:images.win2025-base.source: the Hyper-V generation of "
        "MicrosoftWindowsDesktop/windows-11/win11-24h2-ent cannot be known offline; Image Builder refuses a "
        "generation 1 source into these V2 definitions"]


def test_an_existing_managed_image_or_version_plans_with_a_warning_and_a_captured_one_without():
    managed = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-golden/providers/"
               "Microsoft.Compute/images/img-ws2025-golden")
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["source"] = {"managedImageId": managed}
    assert plan("dev", overrides={"image-factory:images": images, "image-factory:fleets": {}})["warnings"] == [
        "Pulumi.dev.yaml: image-factory:images.win2025-base.source: the Hyper-V generation of the managedImageId "
        "given cannot be known offline; Image Builder refuses a generation 1 source into these V2 definitions"]
    # The capture's reference VM image is a Gen2 Windows Server SKU (checked), and the image is captured as V2.
    assert plan("capture")["warnings"] == []
