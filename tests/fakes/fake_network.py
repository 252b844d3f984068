"""Network routes for the fake ARM server (Microsoft.Network, API 2024-05-01): GET and DELETE of a subnet; and the
container service's own DELETE of its association link (Microsoft.ContainerInstance, API 2023-05-01).

Behaviour modelled on ARM: a subnet delegated to Microsoft.ContainerInstance/containerGroups carries a
serviceAssociationLink while a container group uses it, and for a while after the group is gone (the container
service removes it on its own time). While a link holds the subnet, DELETE gets 400 InUseSubnetCannotBeDeleted
(the subnet delete doc: "Add, change, or delete a virtual network subnet", https://learn.microsoft.com/azure/
virtual-network/virtual-network-manage-subnet#delete-a-subnet). The link goes by itself after `release_polls` GETs
of the subnet (None: never), or when the container service's delete of it is accepted (`aci_delete` decides:
"accept", or a refusal status).

Fixture: `fake_network` (server + Network routes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

import pytest

from tests.fakes.fake_arm import SUBSCRIPTION, FakeArm, FakeRequest, Reply, arm_error

NETWORK_API_VERSIONS, ACI_API_VERSIONS = {"2024-05-01"}, {"2023-05-01"}
_SUBNET = (r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network"
           r"/virtualNetworks/(?P<vnet>[^/]+)/subnets/(?P<name>[^/]+)")
_LINK = _SUBNET + r"/providers/Microsoft\.ContainerInstance/serviceAssociationLinks/default"


@dataclass
class FakeSubnet:
    arm_id: str
    linked: bool = True  # a serviceAssociationLink holds it
    release_polls: Optional[int] = 3  # subnet GETs until the container service drops the link; None: never
    aci_delete: object = "accept"  # the container service's answer to DELETE of its link: "accept" or a status
    gets: int = 0
    deleted: bool = False

    @property
    def link_id(self) -> str:
        return f"{self.arm_id}/serviceAssociationLinks/acisal"


class NetworkFake:
    def __init__(self, fake: FakeArm) -> None:
        self.fake = fake
        self.subnets: dict[str, FakeSubnet] = {}
        self._lock = threading.Lock()
        fake.route("GET", _SUBNET, self._get, NETWORK_API_VERSIONS)
        fake.route("DELETE", _SUBNET, self._delete, NETWORK_API_VERSIONS)
        fake.route("DELETE", _LINK, self._delete_link, ACI_API_VERSIONS)

    def add_subnet(self, name: str = "snet-build-aci", rg: str = "rg-net-westeurope", vnet: str = "vnet-westeurope",
                   **kwargs) -> FakeSubnet:
        s = FakeSubnet(f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}/providers/Microsoft.Network"
                       f"/virtualNetworks/{vnet}/subnets/{name}", **kwargs)
        self.subnets[s.arm_id.lower()] = s
        return s

    def _subnet(self, req: FakeRequest) -> Optional[FakeSubnet]:
        path = req.path.lower().split("/providers/microsoft.containerinstance/")[0]
        s = self.subnets.get(path)
        return None if s is None or s.deleted else s

    def _get(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            s = self._subnet(req)
            if s is None:
                return arm_error(404, "NotFound", f"Resource {req.path} not found.")
            s.gets += 1
            if s.linked and s.release_polls is not None and s.gets > s.release_polls:
                s.linked = False
            links = [{"id": s.link_id, "name": "acisal", "type": "Microsoft.Network/virtualNetworks/subnets/"
                      "serviceAssociationLinks", "properties": {
                          "linkedResourceType": "Microsoft.ContainerInstance/containerGroups", "allowDelete": True,
                          "provisioningState": "Succeeded"}}] if s.linked else []
            return Reply(200, {"id": s.arm_id, "name": m["name"], "properties": {
                "addressPrefix": "10.20.3.0/27", "provisioningState": "Succeeded", "serviceAssociationLinks": links,
                "delegations": [{"name": "container-groups", "properties": {
                    "serviceName": "Microsoft.ContainerInstance/containerGroups"}}]}})

    def _delete(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            s = self._subnet(req)
            if s is None:
                return Reply(204)
            if s.linked:
                return arm_error(400, "InUseSubnetCannotBeDeleted",
                                 f"Subnet {m['name']} is in use by {s.link_id} and cannot be deleted. In order to "
                                 f"delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.")
            s.deleted = True
            return Reply(200)

    def _delete_link(self, req: FakeRequest, m) -> Reply:
        with self._lock:
            s = self._subnet(req)
            if s is None:
                return arm_error(404, "NotFound", f"Resource {req.path} not found.")
            if s.aci_delete != "accept":
                # The container service's wording is not published for this case; the status is what matters.
                return arm_error(int(s.aci_delete), "Conflict", "Container groups still use this subnet.")
            s.linked = False
            return Reply(200)


@pytest.fixture
def fake_network(fake_arm: FakeArm) -> NetworkFake:
    return NetworkFake(fake_arm)
