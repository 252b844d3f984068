"""Long waits survive what an hour of waiting brings (issue 8, item 10): a 401 when the token is revoked or
expires (a new credential and client, then on), a failed token refresh, and an ARM outage of about 90 s;
retried until the wait's own deadline, not for a fixed count. Final reads are retried the same way, and a
wait that does end says the last run state seen and where the logs are.

Timings are production's divided by 100: ArmRetry's defaults (6 attempts, backoff from 2 s, at most 60 s)
become SCALED. The old fixed count tolerated about 62 s of our backoff plus azure-core's own retries, so an
outage of "about 90 s" sat right at its edge; OUTAGE is 150 s scaled, clearly past any fixed count's reach,
and well inside the wait's own deadline, which is what bounds the retries now.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CredentialUnavailableError

from components.providers.arm import ArmRetry, ArmSession, call_until_deadline, credential
from components.providers.generalize import GeneralizeProvider
from components.providers.image_build import ImageBuildError, ImageBuildProvider
from components.providers.version_replicas import VersionReplicasProvider
from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm, arm_error, rotate_token
from tests.fakes.fake_compute import ComputeFake, SysprepPlan
from tests.fakes.fake_gallery import GalleryFake, UpdatePlan
from tests.fakes.fake_image_builder import ImageBuilderFake, RunPlan
from tests.providers.engine import create, create_error
from tests.providers.image_build_support import OUTPUT, RG, TEMPLATE, TEMPLATE_PATH, inputs

SCALED = ArmRetry(attempts=6, backoff_seconds=0.02, max_backoff_seconds=0.6, max_retry_after_seconds=1.2)
OUTAGE = 1.5  # 150 s of ARM answering 503, scaled
VERSION_PATH = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-images/providers/Microsoft.Compute"
                f"/galleries/galimages/images/win2022/versions/1.0.3")
VM_RG, VM = "rg-capture", "vm-ref-capture"


class LiveCredential:
    """Entra ID as the providers see it, through credentials that cache their token like azure-identity's do:
    each credential keeps the first token it got until that token nears expiry (azure-core asks again within
    5 minutes of it; `lifetime` short makes that every request), so after a revocation only a NEW credential
    gets the token the fake accepts now. Calling this object makes one (what arm.credential does for a
    renewal); using it directly as a credential gives one shared instance, as the code before renewals did.
    `failures` makes the next token requests raise (Entra ID or the managed identity endpoint unreachable)."""

    def __init__(self, fake: FakeArm, lifetime: float = 3600) -> None:
        self.fake, self.lifetime, self.calls, self.made, self.failures = fake, lifetime, 0, 0, []
        self._shared = None

    def __call__(self) -> "_CachingCredential":
        self.made += 1
        return _CachingCredential(self)

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self._shared = self._shared or _CachingCredential(self)
        return self._shared.get_token(*scopes, **kwargs)


class _CachingCredential:
    def __init__(self, source: LiveCredential) -> None:
        self.source, self.token = source, None

    def get_token(self, *_scopes: str, **_kwargs: Any) -> AccessToken:
        self.source.calls += 1
        if self.source.failures:
            raise self.source.failures.pop(0)
        if self.token is None or self.token.expires_on - time.time() < 300:
            self.token = AccessToken(self.source.fake.credential.token, int(time.time() + self.source.lifetime))
        return self.token


class Outage:
    """An injected action: every matching request in the next `seconds` (from the first one) gets a 503."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.began, self.refused = seconds, None, 0

    def __call__(self, _req, _m):
        self.began = self.began or time.monotonic()
        if time.monotonic() - self.began < self.seconds:
            self.refused += 1
            return arm_error(503, "ServiceUnavailable", "ARM is having a day")
        return None


def kwargs(fake: FakeArm, cred: Any, retry: ArmRetry = SCALED) -> dict:
    return {"credential": cred, "client_kwargs": fake.client_kwargs, "retry": retry}


def build_inputs(fake: FakeArm, **overrides) -> dict:
    return inputs(fake, **{"build_timeout_minutes": 0.1, **overrides})


# -- ImageBuild -------------------------------------------------------------------------------------

def test_build_survives_a_401_mid_wait_with_a_new_token(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=6))
    cred = LiveCredential(fake)
    fake.inject("GET", r".*/operations/.*", None, rotate_token(fake))  # the second status poll gets a 401

    result = create(ImageBuildProvider(**kwargs(fake, cred), wait_margin_seconds=3), build_inputs(fake))

    assert result.outs["artifact_id"] == t.artifact_id(0)
    assert [r.headers["authorization"] for r in fake.requests()][-1] == "Bearer rotated-token"
    assert cred.made >= 2 and len(fake.requests("POST")) == 1


def test_build_survives_failed_token_refreshes(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=8))
    cred = LiveCredential(fake, lifetime=60)  # azure-core asks for a token before every request
    failures = [ClientAuthenticationError("AADSTS50058: token endpoint unreachable"),
                CredentialUnavailableError("ManagedIdentityCredential: IMDS did not answer")]
    fake.inject("GET", r".*/operations/.*", None, lambda req, m: cred.failures.extend(failures))

    result = create(ImageBuildProvider(**kwargs(fake, cred), wait_margin_seconds=3), build_inputs(fake))

    assert result.outs["artifact_id"] == t.artifact_id(0) and not cred.failures and cred.made >= 2


def test_build_survives_a_90_second_arm_outage(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=3))
    outage = Outage(OUTAGE)
    fake.inject("GET", TEMPLATE_PATH, None, *[outage] * 10_000)  # from the first read after the start

    result = create(ImageBuildProvider(**kwargs(fake, fake.credential), wait_margin_seconds=5), build_inputs(fake))

    assert result.outs["artifact_id"] == t.artifact_id(0)
    assert outage.refused > 0


def test_final_read_of_the_run_output_is_retried(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT, next_run=RunPlan(polls=2))
    outage = Outage(OUTAGE)
    fake.inject("GET", TEMPLATE_PATH + "/runOutputs/.*", *[outage] * 10_000)

    result = create(ImageBuildProvider(**kwargs(fake, fake.credential), wait_margin_seconds=3), build_inputs(fake))

    assert result.outs["artifact_id"] == t.artifact_id(0) and outage.refused > 4


def test_outage_longer_than_the_wait_names_last_state_and_logs(fake, fake_image_builder: ImageBuilderFake):
    t = fake_image_builder.add_template(TEMPLATE, RG, OUTPUT)
    t.start_run(RunPlan(polls=None))  # a run in progress (autoRun, or an interrupted `pulumi up`): adopted
    fake.inject("GET", TEMPLATE_PATH, None, *[Outage(3600)] * 100_000)

    text = create_error(ImageBuildProvider(**kwargs(fake, fake.credential), wait_margin_seconds=0.5),
                        build_inputs(fake, build_timeout_minutes=0.01), ImageBuildError)

    for expected in ("Lost track", "still failing when the wait's deadline came", "HTTP 503",
                     "Last seen: runState Running", "packerlogs", "customization.log", t.staging_resource_group,
                     f"az image builder cancel -g {RG} -n {TEMPLATE}"):
        assert expected in text, text


def test_wrong_credentials_at_the_start_fail_fast(fake, fake_image_builder: ImageBuilderFake):
    fake_image_builder.add_template(TEMPLATE, RG, OUTPUT)
    cred = LiveCredential(fake)
    cred.failures = [CredentialUnavailableError("no credential configured")] * 5
    begun = time.monotonic()
    text = create_error(ImageBuildProvider(**kwargs(fake, cred), wait_margin_seconds=60), build_inputs(fake),
                        ImageBuildError)
    assert "could not get an Azure token" in text and time.monotonic() - begun < 5
    assert len(cred.failures) == 3, "one renewal, then the configuration problem is reported"


# -- VersionReplicas and Generalize -----------------------------------------------------------------

def replicas_inputs(fake: FakeArm) -> dict:
    return {"subscription_id": SUBSCRIPTION, "version_id": VERSION_PATH,
            "target_regions": [{"name": "eastus", "regional_replica_count": 3, "storage_account_type": None}],
            "timeout_minutes": 0.1, "poll_interval_seconds": 0.05, "arm_endpoint": fake.base_url,
            "applied_target_regions": None, "applied_at": None, "__provider": "serialized"}


def test_replicas_survive_a_401_and_an_outage_mid_replication(fake, fake_gallery: GalleryFake):
    v = fake_gallery.add_version({"eastus": 1}, next_update=UpdatePlan(polls=6))
    cred, outage = LiveCredential(fake), Outage(OUTAGE)
    fake.inject("GET", VERSION_PATH, None, rotate_token(fake), *[outage] * 10_000)

    create(VersionReplicasProvider(**kwargs(fake, cred)), replicas_inputs(fake))

    assert v.counts() == {"eastus": 3} and v.state == "Succeeded" and outage.refused > 4 and cred.made >= 2


def test_generalize_survives_a_401_and_an_outage_while_sysprep_runs(fake, fake_compute: ComputeFake):
    vm = fake_compute.add_vm(VM, VM_RG, sysprep=SysprepPlan(polls_to_stop=6, report_polls=1))
    cred, outage = LiveCredential(fake), Outage(OUTAGE)
    view = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{VM_RG}/providers/Microsoft.Compute/virtualMachines/{VM}" \
           f"/instanceView"
    fake.inject("GET", view, None, None, rotate_token(fake), None, *[outage] * 10_000)

    create(GeneralizeProvider(**kwargs(fake, cred)),
           {"subscription_id": SUBSCRIPTION, "resource_group_name": VM_RG, "vm_name": VM, "vm_id": None,
            "timeout_minutes": 0.1, "poll_interval_seconds": 0.05, "arm_endpoint": fake.base_url,
            "generalized_at": None, "__provider": "serialized"})

    assert vm.generalized and outage.refused > 4 and cred.made >= 2


def test_generalize_survives_a_401_while_the_run_command_is_polled(fake, fake_compute: ComputeFake):
    vm = fake_compute.add_vm(VM, VM_RG, sysprep=SysprepPlan(polls_to_stop=8, report_polls=4))
    cred = LiveCredential(fake)
    fake.inject("GET", fake_compute.OPERATION_PATH, None, rotate_token(fake))  # the poller's token is revoked

    create(GeneralizeProvider(**kwargs(fake, cred)),
           {"subscription_id": SUBSCRIPTION, "resource_group_name": VM_RG, "vm_name": VM, "vm_id": None,
            "timeout_minutes": 0.1, "poll_interval_seconds": 0.05, "arm_endpoint": fake.base_url,
            "generalized_at": None, "__provider": "serialized"})

    assert vm.generalized and cred.made >= 2


# -- the policy itself -------------------------------------------------------------------------------

def test_renewal_builds_a_new_credential_from_the_factory(fake):
    made = []

    def factory():
        made.append(LiveCredential(fake)())
        return made[-1]

    opened = []
    with ArmSession(lambda: credential(factory)) as session:
        opened.append(session.client)
        session.renew()
        opened.append(session.client)
    assert len(made) == 2 and opened[0] is not opened[1]


def test_policy_retries_until_the_deadline_not_a_count():
    calls = []

    def flaky():
        calls.append(time.monotonic())
        raise _http_503()

    begun = time.monotonic()
    with pytest.raises(Exception) as info:
        call_until_deadline(flaky, what="GET x", deadline=begun + 0.5, retry=ArmRetry(attempts=2, backoff_seconds=0.01,
                                                                                       max_backoff_seconds=0.02))
    assert len(calls) > 2 and 0.4 <= time.monotonic() - begun < 1.5
    assert "still failing when the wait's deadline came" in str(info.value)


def _http_503():
    from azure.core.exceptions import HttpResponseError
    error = HttpResponseError("service unavailable")
    error.status_code = 503
    return error
