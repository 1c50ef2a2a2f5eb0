"""Read one crosswalk file, line-accurately and without guessing, into the generated classes.

Steps, each turning problems into findings rather than exceptions:

1. read strict UTF-8 and compose the YAML node tree (CW004, CW001, CW002), see
   :mod:`ctdc_schema.yamlsource`;
2. convert nodes to plain data where **every scalar keeps the text the steward wrote**
   (``No``, ``-99``, ``01``, ``true`` stay strings; only a plain ``null``/``~``/empty value is
   ``None``), remembering the line and column of every key and item;
3. give the few format fields that are not text (``unknown: true``, ``contributors: 1``)
   their type, guided by the schema: only an unquoted scalar in a boolean or integer position
   is converted, so codes and targets stay text wherever the format expects text;
4. validate that data against the generated ``crosswalk.schema.json``, the same schema
   editors use (CW003);
5. expand the hand-editing short forms and build the pydantic classes generated from
   ``schema/crosswalk.yaml`` (:mod:`ctdc_schema.datamodel.crosswalk`).
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from pydantic import BaseModel, ValidationError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ctdc_schema import resources, yamlsource
from ctdc_schema.datamodel.crosswalk import Crosswalk
from ctdc_schema.errors import InputError, excerpt
from ctdc_schema.findings import RULES, Finding, Related, Rule, Severity, format_path
from ctdc_schema.rules.parsing import (
    AMBIGUOUS_SCALAR,
    DUPLICATE_KEY,
    STRUCTURE,
    UNREADABLE,
    YAML_SYNTAX,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

PathParts = tuple[str | int, ...]
NULL_TAG = "tag:yaml.org,2002:null"


@dataclass
class Positions:
    """Line and column (1-based) of every key and list item, by path."""

    marks: dict[PathParts, tuple[int, int]] = field(default_factory=dict)

    def find(self, parts: Sequence[str | int]) -> tuple[int, int]:
        """Position of ``parts``, or of its nearest ancestor that exists in the file."""
        current = tuple(parts)
        while current:
            if current in self.marks:
                return self.marks[current]
            current = current[:-1]
        return self.marks.get((), (1, 1))


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class PlainText(str):
    """The text of an unquoted YAML scalar: still text, but allowed to become a boolean or an
    integer where the format expects one (see :func:`coerce_types`)."""

    __slots__ = ()


def to_data(node: Node, positions: Positions, parts: PathParts = ()) -> Any:
    """Plain data from a node tree; every scalar stays the text the steward wrote."""
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else str(key_node.value)
            if isinstance(key_node, ScalarNode) and not getattr(key_node, "style", None):
                key = PlainText(key)  # an unquoted key: CW012 asks how YAML 1.1 reads it
            positions.marks[(*parts, key)] = _mark(key_node)
            out[key] = to_data(value_node, positions, (*parts, key))
        return out
    if isinstance(node, SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            positions.marks[(*parts, index)] = _mark(item)
            items.append(to_data(item, positions, (*parts, index)))
        return items
    plain = not getattr(node, "style", None)  # None (pure composer) or "" (libyaml)
    if node.tag == NULL_TAG and plain:
        return None
    # The pure-Python round-trip composer marks the folds of `>` scalars with BEL.
    text = str(node.value).replace("\a", "")
    return PlainText(text) if plain else text


_BOOLEANS = {"true": True, "false": False}
_INTEGER = re.compile(r"[-+]?[0-9]+")


def _types(schema: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    """The JSON types a (sub)schema admits, following ``$ref`` and ``anyOf``."""
    if "$ref" in schema:
        return _types(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    found: set[str] = set()
    kind = schema.get("type")
    found |= set(kind) if isinstance(kind, list) else {kind} if kind else set()
    for option in schema.get("anyOf", []):
        found |= _types(option, defs)
    return found


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """The object or array schemas reachable from ``schema`` through ``$ref``/``anyOf``."""
    if "$ref" in schema:
        return _resolve(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return [s for option in schema["anyOf"] for s in _resolve(option, defs)]
    return [schema]


def coerce_types(data: Any, schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """Convert unquoted scalars in boolean and integer positions of ``schema`` to those types.

    YAML 1.2 core spellings only (``true``/``false`` in any case, decimal integers): ``yes``,
    ``on`` or ``0x10`` stay text and are then reported as the wrong type.
    """
    if isinstance(data, PlainText):
        admitted = _types(schema, defs)
        if "string" not in admitted:
            if "boolean" in admitted and data.lower() in _BOOLEANS:
                return _BOOLEANS[data.lower()]
            if "integer" in admitted and _INTEGER.fullmatch(data):
                return int(data)
        return data
    for option in _resolve(schema, defs):
        if isinstance(data, dict) and ("properties" in option or "additionalProperties" in option):
            properties = option.get("properties", {})
            extra = option.get("additionalProperties")
            for key, value in data.items():
                sub = properties.get(key, extra if isinstance(extra, dict) else None)
                if sub is not None:
                    data[key] = coerce_types(value, sub, defs)
            return data
        if isinstance(data, list) and "items" in option:
            return [coerce_types(item, option["items"], defs) for item in data]
    return data


@functools.lru_cache(maxsize=4)
def schema_validator(name: str = "crosswalk") -> Draft201909Validator:
    """Validator of a generated format schema, ``<name>.schema.json`` (built once per process)."""
    schema_file = resources.data_dir("generated/jsonschema") / f"{name}.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    if name == "crosswalk":
        # the editor-only part: slot names and each slot's values, for completion; the rules
        # report those mistakes with codes and suggestions (CW201, CW202)
        schema["$defs"]["Variable"].pop("allOf", None)
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


def format_validator() -> Draft201909Validator:
    """Validator of the generated crosswalk format schema."""
    return schema_validator("crosswalk")


@dataclass(frozen=True)
class Problem:
    """Where a document breaks its format: path inside it, position, one-line message."""

    parts: tuple[str | int, ...]
    line: int
    column: int
    message: str


def check_document(node: Node, validator: Draft201909Validator) -> tuple[
        Any, Positions, list[Problem]]:
    """Plain data of a composed YAML document, its positions, and its format problems.

    Shared by every hand-edited YAML format (crosswalks, delivery manifests): scalars stay
    the text written except where the schema wants a boolean or an integer, and every JSON
    Schema error becomes one located, one-line :class:`Problem`.
    """
    positions = Positions()
    positions.marks[()] = _mark(node)
    raw = coerce_types(to_data(node, positions), validator.schema,
                       validator.schema.get("$defs", {}))
    problems = []
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.path))):
        parts, message = _describe(error, raw)
        line, column = positions.find(parts)
        problems.append(Problem(tuple(parts), line, column, message))
    return raw, positions, problems


def load_format(path: Path, name: str, model: type[ModelT]) -> tuple[ModelT, Positions]:
    """A small hand-edited YAML document of format ``name`` (a generated JSON Schema) as
    ``model``, or an :class:`InputError` at the first problem's line: delivery manifests,
    the vocabulary's changelog."""
    node = yamlsource.compose(path, yamlsource.read_text(path))
    raw, positions, problems = check_document(node, schema_validator(name))
    if problems:
        first = problems[0]
        raise InputError(first.message, path, first.line, first.column)
    try:
        return model.model_validate(raw), positions
    except ValidationError as exc:  # the JSON Schema should have caught it; never crash
        error = exc.errors()[0]
        line, column = positions.find(tuple(error["loc"]))
        raise InputError(" ".join(str(error["msg"]).split()), path, line, column) from None


def _describe(error: SchemaError, data: Any) -> tuple[PathParts, str]:
    """A one-line message for a JSON Schema error and the exact path it belongs to."""
    parts: PathParts = tuple(error.absolute_path)
    validator = error.validator
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            key = extra[0]
            hint = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            where = format_path(parts) or "the top level"
            others = f" and {len(extra) - 1} more" if len(extra) > 1 else ""
            return (*parts, key), f"unknown key '{excerpt(key, 60)}'{others} in {where}" \
                                  f"{suggestion}"
    if validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        where = format_path(parts) or "the top level"
        return parts, f"missing required key '{missing}' in {where}"
    if validator == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return parts, f"{excerpt(json.dumps(error.instance), 60)} is not one of: {options}"
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        shown = excerpt(json.dumps(error.instance, ensure_ascii=False), 60)
        return parts, f"expected {expected}, found {shown}"
    if validator == "pattern":
        return parts, f"{excerpt(json.dumps(error.instance), 60)} does not have the " \
                      "expected form " \
                      f"({error.schema.get('description', error.validator_value)})".rstrip()
    if validator == "format":
        return parts, f"{excerpt(json.dumps(error.instance), 60)} is not a valid " \
                      f"{error.validator_value} " \
                      "(use ISO 8601, e.g. 2019-01-01)"
    if validator == "anyOf" and error.context:
        # Prefer the branch of the right shape (an object for a mapping): its error is the
        # one the steward can act on, not "expected string".
        branches = list(_branches(error.context))
        shaped = [e for e in branches if e.relative_path or e.validator != "type"]
        deepest = best_match(shaped or branches)
        return _describe(deepest, data)
    return parts, " ".join(str(error.message).split())


def _branches(errors: Iterable[SchemaError]) -> Iterator[SchemaError]:
    """The errors of every branch of nested ``anyOf``s at one place (``a name or a list``
    inside ``a bare target or an object``), flattened."""
    for error in errors:
        if error.validator == "anyOf" and error.context and not error.relative_path:
            yield from _branches(error.context)
        else:
            yield error


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Expand the short forms (scalar column, bare value targets) into the full model shape."""
    data = copy.deepcopy(raw)
    for variable in data.get("variables") or []:
        if not isinstance(variable, dict):
            continue
        if isinstance(variable.get("column"), str):
            variable["column"] = [variable["column"]]
        elif variable.get("column") is None:
            variable["column"] = []  # a constant reads no column
        values = variable.get("values")
        if isinstance(values, dict):
            for code, target in list(values.items()):
                if target is None or isinstance(target, str):
                    values[code] = {"code": code, "value": target}
                elif isinstance(target, list):
                    values[code] = {"code": code, "values": target}
                elif isinstance(target, dict):
                    values[code] = {**_one_or_many(target), "code": code}
                    if isinstance(target.get("cases"), list):
                        values[code]["cases"] = [_one_or_many(c) if isinstance(c, dict) else c
                                                 for c in target["cases"]]
    return data


def _one_or_many(target: dict[str, Any]) -> dict[str, Any]:
    """``value: [a, b]`` is ``values: [a, b]`` (the list form of ``value``, see the schema)."""
    value = target.get("value")
    if isinstance(value, list) and "values" not in target:
        return {**{k: v for k, v in target.items() if k != "value"}, "values": value}
    return target


@dataclass
class LoadedCrosswalk:
    """A crosswalk that parsed and matched the format, with where everything is in the file."""

    file: str  # path as shown to the user
    path: Path
    raw: dict[str, Any]
    model: Crosswalk
    positions: Positions
    #: the file's text as read (UTF-8, byte-order mark removed): checks never read it again
    text: str = ""
    #: read only to compare with (a bundled crosswalk when a partner's is checked): findings
    #: that involve it are placed at the other crosswalk
    context: bool = False

    def at(
        self, rule: Rule, message: str, parts: Sequence[str | int],
        related: Sequence[Related] = (), severity: Severity | None = None,
    ) -> Finding:
        """A finding of ``rule`` located at ``parts`` in this file."""
        line, column = self.positions.find(parts)
        return rule.at(message, self.file, line, column, format_path(parts), related, severity)

    def related(self, message: str, parts: Sequence[str | int]) -> Related:
        line, column = self.positions.find(parts)
        return Related(message, self.file, line, column)

    @property
    def source_folder(self) -> str:
        return self.path.parent.name

    @property
    def source_key(self) -> Path:
        """The source's folder, which groups its versions."""
        return self.path.resolve().parent

    @property
    def root_key(self) -> Path:
        """The crosswalk root (folder of source folders) the file belongs to."""
        return self.path.resolve().parent.parent

    @property
    def label(self) -> str:
        return f"{self.model.source}@{self.model.version}"


def load(path: Path, display: str | None = None) -> tuple[LoadedCrosswalk | None, list[Finding]]:
    """Load one crosswalk; returns it (or None) and the findings that stopped or concern it."""
    file = display or str(path)
    try:
        text = yamlsource.read_text(path)
        node = yamlsource.compose(path, text)
    except InputError as exc:
        if exc.code is not None:
            rule = RULES[exc.code]
        elif exc.detail.startswith("duplicate key"):
            rule = DUPLICATE_KEY
        elif exc.detail.startswith(("YAML", "file holds no YAML")):
            rule = YAML_SYNTAX
        elif exc.detail.startswith(("file not found", "is a directory", "cannot read",
                                    "is not a regular file")):
            raise  # nothing to check: a usage problem (exit 2), not a finding
        else:
            rule = UNREADABLE
        return None, [rule.at(exc.detail, file, exc.line, exc.column)]
    raw, positions, problems = check_document(node, format_validator())
    if problems:
        return None, [STRUCTURE.at(p.message, file, p.line, p.column, format_path(p.parts))
                      for p in problems]
    try:
        model = Crosswalk.model_validate(normalise(raw))
    except ValidationError as exc:  # the JSON Schema and pydantic should agree; never crash
        findings = []
        for error in exc.errors():
            parts = tuple(error["loc"])
            line, column = positions.find(parts)
            findings.append(STRUCTURE.at(" ".join(str(error["msg"]).split()), file, line, column,
                                         format_path(parts)))
        return None, findings
    return LoadedCrosswalk(file, path, raw, model, positions, text), [
        AMBIGUOUS_SCALAR.at(message, file, *positions.find(parts), format_path(parts))
        for parts, message in _read_otherwise(raw)]


#: the implicit types of YAML 1.1 as PyYAML (and so linkml-validate) resolves them
_YAML11 = yaml.resolver.Resolver()
_YAML11_NAMES = {"tag:yaml.org,2002:bool": "a boolean", "tag:yaml.org,2002:int": "an integer",
                 "tag:yaml.org,2002:float": "a number", "tag:yaml.org,2002:timestamp": "a date",
                 "tag:yaml.org,2002:null": "null"}


def _read_otherwise(data: Any, parts: PathParts = ()) -> list[tuple[PathParts, str]]:
    """Unquoted values the format keeps as text that YAML 1.1 readers take for something
    else (CW012). Values the format wants as booleans or integers were converted already
    (:func:`coerce_types`) and are not text any more."""
    if isinstance(data, dict):
        return [found for key, value in data.items()
                for found in (*_read_otherwise(key, (*parts, key)),
                              *_read_otherwise(value, (*parts, key)))]
    if isinstance(data, list):
        return [found for index, item in enumerate(data)
                for found in _read_otherwise(item, (*parts, index))]
    if isinstance(data, PlainText):
        tag = _YAML11.resolve(  # type: ignore[no-untyped-call]
            yaml.ScalarNode, str(data), (True, False))
        if tag in _YAML11_NAMES:
            shown = excerpt(str(data), 40)
            return [(parts, f"{shown} is text here, but YAML 1.1 readers (PyYAML, "
                            f"linkml-validate) read it as {_YAML11_NAMES[tag]}; quote it: "
                            f"\"{shown}\"")]
    return []


def load_valid(paths: Sequence[Path] | None = None,
               sources: set[str] | None = None) -> list[LoadedCrosswalk]:
    """Crosswalks under ``paths`` (default: the bundled ones) for commands that *use* them,
    only those of ``sources`` (source folder names) when given.

    Unlike ``ctdc validate`` these commands cannot work around a broken file, so the first
    parse or format problem stops them as an input error that points at ``ctdc validate``.
    """
    from ctdc_schema.crosswalk import registry

    files = registry.expand(paths) if paths else registry.crosswalk_files(
        resources.data_dir("crosswalks"))
    if sources is not None:
        files = [f for f in files if f.parent.name in sources]
        if not files:
            return []
    loaded = []
    for path in files:
        crosswalk, findings = load(path)
        if crosswalk is None:
            first = findings[0]
            raise InputError(f"{first.code} {first.message} (run `ctdc validate` for all)",
                             first.file, first.line, first.column)
        loaded.append(crosswalk)
    if not loaded:
        raise InputError("no crosswalk files found", paths[0] if paths else None)
    return loaded
