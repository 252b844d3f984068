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
