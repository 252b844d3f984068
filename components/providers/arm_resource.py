"""A minimal management client for ARM calls that no installed SDK covers: GET of any resource by its ID at an
api-version. Role assignments (Microsoft.Authorization) are the case: azure-mgmt-authorization is not a
dependency, and one GET does not justify one.

It has the generated clients' constructor and pipeline (retry, ARM challenge authentication, logging), so
arm.management_client builds it and arm's retry policy wraps its calls like any other client's.
Not a provider module: nothing here is pickled into the state.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceExistsError,
                                   ResourceNotFoundError, map_error)
from azure.core.pipeline import policies
from azure.core.rest import HttpRequest
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.core.exceptions import ARMErrorFormat
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

_ERRORS = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}


class ArmResourceClient:
    def __init__(self, credential: Any, subscription_id: str, *, base_url: str, api_version: str,
                 credential_scopes: list[str], polling_interval: float, **kwargs: Any) -> None:
        # polling_interval: taken like the generated clients take it (arm.management_client passes it to
        # every client), and unused, since nothing here polls; named so it does not reach the policies.
        self.subscription_id, self.api_version = subscription_id, api_version
        pipeline = [
            policies.RequestIdPolicy(**kwargs),
            policies.HeadersPolicy(**kwargs),
            policies.UserAgentPolicy(sdk_moniker="image-factory-arm-resource", **kwargs),
            policies.ProxyPolicy(**kwargs),
            policies.ContentDecodePolicy(**kwargs),
            policies.RedirectPolicy(**kwargs),
            policies.RetryPolicy(**kwargs),
            ARMChallengeAuthenticationPolicy(credential, *credential_scopes, **kwargs),
            policies.NetworkTraceLoggingPolicy(**kwargs),
            ARMHttpLoggingPolicy(**kwargs),
        ]
        self._client = ARMPipelineClient(base_url=base_url, policies=pipeline, **kwargs)

    def get_by_id(self, resource_id: str) -> dict:
        """The resource's JSON, at the client's api-version; raises like the generated clients
        (ResourceNotFoundError for a 404, ...)."""
        url = self._client.format_url(f"{resource_id}?api-version={self.api_version}")
        response = self._client.send_request(HttpRequest("GET", url))
        if response.status_code != 200:
            map_error(status_code=response.status_code, response=response, error_map=_ERRORS)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        return response.json()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "ArmResourceClient":
        self._client.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._client.__exit__(*exc)
