"""What `pulumi up` would upload: each DiskUpload of a plan, with its file, its size and the data it sends.

Only the ranges that hold data travel (components/images/vhd.py reads them), so a 127 GiB disk with 20 GiB
written sends about 20 GiB; the time is that data at the assumed bandwidth of offline/durations.py.
"""

from __future__ import annotations

from pathlib import Path

from components.images.vhd import data_ranges

from . import durations

UPLOAD = durations.UPLOAD_TOKEN


def uploads(doc: dict, root: Path) -> list[dict]:
    """One entry per upload, sorted by URN; each upload resource of doc gains the same entry as "upload"
    (the duration table reads it). root: where the stack file is (the VHD paths are relative to it)."""
    found = []
    for resource in sorted((r for r in doc["resources"] if r["type"] == UPLOAD), key=lambda r: r["urn"]):
        inputs = resource["inputs"]
        data = sum(end - start for start, end in data_ranges(str(root / inputs["vhd_path"])))  # [start, end)
        entry = {"urn": resource["urn"], "name": resource["name"], "file": inputs["vhd_path"],
                 "sizeBytes": inputs["size_bytes"], "dataBytes": data, "fingerprint": inputs["fingerprint"]}
        resource["upload"] = entry
        entry["minutes"] = round(durations.minutes(resource, {}), 1)
        found.append(entry)
    return found


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def render(entries: list[dict]) -> list[str]:
    if not entries:
        return []
    row = durations.TABLE["vhd upload, per GiB of data"]
    lines = ["", "Uploads (only the ranges that hold data are sent; time at the assumed bandwidth of "
                 f"offline/durations.py, {row.minutes} min per GiB):"]
    lines += [f"    {e['name']}: {e['file']}: {_size(e['sizeBytes'])} file, {_size(e['dataBytes'])} of data to send "
              f"({100 * e['dataBytes'] / e['sizeBytes']:.1f}%), {_minutes(e['minutes'])}; fingerprint "
              f"{e['fingerprint'].rsplit(':', 1)[-1][:12]}" for e in entries]
    return lines


def _minutes(m: float) -> str:
    return "< 0.1 min" if m < 0.1 else f"≈ {m} min"
