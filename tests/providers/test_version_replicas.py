"""VersionReplicas' provider against the fake ARM server's gallery routes, through the real
azure-mgmt-compute client, so azure-core's polling, retry and auth code runs. Timing bounds are loose
sanity ceilings."""

from __future__ import annotations

import pytest
from pulumi.output import Unknown

from components.providers.version_replicas import VersionReplicasError, VersionReplicasProvider
from tests.fakes.fake_arm import SUBSCRIPTION
from tests.fakes.fake_gallery import UpdatePlan
from tests.providers.engine import create, create_error
from tests.providers.version_replicas_support import VERSION_PATH, inputs, patches, provider, region, stored_outputs


@pytest.mark.parametrize("patch_status", [200, 201, 202])
def test_scale_up_patches_once_and_keeps_the_other_regions(fake, gallery, patch_status):
    v = gallery.add_version({"westeurope": 1, "eastus": 1}, patch_status=patch_status,
                            next_update=UpdatePlan(polls=3))

    result = create(provider(fake), inputs(fake))

    assert v.counts() == {"westeurope": 1, "eastus": 3} and v.state == "Succeeded"
    [patch] = patches(fake)
    assert patch.query["api-version"] == "2024-03-03"
    assert {r.query.get("api-version") for r in fake.log} == {"2024-03-03"}, "operation polls too"
    profile = patch.json["properties"]["publishingProfile"]
    assert profile["targetRegions"] == [
        {"name": "West Europe", "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS"},
        {"name": "East US", "regionalReplicaCount": 3, "storageAccountType": "Standard_LRS"}]
    # Updatable fields go back as read; non-updatable and read-only ones are not sent at all.
    assert {k: profile[k] for k in ("replicaCount", "excludeFromLatest", "endOfLifeDate")} == {
        "replicaCount": 1, "excludeFromLatest": False, "endOfLifeDate": "2027-01-01T00:00:00+00:00"}
    assert not {"storageAccountType", "replicationMode", "publishedDate"} & set(profile)
    # storageProfile is required in an update body by the spec: the version's own, unchanged.
    assert set(patch.json["properties"]) == {"publishingProfile", "storageProfile"}
    # (the SDK leaves out the read-only sizeInGB the GET returned)
    assert patch.json["properties"]["storageProfile"] == {"osDiskImage": {"hostCaching": "ReadWrite"}}
    assert result.id == result.outs["version_id"] == VERSION_PATH
    assert result.outs["applied_target_regions"] == [region("westeurope", 1), region("eastus", 3)]
    assert result.outs["target_regions"] == inputs(fake)["target_regions"]
    assert result.outs["resource_group_name"] == "rg-images"
    assert result.outs["applied_at"].endswith("+00:00") and result.outs["arm_endpoint"] == fake.base_url
    assert fake.credential.scopes[0] == (f"{fake.base_url}/.default",)


def test_version_already_as_requested_is_not_patched(fake, gallery):
    gallery.add_version({"eastus": 3, "westeurope": 1})
    # Names compare ignoring case and spaces (Azure answers "East US"); a None storage type matches any.
    result = create(provider(fake), inputs(fake, [region("EastUS", 3), region("westeurope", 1, None)]))
    # One read and nothing else: a fleet of many steps must not spend ARM's read quota on re-reads.
    assert not patches(fake) and [r.method for r in fake.log] == ["GET"]
    assert result.outs["applied_target_regions"] == [region("eastus", 3), region("westeurope", 1)]


def test_region_on_the_version_but_not_requested_is_kept(fake, gallery):
    v = gallery.add_version({"westeurope": 2, "northeurope": 1})

    result = create(provider(fake), inputs(fake, [region("westeurope", 4), region("eastus", 2, None)]))

    sent = patches(fake)[0].json["properties"]["publishingProfile"]["targetRegions"]
    assert [(r["name"], r["regionalReplicaCount"]) for r in sent] == [
        ("West Europe", 4), ("North Europe", 1), ("eastus", 2)]
    assert "storageAccountType" not in sent[2], "a new region without a type gets the version's default"
    assert v.counts() == {"westeurope": 4, "northeurope": 1, "eastus": 2}
    assert [r["name"] for r in result.outs["applied_target_regions"]] == ["westeurope", "northeurope", "eastus"]


def test_counts_arriving_as_floats_are_sent_as_integers(fake, gallery):
    # The engine hands a provider every number as a float.
    v = gallery.add_version({"eastus": 1})
    outs = create(provider(fake), inputs(fake, [region("eastus", 3.0)])).outs
    [sent] = v.patches[0]["properties"]["publishingProfile"]["targetRegions"]
    assert type(sent["regionalReplicaCount"]) is int and v.counts() == {"eastus": 3}
    assert outs["applied_target_regions"] == [region("eastus", 3)]


def test_update_in_progress_is_waited_for_not_patched_again(fake, gallery):
    # The retry of an interrupted create: our PATCH went through, replication is still running.
    v = gallery.add_version({"eastus": 3, "westeurope": 1}, state="Updating")
    v._ticks = 3
    create(provider(fake), inputs(fake))
    assert not patches(fake) and v.state == "Succeeded"




def test_diff_ignores_provider_order_and_case(fake):
    news = inputs(fake, [region("WestEurope", 1), region("eastus", 3)], __provider="new-pickle",
                  version_id=VERSION_PATH.replace("resourceGroups", "resourcegroups"))
    result = VersionReplicasProvider().diff(VERSION_PATH, stored_outputs(fake), news)
    assert result.changes is False and result.replaces == []


def test_target_regions_change_updates_in_place(fake, gallery):
    v = gallery.add_version({"eastus": 3, "westeurope": 1})
    p, olds = provider(fake), stored_outputs(fake)
    news = inputs(fake, [region("eastus", 5), region("westeurope", 1)])

    result = p.diff(VERSION_PATH, olds, news)
    assert result.changes is True and result.replaces == []
    outs = p.update(VERSION_PATH, olds, p.check(olds, news).inputs).outs

    assert v.counts()["eastus"] == 5 and len(patches(fake)) == 1
    assert outs["applied_target_regions"][0] == region("eastus", 5) and outs["applied_at"] != olds["applied_at"]
    assert outs["target_regions"] == news["target_regions"] and "__provider" not in outs


def test_unknown_regions_in_preview_are_an_update(fake):
    p = VersionReplicasProvider()
    news = inputs(fake, [{"name": "eastus", "regional_replica_count": Unknown(), "storage_account_type": None}])
    assert not p.check({}, news).failures
    result = p.diff(VERSION_PATH, stored_outputs(fake), news)
    assert result.changes is True and result.replaces == []


@pytest.mark.parametrize("overrides, bad", [
    ({"version_id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/images/img"}, "version_id"),
    ({"version_id": VERSION_PATH.replace(SUBSCRIPTION, "other-sub")}, "version_id"),
    ({"target_regions": []}, "target_regions"),
    ({"target_regions": [region("eastus", 0)]}, "target_regions"),
    ({"target_regions": [region("eastus", 101)]}, "target_regions"),
    ({"target_regions": [{"name": "eastus", "replica_count": 2}]}, "target_regions"),  # azure-native's key
    ({"target_regions": [region("eastus", 1), region("East US", 2)]}, "target_regions"),
    ({"target_regions": [None]}, "target_regions"),
    ({"target_regions": [{"name": 3, "regional_replica_count": 1}]}, "target_regions"),
    ({"target_regions": [{"regional_replica_count": 1}]}, "target_regions"),
    ({"target_regions": [{**region("eastus", 1), "zone": "1"}]}, "target_regions"),  # a key we would not send
    ({"target_regions": [region("eastus", 1, "")]}, "target_regions"),
    ({"target_regions": [region("eastus", 1, 5)]}, "target_regions"),
    ({"target_regions": [region("eastus", 2.5)]}, "target_regions"),
    ({"target_regions": [region("eastus", True)]}, "target_regions"),  # a bool is not a count
    ({"timeout_minutes": 0}, "timeout_minutes"),
    ({"poll_interval_seconds": "30"}, "poll_interval_seconds"),
])
def test_check_rejects_bad_inputs(fake, overrides, bad):
    failures = VersionReplicasProvider().check({}, inputs(fake, **overrides)).failures
    assert [f.property for f in failures] == [bad], [(f.property, f.reason) for f in failures]


def test_steps_of_one_version_never_update_it_at_once(fake, gallery):
    # The program gives each region its own step, with no dependency between them (image_template.py):
    # the engine runs them at once in one provider process. Both would read [westeurope], and the second
    # PATCH would meet the first's update (409) or, once it ended, drop the first's region.
    import threading
    v = gallery.add_version({"westeurope": 1}, next_update=UpdatePlan(polls=3))
    both_read = threading.Barrier(2, timeout=1.5)

    def first_reads(_req, _m):  # hold each first GET until the other step has read too, if it ever does
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass

    fake.inject("GET", VERSION_PATH, first_reads, first_reads)
    errors: list[BaseException] = []

    def step(name: str, count: int) -> None:
        try:
            create(provider(fake), inputs(fake, [region(name, count)]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=step, args=args) for args in (("westeurope", 2), ("eastus", 3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert v.counts() == {"westeurope": 2, "eastus": 3} and len(v.patches) == 2


# -- retries after an effect (issue 14) ---------------------------------------------------------------

def test_patch_that_took_effect_with_its_answer_lost_is_not_sent_again(fake, gallery):
    from tests.fakes.fake_arm import LOST_RESPONSE
    v = gallery.add_version({"eastus": 1, "westeurope": 1}, next_update=UpdatePlan(polls=2))
    fake.inject("PATCH", VERSION_PATH, LOST_RESPONSE)  # Azure applies it; the answer never arrives

    result = create(provider(fake), inputs(fake))

    assert len(patches(fake)) == 1 and len(v.patches) == 1
    assert v.counts() == {"eastus": 3, "westeurope": 1} and v.state == "Succeeded"
    assert sorted(result.outs["applied_target_regions"], key=lambda r: r["name"]) == [
        region("eastus", 3), region("westeurope", 1)]


def test_a_state_without_progress_shows_no_percentage(fake, gallery):
    v = gallery.add_version({"eastus": 1}, next_update=UpdatePlan(polls=None))
    plain = v.replication
    v.replication = lambda: {**plain(), "summary": [{"region": "East US", "state": "Replicating"}]}
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2)], timeout_minutes=0.005),
                        VersionReplicasError)
    assert "replication status: East US: Replicating. " in text, text


def test_a_tuning_change_with_regions_reordered_touches_nothing_in_azure(fake):
    # No version in the fake: any call to Azure would fail the update.
    olds = stored_outputs(fake)
    news = inputs(fake, [region("WestEurope", 1), region("eastus", 3)], timeout_minutes=0.5)
    outs = provider(fake).update(VERSION_PATH, olds, provider(fake).check(olds, news).inputs).outs
    assert not fake.log
    assert outs["applied_at"] == olds["applied_at"] and outs["timeout_minutes"] == 0.5
    assert outs["applied_target_regions"] == olds["applied_target_regions"]


def test_a_new_region_gets_the_storage_type_asked_for(fake, gallery):
    v = gallery.add_version({"eastus": 1})
    create(provider(fake), inputs(fake, [region("eastus", 1), region("northeurope", 2, "Premium_LRS")]))
    assert v.target_regions[-1] == {"name": "North Europe", "regionalReplicaCount": 2,
                                    "storageAccountType": "Premium_LRS"}
    assert v.patches[0]["properties"]["publishingProfile"]["targetRegions"][-1] == {
        "name": "northeurope", "regionalReplicaCount": 2, "storageAccountType": "Premium_LRS"}


def test_a_changed_storage_type_alone_is_patched(fake, gallery):
    v = gallery.add_version({"eastus": 3}, storage="Standard_LRS")
    create(provider(fake), inputs(fake, [region("eastus", 3, "Standard_ZRS")]))
    assert len(patches(fake)) == 1 and v.target_regions[0]["storageAccountType"] == "Standard_ZRS"


def test_a_region_without_its_own_count_has_the_versions_replica_count(fake, gallery):
    v = gallery.add_version({"eastus": 1})
    del v.target_regions[0]["regionalReplicaCount"]
    v.profile["replicaCount"] = 2
    outs = create(provider(fake), inputs(fake, [region("eastus", 2)])).outs
    assert not patches(fake)
    assert outs["applied_target_regions"] == [region("eastus", 2)]


def test_a_region_without_any_count_has_azures_default_of_one_replica(fake, gallery):
    # publishingProfile.replicaCount is optional, default 1 (Compute REST, GalleryImageVersionPublishingProfile).
    v = gallery.add_version({"eastus": 1})
    del v.target_regions[0]["regionalReplicaCount"]
    del v.profile["replicaCount"]
    outs = create(provider(fake), inputs(fake, [region("eastus", 1)])).outs
    assert not patches(fake)
    assert outs["applied_target_regions"] == [region("eastus", 1)]


def test_a_storage_type_change_alone_is_an_update_in_place(fake):
    news = inputs(fake, [region("eastus", 3, "Standard_ZRS"), region("westeurope", 1)])
    result = VersionReplicasProvider().diff(VERSION_PATH, stored_outputs(fake), news)
    assert result.changes is True and result.replaces == []


def test_a_version_that_lists_no_target_regions_gets_the_requested_ones(fake, gallery):
    # targetRegions is optional in GalleryImageVersionPublishingProfile (Compute REST 2024-03-03).
    v = gallery.add_version({"eastus": 1})
    plain = v.body

    def body(expand=None):
        shown = plain(expand)
        if not v.patches:
            del shown["properties"]["publishingProfile"]["targetRegions"]
        return shown

    v.body = body
    outs = create(provider(fake), inputs(fake, [region("eastus", 2)])).outs
    [patch] = patches(fake)
    assert patch.json["properties"]["publishingProfile"]["targetRegions"] == [
        {"name": "eastus", "regionalReplicaCount": 2, "storageAccountType": "Standard_LRS"}]
    assert outs["applied_target_regions"] == [region("eastus", 2)]


def test_steps_of_different_versions_do_not_wait_for_each_other(fake, gallery):
    # The lock is per version: another image's replication (hours, at times) must not hold this one's fleets.
    import threading
    other = VERSION_PATH.replace("/win2022/", "/win2025/")
    gallery.add_version({"westeurope": 1}, next_update=UpdatePlan(polls=3))
    gallery.add_version({"westeurope": 1}, image="win2025", next_update=UpdatePlan(polls=3))
    both_read, apart = threading.Barrier(2, timeout=5), []

    def first_reads(_req, _m):  # each version's first GET waits until the other version has been read too
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            apart.append("one step waited for the other")

    fake.inject("GET", VERSION_PATH, first_reads)
    fake.inject("GET", other, first_reads)
    threads = [threading.Thread(target=create, args=(provider(fake), inputs(fake, [region("eastus", 2)], version_id=v)))
               for v in (VERSION_PATH, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not apart and len(patches(fake)) == 1 and len(fake.requests("PATCH", other + "$")) == 1


def test_a_version_shown_without_a_storage_profile_gets_none_back(fake, gallery):
    # Only what the GET showed goes back: an empty storageProfile would be a different request.
    v = gallery.add_version({"eastus": 1})
    plain = v.body

    def body(expand=None):
        shown = plain(expand)
        del shown["properties"]["storageProfile"]
        return shown

    v.body = body
    create(provider(fake), inputs(fake, [region("eastus", 2)]))
    [patch] = patches(fake)
    assert set(patch.json["properties"]) == {"publishingProfile"}


def test_a_version_still_being_created_is_waited_for_before_the_patch(fake, gallery):
    # Image Builder is still distributing the version it built: Compute refuses a PATCH until it is done.
    v = gallery.add_version({"eastus": 1}, state="Creating")
    v._ticks = 3
    create(provider(fake), inputs(fake, [region("eastus", 2)]))
    [patch] = patches(fake)
    assert [r.method for r in fake.log[:3]] == ["GET"] * 3 and v.counts() == {"eastus": 2}


@pytest.mark.parametrize("count", [1, 100, 100.0])  # 100: rules.MAX_REPLICAS_PER_REGION, Azure's limit
def test_check_accepts_counts_from_one_to_the_limit(fake, count):
    assert not VersionReplicasProvider().check({}, inputs(fake, [region("eastus", count)])).failures


def test_a_region_listed_twice_is_named_as_first_written(fake):
    [failure] = VersionReplicasProvider().check({}, inputs(fake, [region("eastus", 1), region("East US", 2)])).failures
    assert failure.reason == "region 'eastus' is listed more than once in target_regions"
