"""Acknowledgements: how a change says "yes, take this fleet down" or "yes, replace this protected
resource", so that the diff's error for it becomes a warning a reviewer sees.

The form is a key of the stack file, reviewed in the pull request like any other line of it:

    image-factory:acknowledge:
      - fleet: lon-app
        reason: adminUsername change, CHG0012345, Saturday window agreed with the app owners
      - resource: win2025-base
        reason: definition recreated after the gallery move, versions re-published by the same up

An acknowledgement names a fleet (its `vms` VMs recreated or restarted all at once, or its scale set
recreated) or the Azure name of a protected resource (replaced or deleted), and why. It counts for the
change that adds it, never for a later one:
- an acknowledgement the base revision already had counts no more (it was for an earlier change), and
  the diff says to remove it;
- an acknowledgement added by this change that no error needs is stale (a typo, or a change that no
  longer does what was acknowledged): an error, so it cannot linger into a later change.
The Pulumi program itself ignores the key (components/config/acknowledge.py holds its model).
"""

from __future__ import annotations

KEY = "image-factory:acknowledge"


def target(ack: dict) -> tuple[str, str]:
    """(kind, name) of what an acknowledgement or a consequence's `acknowledge` names."""
    return ("fleet", ack["fleet"]) if ack.get("fleet") else ("resource", ack.get("resource") or "")


def _entry(kind: str, name: str) -> str:
    return f"{{{kind}: {name}, reason: <why it is fine now>}}"


def apply(consequences: list[dict], base_acks: list[dict], head_acks: list[dict], stack: str) -> list[dict]:
    """The consequences with acknowledged errors turned into warnings, and one line per acknowledgement
    that is stale or left from an earlier change."""
    carried = [a for a in head_acks if a in base_acks]
    new = [a for a in head_acks if a not in base_acks]
    used: set[int] = set()
    out: list[dict] = []
    for c in consequences:
        wanted = c.get("acknowledge")
        if c["level"] != "error" or not wanted:
            out.append(c)
            continue
        match = next((i for i, a in enumerate(new) if target(a) == target(wanted)), None)
        if match is None:
            kind, name = target(wanted)
            instead = f"{c['otherwise'][0].upper()}{c['otherwise'][1:]}, or, to" if c.get("otherwise") else "To"
            out.append({**c, "text": f"{c['text']}. {instead} go ahead, add {_entry(kind, name)} to {KEY} in "
                                     f"Pulumi.{stack}.yaml"})
            continue
        used.add(match)
        out.append({**c, "level": "warning", "acknowledged": new[match]["reason"],
                    "text": f"{c['text']} (acknowledged: {new[match]['reason']})"})
    for i, a in enumerate(new):
        if i not in used:
            kind, name = target(a)
            out.append({"level": "error", "text": f"Pulumi.{stack}.yaml: {KEY} names {kind} {name}, but this change "
                                                  f"does not need it (nothing of {kind} {name} is taken down, "
                                                  "replaced or deleted): remove the entry, or fix its name"})
    for a in carried:
        kind, name = target(a)
        out.append({"level": "info", "text": f"Pulumi.{stack}.yaml: {KEY} still names {kind} {name} from an earlier "
                                             "change; it counts no more: remove it"})
    return out
