"""DefinitionVersions (issue 8, item 5) against the fake gallery, through the real azure-mgmt-compute client:
its delete removes every image version Image Builder wrote into a definition, so that the definition's own
delete, which Compute refuses while versions exist, then succeeds."""

from __future__ import annotations

import re
import time

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.mgmt.compute import ComputeManagementClient

from components.providers.arm import management_client
from components.providers.definition_versions import DefinitionVersionsError, DefinitionVersionsProvider
from tests.fakes.fake_arm import FAST_RETRY, SUBSCRIPTION, FakeArm, Reply, arm_error
from tests.fakes.fake_gallery import GalleryFake
from tests.providers.engine import create, within

RG, GALLERY, IMAGE = "rg-images", "galimages", "win2022"
LIST_PATH = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/{GALLERY}"
             f"/images/{IMAGE}/versions")


def provider(fake: FakeArm) -> DefinitionVersionsProvider:
    return DefinitionVersionsProvider(**fake.provider_kwargs(FAST_RETRY))


def inputs(fake: FakeArm, **overrides) -> dict:
    return {"subscription_id": SUBSCRIPTION, "resource_group_name": RG, "gallery_name": GALLERY,
            "gallery_image_name": IMAGE, "timeout_minutes": 0.05, "poll_interval_seconds": 0.02,
            "settle_seconds": 0, "arm_endpoint": fake.base_url, "definition_id": None, "__provider": "x",
            **overrides}


def delete_definition(fake: FakeArm) -> None:
    with management_client(ComputeManagementClient, subscription_id=SUBSCRIPTION, api_version="2024-03-03",
                           arm_endpoint=fake.base_url, polling_interval=0.01, credential_override=fake.credential,
                           **fake.client_kwargs) as client:
        client.gallery_images.begin_delete(RG, GALLERY, IMAGE, api_version="2024-03-03").result()


def stored(fake: FakeArm, **overrides) -> dict:
    return create(provider(fake), inputs(fake, **overrides)).outs


def test_create_records_the_definition_and_calls_nothing(fake, fake_gallery: GalleryFake):
    result = create(provider(fake), inputs(fake))
    assert not fake.log
    assert result.id == f"{result.outs['definition_id']}/versions"
    assert result.outs["definition_id"].endswith(f"/galleries/{GALLERY}/images/{IMAGE}")
    for key in ("subscription_id", "resource_group_name", "gallery_name", "gallery_image_name", "arm_endpoint",
                "api_version", "timeout_minutes"):
        assert result.outs[key] is not None, key  # delete sees only these outputs


def test_delete_removes_every_version_then_the_definition_can_go(fake, fake_gallery: GalleryFake):
    for name in ("1.0.0", "1.0.1", "1.0.2"):
        fake_gallery.add_version({"westeurope": 1, "eastus": 2}, name=name, resource_group=RG, delete_polls=3)
    with pytest.raises(ResourceExistsError):
        delete_definition(fake)  # what `pulumi destroy` met before this resource existed

    provider(fake).delete("id", stored(fake))

    assert not fake_gallery.in_definition(RG, GALLERY, IMAGE)
    assert len(fake.requests("DELETE", LIST_PATH + "/")) == 3
    assert {r.query["api-version"] for r in fake.log} == {"2024-03-03"}
    delete_definition(fake)
    assert fake_gallery.deleted_definitions == [IMAGE]


def test_a_version_already_being_deleted_is_waited_for(fake, fake_gallery: GalleryFake):
    v = fake_gallery.add_version({"westeurope": 1}, name="1.0.0", resource_group=RG)
    v.state, v._delete_ticks = "Deleting", 3  # an interrupted destroy
    provider(fake).delete("id", stored(fake))
    assert not fake_gallery.in_definition(RG, GALLERY, IMAGE) and not fake.requests("DELETE")


def test_nothing_to_do_when_the_definition_is_empty_or_gone(fake, fake_gallery: GalleryFake):
    provider(fake).delete("id", stored(fake))  # unknown to the fake: 404
    fake_gallery.add_definition(RG, GALLERY, IMAGE)
    provider(fake).delete("id", stored(fake))
    assert [r.method for r in fake.log] == ["GET", "GET"]


def test_waits_settle_seconds_after_deleting(fake, fake_gallery: GalleryFake):
    # A definition can still refuse deletion for seconds after its last version went.
    fake_gallery.add_version({"westeurope": 1}, name="1.0.0", resource_group=RG, delete_polls=1)
    begun = time.monotonic()
    provider(fake).delete("id", stored(fake, settle_seconds=0.5))
    assert time.monotonic() - begun >= 0.5


def test_arm_outage_during_the_wait_is_retried(fake, fake_gallery: GalleryFake):
    fake_gallery.add_version({"westeurope": 1}, name="1.0.0", resource_group=RG, delete_polls=2)
    fake.inject("GET", LIST_PATH, None, *[arm_error(503, "ServiceUnavailable", "down")] * 12)
    provider(fake).delete("id", stored(fake, timeout_minutes=0.2))
    assert not fake_gallery.in_definition(RG, GALLERY, IMAGE)


def test_versions_that_never_go_time_out_with_an_explanation(fake, fake_gallery: GalleryFake):
    fake_gallery.add_version({"westeurope": 1}, name="1.0.7", resource_group=RG, delete_polls=10_000)
    with pytest.raises(DefinitionVersionsError) as info:
        within(30, lambda: provider(fake).delete("id", stored(fake, timeout_minutes=0.01)))
    text = str(info.value)
    for expected in ("timed out", "1.0.7: Deleting", f"az sig image-version list -g {RG} -r {GALLERY} -i {IMAGE}",
                     "refuses to delete a definition that still has versions", "CanNotDelete lock"):
        assert expected in text, text


def test_a_lock_refusing_the_delete_is_explained(fake, fake_gallery: GalleryFake):
    fake_gallery.add_version({"westeurope": 1}, name="1.0.0", resource_group=RG)
    fake.inject("DELETE", LIST_PATH + "/.*", arm_error(409, "ScopeLocked", "The scope is locked: CanNotDelete"))
    with pytest.raises(DefinitionVersionsError) as info:
        provider(fake).delete("id", stored(fake))
    assert "ScopeLocked" in str(info.value) and "az lock list" in str(info.value)


# -- what delete says and waits for (issue 14) ---------------------------------------------------------

def test_create_records_the_definitions_arm_id(fake):
    result = create(provider(fake), inputs(fake))
    definition = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/{GALLERY}"
                  f"/images/{IMAGE}")
    assert result.outs["definition_id"] == definition and result.id == definition + "/versions"
    assert {k: result.outs[k] for k in ("settle_seconds", "poll_interval_seconds")} == {"settle_seconds": 0,
                                                                                     "poll_interval_seconds": 0.02}


def test_the_whole_timeout_message(fake, fake_gallery: GalleryFake):
    fake_gallery.add_version({"westeurope": 1}, name="1.0.7", resource_group=RG, delete_polls=10_000)
    fake_gallery.add_version({"westeurope": 1}, name="1.0.6", resource_group=RG, delete_polls=10_000)
    with pytest.raises(DefinitionVersionsError) as info:
        within(30, lambda: provider(fake).delete("id", stored(fake, timeout_minutes=0.005)))
    text = str(info.value)
    assert re.match(rf"DefinitionVersions could not delete the image versions of gallery image definition "
                    rf"{GALLERY}/{IMAGE} \(resource group {RG}\): timed out after \d+\.\ds \(timeout_minutes=0\.005\)\. ",
                    text), text
    assert text.endswith(
        f"(timeout_minutes=0.005). Versions seen: [1.0.6: Deleting, 1.0.7: Deleting]. Azure refuses to delete a "
        f"definition that still has versions. A CanNotDelete lock on the gallery or its group also refuses it (`az lock "
        f"list -g {RG}`). Check `az sig image-version list -g {RG} -r {GALLERY} -i {IMAGE} -o table`, delete what is "
        f"left (`az sig image-version delete`), then run `pulumi destroy` (or `pulumi up`) again."), text


def test_a_refused_first_list_says_no_version_was_seen(fake, fake_gallery: GalleryFake):
    fake_gallery.add_definition(RG, GALLERY, IMAGE)
    fake.inject("GET", LIST_PATH, arm_error(403, "AuthorizationFailed", "no read on versions"))
    with pytest.raises(DefinitionVersionsError) as info:
        provider(fake).delete("id", stored(fake))
    assert ": HTTP 403 AuthorizationFailed: no read on versions. Versions seen: [none listed]. " in str(info.value)


def test_a_definition_deleted_meanwhile_ends_the_wait(fake, fake_gallery: GalleryFake):
    fake_gallery.add_version({"westeurope": 1}, name="1.0.0", resource_group=RG, delete_polls=10_000)
    fake.inject("GET", LIST_PATH, None, arm_error(404, "ResourceNotFound", "The Resource was not found."))
    begun = time.monotonic()
    within(30, lambda: provider(fake).delete("id", stored(fake, timeout_minutes=0.2, settle_seconds=0.5)))
    assert len(fake.requests("GET", LIST_PATH + "$")) == 2
    assert time.monotonic() - begun >= 0.5, "a version was deleted: settle_seconds are waited"


def test_each_version_is_deleted_by_its_own_name(fake, fake_gallery: GalleryFake):
    for name in ("1.0.0", "1.0.1"):
        fake_gallery.add_version({"westeurope": 1}, name=name, resource_group=RG, delete_polls=1)
    provider(fake).delete("id", stored(fake))
    assert sorted(r.path.rsplit("/", 1)[-1] for r in fake.requests("DELETE")) == ["1.0.0", "1.0.1"]


def test_settle_seconds_are_waited_only_after_deleting_something(fake, fake_gallery: GalleryFake):
    # The definition unknown (404), then there but empty: nothing was deleted, nothing to settle.
    within(10, lambda: provider(fake).delete("id", stored(fake, settle_seconds=600)))
    fake_gallery.add_definition(RG, GALLERY, IMAGE)
    within(10, lambda: provider(fake).delete("id", stored(fake, settle_seconds=600)))


def test_deletes_are_started_not_polled_one_by_one(fake, fake_gallery: GalleryFake):
    # polling=False: the list shows progress for every version at once; no poller (and thread) per version.
    for name in ("1.0.0", "1.0.1"):
        fake_gallery.add_version({"westeurope": 1}, name=name, resource_group=RG, delete_polls=3)
    provider(fake).delete("id", stored(fake))
    assert not fake.requests("GET", "/capsOperations/") and not fake_gallery.in_definition(RG, GALLERY, IMAGE)


def test_a_delete_refused_until_the_deadline_says_which_version(fake, fake_gallery: GalleryFake):
    fake_gallery.add_version({"westeurope": 1}, name="1.0.0", resource_group=RG)
    fake.inject("DELETE", LIST_PATH + "/.*", *[arm_error(503, "ServiceUnavailable", "down")] * 10_000)
    with pytest.raises(DefinitionVersionsError) as info:
        provider(fake).delete("id", stored(fake, timeout_minutes=0.005))
    assert "ArmCallFailed: DELETE versions/1.0.0: still failing when the wait's deadline came" in str(info.value)


def test_a_version_listed_without_a_state_shows_a_question_mark(fake, fake_gallery: GalleryFake):
    fake_gallery.add_version({"westeurope": 1}, name="1.0.0", resource_group=RG, delete_polls=10_000)
    fake.inject("GET", LIST_PATH, *[Reply(200, {"value": [{"name": "1.0.0", "properties": {}}]})] * 10_000)
    with pytest.raises(DefinitionVersionsError) as info:
        within(30, lambda: provider(fake).delete("id", stored(fake, timeout_minutes=0.005)))
    assert "Versions seen: [1.0.0: ?]." in str(info.value)


def test_a_list_failing_until_the_deadline_says_what_was_listed(fake, fake_gallery: GalleryFake):
    fake_gallery.add_definition(RG, GALLERY, IMAGE)
    fake.inject("GET", LIST_PATH, *[arm_error(503, "ServiceUnavailable", "down")] * 10_000)
    with pytest.raises(DefinitionVersionsError) as info:
        provider(fake).delete("id", stored(fake, timeout_minutes=0.005))
    assert (f"ArmCallFailed: GET gallery image definition {GALLERY}/{IMAGE} (resource group {RG}) versions: still "
            f"failing when the wait's deadline came") in str(info.value)


def test_a_401_while_waiting_renews_the_session(fake, fake_gallery: GalleryFake):
    # The token expired during a long wait: the session has worked, so it is renewed, not fatal.
    fake_gallery.add_version({"westeurope": 1}, name="1.0.0", resource_group=RG, delete_polls=3)
    fake.inject("GET", LIST_PATH, None, arm_error(401, "ExpiredAuthenticationToken", "The access token expired."))
    provider(fake).delete("id", stored(fake, timeout_minutes=0.2))
    assert not fake_gallery.in_definition(RG, GALLERY, IMAGE)
