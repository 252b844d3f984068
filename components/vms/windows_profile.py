"""The Windows VM settings every fleet VM and scale set shares, in azure-native's input form.

Kept in one place so that a single VM, a scale set and the capture reference VM cannot drift apart.
"""

from __future__ import annotations

from typing import Any, Literal

import pulumi

from ..config.time_zones import DEFAULT_TIME_ZONE
from ..config.fleets import DomainJoin, Fleet


def security_profile(trusted_launch: bool, encryption_at_host: bool) -> dict[str, Any]:
    profile: dict[str, Any] = {"encryption_at_host": encryption_at_host}
    if trusted_launch:
        profile.update(security_type="TrustedLaunch",
                       uefi_settings={"secure_boot_enabled": True, "v_tpm_enabled": True})
    else:
        profile["security_type"] = "Standard"
    return profile


PatchMode = Literal["scheduled", "automaticByOS", "manual"]


def windows_configuration(patching: PatchMode, time_zone: str = DEFAULT_TIME_ZONE) -> dict[str, Any]:
    """scheduled: Azure Update Manager patches in the region's window (PatchSchedule). Automatic guest
    patching without a schedule supports only listed marketplace images, never our custom images, and
    AutomaticByPlatform turns Windows' own updates off, so the schedule is what keeps fleets patched;
    bypassPlatformSafetyChecksOnUserSchedule marks the VM as patched by schedule only (Microsoft:
    "Configure schedule patching on Azure VMs for business continuity").
    automaticByOS: Windows Update inside the VM decides. manual: nothing patches the VM (the capture's
    reference VM: an update's pending restart would make sysprep fail).
    time_zone: the fleet's (fleets.<name>.timeZone); the capture's reference VM keeps the default, which sysprep
    leaves to the VMs booted from its image anyway."""
    config: dict[str, Any] = {"provision_vm_agent": True, "time_zone": time_zone}
    if patching == "scheduled":
        return {**config, "enable_automatic_updates": True, "patch_settings": {
            "patch_mode": "AutomaticByPlatform",
            "assessment_mode": "AutomaticByPlatform",
            "automatic_by_platform_settings": {"reboot_setting": "IfRequired",
                                               "bypass_platform_safety_checks_on_user_schedule": True},
        }}
    if patching == "automaticByOS":
        return {**config, "enable_automatic_updates": True,
                "patch_settings": {"patch_mode": "AutomaticByOS", "assessment_mode": "ImageDefault"}}
    return {**config, "enable_automatic_updates": False,
            "patch_settings": {"patch_mode": "Manual", "assessment_mode": "ImageDefault"}}


def os_disk(fleet: Fleet, *, scale_set: bool = False) -> dict[str, Any]:
    disk: dict[str, Any] = {
        "create_option": "FromImage",
        "caching": "ReadWrite",
        "disk_size_gb": fleet.os_disk.size_gb,
        "managed_disk": {"storage_account_type": fleet.os_disk.type},
        "delete_option": "Delete",
    }
    if scale_set:
        disk["os_type"] = "Windows"
    return disk


BOOT_DIAGNOSTICS = {"boot_diagnostics": {"enabled": True}}  # no storageUri: managed storage


def domain_join_extension(join: DomainJoin, password: pulumi.Input[str]) -> dict[str, Any]:
    """JsonADDomainExtension settings; the password only ever travels in protectedSettings."""
    settings = {"Name": join.domain, "User": join.user, "Restart": "true",
                "Options": "3"}  # 3 = join the domain and create the computer account
    if join.ou_path:
        settings["OUPath"] = join.ou_path
    return {
        "publisher": "Microsoft.Compute",
        "type": "JsonADDomainExtension",
        "type_handler_version": "1.3",
        "auto_upgrade_minor_version": True,
        "settings": settings,
        "protected_settings": pulumi.Output.secret(password).apply(lambda p: {"Password": p}),
    }
