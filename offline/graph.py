"""The plan's graph as a picture: Mermaid (renders in GitHub comments and READMEs) and Graphviz dot.

One node per custom resource, grouped by the component it belongs to (a subgraph per component),
labelled with its Azure type and Azure name; an edge from each dependency to its dependent. Node IDs
are numbered in URN order, so one plan always gives the same text.
Mermaid flowchart syntax: https://mermaid.js.org/syntax/flowchart.html;
dot: https://graphviz.org/doc/info/lang.html
"""

from __future__ import annotations

import re

from .azure_types import AZURE_TYPES


def _component(doc: dict, resource: dict) -> str:
    """The component a resource belongs to, as `type name` (the stack itself for top-level resources)."""
    index = {r["urn"]: r for r in doc["resources"]}
    parent = index.get(resource["parent"] or "")
    if parent is None or parent["type"] == "pulumi:pulumi:Stack":
        return "stack"
    return f"{parent['type'].rsplit(':', 1)[-1]} {parent['name']}"


def azure_label(resource: dict) -> tuple[str, str]:
    """(type, name) as a reader of the Azure portal knows them; other resources keep Pulumi's."""
    kind = AZURE_TYPES.get(resource["type"])
    if kind is None:
        return resource["type"].rsplit(":", 1)[-1].rsplit("/", 1)[-1], resource["name"]
    own = re.findall(r"{(\w+)}", kind.id_template)[-1]
    return kind.arm_type, str(resource["inputs"].get(own) or resource["name"])


def _nodes(doc: dict) -> tuple[dict[str, str], dict[str, list[dict]]]:
    custom = sorted((r for r in doc["resources"] if r["custom"]), key=lambda r: r["urn"])
    ids = {r["urn"]: f"n{i}" for i, r in enumerate(custom)}
    groups: dict[str, list[dict]] = {}
    for r in custom:
        groups.setdefault(_component(doc, r), []).append(r)
    return ids, dict(sorted(groups.items()))


def _edges(doc: dict, ids: dict[str, str]) -> list[tuple[str, str]]:
    return sorted({(ids[d], ids[r["urn"]]) for r in doc["resources"] if r["urn"] in ids
                   for d in r["dependsOn"] if d in ids}, key=lambda e: (int(e[0][1:]), int(e[1][1:])))


def _text(value: str) -> str:
    """Label text both languages accept inside double quotes."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def render_mermaid(doc: dict) -> str:
    ids, groups = _nodes(doc)
    lines = ["flowchart LR"]
    for g, (component, members) in enumerate(groups.items()):
        lines.append(f'  subgraph g{g}["{_text(component)}"]')
        for r in members:
            kind, name = azure_label(r)
            lines.append(f'    {ids[r["urn"]]}["{_text(kind)}<br/>{_text(name)}"]')
        lines.append("  end")
    lines += [f"  {a} --> {b}" for a, b in _edges(doc, ids)]
    return "\n".join(lines)


def render_dot(doc: dict) -> str:
    ids, groups = _nodes(doc)
    lines = [f'digraph "{_text(doc["stack"])}" {{', "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for g, (component, members) in enumerate(groups.items()):
        lines.append(f'  subgraph cluster_{g} {{')
        lines.append(f'    label="{_text(component)}";')
        for r in members:
            kind, name = azure_label(r)
            lines.append(f'    {ids[r["urn"]]} [label="{_text(kind)}\\n{_text(name)}"];')
        lines.append("  }")
    lines += [f"  {a} -> {b};" for a, b in _edges(doc, ids)]
    lines.append("}")
    return "\n".join(lines)


def render_components(doc: dict) -> str:
    """The components and what each waits for: the README's overview (`make plan FORMAT=mermaid` draws every
    resource). An edge a -> b: a resource of b depends on one of a; each node counts its resources."""
    ids, groups = _nodes(doc)
    of = {r["urn"]: g for g, members in enumerate(groups.values()) for r in members}
    lines = ["flowchart LR"]
    lines += [f'  c{g}["{_text(component)}<br/>{len(members)} resource(s)"]'
              for g, (component, members) in enumerate(groups.items())]
    edges = sorted({(of[d], of[r["urn"]]) for r in doc["resources"] if r["urn"] in of
                    for d in r["dependsOn"] if d in of and of[d] != of[r["urn"]]})
    return "\n".join(lines + [f"  c{a} --> c{b}" for a, b in edges])
