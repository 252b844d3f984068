"""Image Builder's build steps: customizers (PowerShell, File, WindowsRestart, WindowsUpdate), validators,
and what a failed step leaves behind. The `type` values are Image Builder's own; every key is camelCase
in the stack file, snake_case here, so dumps match azure-native's input dicts one to one.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import Field, model_validator

from . import azure_rules as rules
from .types import CustomizerName, HttpsUri, Int32, Model, Sha256, WindowsFilePath


# --- Image Builder customizers (the `type` values are Image Builder's own) -----------------------


# A template body can be read by anyone who can read the template, and a rotated token would change a
# template Image Builder cannot update (issue 21 item 4; ../shared notes, "SAS tokens").
USE_SAS_TOKEN = ("No longer supported: true is refused. Builds download as the build identity, which holds "
                 "Storage Blob Data Reader on artifactStorageAccountId, so no SAS token is in a template. "
                 "Changing it: nothing (only false is accepted).")


class PowerShellValidator(Model):
    """A PowerShell script run in the build VM: inline, or downloaded and checked against its digest."""

    type: Literal["PowerShell"] = Field(description=(
        "`PowerShell`: a script run in the build VM, inline or downloaded. Changing it: rebuild image."))
    name: CustomizerName = Field(description=(
        "A name unique within the image (any text without control characters), shown in Image Builder's log "
        "and in every error about this step. Changing it: rebuild image."))
    inline: Optional[list[str]] = Field(default=None, min_length=1, description=(
        "The script's lines (never a password: use a secret). Exactly one of inline and scriptUri. "
        "Changing it: rebuild image."))
    script_uri: Optional[HttpsUri] = Field(default=None, description=(
        "An https:// URI of the script, without a SAS token (see useSasToken); needs sha256Checksum. "
        "Changing it: rebuild image."))
    sha256_checksum: Optional[Sha256] = Field(default=None, description=(
        "The SHA-256 of the script at scriptUri (64 hex digits): the build runs exactly the reviewed script. "
        "Changing it: rebuild image."))
    use_sas_token: bool = Field(default=False, description=USE_SAS_TOKEN)
    run_elevated: bool = Field(default=True, description=(
        "Run the script elevated. Changing it: rebuild image."))
    valid_exit_codes: Optional[list[Int32]] = Field(default=None, description=(
        "Exit codes that count as success (32-bit integers); default 0 only. Changing it: rebuild image."))

    @model_validator(mode="after")
    def _one_script(self):
        if (self.inline is None) == (self.script_uri is None):
            raise ValueError("give exactly one of inline or scriptUri")
        if self.script_uri and not self.sha256_checksum:
            raise ValueError("scriptUri needs sha256Checksum, so the build runs exactly the reviewed script")
        return self


class PowerShellCustomizer(PowerShellValidator):
    run_as_system: bool = Field(default=False, description=(
        "Run the script as LocalSystem (needs runElevated: true). Changing it: rebuild image."))

    @model_validator(mode="after")
    def _system_needs_elevation(self):
        if self.run_as_system and not self.run_elevated:
            raise ValueError("runAsSystem needs runElevated: true, as Image Builder requires")
        return self


class FileCustomizer(Model):
    type: Literal["File"] = Field(description=(
        "`File`: download a file into the build VM. Changing it: rebuild image."))
    name: CustomizerName = Field(description=(
        "A name unique within the image, shown in Image Builder's log and in errors. Changing it: rebuild image."))
    source_uri: HttpsUri = Field(description=(
        "An https:// URI of the file, without a SAS token (see useSasToken). Changing it: rebuild image."))
    destination: WindowsFilePath = Field(description=(
        "The full Windows path to write, such as `C:\\ImageFactory\\a.ps1`; its folder must exist. Changing "
        "it: rebuild image."))
    sha256_checksum: Sha256 = Field(description=(
        "The SHA-256 of the file (64 hex digits), checked by Image Builder. Changing it: rebuild image."))
    use_sas_token: bool = Field(default=False, description=USE_SAS_TOKEN)


class WindowsRestartCustomizer(Model):
    type: Literal["WindowsRestart"] = Field(description=(
        "`WindowsRestart`: restart the build VM and wait for it. Changing it: rebuild image."))
    name: CustomizerName = Field(description=(
        "A name unique within the image, shown in Image Builder's log and in errors. Changing it: rebuild image."))
    restart_command: Optional[str] = Field(default=None, description=(
        "The command that restarts; default Image Builder's `shutdown /r /f /t 0 /c \"packer restart\"`. "
        "Changing it: rebuild image."))
    restart_check_command: Optional[str] = Field(default=None, description=(
        "A command that succeeds once the VM is back. Changing it: rebuild image."))
    restart_timeout: Optional[Annotated[str, Field(pattern=r"^[0-9]+[smh]$")]] = Field(default=None, description=(
        "How long to wait for the restart, such as `10m` or `1h`; default Image Builder's 5m. Changing it: "
        "rebuild image."))


class WindowsUpdateCustomizer(Model):
    type: Literal["WindowsUpdate"] = Field(description=(
        "`WindowsUpdate`: install Windows updates in the build VM. Changing it: rebuild image."))
    name: CustomizerName = Field(description=(
        "A name unique within the image, shown in Image Builder's log and in errors. Changing it: rebuild image."))
    search_criteria: str = Field(default="IsInstalled=0", description=(
        "Windows Update's search criteria. Changing it: rebuild image."))
    filters: list[str] = Field(default=["exclude:$_.Title -like '*Preview*'", "include:$true"], description=(
        "Windows Update filters (`include:`/`exclude:` PowerShell expressions). Changing it: rebuild image."))
    update_limit: int = Field(default=1000, ge=1, le=rules.WINDOWS_UPDATE_LIMIT_MAX, description=(
        "At most this many updates per build. Changing it: rebuild image."))


Customizer = Annotated[
    Union[PowerShellCustomizer, FileCustomizer, WindowsRestartCustomizer, WindowsUpdateCustomizer],
    Field(discriminator="type"),
]


# Image Builder's validators: PowerShell, and File (uploads what a validation script needs; same keys as the
# File customizer). Shell validators are Linux-only, and these images are Windows.
Validator = Annotated[Union[PowerShellValidator, FileCustomizer], Field(discriminator="type")]


class Validation(Model):
    continue_distribute_on_failure: bool = Field(default=False, description=(
        "Publish the version even when a validation fails. Changing it: rebuild image."))
    source_validation_only: bool = Field(default=False, description=(
        "Validate the source image only, without customizing. Changing it: rebuild image."))
    in_vm_validations: list[Validator] = Field(default=[], alias="inVMValidations", description=(
        "Validation steps in the build VM: `PowerShell` (the customizer's keys without runAsSystem) or "
        "`File`. Changing it: rebuild image."))


class ErrorHandling(Model):
    # cleanup keeps failed builds from leaving build VMs behind; abort keeps them for debugging.
    on_customizer_error: Literal["cleanup", "abort"] = Field(default="cleanup", description=(
        "After a failed customizer: `cleanup` deletes the build VM, `abort` keeps it for debugging. Changing "
        "it: rebuild image."))
    on_validation_error: Literal["cleanup", "abort"] = Field(default="cleanup", description=(
        "After a failed validation: `cleanup` or `abort`, as for customizers. Changing it: rebuild image."))
