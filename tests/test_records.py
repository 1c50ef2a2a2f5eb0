"""Example records: the JSON Schema and the pydantic classes give the same verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, ROOT
from jsonschema import Draft201909Validator
from pydantic import ValidationError
from ruamel.yaml import YAML

from ctdc_schema import datamodel

EXAMPLES = DATA / "examples"
SCHEMA = json.loads((ROOT / "generated/jsonschema/ctdc.schema.json").read_text())


def load_example(path: Path) -> tuple[str, Any]:
    """Examples are named `<Class>-<what>.yaml`, as linkml-run-examples expects."""
    class_name = path.name.split("-", 1)[0]
    return class_name, YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def jsonschema_errors(class_name: str, instance: Any) -> list[str]:
    schema = SCHEMA
    if class_name != "Dataset":  # validate against the class's definition, not the root
        schema = {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"],
                  "$ref": f"#/$defs/{class_name}"}
    return [e.message for e in Draft201909Validator(schema).iter_errors(instance)]


def pydantic_errors(class_name: str, instance: Any) -> list[str]:
    model = getattr(datamodel, class_name)
    try:
        # JSON-mode strict validation: the semantics of the JSON Schema (no "2019" -> 2019).
        model.model_validate_json(json.dumps(instance), strict=True)
    except ValidationError as exc:
        return [str(e["msg"]) for e in exc.errors()]
    return []


def examples(kind: str) -> list[Path]:
    found = sorted((EXAMPLES / kind).glob("*.yaml"))
    assert found, f"no {kind} examples"
    return found


@pytest.mark.parametrize("path", examples("valid"), ids=lambda p: p.name)
def test_valid_examples_pass_both(path: Path) -> None:
    class_name, instance = load_example(path)
    assert jsonschema_errors(class_name, instance) == []
    assert pydantic_errors(class_name, instance) == []


@pytest.mark.parametrize("path", examples("invalid"), ids=lambda p: p.name)
def test_invalid_examples_fail_both(path: Path) -> None:
    class_name, instance = load_example(path)
    assert jsonschema_errors(class_name, instance), "JSON Schema accepted it"
    assert pydantic_errors(class_name, instance), "pydantic accepted it"


def test_schema_is_closed() -> None:
    assert SCHEMA["additionalProperties"] is False
    assert SCHEMA["$defs"]["VictimRecord"]["additionalProperties"] is False


def test_absent_unknown_and_empty_none_are_distinct() -> None:
    unknown = datamodel.VictimRecord()
    none = datamodel.VictimRecord(means_of_control=[])
    assert unknown.means_of_control is None
    assert none.means_of_control == []
    assert none.model_dump(exclude_none=True) == {"means_of_control": []}
