"""The typed stack config's property: no invalid config ends in anything but one clean line per
problem (ConfigError, never a traceback). Hundreds of generated configs are loaded the way the program
loads them (tests/config/loading.py), without running it, so they stay fast. Each mutation here breaks
a rule on purpose, so every case must be refused; the whole-file property, where a mutation may also
leave a valid file, is tests/config/test_stack_file_property.py.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config import azure_rules as rules
from tests.config import model
from components.config.loading import ConfigError
from tests.config.loading import FILE_CUSTOMIZER, IMG, NS, dev_raw, fleet, load_raw, path_of


LINE = re.compile(rf"^Pulumi\.dev\.yaml: {NS}:\S.* = .*: .+$|^Pulumi\.dev\.yaml: {NS}:\S+: .+$")
NOT_IN_A_LINE = ("Traceback", "<class", "pydantic", "object at 0x", "instance of")

DEV = dev_raw()
P = f"images.{IMG}"

# Junk of each JSON kind; `junk_unlike(x)` never has x's kind, so where x was valid it cannot be.
letters = st.text(st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")), min_size=6, max_size=12).filter(
    lambda s: s not in rules.REGIONS)  # `regions: [name]` is valid shorthand for `regions: [{name: name}]`
any_text = st.text(max_size=30)
ints = st.integers(-10**12, 10**12)
floats = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
lists = st.lists(st.one_of(ints, letters), max_size=3)
dicts = st.dictionaries(letters, st.one_of(ints, letters), max_size=3)


def top_level(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """A top-level string reaches the loader as is and is read as JSON if it parses: '"rg"' means rg."""
    return strategy.filter(lambda s: not s.strip().startswith('"'))


def junk_unlike(value: Any) -> st.SearchStrategy:
    if isinstance(value, bool):  # pydantic reads "yes", 1, ... as booleans; 6+ letters and lists it cannot
        return st.one_of(letters, lists, dicts)
    if isinstance(value, int):  # ...and "12" or 12.0 as integers
        return st.one_of(letters, lists, dicts, floats)
    if isinstance(value, str):
        return st.one_of(ints, floats, st.booleans(), lists, dicts)
    if isinstance(value, list):
        return st.one_of(letters, ints, dicts.filter(bool))
    return st.one_of(letters, ints, st.lists(dicts, min_size=1, max_size=2))  # a dict


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append(prefix + (key,))
        found += paths(child, prefix + (key,))
    return found


def get(raw: Any, path: tuple) -> Any:
    for part in path:
        raw = raw[part]
    return raw


def not_matching(pattern: re.Pattern, strategy: st.SearchStrategy = any_text) -> st.SearchStrategy:
    return strategy.filter(lambda s: not pattern.fullmatch(s))


def outside(lo: int, hi: int) -> st.SearchStrategy:
    return st.one_of(st.integers(max_value=lo - 1), st.integers(min_value=hi + 1))


# (path, values that break that key's rule), for the rules the issue names and their neighbours.
RULE_BREAKERS: list[tuple[str, st.SearchStrategy]] = [
    ("location", not_matching(re.compile("|".join(sorted(rules.REGIONS))), letters)),
    ("owner", top_level(st.one_of(st.just(""), st.text(min_size=257, max_size=300)))),
    ("gallery.name", not_matching(rules.GALLERY_NAME)),
    ("resourceGroup", top_level(not_matching(rules.RESOURCE_GROUP_NAME))),
    ("environment", top_level(not_matching(re.compile(r"[a-z][a-z0-9]{1,9}")))),
    (f"{P}.build.timeoutMinutes", outside(0, rules.BUILD_TIMEOUT_MAX_MINUTES)),
    (f"{P}.build.osDiskSizeGB", outside(30, 4095)),
    (f"{P}.build.vmSize", not_matching(re.compile(r"Standard_[A-Za-z0-9_]+", re.ASCII))),
    (f"{P}.versioning.major", outside(0, rules.INT32_MAX)),
    (f"{P}.identifier.publisher", st.one_of(st.just(""), st.text(min_size=129, max_size=140))),
    (f"{P}.identifier.sku", st.one_of(st.just(""), st.text(min_size=65, max_size=80))),
    (f"{P}.source.version",
     any_text.filter(lambda s: s != "latest" and not re.fullmatch(r"\d+\.\d+\.\d+", s))),
    (f"{P}.customize[0].name", not_matching(rules.CUSTOMIZER_NAME)),
    (f"{P}.customize[2].name", not_matching(rules.CUSTOMIZER_NAME, st.text(min_size=250, max_size=300))),
    (f"{P}.customize[0].type", any_text.filter(lambda s: s not in ("PowerShell", "File", "WindowsRestart", "WindowsUpdate"))),
    (f"{P}.customize[0].inline", st.just([])),
    (f"{P}.customize[0].scriptUri", st.just("https://example.com/a.ps1")),  # both inline and scriptUri
    (f"{P}.customize[1].restartTimeout", not_matching(re.compile(r"\d+[smh]", re.ASCII), st.text(
        st.characters(min_codepoint=32, max_codepoint=126), max_size=8))),
    (f"{P}.customize[2].updateLimit", outside(1, 10000)),
    (f"{P}.customize[3].name", st.just("baseline-settings")),  # a repeated name
    (f"{P}.customize[4]", any_text.filter(lambda s: not s.startswith("https://")).map(
        lambda uri: {**FILE_CUSTOMIZER, "sourceUri": uri})),
    (f"{P}.customize[4]", not_matching(rules.SHA256).map(lambda sha: {**FILE_CUSTOMIZER, "sha256Checksum": sha})),
    (f"{P}.pinned.version", not_matching(rules.VERSION, any_text)),
    (f"{P}.pinned.version", st.tuples(st.integers(2**31, 10**10), st.integers(0, 9)).map(lambda t: f"{t[1]}.{t[0]}.0")),
    ("adminUsername", top_level(not_matching(re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,19}", re.ASCII)))),
    ("network.uksouth", st.builds(lambda a, w: {"addressSpace": a, "workloadSubnet": w},
                                  st.just("10.20.0.0/16"), st.sampled_from(["10.21.0.0/24", "10.20.1.1/24", "x", "10.20.0.0/33"]))),
    (f"{P}.validate.inVMValidations[0].name", not_matching(rules.CUSTOMIZER_NAME)),
    (f"{P}.errorHandling.onCustomizerError", any_text.filter(lambda s: s not in ("cleanup", "abort"))),
    (f"{P}.regions", st.just([])),
    (f"{P}.regions", st.lists(st.sampled_from(sorted(rules.REGIONS - {"uksouth"})), min_size=1, max_size=3)),
    (f"{P}.regions", st.just(["uksouth", "uksouth"])),
    (f"{P}.regions[0].name", letters.filter(lambda s: s not in rules.REGIONS)),
    (f"{P}.regions[0].replicaCount", outside(1, rules.MAX_REPLICAS_PER_REGION)),
    (f"{P}.regions[0].storageAccountType", any_text.filter(lambda s: s not in rules.REPLICA_STORAGE_TYPES)),
    (f"{P}.recommended.vCPUs", st.builds(lambda lo, d: {"min": lo + d, "max": lo},
                                         st.integers(1, 100), st.integers(1, 100))),
    (f"{P}.endOfLife", st.sampled_from(["2034-13-01", "2034-02-30", "next year", "10/10/2034"])),
    ("tags.cost-centre", st.one_of(ints, lists, dicts)),
    ("fleets.lon-app", st.builds(fleet, count=st.one_of(outside(1, 1000)))),
    ("fleets.lon-app", st.builds(fleet, region=letters.filter(lambda s: s not in rules.REGIONS))),
    ("fleets.lon-app", st.builds(fleet, image=letters)),
    ("fleets.lon-app", st.builds(fleet, zones=st.lists(st.sampled_from(["0", "4", "az1"]), min_size=1))),
    ("fleets.lon-app", st.builds(fleet, computerNamePrefix=st.text(
        st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")), min_size=14, max_size=20))),
    ("fleets.lon-app", st.builds(fleet, computerNamePrefix=not_matching(rules.COMPUTER_NAME_PREFIX))),
    ("fleets.lon-app", st.builds(fleet, imageVersion=not_matching(rules.VERSION))),
    ("fleets.lon-app", st.builds(fleet, subnetId=any_text)),
    ("fleets.lon-app", st.builds(fleet, mode=letters)),
    ("fleets", st.dictionaries(not_matching(re.compile(r"[a-z][a-z0-9-]{0,23}")), st.builds(fleet),
                               min_size=1, max_size=2)),
]

REQUIRED = ["owner", "location", "images", f"{P}.identifier", f"{P}.identifier.offer", f"{P}.regions",
            f"{P}.customize[0].type", f"{P}.customize[1].name", f"{P}.regions[0].name",
            f"{P}.validate.inVMValidations[0].type", f"{P}.recommended.memoryGB.max"]

# Where a misspelt key is an error: every object of the dev config that is a model, not a map.
MODEL_NODES: list[tuple[tuple, type]] = [
    ((), model.StackConfig), (path_of(P), model.Image), (path_of(f"{P}.identifier"), model.Identifier),
    (path_of(f"{P}.source"), model.PlatformSource), (path_of(f"{P}.build"), model.Build),
    (path_of(f"{P}.customize[0]"), model.PowerShellCustomizer),
    (path_of(f"{P}.customize[1]"), model.WindowsRestartCustomizer),
    (path_of(f"{P}.customize[2]"), model.WindowsUpdateCustomizer), (path_of(f"{P}.validate"), model.Validation),
    (path_of(f"{P}.validate.inVMValidations[0]"), model.PowerShellValidator),
    (path_of(f"{P}.errorHandling"), model.ErrorHandling), (path_of(f"{P}.regions[0]"), model.TargetRegion),
    (path_of(f"{P}.versioning"), model.Versioning), (path_of(f"{P}.recommended"), model.Recommended),
    (path_of(f"{P}.recommended.vCPUs"), model.Range),
]
MODEL_NODES += [(("fleets", name), model.Fleet) for name in DEV.get("fleets", {})]
MODEL_NODES += [(("network", name), model.RegionNetwork) for name in DEV.get("network", {})]
REQUIRED += [f"fleets.{name}.count" for name in DEV.get("fleets", {})]
REQUIRED += [f"network.{name}.addressSpace" for name in DEV.get("network", {})]
MAPS = {("images",), ("tags",), ("fleets",), ("network",)}  # any key is allowed in these


def _known(cls: type) -> set[str]:
    return {n for name, f in cls.model_fields.items() for n in (name, f.alias) if n}


# A mutation is (path, value) to set, or (path, DELETE) to remove; each one alone makes the config invalid.
DELETE = object()

rule_breaker = st.sampled_from(RULE_BREAKERS).flatmap(
    lambda rb: rb[1].map(lambda value: (path_of(rb[0]), value)))
# A top-level string key takes any scalar's text (Pulumi passes `owner: 0` as "0"): no wrong kind there.
wrong_kind = st.sampled_from([p for p in paths(DEV) if p not in MAPS and len(p) > 0
                              and not (len(p) == 1 and isinstance(DEV[p[0]], str))]).flatmap(
    lambda p: junk_unlike(get(DEV, p)).map(lambda value: (p, value)))
missing = st.sampled_from(REQUIRED).map(lambda p: (path_of(p), DELETE))
extra_key = st.sampled_from(MODEL_NODES).flatmap(lambda node: st.tuples(
    st.text(min_size=1, max_size=20).filter(lambda k, cls=node[1]: k not in _known(cls) and not k[0].isspace()),
    st.one_of(ints, any_text, st.booleans(), st.none(), lists, dicts),
).map(lambda kv, path=node[0]: (path + (kv[0],), kv[1])))

mutation = st.one_of(rule_breaker, wrong_kind, missing, extra_key)


def apply(raw: dict, path: tuple, value: Any) -> bool:
    """Set (or delete) path in raw; False if an earlier mutation changed the way into something else.
    Every value set is invalid where it lands, so a later mutation can never repair an earlier one."""
    node = raw
    for part in path[:-1]:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.setdefault(part, {})  # e.g. gallery or pinned: absent from the dev stack
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        if value is DELETE:
            return node.pop(last, DELETE) is not DELETE
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last <= len(node):
        if value is DELETE:
            if last == len(node):
                return False
            del node[last]
        elif last == len(node):
            node.append(value)
        else:
            node[last] = value
    else:
        return False
    return True


def test_property_every_invalid_config_ends_in_clean_lines():
    examples = []

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.lists(mutation, min_size=1, max_size=3))
    def check(mutations):
        raw = copy.deepcopy(DEV)
        applied = [m for m in mutations if apply(raw, *m)]
        assert applied  # the first always applies: it was drawn against the unchanged config
        try:
            load_raw(raw)
        except ConfigError as error:
            text = str(error)
        else:
            raise AssertionError(f"accepted an invalid config; mutations: {applied!r}")
        # Any other exception type propagates and fails the test: that is a crash, not a clean error.
        assert text, "an empty error"
        for one in text.split("\n"):
            assert LINE.match(one), f"not a problem line: {one!r}"
            assert not any(bad in one for bad in NOT_IN_A_LINE), one
        examples.append(len(text.split("\n")))

    check()
    assert len(examples) >= 250, len(examples)
