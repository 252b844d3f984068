"""Bump the monthly rebuild marker (images.<name>.rebuild: "YYYY-MM") of every image in a stack file.

    python -m offline.rebuild_marker Pulumi.dev.yaml [--month 2027-01]

The marker is part of each template's content hash (components/images/image_template.py), so a new month
is a new template and a new build with that month's Windows updates. The scheduled workflow
(.github/workflows/monthly-rebuild.yml) runs this the week after Patch Tuesday and opens a pull request,
whose preview shows the rebuilds, the estimate and the policies like any change. The file is edited as
text, line by line, so its comments and layout stay as reviewed. Exit: 0 bumped, 3 already current
(nothing to propose), 2 a file this cannot edit (one line saying why).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

IMAGES = "  image-factory:images:"
IMAGE = re.compile(r"^    ([A-Za-z0-9][A-Za-z0-9._-]*):\s*$")
MARKER = re.compile(r'^      rebuild: .*$')


def bump(text: str, month: str) -> tuple[str, list[str]]:
    """The text with every image's marker set to month (added where missing), and the images changed."""
    lines, out, changed = text.split("\n"), [], []
    inside, image, seen = False, None, False

    def close() -> None:
        nonlocal seen
        if image and not seen:
            at = next(i for i in range(len(out) - 1, -1, -1) if IMAGE.match(out[i]))
            out.insert(at + 1, f'      rebuild: "{month}"')
            changed.append(image)
        seen = False

    for line in lines:
        if line == IMAGES:
            inside = True
        elif inside and line and not line.startswith("    ") and not line.lstrip().startswith("#"):
            close()
            inside, image = False, None
        elif inside and IMAGE.match(line):
            close()
            image = IMAGE.match(line).group(1)
        elif inside and image and MARKER.match(line):
            seen = True
            if line != f'      rebuild: "{month}"':
                line = f'      rebuild: "{month}"'
                changed.append(image)
        out.append(line)
    if inside:
        close()
    return "\n".join(out), changed


def patch_tuesday_month(today: dt.date) -> str:
    """The month whose updates the rebuild takes: this month's (the workflow runs after its Patch Tuesday)."""
    return f"{today.year:04d}-{today.month:02d}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack_file", type=Path)
    parser.add_argument("--month", help="YYYY-MM; default: the current month (UTC)")
    args = parser.parse_args(argv)
    month = args.month or patch_tuesday_month(dt.datetime.now(dt.timezone.utc).date())
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month):
        print(f"error: --month {month}: give the month as YYYY-MM, e.g. 2027-01", file=sys.stderr)
        return 2
    try:
        text = args.stack_file.read_text()
    except OSError as error:
        print(f"error: {args.stack_file}: cannot read it ({error.strerror}): give the stack file to bump", file=sys.stderr)
        return 2
    if IMAGES not in text.split("\n"):
        print(f"error: {args.stack_file}: no `{IMAGES.strip()}` key: nothing to rebuild", file=sys.stderr)
        return 2
    new, changed = bump(text, month)
    if not changed:
        print(f"{args.stack_file}: every image's rebuild marker is already {month}: nothing to rebuild")
        return 3
    args.stack_file.write_text(new)
    print(f"{args.stack_file}: rebuild marker {month} for {', '.join(changed)}: each is built again with "
          "this month's updates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
