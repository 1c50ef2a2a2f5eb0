"""The shared vocabulary, read from ``schema/`` with LinkML's SchemaView.

This module is the only place that interprets the schema conventions the rest of the toolkit
relies on (documented in ``schema/ctdc.yaml``):

* a slot or permissible value names the CTDC public-release column(s) it corresponds to as
  ``ctdc:<Column>`` CURIEs in its SKOS mapping lists (exact/close/broad/narrow/related);
* a permissible value records the text CTDC files write for it in the ``ctdc_code``
  annotation, and other spellings in ``aliases``.

Facts about the vocabulary live in the YAML; this code only indexes them. Meanings and
definitions are read here rather than from generated artefacts, which drop them
(linkml/linkml#3800, #1810).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ctdc_schema import resources, yamlsource
from ctdc_schema.errors import InputError, UsageError

#: LinkML mapping list -> SKOS/SSSOM predicate it asserts
MAPPING_PREDICATES: Mapping[str, str] = {
    "exact_mappings": "exactMatch",
    "close_mappings": "closeMatch",
    "broad_mappings": "broadMatch",
    "narrow_mappings": "narrowMatch",
    "related_mappings": "relatedMatch",
}

#: CURIE prefix of CTDC public-release column names
CTDC_PREFIX = "ctdc"

#: the record class and the container class of the vocabulary
RECORD_CLASS = "VictimRecord"
CONTAINER_CLASS = "Dataset"
#: the index `ctdc generate` writes: what the engine needs, readable without LinkML
INDEX_FILE = "generated/index/vocabulary.json"


@dataclass(frozen=True)
class Mapping_:
    """One mapping of a vocabulary element to an external term."""

    predicate: str
    curie: str


@dataclass(frozen=True)
class ValueInfo:
    """A permissible value of an enum, with what the toolkit needs to know about it."""

    name: str
    description: str
    meaning: str | None
    ctdc_code: str | None
    aliases: tuple[str, ...]
    mappings: tuple[Mapping_, ...]
    deprecated: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    #: the broader value this one rolls up to (LinkML ``is_a`` between permissible values)
    parent: str | None = None


@dataclass(frozen=True)
class SlotInfo:
    """A slot of the record class as induced by SchemaView."""

    name: str
    description: str
    range: str
    multivalued: bool
    required: bool
    enum: str | None
    mappings: tuple[Mapping_, ...]
    minimum_value: Any = None
    maximum_value: Any = None
    pattern: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnBinding:
    """What a CTDC column name resolves to: a slot, or one value of a grouped slot."""

    column: str
    slot: str
    value: str | None
    predicate: str


def _mappings(element: Any) -> tuple[Mapping_, ...]:
    found: list[Mapping_] = []
    for attr, predicate in MAPPING_PREDICATES.items():
        for curie in getattr(element, attr, None) or []:
            found.append(Mapping_(predicate, str(curie)))
    return tuple(found)


def annotations_of(element: Any) -> dict[str, str]:
    """An element's annotations as plain strings (induced slots hold them in a JsonObj)."""
    from linkml_runtime.utils.formatutils import items

    raw = getattr(element, "annotations", None) or {}
    return {str(key): str(getattr(ann, "value", ann)) for key, ann in items(raw)}


def _ctdc_column(curie: str) -> str | None:
    prefix, _, local = curie.partition(":")
    return local if prefix == CTDC_PREFIX and local else None


class Vocabulary:
    """An indexed, read-only view of the vocabulary schema."""

    def __init__(self, path: Path) -> None:
        # Local import: linkml_runtime is heavy and not needed by e.g. `ctdc --version`.
        from linkml_runtime.utils.schemaview import SchemaView

        self.path = path
        for yaml_file in sorted(path.parent.glob("*.yaml")):
            yamlsource.compose(yaml_file)  # located syntax/duplicate-key errors first
        try:
            self.view = SchemaView(str(path))
            schema = self.view.schema
            self.classes = self.view.all_classes()
            self.enums_raw = self.view.all_enums()
        except InputError:
            raise
        except Exception as exc:  # SchemaView raises many types for bad schemas
            _raise_missing_import(path)
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise InputError(f"cannot load the vocabulary: {message}", path) from None
        self.name: str = str(schema.name)
        self.version: str = str(schema.version or "0.0.0")
        self.annotations: dict[str, str] = annotations_of(schema)
        if RECORD_CLASS not in self.classes:
            raise InputError(f"the vocabulary has no class '{RECORD_CLASS}'", path)
        self.slots: dict[str, SlotInfo] = {
            name: self._slot_info(name) for name in self.view.class_slots(RECORD_CLASS)
        }
        self._values: dict[str, dict[str, ValueInfo]] = {}

    @classmethod
    def from_index(cls, document: Mapping[str, Any], path: Path) -> Vocabulary:
        """The vocabulary as :func:`index_document` wrote it: the same slots, values and
        annotations, without SchemaView (``view`` is None; only the checks of the schema
        itself need it, and they load the schema)."""
        self = cls.__new__(cls)
        self.path = path
        self.view = None
        self.name = str(document["name"])
        self.version = str(document["version"])
        self.annotations = dict(document["annotations"])
        self.classes = {name: None for name in document["classes"]}
        self.enums_raw = {name: None for name in document["enums"]}

        def mappings(raw: Iterable[Iterable[str]]) -> tuple[Mapping_, ...]:
            return tuple(Mapping_(*pair) for pair in raw)

        # lists, not objects: the order of slots and values is meaning (record columns, the
        # order of list values), and JSON objects are written with sorted keys
        self.slots = {raw["name"]: SlotInfo(**{**raw, "mappings": mappings(raw["mappings"])})
                      for raw in document["slots"]}
        self._values = {
            enum: {raw["name"]: ValueInfo(**{**raw, "aliases": tuple(raw["aliases"]),
                                             "mappings": mappings(raw["mappings"])})
                   for raw in values}
            for enum, values in document["enums"].items()}
        return self

    def _slot_info(self, name: str) -> SlotInfo:
        induced = self.view.induced_slot(name, RECORD_CLASS)
        rng = str(induced.range or "string")
        return SlotInfo(
            name=name,
            description=str(induced.description or ""),
            range=rng,
            multivalued=bool(induced.multivalued),
            required=bool(induced.required),
            enum=rng if rng in self.enums_raw else None,
            mappings=_mappings(induced),
            minimum_value=induced.minimum_value,
            maximum_value=induced.maximum_value,
            pattern=induced.pattern,
            annotations=annotations_of(induced),
        )

    # -- enums ------------------------------------------------------------------------------
    def enum_values(self, enum: str) -> dict[str, ValueInfo]:
        """Permissible values of ``enum`` in schema order, keyed by their text."""
        if enum not in self._values:
            definition = self.enums_raw[enum]
            values: dict[str, ValueInfo] = {}
            for text, pv in (definition.permissible_values or {}).items():
                annotations = annotations_of(pv)
                values[str(text)] = ValueInfo(
                    name=str(text),
                    description=str(pv.description or ""),
                    meaning=str(pv.meaning) if pv.meaning else None,
                    ctdc_code=annotations.get("ctdc_code"),
                    aliases=tuple(str(a) for a in pv.aliases or []),
                    mappings=_mappings(pv),
                    deprecated=str(pv.deprecated) if pv.deprecated else None,
                    annotations=annotations,
                    parent=str(pv.is_a) if pv.is_a else None,
                )
            self._values[enum] = values
        return self._values[enum]

    def broader(self, enum: str, value: str) -> list[str]:
        """The broader values ``value`` rolls up to, nearest first (its ``is_a`` chain)."""
        values = self.enum_values(enum)
        chain: list[str] = []
        current = values[value].parent if value in values else None
        while current is not None and current in values and current not in chain:
            chain.append(current)
            current = values[current].parent
        return chain

    def slot_values(self, slot: str) -> dict[str, ValueInfo]:
        """Permissible values of an enum-ranged slot (empty for other slots)."""
        info = self.slots[slot]
        return self.enum_values(info.enum) if info.enum else {}

    @property
    def enum_names(self) -> list[str]:
        return sorted(self.enums_raw)

    # -- CTDC columns -----------------------------------------------------------------------
    @functools.cached_property
    def column_index(self) -> dict[str, tuple[ColumnBinding, ...]]:
        """CTDC column name (lower-cased: files drift in casing) -> what it maps to."""
        index: dict[str, list[ColumnBinding]] = {}
        for slot in self.slots.values():
            for mapping in slot.mappings:
                column = _ctdc_column(mapping.curie)
                if column:
                    index.setdefault(column.lower(), []).append(
                        ColumnBinding(column, slot.name, None, mapping.predicate)
                    )
            for value in self.slot_values(slot.name).values():
                for mapping in value.mappings:
                    column = _ctdc_column(mapping.curie)
                    if column:
                        index.setdefault(column.lower(), []).append(
                            ColumnBinding(column, slot.name, value.name, mapping.predicate)
                        )
        return {key: tuple(bindings) for key, bindings in index.items()}

    def resolve_column(self, column: str) -> tuple[ColumnBinding, ...]:
        """Bindings of a CTDC column name, matched case-insensitively (empty if unknown)."""
        return self.column_index.get(column.strip().lower(), ())

    def unresolved_columns(self, columns: Iterable[str]) -> list[str]:
        """The columns of ``columns`` that no slot or value maps to."""
        return [c for c in columns if not self.resolve_column(c)]


def _raise_missing_import(path: Path) -> None:
    """Point at the `imports:` line of a local module that does not exist, if that is the cause."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    root = yamlsource.compose(path)
    if not isinstance(root, MappingNode):
        return
    for key, value in root.value:
        if key.value == "imports" and isinstance(value, SequenceNode):
            for item in value.value:
                name = str(item.value)
                if ":" not in name and not (path.parent / f"{name}.yaml").is_file():
                    raise InputError(f"imported module '{name}' not found next to {path.name}",
                                     path, item.start_mark.line + 1, item.start_mark.column + 1)


def schema_digest(schema_dir: Path) -> str:
    """A digest of the schema's YAML files (names and bytes): which schema an index is of."""
    digest = hashlib.sha256()
    for path in sorted(schema_dir.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def index_document(vocab: Vocabulary) -> dict[str, Any]:
    """What the engine needs of the vocabulary, as plain JSON data (``ctdc generate``)."""
    def plain(info: Any) -> dict[str, Any]:
        raw = asdict(info)
        raw["mappings"] = [[m.predicate, m.curie] for m in info.mappings]
        raw["annotations"] = dict(info.annotations)
        return raw

    return {
        "$comment": "GENERATED by `ctdc generate` from schema/; do not edit. The vocabulary "
                    "as the engine reads it without LinkML (see ctdc_schema.vocabulary).",
        "digest": schema_digest(vocab.path.parent),
        "name": vocab.name,
        "version": vocab.version,
        "annotations": vocab.annotations,
        "classes": sorted(vocab.classes),
        "slots": [plain(info) for info in vocab.slots.values()],
        "enums": {enum: [plain(value) for value in vocab.enum_values(enum).values()]
                  for enum in vocab.enum_names},
    }


def render_index(vocab: Vocabulary) -> bytes:
    return (json.dumps(index_document(vocab), indent=1, sort_keys=True, ensure_ascii=False,
                       default=str) + "\n").encode()


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int, full: bool) -> Vocabulary:
    if not full:
        digest = schema_digest(path.parent)
        for candidate in _index_files(path):
            try:
                document = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(document, dict) and document.get("digest") == digest:
                return Vocabulary.from_index(document, path)
    return Vocabulary(path)


def _index_files(path: Path) -> list[Path]:
    """Where the index of the schema at ``path`` may be: beside it in a checkout, or in the
    installed package (the digest says whether it is this schema's)."""
    found = [path.parent.parent / INDEX_FILE]
    with contextlib.suppress(UsageError):  # no index installed: SchemaView reads the schema
        found.append(resources.data_dir("generated/index") / Path(INDEX_FILE).name)
    return [p for p in found if p.is_file()]


def load(schema: Path | str | None = None, *, full: bool = False) -> Vocabulary:
    """Load (and cache per file version) the vocabulary; ``schema`` overrides the default.

    The generated index is read when it is of this very schema (a digest of its files):
    that skips LinkML's SchemaView, which costs about half a second per command. ``full``
    always reads the schema with SchemaView (the checks of the schema itself need it)."""
    path = resources.schema_path(schema).resolve()
    mtimes = sum(p.stat().st_mtime_ns for p in path.parent.glob("*.yaml"))
    return _load_cached(path, mtimes, full)
