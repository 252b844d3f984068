"""VersionReplicas' provider against the fake ARM server's gallery routes: how it fails (errors, timeouts,
refusals), and what it says then. The scenarios that succeed are in test_version_replicas.py."""

from __future__ import annotations

import time

from components.providers.version_replicas import VersionReplicasError, VersionReplicasProvider
from tests.fakes.fake_arm import RESET, SUBSCRIPTION, arm_error
from tests.fakes.fake_gallery import GalleryFake, UpdatePlan
from tests.providers.engine import create, create_error
from tests.providers.version_replicas_support import VERSION_PATH, inputs, patches, provider, region


def test_failed_replication_explains_itself(fake, gallery):
    gallery.add_version({"westeurope": 1, "eastus": 1}, next_update=UpdatePlan(outcome="Failed", polls=2))

    text = create_error(provider(fake), inputs(fake), VersionReplicasError)

    for expected in ("VersionReplicas for gallery image version galimages/win2022/1.0.3 (resource group rg-images) "
                     "failed while setting target regions [eastus=3 (Standard_LRS), westeurope=1 (Standard_LRS)]",
                     "last provisioningState Failed", "East US: Failed 40% (Replication failed in region 'East US'",
                     "West Europe: Completed", "operation: operation failed: ReplicationFailed",
                     "az sig image-version show -g rg-images -r galimages -i win2022 -e 1.0.3 --expand ReplicationStatus",
                     "run `pulumi up` again"):
        assert expected in text, text
    assert len(patches(fake)) == 1


def test_replication_that_never_finishes_times_out(fake, gallery):
    gallery.add_version({"eastus": 1, "westeurope": 1}, next_update=UpdatePlan(polls=None))
    begun = time.monotonic()

    text = create_error(provider(fake), inputs(fake, timeout_minutes=0.01), VersionReplicasError)  # 0.6 s

    assert 0.5 <= time.monotonic() - begun < 10
    for expected in ("timed out after", "timeout_minutes=0.01", "last provisioningState Updating",
                     "East US: Replicating 40%", "Azure carries on, and the next `pulumi up` waits for it"):
        assert expected in text, text
    assert len(patches(fake)) == 1


def test_transient_errors_on_patch_are_retried(fake, gallery):
    v = gallery.add_version({"eastus": 1, "westeurope": 1})
    fake.inject("PATCH", VERSION_PATH, arm_error(500, "InternalServerError", "try again"),
                arm_error(429, "TooManyRequests", "slow down", {"Retry-After": "1"}), RESET)
    fake.inject("GET", VERSION_PATH, arm_error(503, "ServerBusy", "later"))

    create(provider(fake), inputs(fake))

    assert len(patches(fake)) == 4 and len(v.patches) == 1 and v.counts()["eastus"] == 3
    second, third = patches(fake)[1:3]
    assert third.at - second.at >= 0.9, "Retry-After: 1 was honoured"


def test_arm_errors_name_the_version(fake, gallery):
    gallery.add_version({"eastus": 1})
    text = create_error(provider(fake), inputs(fake, api_version="2026-03-03"), VersionReplicasError)
    assert "could not read the version for gallery image version galimages/win2022/1.0.3" in text
    assert "HTTP 400 NoRegisteredProviderFound" in text and not patches(fake)


# -- the Pulumi contract ----------------------------------------------------------------------------

def test_failure_shows_each_regions_replication_status_exactly(fake, gallery):
    gallery.add_version({"westeurope": 1, "eastus": 1}, next_update=UpdatePlan(outcome="Failed", polls=2))
    text = create_error(provider(fake), inputs(fake), VersionReplicasError)
    assert ("replication status: West Europe: Completed; East US: Failed 40% (Replication failed in region "
            "'East US': the regional storage account quota was exceeded.), operation: ") in text, text


def test_the_whole_failure_message(fake, gallery):
    gallery.add_version({"westeurope": 1, "eastus": 1}, next_update=UpdatePlan(outcome="Failed", polls=2))
    text = create_error(provider(fake), inputs(fake), VersionReplicasError)
    assert ("failed while setting target regions [eastus=3 (Standard_LRS), westeurope=1 (Standard_LRS)]: last "
            "provisioningState Failed, regions on the version [West Europe=1, East US=3], replication status: "
            "West Europe: Completed; East US: Failed 40% (") in text, text
    assert text.endswith("then run `pulumi up` again: it re-applies the counts, rebuilds nothing.")


def test_a_timeout_without_an_operation_error_or_status(fake, gallery):
    v = gallery.add_version({"eastus": 1}, next_update=UpdatePlan(polls=None))
    plain = v.replication
    v.replication = lambda: {**plain(), "summary": []}
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2, None)], timeout_minutes=0.005),
                        VersionReplicasError)
    assert ("while setting target regions [eastus=2]: last provisioningState Updating, regions on the version "
            "[East US=2], replication status: not reported. Check `az sig image-version show") in text, text


def test_a_patch_that_took_effect_but_answered_500_is_not_sent_again(fake, gallery):
    v = gallery.add_version({"eastus": 1, "westeurope": 1})

    def applied_then_500(req, m):
        gallery._patch(req, m)  # Azure applied it ...
        return arm_error(500, "InternalServerError", "... and then failed to answer")

    fake.inject("PATCH", VERSION_PATH, applied_then_500)
    create(provider(fake), inputs(fake))
    assert len(patches(fake)) == 1 and len(v.patches) == 1 and v.counts() == {"eastus": 3, "westeurope": 1}


def test_a_refused_patch_names_the_step(fake, gallery):
    gallery.add_version({"eastus": 1})
    fake.inject("PATCH", VERSION_PATH, arm_error(400, "InvalidParameter", "storage type not offered"))
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2)]), VersionReplicasError)
    assert text.startswith("VersionReplicas could not update targetRegions for gallery image version "
                           "galimages/win2022/1.0.3 (resource group rg-images): "), text
    assert "HTTP 400 InvalidParameter" in text and "Last seen: provisioningState Succeeded." in text


def test_an_operation_poll_refused_once_is_retried_so_the_operation_error_is_azures(fake, gallery):
    # The PATCH is sent with retry_total=0 (we retry it ourselves, after asking whether it took effect);
    # its status polls must keep azure-core's retries, or a 503 on one poll stands in for the operation's
    # real outcome in the message.
    gallery.add_version({"westeurope": 1, "eastus": 1}, next_update=UpdatePlan(outcome="Failed", polls=3))
    fake.inject("GET", GalleryFake.OPERATION_PATH, arm_error(503, "ServerBusy", "later"))
    text = create_error(provider(fake), inputs(fake), VersionReplicasError)
    assert ", operation: operation failed: ReplicationFailed: Replication failed in region 'East US'" in text, text
    assert "ServerBusy" not in text and len(fake.requests("GET", GalleryFake.OPERATION_PATH)) >= 2


def test_a_version_still_being_created_without_target_regions_times_out_with_an_explanation(fake, gallery):
    # Image Builder's own distribution, still under way: the version may not list its regions yet.
    v = gallery.add_version({"eastus": 1}, state="Creating")
    plain = v.body
    v.body = lambda expand=None: {**plain(expand), "properties": {
        **plain(expand)["properties"], "publishingProfile": {"replicaCount": 1}}}
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2)], timeout_minutes=0.005),
                        VersionReplicasError)
    assert "timed out after" in text and "last provisioningState Creating, regions on the version []" in text, text
    assert not patches(fake)


def test_a_401_on_the_patch_renews_the_session_and_patches_once(fake, gallery):
    # The token expired between the read and the PATCH: the session has worked, so it is renewed, not fatal.
    v = gallery.add_version({"eastus": 1})
    fake.inject("PATCH", VERSION_PATH, arm_error(401, "ExpiredAuthenticationToken", "The access token expired."))
    create(provider(fake), inputs(fake, [region("eastus", 2)]))
    assert len(patches(fake)) == 2 and len(v.patches) == 1 and v.counts() == {"eastus": 2}


def test_a_patch_refused_until_the_retries_run_out_says_what_was_sent(fake, gallery):
    gallery.add_version({"eastus": 1})
    fake.inject("PATCH", VERSION_PATH, *[arm_error(503, "ServiceUnavailable", "down")] * 4)
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2)]), VersionReplicasError)
    assert ("could not update targetRegions for gallery image version galimages/win2022/1.0.3 (resource group "
            "rg-images): ArmCallFailed: PATCH gallery image version galimages/win2022/1.0.3 (resource group rg-images): gave up "
            "after 4 attempts") in text, text
    assert "last error: HTTP 503 ServiceUnavailable: down" in text


def test_no_wait_for_the_operation_once_the_deadline_has_passed(fake, gallery):
    # ARM answered the read slowly and timeout_minutes (60 ms) ran out before the PATCH was answered: the
    # operation, polled every 0.5 s and three observations from done, is not waited for: the wait says it
    # timed out (the next `pulumi up` finds the update finished).
    gallery.add_version({"eastus": 1}, next_update=UpdatePlan(polls=3))
    fake.inject("GET", VERSION_PATH, lambda _req, _m: time.sleep(0.1))
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2)], timeout_minutes=0.001,
                                               poll_interval_seconds=0.5), VersionReplicasError)
    assert "timed out after" in text and "last provisioningState Updating" in text, text


def test_a_read_refused_during_replication_names_that_step(fake, gallery):
    gallery.add_version({"eastus": 1}, next_update=UpdatePlan(polls=3))
    # the read before the PATCH, the operation's own final read of the version, then the wait's first read
    fake.inject("GET", VERSION_PATH, None, None, arm_error(403, "AuthorizationFailed", "no read on the version any more"))
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2)]), VersionReplicasError)
    assert text.startswith("VersionReplicas could not wait for replication for gallery image version "
                           "galimages/win2022/1.0.3 (resource group rg-images): HTTP 403 AuthorizationFailed"), text
    assert "Last seen: provisioningState Succeeded." in text and len(patches(fake)) == 1


def test_only_trailing_dots_are_taken_off_the_operation_error(fake, gallery):
    # The message ends "... operation: <Azure's error>. <advice>": one full stop, and nothing else cut.
    error = {"code": "OperationNotAllowed", "message": "Replica count above the limit for Standard_ZRS in region X."}
    gallery.add_version({"eastus": 1}, next_update=UpdatePlan(outcome="Failed", polls=2, error=error))
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2)]), VersionReplicasError)
    assert ", operation: operation failed: OperationNotAllowed: Replica count above the limit for Standard_ZRS in " \
           "region X. Check `az sig image-version show" in text, text


def test_a_wait_with_a_long_poll_interval_ends_at_its_deadline_and_says_how_long_it_took(fake, gallery):
    import re
    gallery.add_version({"eastus": 1}, state="Updating")  # someone else's update, never ending
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2)], timeout_minutes=0.01,
                                               poll_interval_seconds=10), VersionReplicasError)
    waited = re.search(r"timed out after (\d+\.\d)s \(timeout_minutes=0\.01;", text)
    assert waited and 0.5 <= float(waited[1]) < 5, text  # 0.6 s; a sleep of the whole interval would be 10 s


def test_reads_failing_until_the_deadline_say_what_was_read(fake, gallery):
    gallery.add_version({"eastus": 1})
    fake.inject("GET", VERSION_PATH, *[arm_error(503, "ServiceUnavailable", "down")] * 10_000)
    text = create_error(provider(fake), inputs(fake, [region("eastus", 2)], timeout_minutes=0.005),
                        VersionReplicasError)
    assert ("could not read the version for gallery image version galimages/win2022/1.0.3 (resource group "
            "rg-images): ArmCallFailed: GET gallery image version galimages/win2022/1.0.3 (resource group "
            "rg-images): still failing when the wait's deadline came") in text, text
    assert "last error: HTTP 503 ServiceUnavailable: down" in text and not patches(fake)


def test_check_compares_subscriptions_ignoring_case_and_says_which_it_was_not_in(fake):
    sub = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"  # GUIDs have letters: ARM may answer them in upper case
    p = VersionReplicasProvider()
    for given, in_id in ((sub, sub.upper()), (sub.upper(), sub)):
        props = inputs(fake, subscription_id=given, version_id=VERSION_PATH.replace(SUBSCRIPTION, in_id))
        assert not p.check({}, props).failures, given
    elsewhere = VERSION_PATH.replace(SUBSCRIPTION, sub)
    [failure] = p.check({}, inputs(fake, version_id=elsewhere)).failures
    assert failure.reason == f"version_id {elsewhere!r} is not in subscription {SUBSCRIPTION}"
