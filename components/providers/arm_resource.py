"""A minimal management client for ARM calls that no installed SDK covers: GET and DELETE of any resource by its
ID at an api-version. Role assignments (Microsoft.Authorization) and a subnet's container-service link
(Microsoft.Network, Microsoft.ContainerInstance) are the cases: azure-mgmt-authorization, -network and
-containerinstance are not dependencies, and a GET or two do not justify them.

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
        return self._send("GET", resource_id, self.api_version, (200,)).json()

    def delete_by_id(self, resource_id: str, api_version: str) -> None:
        """DELETE at the api-version given (the resource's own provider's); 200, 202 and 204 are success, and a
        202 is not waited for: the caller watches what the delete should change."""
        self._send("DELETE", resource_id, api_version, (200, 202, 204))

    def _send(self, method: str, resource_id: str, api_version: str, ok: tuple) -> Any:
        url = self._client.format_url(f"{resource_id}?api-version={api_version}")
        response = self._client.send_request(HttpRequest(method, url))
        if response.status_code not in ok:
            map_error(status_code=response.status_code, response=response, error_map=_ERRORS)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        return response

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "ArmResourceClient":
        self._client.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._client.__exit__(*exc)
