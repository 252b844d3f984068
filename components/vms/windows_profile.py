"""The Windows VM settings every fleet VM and scale set shares, in azure-native's input form.

Kept in one place so that a single VM, a scale set and the capture reference VM cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import pulumi

from ..config.fleets import DomainJoin, Fleet


def security_profile(trusted_launch: bool, encryption_at_host: bool) -> dict[str, Any]:
    profile: dict[str, Any] = {"encryption_at_host": encryption_at_host}
    if trusted_launch:
        profile.update(security_type="TrustedLaunch",
                       uefi_settings={"secure_boot_enabled": True, "v_tpm_enabled": True})
    else:
        profile["security_type"] = "Standard"
    return profile


def windows_configuration() -> dict[str, Any]:
    # AutomaticByPlatform: Azure orchestrates patching across zones and availability, with
    # assessment, instead of each VM's Windows Update agent choosing its own time.
    return {
        "provision_vm_agent": True,
        "enable_automatic_updates": True,
        "time_zone": "GMT Standard Time",
        "patch_settings": {
            "patch_mode": "AutomaticByPlatform",
            "assessment_mode": "AutomaticByPlatform",
            "automatic_by_platform_settings": {"reboot_setting": "IfRequired"},
        },
    }


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
