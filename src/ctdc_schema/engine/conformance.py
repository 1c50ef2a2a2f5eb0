"""Harmonised records checked against the vocabulary's JSON Schema, one distinct value at a time.

The record class's schema is closed (no property outside the vocabulary) and none of its
constraints relates two properties (no ``required``, ``dependentRequired``, ``if``/``then`` or
combinators at record level; ``tests/test_engine.py`` asserts it). A record is then valid
exactly when each of its properties is, so validating every distinct value each slot takes
(the plan's result tables hold them, a few hundred at most) with :mod:`jsonschema` gives the
verdict on every record at no cost per row. Slots computed per row (a cell kept as it is) are
checked by construction: the plan only keeps a cell that fits the slot's range, pattern and
bounds, which are the facts the schema is generated from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from ctdc_schema import resources
from ctdc_schema.errors import UsageError
from ctdc_schema.vocabulary import RECORD_CLASS, SlotInfo, Vocabulary

SCHEMA_NAME = "ctdc.schema.json"


def schema_file(schema: Path | str | None = None) -> Path:
    """The generated JSON Schema that goes with the vocabulary ``schema`` (``--schema``)."""
    main = resources.schema_path(schema)
    candidates = [main.parent.parent / "generated/jsonschema" / SCHEMA_NAME]
    if schema is None:
        candidates.insert(0, resources.data_dir("generated/jsonschema") / SCHEMA_NAME)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UsageError(f"no generated JSON Schema next to {main}: run `ctdc generate`")


@cache
def _validator(path: Path) -> Any:
    from jsonschema import Draft201909Validator

    document = json.loads(path.read_text(encoding="utf-8"))
    return Draft201909Validator({"$schema": document.get("$schema"),
                                 "$defs": document["$defs"],
                                 "$ref": f"#/$defs/{RECORD_CLASS}"})


def typed(slot: SlotInfo, value: str) -> Any:
    """A value of the plan's result tables (text) as the record holds it."""
    if slot.range == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if slot.range == "boolean":
        return {"true": True, "false": False}.get(value, value)
    return value


def invalid_values(vocab: Vocabulary, slot_name: str, values: Iterable[str],
                   schema: Path | str | None = None) -> dict[str, str]:
    """The values (text) slot ``slot_name`` cannot hold, each with the schema's reason."""
    slot = vocab.slots[slot_name]
    validator = _validator(schema_file(schema))
    bad: dict[str, str] = {}
    for value in values:
        item = typed(slot, value)
        instance = {slot_name: [item] if slot.multivalued else item}
        error = next(iter(validator.iter_errors(instance)), None)
        if error is not None:
            bad[value] = error.message
    return bad
