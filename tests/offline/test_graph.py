"""The graph as a picture: Mermaid for every stack accepted by mermaid's own parser (from npm), dot
well-formed, and the README's architecture picture in step with the dev stack."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from offline import readme_graph
from offline.graph import render_dot, render_mermaid
from offline.plan import stack_names
from tests.node import node_modules

HERE = Path(__file__).parent
# mermaid needs a DOM even to parse; jsdom gives it one. Pinned: the parser GitHub's renderer is closest to.
PACKAGES = {"mermaid": "11.17.2", "jsdom": "26.1.0"}


@pytest.fixture(scope="session")
def mermaid_modules() -> Path:
    return node_modules("the Mermaid output (mermaid's own parser)", PACKAGES)


def parse_mermaid(modules: Path, files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(HERE / "mermaid_parse.mjs"), *map(str, files)], capture_output=True, text=True,
                          env={**os.environ, "MERMAID_NODE_MODULES": str(modules)}, timeout=300)


def test_every_stacks_mermaid_is_accepted_by_mermaids_parser(plans, mermaid_modules, tmp_path):
    files = []
    for stack in stack_names():
        files.append(tmp_path / f"{stack}.mmd")
        files[-1].write_text(render_mermaid(plans[stack]))
    done = parse_mermaid(mermaid_modules, files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok ") == len(files)


def test_the_parser_refuses_broken_mermaid(mermaid_modules, tmp_path):
    broken = tmp_path / "broken.mmd"
    broken.write_text("flowchart LR\n  a[[[ --> b\n")
    done = parse_mermaid(mermaid_modules, [broken])
    assert done.returncode == 1 and "error" in done.stdout


def test_the_picture_has_every_resource_its_component_and_dependencies(stack_plan):
    text = render_mermaid(stack_plan)
    custom = [r for r in stack_plan["resources"] if r["custom"]]
    assert len(re.findall(r'^    n\d+\["', text, re.M)) == len(custom)
    edges = {(a, b) for r in custom for a in r["dependsOn"] for b in [r["urn"]]}
    assert text.count(" --> ") == len(edges)
    if any(r["type"] == "azure-native:compute:Gallery" for r in custom):
        assert 'subgraph g' in text and '"ImageGallery gallery"' in text
        assert "Microsoft.Compute/galleries<br/>" in text


def test_dot_has_a_cluster_per_component_and_an_edge_per_dependency(stack_plan):
    text = render_dot(stack_plan)
    components = {r["parent"] for r in stack_plan["resources"] if r["custom"]}
    assert text.startswith(f'digraph "{stack_plan["stack"]}" {{') and text.endswith("}")
    assert text.count("subgraph cluster_") == len(components)
    assert text.count(" -> ") == sum(len(r["dependsOn"]) for r in stack_plan["resources"] if r["custom"])
    assert text.count("{") == text.count("}")


def test_the_readmes_architecture_picture_is_the_dev_stacks(plans):
    current = readme_graph.README.read_text()
    assert readme_graph.with_picture(current, plans["dev"]) == current, \
        "README.md's architecture picture is stale: run `make readme-graph`"
