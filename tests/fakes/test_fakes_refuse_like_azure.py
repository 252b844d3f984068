"""The fake ARM refuses what Azure refuses, through the real SDK clients, so provider tests that pass
against it would not fail on a real subscription for these reasons.

- Image Builder: a PUT on an existing template is a 409 ("Update/Upgrade of image templates is currently
  not supported"); a DELETE while a run is in progress is a 409; cancel moves Running -> Canceling -> Canceled.
- Compute Gallery: a definition with versions cannot be deleted (409 CannotDeleteResource); a version's
  DELETE is a long-running operation after which the definition can go.
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.core.rest import HttpRequest
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.imagebuilder import ImageBuilderClient

from components.providers.arm import lro_polling, management_client
from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm
from tests.fakes.fake_gallery import GalleryFake
from tests.fakes.fake_image_builder import NOT_SUPPORTED, ImageBuilderFake, RunPlan

RG, TEMPLATE = "rg-images", "it-win2022-7f3a9c1d"
TEMPLATE_PATH = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.VirtualMachineImages"
                 f"/imageTemplates/{TEMPLATE}")
DEFINITION_PATH = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries"
                   f"/galimages/images/win2022")


def client(fake: FakeArm, cls, api_version: str):
    return management_client(cls, subscription_id=SUBSCRIPTION, api_version=api_version, arm_endpoint=fake.base_url,
                             polling_interval=0.01, credential_override=fake.credential, **fake.client_kwargs)


def send(c, method: str, path: str, api_version: str, body=None):
    return c.send_request(HttpRequest(method, f"{path}?api-version={api_version}", json=body))


TEMPLATE_BODY = {"location": "westeurope", "properties": {"distribute": [
    {"type": "SharedImage", "runOutputName": "win2022-gallery", "galleryImageId": DEFINITION_PATH}]}}


def test_put_on_an_existing_template_is_refused_with_409(fake, fake_image_builder: ImageBuilderFake):
    with client(fake, ImageBuilderClient, "2024-02-01") as c:
        created = send(c, "PUT", TEMPLATE_PATH, "2024-02-01", TEMPLATE_BODY)
        again = send(c, "PUT", TEMPLATE_PATH, "2024-02-01", TEMPLATE_BODY)
    assert created.status_code == 201
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "Conflict", "message": NOT_SUPPORTED}
    assert "Update/Upgrade of image templates is currently not supported" in NOT_SUPPORTED


def test_template_delete_is_refused_while_a_run_is_in_progress(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG)
    t.start_run(RunPlan(polls=None))
    with client(fake, ImageBuilderClient, "2024-02-01") as c:
        with pytest.raises(ResourceExistsError) as refused:
            c.virtual_machine_image_templates.begin_delete(RG, TEMPLATE).result()
        assert refused.value.status_code == 409 and "in progress" in str(refused.value)
        assert TEMPLATE.lower() in fake_image_builder.templates
        # Cancel: Running -> Canceling -> Canceled, then the delete goes through.
        poller = c.virtual_machine_image_templates.begin_cancel(RG, TEMPLATE, polling=lro_polling(0.01, fake.base_url))
        assert t.run.state == "Canceling"
        poller.result(timeout=10)
        assert poller.done() and t.run.state == "Canceled"
        assert c.virtual_machine_image_templates.get(RG, TEMPLATE).properties.last_run_status["runState"] == "Canceled"
        c.virtual_machine_image_templates.begin_delete(RG, TEMPLATE).result()
    assert fake_image_builder.deleted == [TEMPLATE]


def test_cancel_without_a_run_in_progress_is_refused(fake, fake_image_builder: ImageBuilderFake):
    fake_image_builder.add_template(TEMPLATE, RG)
    with client(fake, ImageBuilderClient, "2024-02-01") as c:
        with pytest.raises(ResourceExistsError):
            c.virtual_machine_image_templates.begin_cancel(RG, TEMPLATE).result()


def test_definition_with_versions_cannot_be_deleted_until_they_are_gone(fake, fake_gallery: GalleryFake):
    for name in ("1.0.0", "1.0.1"):
        fake_gallery.add_version({"westeurope": 1}, name=name, resource_group=RG)
    with client(fake, ComputeManagementClient, "2024-03-03") as c:
        with pytest.raises(ResourceExistsError) as refused:
            c.gallery_images.begin_delete(RG, "galimages", "win2022", api_version="2024-03-03").result()
        assert refused.value.error.code == "CannotDeleteResource"
        assert "nested resources" in refused.value.error.message
        listed = [v.name for v in c.gallery_image_versions.list_by_gallery_image(RG, "galimages", "win2022",
                                                                                  api_version="2024-03-03")]
        assert sorted(listed) == ["1.0.0", "1.0.1"]
        for name in listed:
            poller = c.gallery_image_versions.begin_delete(RG, "galimages", "win2022", name, api_version="2024-03-03",
                                                           polling=lro_polling(0.01, fake.base_url))
            poller.result(timeout=10)
            assert poller.done()
        assert not list(c.gallery_image_versions.list_by_gallery_image(RG, "galimages", "win2022",
                                                                         api_version="2024-03-03"))
        c.gallery_images.begin_delete(RG, "galimages", "win2022", api_version="2024-03-03",
                                      polling=lro_polling(0.01, fake.base_url)).result()
    assert fake_gallery.deleted_definitions == ["win2022"]


# -- the gallery answers only what was asked for (issue 14) -------------------------------------------

VERSION_PATH = DEFINITION_PATH + "/versions/1.0.3"


def test_replication_status_only_with_expand(fake: FakeArm, fake_gallery: GalleryFake):
    fake_gallery.add_version({"eastus": 1}, resource_group=RG)
    with client(fake, ComputeManagementClient, "2024-03-03") as c:
        plain = send(c, "GET", VERSION_PATH, "2024-03-03").json()["properties"]
        expanded = c.send_request(HttpRequest(
            "GET", f"{VERSION_PATH}?api-version=2024-03-03&$expand=ReplicationStatus")).json()["properties"]
        other = c.send_request(HttpRequest(
            "GET", f"{VERSION_PATH}?api-version=2024-03-03&$expand=replicationstatus")).json()["properties"]
    assert "replicationStatus" not in plain
    assert "replicationStatus" not in other, "only the documented spelling, ReplicationStatus, is assumed to work"
    assert expanded["replicationStatus"]["summary"] == [{"region": "East US", "state": "Completed", "progress": 100}]


def test_a_new_region_without_a_storage_type_gets_the_versions_default(fake: FakeArm, fake_gallery: GalleryFake):
    v = fake_gallery.add_version({"eastus": 1}, resource_group=RG, storage="Standard_ZRS")
    v.profile["storageAccountType"] = "Premium_LRS"
    body = {"properties": {"publishingProfile": {"targetRegions": [
        {"name": "East US", "regionalReplicaCount": 2}, {"name": "westeurope", "regionalReplicaCount": 1}]}}}
    with client(fake, ComputeManagementClient, "2024-03-03") as c:
        assert send(c, "PATCH", VERSION_PATH, "2024-03-03", body).status_code == 200
    assert v.target_regions == [
        {"name": "East US", "regionalReplicaCount": 2, "storageAccountType": "Standard_ZRS"},  # kept its own
        {"name": "West Europe", "regionalReplicaCount": 1, "storageAccountType": "Premium_LRS"}]  # the default


@pytest.mark.parametrize("state", ["Creating", "Updating"])
def test_a_patch_while_the_version_is_not_in_a_terminal_state_is_refused_with_409(fake: FakeArm,
                                                                                  fake_gallery: GalleryFake, state):
    v = fake_gallery.add_version({"eastus": 1}, resource_group=RG, state=state)
    body = {"properties": {"publishingProfile": {"targetRegions": [{"name": "eastus", "regionalReplicaCount": 2}]}}}
    with client(fake, ComputeManagementClient, "2024-03-03") as c:
        refused = send(c, "PATCH", VERSION_PATH, "2024-03-03", body)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "Conflict"
    assert not v.patches and v.counts() == {"eastus": 1}


def test_a_template_still_creating_refuses_a_run_then_runs(fake: FakeArm, fake_image_builder: ImageBuilderFake):
    fake_image_builder.add_template(TEMPLATE, RG).creating(1)
    with client(fake, ImageBuilderClient, "2024-02-01") as c:
        assert send(c, "POST", TEMPLATE_PATH + "/run", "2024-02-01").status_code == 409
        states = [send(c, "GET", TEMPLATE_PATH, "2024-02-01").json()["properties"]["provisioningState"]
                  for _ in range(2)]
        assert states == ["Creating", "Succeeded"]
        assert send(c, "POST", TEMPLATE_PATH + "/run", "2024-02-01").status_code == 202


def test_a_run_output_can_answer_404_once_after_the_run_succeeded(fake: FakeArm, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, next_run=RunPlan(polls=1))
    t.start_run()
    t.observe()
    t.run_output_404s = 1
    output = TEMPLATE_PATH + "/runOutputs/win2022-gallery"
    with client(fake, ImageBuilderClient, "2024-02-01") as c:
        listed = send(c, "GET", TEMPLATE_PATH + "/runOutputs", "2024-02-01").json()["value"]
        assert [o["name"] for o in listed] == ["win2022-gallery"]
        assert [send(c, "GET", output, "2024-02-01").status_code for _ in range(2)] == [404, 200]
