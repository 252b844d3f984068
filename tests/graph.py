"""Small readers over a plan document, so tests say what they check and not how to find it."""

from __future__ import annotations


def resources(doc: dict, type_: str) -> list[dict]:
    return [r for r in doc["resources"] if r["type"] == type_]


def one(doc: dict, type_: str, name: str | None = None) -> dict:
    found = [r for r in resources(doc, type_) if name is None or r["name"] == name]
    assert len(found) == 1, f"expected one {type_} {name or ''}, found {len(found)}"
    return found[0]


def by_urn(doc: dict) -> dict[str, dict]:
    return {r["urn"]: r for r in doc["resources"]}


def depends_on(doc: dict, resource: dict, type_: str) -> list[dict]:
    index = by_urn(doc)
    return [index[u] for u in resource["dependsOn"] if index[u]["type"] == type_]


def counts(doc: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in doc["resources"]:
        out[r["type"]] = out.get(r["type"], 0) + 1
    return out


def parent_name(resource: dict) -> str:
    """The name of the component a resource belongs to (e.g. the image of a template)."""
    return resource["parent"].rsplit("::", 1)[-1]


def under(doc: dict, type_: str, parent: str) -> dict:
    """The one resource of type_ whose component is named parent."""
    found = [r for r in resources(doc, type_) if parent_name(r) == parent]
    assert len(found) == 1, f"expected one {type_} under {parent}, found {len(found)}"
    return found[0]
