"""ArmResourceClient: the GET by ID that no installed SDK covers (role assignments), built by
arm.management_client like any generated client, and failing like one."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError, ResourceNotFoundError

from components.providers.arm import describe_error, management_client
from components.providers.arm_resource import ArmResourceClient
from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm, Reply, arm_error

THING = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/a1"


def client(fake: FakeArm, **kwargs):
    return management_client(ArmResourceClient, subscription_id=SUBSCRIPTION, api_version="2022-04-01",
                             arm_endpoint=fake.base_url, credential_override=fake.credential,
                             **fake.client_kwargs, **kwargs)


def test_a_get_goes_to_the_id_at_the_clients_api_version_with_a_token_for_the_endpoint(fake):
    fake.route("GET", THING, lambda req, m: Reply(200, {"id": THING, "properties": {"scope": "/x"}}))
    with client(fake) as c:
        assert c.get_by_id(THING) == {"id": THING, "properties": {"scope": "/x"}}
    [request] = fake.log
    assert (request.method, request.path, request.query) == ("GET", THING, {"api-version": "2022-04-01"})
    assert request.headers["authorization"] == "Bearer fake-arm-token"
    # The token's audience follows the endpoint (sovereign clouds), as for the generated clients.
    assert fake.credential.scopes == [(f"{fake.base_url}/.default",)]


def test_the_user_agent_names_this_client_and_keeps_a_callers_own(fake):
    # ARM's activity log and Microsoft support see the user agent: our calls must be told apart.
    fake.route("GET", THING, lambda req, m: Reply(200, {"id": THING}))
    with client(fake, user_agent="contoso-ops") as c:
        c.get_by_id(THING)
    agent = fake.log[0].headers["user-agent"]
    assert agent.startswith("contoso-ops ") and " azsdk-python-image-factory-arm-resource " in agent, agent


@pytest.mark.parametrize("status, code, error", [
    (404, "RoleAssignmentNotFound", ResourceNotFoundError),
    (401, "InvalidAuthenticationToken", ClientAuthenticationError),
    (409, "Conflict", ResourceExistsError),
    (403, "AuthorizationFailed", HttpResponseError),
])
def test_failures_raise_what_the_generated_clients_raise_with_azures_code(fake, status, code, error):
    fake.route("GET", THING, lambda req, m: arm_error(status, code, "refused"))
    with client(fake) as c, pytest.raises(error) as info:
        c.get_by_id(THING)
    assert info.value.status_code == status
    # A 401 from ARM is not "could not get a token" (a credential that fails before any request).
    assert describe_error(info.value) == f"HTTP {status} {code}: refused"
