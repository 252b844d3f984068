"""What the README and docs/ say is true and stays so: the operator's first screen, the numbers the program
computes (resource counts, estimates, quota, each recipe's diff), the links, and the prerequisites."""

from __future__ import annotations

import copy
import re

import pytest

from components.config import strict_yaml
from offline import quota
from offline.azure_types import azure_type
from offline.diff import diff_plans, render_text
from offline.plan import ROOT, plan, stack_names
from tests.graph import BUILDS, BUILDS_FILE, plan_stack

README_PATH = ROOT / "README.md"
README = README_PATH.read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))
PREREQUISITES = (ROOT / "docs" / "prerequisites.md").read_text()


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    following = re.search(r"\n## ", text[start + len(heading) + 2:])
    return text[start:start + len(heading) + 2 + following.start()] if following else text[start:]


# --- the first screen --------------------------------------------------------------------------------


def test_the_readme_is_at_most_350_lines():
    assert len(README.splitlines()) <= 350, f"README.md has {len(README.splitlines())} lines; move detail to docs/"


def test_the_quick_start_is_within_the_first_40_lines():
    first = "\n".join(README.splitlines()[:40])
    assert "## Quick start" in first, "README.md's first 40 lines hold no '## Quick start'"
    quick_start = first[first.index("## Quick start"):]
    for command in ("make plan", "make diff BASE=", "pulumi preview", "pulumi up"):
        assert command in quick_start, f"{command!r} is not in the quick start within README.md's first 40 lines"
    assert README.index("<!-- architecture:") > README.index("pulumi up"), "the picture comes after the quick start"


def test_the_readme_says_what_the_more_section_promises():
    more = _section(README, "## More")
    for name in ("config", "design", "plan-json", "mutation", "diff", "hyperv", "lifecycle", "azure-notes"):
        assert f"(docs/{name}.md" in more, name


# --- numbers the program computes ----------------------------------------------------------------------


def test_the_stacks_table_matches_the_plans(plans):
    table = _section(README, "## Stacks")
    for stack, doc in plans.items():
        if stack not in stack_names():
            continue  # a test fixture, not a shipped stack
        custom = sum(1 for r in doc["resources"] if r.get("custom"))
        row = next((line for line in table.splitlines() if line.startswith(f"| `{stack}` |")), None)
        assert row, f"README's Stacks table has no row for {stack}"
        assert row.endswith(f"| {custom} | ≈ {doc['criticalPath']['minutes']} min |"), \
            f"README's Stacks row for {stack} is stale: {custom} resources, ≈ {doc['criticalPath']['minutes']} min"


def test_the_quick_starts_estimate_is_the_dev_plans(plans):
    assert f"(for dev: `critical path ≈ {plans['dev']['criticalPath']['minutes']} min`)" in README


def test_the_quota_table_is_the_plans(plans):
    block = README[README.index("<!-- quota:"):README.index("<!-- end of quota -->")]
    expected = quota.table({s: d for s, d in sorted(plans.items()) if s in stack_names()})
    assert expected in block, "README's quota table is stale: paste `python -m offline.quota`"


def test_quota_counts_builds_fleets_and_proxies():
    assert quota.family("Standard_D4ds_v5") == ("standardDDSv5Family", 4)
    assert quota.family("Standard_A1_v2") == ("standardAv2Family", 1)
    template = {"type": "azure-native:virtualmachineimages:VirtualMachineImageTemplate",
                "inputs": {"location": "uksouth", "vmProfile": {"vmSize": "Standard_D8ds_v5", "vnetConfig": {"subnetId": "x"}}}}
    scale_set = {"type": "azure-native:compute:VirtualMachineScaleSet",
                 "inputs": {"location": "eastus", "sku": {"name": "Standard_D2s_v5", "capacity": 120}}}
    assert quota.quota({"resources": [template, scale_set]}) == {
        "eastus": {"standardDSv5Family": 240, "total": 240},
        "uksouth": {"standardAv2Family": 1, "standardDDSv5Family": 8, "total": 9}}


def test_the_stacks_section_names_the_regions_the_policy_allows():
    import json
    allowed = json.loads((ROOT / "policy" / "firm-config.json").read_text())["allowed-regions"]["allowedRegions"]
    stacks = _section(README, "## Stacks")
    assert allowed and all(region in stacks for region in allowed), "README's Stacks section names the allowed regions"


# --- the recipes: each quoted diff is what `make diff` says for that edit --------------------------------

DEV = strict_yaml.parse((ROOT / "Pulumi.dev.yaml").read_bytes(), "Pulumi.dev.yaml")["config"]


def _edit(**changes):
    config = copy.deepcopy({k.split(":", 1)[1]: v for k, v in DEV.items() if k.startswith("image-factory:")})
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = config
        for part in parents:
            node = node[part]
        value(node, last) if callable(value) else node.__setitem__(last, value)
    return {f"image-factory:{k}": v for k, v in config.items()}


CUSTOMIZER = {"type": "PowerShell", "name": "install-monitoring-agent", "inline": ["Write-Output agent"]}
SQL = {"identifier": {"publisher": "ContosoFinance", "offer": "WindowsServer2025", "sku": "datacenter-azure-edition-sql"},
       "source": {"image": "win2025-base"},
       "customize": [{"type": "PowerShell", "name": "sql-prereqs", "inline": ["Write-Output sql"]}], "regions": ["uksouth"]}
RECIPES = {
    "customizer": lambda: _edit(**{"images__win2025-base__customize": lambda node, key: node[key].insert(1, CUSTOMIZER)}),
    "fleet": lambda: _edit(**{"fleets__dev-web": {"region": "uksouth", "image": "win2025-base", "count": 3,
                                                  "mode": "scaleset", "zones": ["1", "2", "3"]}}),
    "region": lambda: _edit(**{"images__win2025-base__regions": lambda node, key: node[key].append({"name": "eastus"}),
                               "network__eastus": {"addressSpace": "10.21.0.0/16", "workloadSubnet": "10.21.1.0/24"},
                               "fleets__dev-nyc": {"region": "eastus", "image": "win2025-base", "count": 2}}),
    "layered": lambda: _edit(**{"images__win2025-sql": SQL}),
    "size": lambda: _edit(**{"fleets__dev-app__size": "Standard_D4s_v5"}),
    "admin": lambda: _edit(adminUsername="opsadmin"),
}


def _quoted(name: str) -> list[str]:
    marker = f"<!-- recipe: {name} -->\n```text\n"
    assert marker in README, f"README has no quoted diff for the recipe {name}"
    start = README.index(marker) + len(marker)
    return README[start:README.index("```", start)].rstrip("\n").split("\n")


def _summary(text: str) -> list[str]:
    lines = text.split("\n")
    start = lines.index("Consequences:") + 1
    consequences = lines[start:lines.index("", start)]
    return consequences + [next(line for line in lines if line.startswith("Resources: "))]


@pytest.mark.parametrize("name", RECIPES)
def test_each_recipes_quoted_diff_is_what_make_diff_says(name, plans):
    said = _summary(render_text(diff_plans(plans["dev"], plan("dev", overrides=RECIPES[name]()))))
    assert _quoted(name) == said, f"README's recipe {name!r} quotes a stale diff; today it says:\n" + "\n".join(said)


def test_the_note_on_one_at_a_time_goes_when_the_diff_stops_saying_it():
    said = "one at a time" in "\n".join(_quoted("customizer"))
    noted = 'Today\'s "one at a time" is wrong' in README
    assert said == noted, "README's note on the diff's 'one at a time' no longer matches the quoted diff"


# --- links -----------------------------------------------------------------------------------------------


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#{1,6} (.+)$", re.sub(r"```.*?```", "", text, flags=re.S), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("path", [README_PATH, *DOCS], ids=lambda p: p.name)
def test_every_relative_link_resolves(path):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        where = (path.parent / file).resolve() if file else path
        if not where.exists():
            broken.append(f"{target}: no such file")
        elif anchor and where.suffix == ".md" and anchor not in _anchors(where.read_text()):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{path.relative_to(ROOT)}: " + "; ".join(broken)


def test_every_local_document_a_policy_links_to_exists():
    from policy import POLICIES
    links = {p.doc for p in POLICIES if not p.doc.startswith("https://")}
    missing = [link for link in links if not (ROOT / link.split("#", 1)[0]).exists()
               or ("#" in link and link.split("#", 1)[1] not in _anchors((ROOT / link.split("#", 1)[0]).read_text()))]
    assert links and not missing, missing


# --- the prerequisites name every resource provider the stacks use ----------------------------------------


def test_every_resource_provider_the_stacks_use_is_listed(plans):
    namespaces = {azure_type(r["type"]).arm_type.split("/")[0] for doc in plans.values()
                  for r in doc["resources"] if r["type"].startswith("azure-native:")}
    namespaces.discard("Microsoft.Authorization")  # registered in every subscription
    namespaces.discard("Microsoft.Resources")
    assert namespaces and all(f"`{ns}`" in PREREQUISITES for ns in namespaces), namespaces


def test_image_builders_own_needs_and_the_features_are_listed():
    for name in ("Microsoft.ContainerInstance", "Microsoft.VirtualMachineImages/Triggers",
                 "Microsoft.Compute/EncryptionAtHost", "Microsoft.Compute/ImageReferenceUpgradeForVmoVMs",
                 "Microsoft.Compute/VMSSFlexRollingUpgrade"):
        assert f"`{name}`" in PREREQUISITES, name
    assert re.search(r"az provider register --namespace", PREREQUISITES)
    assert re.search(r"az feature register --namespace", PREREQUISITES)


def test_the_mutation_table_has_a_row_for_every_module():
    """docs/mutation.md's scores are measured by `make mutation` (too slow for a test to repeat): the table must
    at least name each module pyproject.toml defines, and no other."""
    import tomllib

    modules = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["image-factory"]["mutation"])
    text = (ROOT / "docs" / "mutation.md").read_text()
    rows = {m.group(1) for m in re.finditer(r"^ *\| ([a-z_]+)(?: \(.*?\))? \| [0-9]+ \| [0-9]+% \|", text, re.MULTILINE)}
    assert rows == modules, f"docs/mutation.md's table: missing {sorted(modules - rows)}, extra {sorted(rows - modules)}"


def test_the_design_notes_price_of_layering_is_the_plans(plans):
    """docs/design.md compares the estimate of prod building its own images (the prod-builds fixture, as prod
    was before promotion) with the same stack building its app image from the marketplace."""
    prod = strict_yaml.parse(BUILDS_FILE.read_bytes(), "Pulumi.prod.yaml")["config"]
    images = copy.deepcopy(prod["image-factory:images"])
    del images["win2025-app"]["source"]  # the marketplace default: both builds in parallel
    parallel = plan_stack(BUILDS, overrides={"image-factory:images": images})["criticalPath"]["minutes"]
    layered = plans[BUILDS]["criticalPath"]["minutes"]
    assert f"(≈ {layered} against ≈ {parallel} min in the estimate)" in (ROOT / "docs" / "design.md").read_text()


def test_the_design_notes_numbers_of_prod_are_the_plans(plans):
    design = (ROOT / "docs" / "design.md").read_text()
    peak = plans[BUILDS]["longWaits"]["peak"]  # prod as it built its own images, before promotion
    assert f"Prod's peak is {peak} long waits at once" in design
    config = strict_yaml.parse(BUILDS_FILE.read_bytes(), "Pulumi.prod.yaml")["config"]
    for name, fleet in config["image-factory:fleets"].items():
        said = f"{name} (scale set, {fleet['count']})" if fleet.get("mode") == "scaleset" else f"{name} ({fleet['count']} VMs)"
        assert said in design, f"docs/design.md's prod network table: {said}"
