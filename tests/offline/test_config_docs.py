"""The config reference, the stack-file schema and Pulumi.yaml's declarations come from the one config model,
describe every key, and hold for every shipped stack file; Pulumi.yaml is valid to Pulumi itself."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, TypeAdapter

from components.config import strict_yaml
from components.config.secrets import SECRET_DESCRIPTIONS, SECRET_KEYS
from components.config.stack import NAMESPACE, StackConfig
from offline import config_docs
from offline.plan import ROOT

STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))
FIXTURES = Path(__file__).parent.parent / "fixtures"
PROJECT_SCHEMA = json.loads((FIXTURES / "pulumi-project.schema.json").read_text())


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """Every model reachable from model's fields (unions, lists, maps, Optional and Annotated included)."""
    if model.__name__ in seen:
        return seen
    seen[model.__name__] = model

    def walk(annotation: typing.Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            _models(annotation, seen)
        for arg in typing.get_args(annotation):
            walk(arg)

    for field in model.model_fields.values():
        walk(field.annotation)
    return seen


MODELS = _models(StackConfig, {})


def test_every_model_field_is_described_with_its_effect_on_a_running_stack():
    problems = []
    for model in MODELS.values():
        for name, field in model.model_fields.items():
            where = f"{model.__module__.replace('.', '/')}.py: {model.__name__}.{name}"
            text = field.description or ""
            if not text.strip():
                problems.append(f"{where} has no Field(description=...): say what it is, its allowed values and "
                                f"'{config_docs.CHANGE}<effect>' ({', '.join(config_docs.EFFECTS)})")
            elif not any(f"{config_docs.CHANGE}{effect}" in text for effect in config_docs.EFFECTS):
                problems.append(f"{where}: its description does not end with '{config_docs.CHANGE}<effect>', "
                                f"effect one of: {', '.join(config_docs.EFFECTS)}")
    assert not problems, "\n".join(problems)


def test_the_walk_reaches_the_nested_models():
    assert {"StackConfig", "Image", "Fleet", "PowerShellCustomizer", "WindowsUpdateCustomizer", "HubEgress",
            "PatchWindow", "CapturePublish", "Range"} <= set(MODELS)


def test_every_secret_is_described():
    assert set(SECRET_DESCRIPTIONS) == set(SECRET_KEYS)
    assert all(config_docs.CHANGE in text for text in SECRET_DESCRIPTIONS.values())


@pytest.mark.parametrize("path", [config_docs.CONFIG_MD, config_docs.SCHEMA, config_docs.PROJECT],
                         ids=lambda p: p.name)
def test_the_generated_file_is_current(path):
    assert path.exists() and path.read_text() == config_docs.outputs()[path], \
        f"{path.relative_to(ROOT)} is stale: run `make docs`"


def test_the_reference_lists_every_key_once():
    text = config_docs.CONFIG_MD.read_text()
    keys = re.findall(r"^\| `([^`]+)` \|", text, re.MULTILINE)
    assert len(keys) == len(set(keys))
    for key in ("owner", "images.<image>.build.vmSize", "fleets.<fleet>.size", "adminUsername",
                "images.<image>.customize[] ({type: File}).sha256Checksum", "network.<region>.egress ({type: hub}).nextHopIp",
                "patching.windows.<region>.timeZone", "adminPassword"):
        assert key in keys, key
    row = next(line for line in text.splitlines() if line.startswith("| `adminUsername` |"))
    assert "`\"ifadmin\"`" in row and "replace VMs" in row


# --- the stack-file schema --------------------------------------------------------------------------


def _stack(path: Path) -> dict:
    return strict_yaml.parse(path.read_bytes(), path.name)


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(config_docs.SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_each_shipped_stack_file_names_the_schema_and_is_valid_to_it(path):
    assert path.read_text().splitlines()[0] == config_docs.MODELINE
    errors = [f"{path.name}: {'.'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(_stack(path))]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("edit, where", [
    (lambda c: c.update({"image-factory:adminPasword": "x"}), "config"),
    (lambda c: c["image-factory:fleets"]["dev-app"].update(count="2"), "config.image-factory:fleets.dev-app.count"),
    (lambda c: c["image-factory:fleets"]["dev-app"].update(zones=[1, 2]), "config.image-factory:fleets.dev-app.zones.0"),
    (lambda c: c["image-factory:images"]["win2025-base"]["customize"][0].update(type="Powershell"),
     "config.image-factory:images.win2025-base.customize.0"),
    (lambda c: c.update({"image-factory:adminPassword": "plain"}), "config.image-factory:adminPassword"),
    (lambda c: c.pop("image-factory:owner"), "config"),
])
def test_the_schema_catches_what_the_program_refuses(edit, where):
    doc = _stack(ROOT / "Pulumi.dev.yaml")
    edit(doc["config"])
    found = {".".join(map(str, e.absolute_path)) for e in _validator().iter_errors(doc)}
    assert where in found, found


# --- Pulumi.yaml ------------------------------------------------------------------------------------


def _project() -> dict:
    return yaml.safe_load(config_docs.PROJECT.read_text())


def test_pulumi_yaml_is_valid_to_pulumis_project_schema():
    jsonschema.Draft202012Validator(PROJECT_SCHEMA).validate(_project())


def test_pulumis_schema_has_the_object_config_type_and_the_pinned_pulumi_has_it():
    assert "object" in PROJECT_SCHEMA["$defs"]["simpleConfigType"]["enum"]
    added = re.search(r"first released in\s+pulumi ([0-9.]+)", (FIXTURES / "NOTICE").read_text()).group(1)
    pinned = re.search(r"^pulumi==([0-9.]+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE).group(1)
    as_tuple = lambda v: tuple(int(p) for p in v.split("."))  # noqa: E731
    assert as_tuple(pinned) >= as_tuple(added), f"pulumi {pinned} predates the object config type ({added})"


def test_pulumi_yaml_declares_each_top_level_key_or_says_why_not():
    declared = _project()["config"]
    keys = {field.alias or name for name, field in StackConfig.model_fields.items()}
    assert set(declared) | set(config_docs.UNDECLARED) == keys
    assert not set(declared) & set(config_docs.UNDECLARED)
    # What Pulumi.yaml cannot declare (Pulumi would require it in every stack) is optional in the model.
    required = {field.alias or name for name, field in StackConfig.model_fields.items() if field.is_required()}
    assert {k for k, v in declared.items() if "default" not in v} <= required


def test_pulumi_yaml_passes_pulumis_own_project_checks():
    """What sdk/go/common/workspace/project.go's Validate refuses beyond the JSON Schema: a type on a key outside
    the project's namespace, an array without items, a default not of its type, both default and value."""
    project = _project()
    for key, declaration in project["config"].items():
        namespace = key.split(":", 1)[0] if ":" in key else project["name"]
        assert namespace == project["name"], f"{key}: only the project's own keys may declare a type"
        assert not ("default" in declaration and "value" in declaration), key
        assert declaration["type"] != "array" or "items" in declaration, key
        if "default" in declaration:
            assert pulumi_type_problem("default", key, declaration, declaration["default"]) is None, key


def test_pulumi_yaml_defaults_are_the_models():
    """A declared default is what Pulumi passes when the stack says nothing: it must mean the model's default."""
    for key, declaration in _project()["config"].items():
        if "default" not in declaration:
            continue
        name, field = next((n, f) for n, f in StackConfig.model_fields.items() if (f.alias or n) == key)
        value = TypeAdapter(field.annotation).validate_python(declaration["default"], strict=False)
        assert value == field.get_default(call_default_factory=True), key


def pulumi_type_problem(stack: str, key: str, declaration: dict, value: typing.Any) -> str | None:
    """Pulumi's own check of a stack value against its project declaration (pkg/workspace/config.go,
    validateStackConfigValue, and sdk/go/common/workspace/project.go, ValidateConfigValue): a `secure:`
    value is checked as its decrypted text (a string), an object or list stack value as JSON, a scalar as
    its text."""
    secure = isinstance(value, dict) and set(value) == {"secure"}
    if declaration.get("secret") and not secure:
        return f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret"
    if secure:
        content: typing.Any = "<decrypted>"
    elif isinstance(value, (dict, list)):
        content = json.loads(json.dumps(value))
    else:
        content = str(value).lower() if isinstance(value, bool) else str(value)
    kind = declaration["type"]
    ok = {"string": isinstance(content, str),
          "integer": isinstance(content, str) and re.fullmatch(r"[+-]?[0-9]+", content) is not None,
          "boolean": content in ("true", "false"),
          "object": isinstance(content, dict),
          "array": isinstance(content, list)}[kind]
    return None if ok else f"Stack '{stack}' with configuration key '{key}' must be of type '{kind}'"


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_each_shipped_stack_file_meets_pulumi_yamls_declarations(path):
    stack = path.name.split(".")[1]
    config = _stack(path)["config"]
    problems = []
    for key, declaration in _project()["config"].items():
        full = f"{NAMESPACE}:{key}"
        if full not in config:
            if "default" not in declaration:
                problems.append(f"Stack '{stack}' is missing configuration value '{full}'")
            continue
        problems.append(pulumi_type_problem(stack, key, declaration, config[full]))
    assert not [p for p in problems if p], problems


def test_the_declaration_check_is_pulumis():
    string, boolean, obj = {"type": "string"}, {"type": "boolean"}, {"type": "object"}
    assert pulumi_type_problem("dev", "owner", string, {"secure": "v1:abc"}) is None  # a secret where declared
    assert pulumi_type_problem("dev", "owner", string, 2024) is None  # a scalar arrives as its text
    assert pulumi_type_problem("dev", "protect", boolean, True) is None
    assert pulumi_type_problem("dev", "protect", boolean, "yes")
    assert pulumi_type_problem("dev", "images", obj, {"a": {}}) is None
    assert pulumi_type_problem("dev", "images", obj, ["a"])
    assert pulumi_type_problem("dev", "images", obj, {"secure": "v1:abc"})  # a secret object is text to Pulumi
    assert pulumi_type_problem("dev", "pw", {"type": "string", "secret": True}, "plain")
