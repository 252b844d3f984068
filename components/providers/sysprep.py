"""What Generalize runs inside the reference VM (through Run Command): Microsoft's generalize steps.

Kept apart from the provider: the script is Windows' side of the job, and how the VM reports on it; the provider
is ARM's side.
"""

from dataclasses import dataclass
from typing import Any

SYSPREP_EXE = r"C:\Windows\System32\Sysprep\sysprep.exe"
# Microsoft's generalize steps for an Azure VM ("Remove machine specific information by generalizing a VM
# before creating an image", https://learn.microsoft.com/azure/virtual-machines/generalize): Generalize, Enter
# System OOBE, Shutdown. No /mode:vm: it keeps the hardware profile of the VM sysprep ran on, for a VHD booted
# on that same virtual hardware, while the image boots fleets of other sizes. No /unattend: custom answer
# files are not supported there. (The page's newest revision writes `sysprep.exe /generalize /shutdown`, its
# earlier ones select "Enter System Out-of-Box Experience (OOBE)" in the dialog, which is /oobe.)
# /quiet on top: run as SYSTEM in session 0, a failing sysprep would otherwise sit behind an error dialog
# nobody can see, and we would only learn it at the timeout.
SYSPREP_ARGS = "/generalize /oobe /shutdown /quiet"
PANTHER = r"C:\Windows\System32\Sysprep\Panther"  # where sysprep writes setupact.log and setuperr.log
# Windows' own servicing flags: sysprep refuses to run while an update waits for a restart.
PENDING_REBOOT_KEYS = [
    r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending",
    r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired",
]
# The steps of the same page (Windows): delete the C:\Windows\Panther folder, then sysprep. Image
# Builder's own deprovisioning also removes leftover unattend.xml answer files, which would otherwise
# drive the first boot of every VM made from the image. A pending reboot (from updates) makes sysprep
# fail; the reference VM does not patch itself (patch mode Manual), so one only comes from the user's
# own changes, and is reported with what to do instead of a sysprep error.
# Start-Process gives sysprep its own console, so the Run Command returns while sysprep works: a
# synchronous sysprep /shutdown takes the VM down under the Run Command, which then never reports (Azure
# only fails it after its own 90-minute limit). We wait 20 s to catch sysprep failing at once
# (validation errors) and report its exit code and setuperr.log through stderr.
SYSPREP_SCRIPT = [
    f"$sysprep = '{SYSPREP_EXE}'",
    "if (-not (Test-Path $sysprep)) { [Console]::Error.WriteLine(\"sysprep not found at $sysprep\"); exit 1 }",
    f"$pending = @('{PENDING_REBOOT_KEYS[0]}', '{PENDING_REBOOT_KEYS[1]}') | Where-Object {{ Test-Path $_ }}",
    "if ($pending) { [Console]::Error.WriteLine(\"a restart is pending ($($pending -join ', ')): restart the "
    "VM, then run pulumi up again\"); exit 1 }",
    "Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $Env:SystemRoot\\Panther",
    "Remove-Item -Force -ErrorAction SilentlyContinue $Env:SystemRoot\\System32\\Sysprep\\unattend.xml",
    f"$p = Start-Process -FilePath $sysprep -ArgumentList '{SYSPREP_ARGS}' -PassThru",
    "$null = $p.Handle  # without a cached handle PowerShell loses ExitCode",
    "if ($p.WaitForExit(20000) -and $p.ExitCode -ne 0) {",
    "  [Console]::Error.WriteLine(\"sysprep exited with code $($p.ExitCode)\")",
    f"  Get-Content '{PANTHER}\\setuperr.log' -Tail 20 -ErrorAction SilentlyContinue | "
    "ForEach-Object { [Console]::Error.WriteLine($_) }",
    "  exit 1",
    "}",
    "Write-Output \"sysprep started (pid $($p.Id)); it shuts the VM down when done\"",
]


@dataclass(frozen=True)
class RunCommandStatus:
    """One status of a Run Command's report, as plain strings (comparable: a changed report is a new one)."""
    code: str
    level: str
    message: str
    time: str


def run_command_report(view: Any) -> tuple:
    """The action Run Command's report on the instance view. Microsoft documents the action Run Command's output
    in its answer ("Run scripts in your Windows VM by using action Run Commands",
    https://learn.microsoft.com/azure/virtual-machines/windows/run-command), not where the instance view keeps it;
    the VM agent reports it as the extension Microsoft.CPlat.Core.RunCommandWindows, with StdOut and StdErr as
    substatuses. Matched by type or name, case-insensitively; with no such extension this gives () and the wait
    goes on as before (the timeout's advice), so the form works either way."""
    for ext in getattr(view, "extensions", None) or []:
        if "runcommandwindows" in f"{ext.type or ''} {ext.name or ''}".lower():
            return tuple(RunCommandStatus(s.code or "", str(getattr(s.level, "value", s.level) or ""),
                                          (s.message or "").strip(), str(s.time or ""))
                         for s in [*(ext.statuses or []), *(ext.substatuses or [])])
    return ()
