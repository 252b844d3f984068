"""What RunWatch (components/providers/image_builder_run.py) takes from a template and puts into every failure
message (issue 14): the last run state seen, with the template's provisioningState only when it is not
Succeeded, and where the logs are: the staging resource group named as Azure wrote it, or its pattern when
no read got that far."""

from __future__ import annotations

import pytest

from tests.fakes.fake_arm import SUBSCRIPTION, Reply
from tests.providers.image_build_support import RG, TEMPLATE, TEMPLATE_PATH, build_error, inputs, provider

LOGS = "Logs: customization.log in container 'packerlogs' of the storage account in staging resource group"


def test_before_any_read_nothing_is_said_seen(fake, aib):
    text = build_error(provider(fake), inputs(fake, template_name="missing"))  # the first read gets a 404
    assert text.endswith(f"Last seen: runState (none), runSubState (none). {LOGS} "
                         f"'IT_{RG}_missing_<id>'."), text


@pytest.mark.parametrize("group_id, name", [
    (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/RG-AIB-STAGING-BOX", "RG-AIB-STAGING-BOX"),  # one of the owner's
    (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/IT_{RG}_{TEMPLATE}_5f2c9a01/", f"IT_{RG}_{TEMPLATE}_5f2c9a01"),
])
def test_the_staging_group_is_named_as_azure_wrote_it(fake, aib, group_id, name):
    aib.add_template(TEMPLATE, RG)
    failed = {"id": TEMPLATE_PATH, "name": TEMPLATE, "location": "westeurope",
              "type": "Microsoft.VirtualMachineImages/imageTemplates",
              "properties": {"provisioningState": "Failed", "exactStagingResourceGroup": group_id}}
    fake.inject("GET", TEMPLATE_PATH, Reply(200, failed))
    text = build_error(provider(fake), inputs(fake))
    assert f"runSubState (none), template provisioningState Failed. {LOGS} '{name}'." in text
