"""The rules of where a build runs and what it starts from, across keys: build networking (private builds,
an existing subnet, isolated builds with a container-instance subnet) and managed-image sources.

Image Builder's rules, from "Azure VM Image Builder networking options" and the template reference
(vnetConfig: https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-json#vnetconfig-optional):
- `containerInstanceSubnetId` "may be specified only if subnetId is also specified and must be on the same
  Virtual Network"; the container instance's subnet is delegated to Microsoft.ContainerInstance/containerGroups,
  so it is never the build VM's subnet;
- `proxyVmSize` "must not be specified if containerInstanceSubnetId is specified because no proxy virtual
  machine is deployed in that case";
- a managed image source must be in the template's region ("source": ManagedImage).
"""

from __future__ import annotations

from .azure_rules import vnet_of
from .images import Image
from .stack import StackConfig

Problem = tuple[str, object, str]


def isolated(image: Image, config: StackConfig) -> bool:
    """Whether the build runs with a container-instance subnet (no proxy VM)."""
    build = image.build
    network = config.network.get(config.location)
    return bool(build.container_instance_subnet_id
                or (build.private and network is not None and network.container_instance_subnet))


def build_checks(config: StackConfig) -> list[Problem]:
    problems: list[Problem] = []
    home = config.network.get(config.location)
    for name, image in config.built_images.items():
        key, build = f"images.{name}.build", image.build
        if build.private and not (home and home.build_subnet):
            problems.append((f"{key}.private", True,
                             f"needs network.{config.location}.buildSubnet (and its addressSpace, workloadSubnet): "
                             "private builds run in the stack location's network"))
        if build.private and build.subnet_id:
            problems.append((f"{key}.subnetId", build.subnet_id,
                             "cannot be combined with private: true: give private (the build subnet of the program's "
                             "network) or subnetId (an existing subnet), not both"))
        if build.container_instance_subnet_id and not build.subnet_id:
            problems.append((f"{key}.containerInstanceSubnetId", build.container_instance_subnet_id,
                             "needs subnetId: Image Builder takes a container-instance subnet only with the build "
                             "VM's own subnet, in the same network"))
        elif build.container_instance_subnet_id and build.subnet_id:
            aci, vm = build.container_instance_subnet_id, build.subnet_id
            if vnet_of(aci).lower() != vnet_of(vm).lower():
                problems.append((f"{key}.containerInstanceSubnetId", aci,
                                 f"must be a subnet of subnetId's virtual network ({vnet_of(vm)}), as Image Builder "
                                 "requires"))
            elif aci.lower() == vm.lower():
                problems.append((f"{key}.containerInstanceSubnetId", aci,
                                 "must differ from subnetId: the container instance's subnet is delegated to "
                                 "Microsoft.ContainerInstance/containerGroups, which leaves no room for the build VM"))
        if build.proxy_vm_size and isolated(image, config):
            problems.append((f"{key}.proxyVmSize", build.proxy_vm_size,
                             "must not be set for a build with a container-instance subnet: no proxy VM is deployed "
                             "then, and Image Builder refuses the template"))
        elif build.proxy_vm_size and not build.in_network:
            problems.append((f"{key}.proxyVmSize", build.proxy_vm_size,
                             "applies only to a build in a network (private: true or subnetId): the proxy VM sits in "
                             "the build subnet"))
        capture = image.source.capture
        if capture and capture not in config.captures:
            problems.append((f"images.{name}.source.capture", capture,
                             f"must be one of the captures: {', '.join(sorted(config.captures)) or 'none defined'}"))
        elif capture and config.captures[capture].region != config.location:
            problems.append((f"images.{name}.source.capture", capture,
                             f"must capture in {config.location}, not {config.captures[capture].region}: Image "
                             "Builder builds from a managed image in the template's region, the stack location"))
    for region, network in config.network.items():
        if network.container_instance_subnet and not network.build_subnet:
            problems.append((f"network.{region}.containerInstanceSubnet", network.container_instance_subnet,
                             "needs buildSubnet: the container instance reaches the build VM there"))
    return problems
