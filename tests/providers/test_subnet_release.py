"""SubnetRelease (issue 21, item 10): destroying isolated builds must not end in InUseSubnetCannotBeDeleted. The
release step, deleted after the template and before the subnet, waits for the container service's
serviceAssociationLink to go (asking it to drop the link from half the timeout on), bounded; and in the plan the
template reaches the container-instance subnet only through it."""

from __future__ import annotations

import pytest
import requests

from components.providers import subnet_release
from components.providers.subnet_release import SubnetReleaseError, SubnetReleaseProvider
from tests.fakes import clock as fake_clock
from tests.fakes.clock import Clock
from tests.fakes.fake_arm import FAST_RETRY, SUBSCRIPTION, FakeArm
from tests.fakes.fake_network import NetworkFake
from tests.graph import BUILDS, SUBNET, TEMPLATE, depends_on, each


def provider(fake: FakeArm) -> SubnetReleaseProvider:
    return SubnetReleaseProvider(**fake.provider_kwargs(FAST_RETRY))


def inputs(fake: FakeArm, subnet_id: str, **overrides) -> dict:
    return {"subscription_id": SUBSCRIPTION, "subnet_id": subnet_id, "timeout_minutes": 10,
            "poll_interval_seconds": 15, "arm_endpoint": fake.base_url, "__provider": "x", **overrides}


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fake_clock.on(monkeypatch, subnet_release)


def delete_subnet(fake: FakeArm, subnet_id: str) -> int:
    """The subnet's own delete, as azure-native sends it right after this step's (TLS checked with the fake's CA)."""
    return requests.delete(f"{fake.base_url}{subnet_id}?api-version=2024-05-01", verify=fake.ca_file,
                           headers={"Authorization": f"Bearer {fake.credential.token}"}).status_code


def test_the_fake_refuses_a_subnet_delete_while_the_link_holds_it(fake, fake_network: NetworkFake):
    s = fake_network.add_subnet(release_polls=None)
    assert delete_subnet(fake, s.arm_id) == 400
    s.linked = False
    assert delete_subnet(fake, s.arm_id) == 200


def test_delete_waits_for_the_link_to_go_then_the_subnet_delete_succeeds(fake, fake_network: NetworkFake, clock):
    s = fake_network.add_subnet(release_polls=3)  # the container service drops the link after 3 looks
    p = provider(fake)
    props = p.create(inputs(fake, s.arm_id)).outs

    p.delete(s.arm_id, props)

    assert clock.sleeps == [15, 15, 15] and not s.linked
    assert not fake.requests("DELETE", "/serviceAssociationLinks/default$"), "it went by itself: nothing asked"
    assert delete_subnet(fake, s.arm_id) == 200
    assert {r.query["api-version"] for r in fake.requests("GET")} == {"2024-05-01"}


def test_a_link_that_stays_is_dropped_by_asking_the_container_service(fake, fake_network: NetworkFake, clock):
    s = fake_network.add_subnet(release_polls=None)
    provider(fake).delete(s.arm_id, inputs(fake, s.arm_id))

    [ask] = fake.requests("DELETE", "/serviceAssociationLinks/default$")
    assert ask.query["api-version"] == "2023-05-01"
    assert sum(clock.sleeps) == 315, "asked at half the 10-minute timeout (300 s), seen gone at the next look"
    assert delete_subnet(fake, s.arm_id) == 200


def test_a_link_that_stays_and_a_refused_ask_end_in_an_error_naming_it(fake, fake_network: NetworkFake, clock):
    s = fake_network.add_subnet(release_polls=None, aci_delete=409)

    with pytest.raises(SubnetReleaseError) as raised:
        provider(fake).delete(s.arm_id, inputs(fake, s.arm_id))

    text = str(raised.value)
    assert text.startswith(f"SubnetRelease: container-instance subnet {s.arm_id} is still held by {s.link_id} "
                           f"(Microsoft.ContainerInstance/containerGroups) after 10m (timeout_minutes=10; the "
                           f"container service was asked to drop the link: refused, HTTP 409 Conflict"), text
    assert "InUseSubnetCannotBeDeleted" in text and "az container list" in text and "`pulumi destroy`" in text
    assert sum(clock.sleeps) == 600 and delete_subnet(fake, s.arm_id) == 400


def test_a_subnet_already_gone_needs_nothing(fake, fake_network: NetworkFake, clock):
    s = fake_network.add_subnet()
    s.deleted = True
    provider(fake).delete(s.arm_id, inputs(fake, s.arm_id))
    assert clock.sleeps == []


def test_check_wants_a_subnet_id(fake):
    failures = provider(fake).check({}, inputs(fake, "/subscriptions/s/resourceGroups/g")).failures
    assert [f.property for f in failures] == ["subnet_id"]


RELEASE = "pulumi-python:dynamic/subnet_release:SubnetRelease"


def test_in_the_plan_the_template_reaches_the_aci_subnet_only_through_the_release(plans):
    # Destroy runs in reverse: template, then the release (waits for the link), then the subnet.
    doc = plans[BUILDS]
    [release] = each(doc, RELEASE)
    [aci_subnet] = depends_on(doc, release, SUBNET)
    assert aci_subnet["inputs"]["subnetName"] == "snet-build-aci"
    aci_id = release["inputs"]["subnet_id"]
    assert aci_id.endswith("/subnets/snet-build-aci")
    for template in each(doc, TEMPLATE):
        vnet = template["inputs"]["vmProfile"]["vnetConfig"]
        assert vnet["containerInstanceSubnetId"] == aci_id
        assert release in depends_on(doc, template, RELEASE)
        assert aci_subnet not in depends_on(doc, template, SUBNET), "the template would not wait for the release"
