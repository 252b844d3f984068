"""The rules of where a build runs and what it starts from, across keys: build networking (private builds,
an existing subnet, isolated builds with a container-instance subnet) and managed-image sources.

Image Builder's vnetConfig rules are azure_rules.vnet_config_problems (the policy pack applies the same
function to the templates); here they are applied to what each build's vnetConfig will name. A managed
image source must be in the template's region ("Azure VM Image Builder template reference", source).
"""

from __future__ import annotations

from typing import Optional

from ..naming import BUILD_SUBNET, CONTAINER_INSTANCE_SUBNET
from . import azure_rules as rules
from .azure_rules import vnet_config_problems
from .images import Image
from .stack import StackConfig

Problem = tuple[str, object, str]
# The program's own subnets stand in for IDs that exist only once Azure has them.
_PROGRAM = "<the program's network>/subnets/"


def vnet_config(image: Image, config: StackConfig) -> tuple[Optional[str], Optional[str]]:
    """(build subnet, container-instance subnet) the build's vnetConfig will name; the program's as stand-ins."""
    home = config.network.get(config.location)
    return image.build.subnets(_PROGRAM + BUILD_SUBNET,
                               _PROGRAM + CONTAINER_INSTANCE_SUBNET if home and home.isolated_builds else None)


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
        subnet, aci = vnet_config(image, config)
        given = {"containerInstanceSubnetId": build.container_instance_subnet_id, "proxyVmSize": build.proxy_vm_size}
        problems += [(f"{key}.{field}", given[field], allowed)
                     for field, allowed in vnet_config_problems(subnet, aci, build.proxy_vm_size)]
        if build.proxy_vm_size and not build.in_network:
            problems.append((f"{key}.proxyVmSize", build.proxy_vm_size,
                             "applies only to a build in a network (private: true or subnetId): the proxy VM sits in "
                             "the build subnet"))
        problems += _timeout_problems(key, image)
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


def _timeout_problems(key: str, image: Image) -> list[Problem]:
    """A build's timeout covers the build, boot optimization (about 35 minutes for a 127 GB Windows image,
    "VM optimization for gallery images with Azure VM Image Builder") and distribution: Image Builder fails a
    run that outlasts it, after the build VM's work is done, and leaves no version."""
    given = image.build.timeout_minutes or rules.BUILD_TIMEOUT_DEFAULT_MINUTES  # 0: Image Builder's default
    least = (rules.WINDOWS_BUILD_MAX_MINUTES + (rules.BOOT_OPTIMIZATION_MINUTES if image.optimize_vm_boot else 0)
             + rules.HOME_DISTRIBUTION_MINUTES)
    if given >= least:
        return []
    parts = f"a Windows build (up to {rules.WINDOWS_BUILD_MAX_MINUTES})"
    if image.optimize_vm_boot:
        parts += f", boot optimization (about {rules.BOOT_OPTIMIZATION_MINUTES} for a 127 GB image)"
    return [(f"{key}.timeoutMinutes", image.build.timeout_minutes,
             f"must be at least {least}: the run must fit {parts} and distribution to the home region "
             f"(about {rules.HOME_DISTRIBUTION_MINUTES}); a run that times out leaves no version")]
