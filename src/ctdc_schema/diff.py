"""``ctdc diff OLD NEW``: every change between two versions of the vocabulary or of a
crosswalk, classified as breaking, additive or patch (rules CH1xx, CH2xx, CH3xx).

Changes are findings, located on the NEW side where they have a place there (on the OLD side
for removals), so that every reporter of ``ctdc validate`` renders them and CI annotates them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from packaging.version import Version

from ctdc_schema import resources, vocabulary, yamlsource
from ctdc_schema.crosswalk import loader, registry
from ctdc_schema.crosswalk.semantics import all_targets, targets
from ctdc_schema.datamodel.crosswalk import Crosswalk
from ctdc_schema.errors import InputError, UsageError, excerpt
from ctdc_schema.findings import RULES, Finding, Report, Rule
from ctdc_schema.rules import changes as ch
from ctdc_schema.rules.versions import UNREADABLE_AT_REF
from ctdc_schema.rules.vocabulary import SchemaLocator

EXACT = "exactMatch"


@dataclass(frozen=True)
class Subject:
    """Which harmonised records a change concerns: those made under ``version`` of the
    vocabulary (``source`` None) or of ``source``'s crosswalk, and of those, the ones holding
    one of ``values`` in one of ``slots`` (no values: any value; ``absent``: the slot absent;
    no slots: every record made under that version)."""

    source: str | None
    version: str
    slots: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    absent: bool = False


@dataclass(frozen=True)
class ChangeFinding(Finding):
    """A change that can re-mean harmonised records, with the records it concerns."""

    subject: Subject | None = None


def about(finding: Finding, subject: Subject) -> Finding:
    """``finding`` with the records it concerns (``ctdc diff --records`` counts them)."""
    return ChangeFinding(**{f.name: getattr(finding, f.name) for f in fields(Finding)},
                         subject=subject)


def _kind(path: Path) -> str:
    if path.is_dir() or path.name == resources.MAIN_SCHEMA_FILE:
        return "vocabulary"
    if path.suffix.lower() in (".yaml", ".yml"):
        return "crosswalk"
    raise UsageError(f"{path}: give two crosswalk files or two vocabulary folders")


def diff(old: Path, new: Path) -> Report:
    """The changes from ``old`` to ``new`` (two crosswalk files, or two vocabularies)."""
    for path in (old, new):
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
    kinds = {_kind(old), _kind(new)}
    if kinds != {"crosswalk"} and kinds != {"vocabulary"}:
        raise UsageError("compare a crosswalk with a crosswalk, or a vocabulary with a "
                         "vocabulary")
    if kinds == {"crosswalk"}:
        return _crosswalks(old, new)
    return _vocabularies(old, new)


# -- crosswalks ---------------------------------------------------------------------------------

class Relation(StrEnum):
    """How the NEW crosswalk relates to the OLD one; it decides how some changes count."""

    #: the same version edited, or two versions compared for the same dates (a revision, or
    #: one that ``supersedes`` the other): every difference re-means harmonised records
    SAME = "same"
    #: NEW continues OLD from a later date (its window starts where OLD's ends): a change of
    #: the source's own coding, where codes the source stopped writing are not breaking
    CONTINUES = "continues"


def relation(old: Crosswalk, new: Crosswalk) -> Relation:
    """``CONTINUES`` when NEW is another version of OLD's source whose window starts where
    OLD's ends, and does not supersede it."""
    if old.source == new.source and old.version != new.version and \
            new.supersedes != old.version and \
            old.valid_to is not None and old.valid_to == new.valid_from:
        return Relation.CONTINUES
    return Relation.SAME


def _load(path: Path, display: str | None = None) -> loader.LoadedCrosswalk:
    crosswalk, found = loader.load(path, display or path.as_posix())
    if crosswalk is None:
        first = found[0]
        raise UsageError(f"{path}:{first.line}: {first.code} {first.message} "
                         "(run `ctdc validate` on it first)")
    return crosswalk


def _key(variable: Any) -> tuple[str, tuple[str, ...]]:
    return str(variable.slot), tuple(variable.column or ())


def _predicate(value: Any, default: str = EXACT) -> str:
    return str(value) if value else default


def _crosswalks(old_path: Path, new_path: Path, old_display: str | None = None,
                new_display: str | None = None) -> Report:
    old, new = _load(old_path, old_display), _load(new_path, new_display)
    report = Report(files=[new.file])
    report.extend(crosswalk_changes(old, new))
    return report


#: header fields whose change re-counts or re-selects records (CH108)
DEFINING = ("source", "unit_of_record", "legal_definition", "data_source_type", "window_axis",
            "supersedes")


def crosswalk_changes(old: loader.LoadedCrosswalk, new: loader.LoadedCrosswalk,
                      handed_over_to: str | None = None) -> Iterator[Finding]:
    """Every change from ``old`` to ``new``. ``handed_over_to``: the version of the source
    (in NEW's tree) that starts where NEW's window now ends, if any (a hand-over, CH205)."""
    o, n = old.model, new.model
    how = relation(o, n)
    retired = ch.CODE_RETIRED if how is Relation.CONTINUES else ch.CODE_REMOVED
    every = Subject(o.source, o.version)  # every record made with the old version
    if how is Relation.CONTINUES:
        yield new.at(ch.WINDOW_HANDED_OVER, f"{new.label} continues {old.label} from "
                                            f"{n.valid_from}", ["valid_from"])
    else:
        yield from _window(old, new, handed_over_to, every)
    for field in DEFINING:
        then, now = getattr(o, field), getattr(n, field)
        if field == "window_axis":
            then, now = then or "registration_date", now or "registration_date"
        declared = field == "supersedes" and (how is Relation.CONTINUES
                                               or n.supersedes == o.version != n.version)
        if then != now and not declared:  # naming the version it replaces is no change
            yield about(new.at(ch.DEFINITION_CHANGED, f"{field}: {then or '(none)'} -> "
                                                      f"{now or '(none)'}", [field]), every)
    if _export(o) != _export(n):
        yield about(new.at(ch.DEFINITION_CHANGED, f"export format: {_export(o)} -> "
                                                  f"{_export(n)}", ["export"]), every)
    if _plain(o.collection) != _plain(n.collection):
        yield about(new.at(ch.DEFINITION_CHANGED, "collection windows changed: cells are "
                                                  "read as collected on other dates",
                           ["collection"]), every)
    if _plain(o.ignored_columns) != _plain(n.ignored_columns):
        yield new.at(ch.REWORDED, "ignored_columns changed", ["ignored_columns"])
    for field in ("title", "description", "organisation", "schema_version"):
        if getattr(o, field) != getattr(n, field):
            yield new.at(ch.REWORDED, f"{field} reworded" if field != "schema_version" else
                         f"schema_version: {o.schema_version} -> {n.schema_version}", [field])
    if how is Relation.SAME and _plain(o.changes) != _plain(n.changes):
        yield new.at(ch.REWORDED, "changes list reworded", ["changes"])
    old_missing, new_missing = set(o.missing_codes or []), set(n.missing_codes or [])
    old_vars = {_key(v): (i, v) for i, v in enumerate(o.variables)}
    new_vars = {_key(v): (i, v) for i, v in enumerate(n.variables)}
    # a column whose variable now feeds another slot is re-mapped, not removed and added
    gone = {key: i for key, (i, _) in old_vars.items() if key not in new_vars}
    came = {key: i for key, (i, _) in new_vars.items() if key not in old_vars}
    repointed = {columns for _, columns in gone if columns} & {c for _, c in came}
    for (name, columns), index in gone.items():
        if columns in repointed:
            now = [(slot, i) for (slot, c), i in came.items() if c == columns]
            yield about(new.at(ch.CODE_REMAPPED, f"column {'/'.join(columns)} now feeds "
                                                 f"{', '.join(s for s, _ in now)}, not {name}",
                               ["variables", now[0][1], "slot"]), replace(every, slots=(name,)))
        else:
            yield about(old.at(retired, f"variable {_label((name, columns))} is no longer "
                                        "read", ["variables", index]),
                        replace(every, slots=(name,)))
    for key, (index, variable) in new_vars.items():
        where: list[str | int] = ["variables", index]
        if key not in old_vars:
            if key[1] not in repointed:
                yield new.at(ch.ADDED, f"variable {_label(key)} added", where)
            continue
        old_index, before = old_vars[key]
        slot = replace(every, slots=(key[0],))
        yield from _predicate_change(new, [*where, "predicate"], f"variable {_label(key)}",
                                     before.predicate, variable.predicate, slot)
        for field in ("transform", "split"):
            if _plain(getattr(before, field)) != _plain(getattr(variable, field)):
                yield about(new.at(ch.CODE_REMAPPED, f"{field} of variable {_label(key)} "
                                                     "changed: its codes may reach other "
                                                     "targets", [*where, field]), slot)
        for field in ("definition", "note"):
            if getattr(before, field) != getattr(variable, field):
                yield new.at(ch.REWORDED, f"{field} of variable {_label(key)} reworded",
                             [*where, field])
        yield from _values(old, new, before, variable, (index, old_index), retired, slot)
        for code in sorted(new_missing ^ old_missing):
            if code in (variable.values or {}) or code in (before.values or {}):
                yield about(new.at(ch.CODE_REMAPPED, f"'{excerpt(code, 40)}' moved between "
                                                     "missing_codes and the values of "
                                                     f"{_label(key)}", ["missing_codes"]), slot)
    for code in sorted(new_missing - old_missing):
        yield new.at(ch.ADDED, f"missing code '{excerpt(code, 40)}' added", ["missing_codes"])
    for code in sorted(old_missing - new_missing):
        yield old.at(retired, f"missing code '{excerpt(code, 40)}' removed", ["missing_codes"])


def _plain(value: Any) -> Any:
    """A pydantic model (or list of them) as plain data, to compare by content."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    dump = getattr(value, "model_dump", None)
    return dump(exclude_none=True) if dump is not None else value


def _export(model: Crosswalk) -> str:
    export = model.export
    if export is None:
        return "csv, utf-8"
    return ", ".join(str(part) for part in (export.file_format or "csv", export.delimiter,
                                            export.encoding or "utf-8") if part)


def _holding(slot: Subject, mapping: Any) -> Subject:
    """The records a code's mapping produced: those holding one of its targets (the code is
    among the codes that reach them), or, for a code that gave nothing, those without the
    slot."""
    reached = tuple(all_targets(mapping))
    return replace(slot, values=reached, absent=not reached)


def _values(old: loader.LoadedCrosswalk, new: loader.LoadedCrosswalk, before: Any, after: Any,
            indexes: tuple[int, int], retired: Rule, slot: Subject) -> Iterator[Finding]:
    index, old_index = indexes
    label = _label(_key(after))
    old_values, new_values = before.values or {}, after.values or {}
    for code, was in old_values.items():
        if code not in new_values:
            yield about(old.at(retired, f"code '{excerpt(code, 40)}' of {label} is no longer "
                                        "mapped", ["variables", old_index, "values", code]),
                        _holding(slot, was))
    for code, mapping in new_values.items():
        where: list[str | int] = ["variables", index, "values", code]
        if code not in old_values:
            yield new.at(ch.ADDED, f"code '{excerpt(code, 40)}' of {label} added", where)
            continue
        was = old_values[code]
        then, now = _target(was), _target(mapping)
        if then != now:
            yield about(new.at(ch.CODE_REMAPPED, f"code '{excerpt(code, 40)}' of {label} now "
                                                 f"reaches {now}, not {then}", where),
                        _holding(slot, was))
        yield from _predicate_change(new, where, f"code '{excerpt(code, 40)}' of {label}",
                                     was.predicate, mapping.predicate, _holding(slot, was))
        if was.note != mapping.note:
            yield new.at(ch.REWORDED, f"note of code '{excerpt(code, 40)}' reworded", where)


def _condition(case: Any) -> str:
    when = _plain(case.when) or {}
    shown = " ".join(f"{k}={v}" for k, v in sorted(when.items()) if k != "column")
    predicate = f" {case.predicate}" if case.predicate else ""
    return f"{when.get('column', '?')} {shown}{predicate}".strip()


def _target(mapping: Any) -> str:
    if mapping.unknown:
        return "unknown"
    found = targets(mapping)
    cases = [f"{_condition(c)}: {', '.join(targets(c)) or 'nothing'}"
             for c in mapping.cases or []]
    shown = ", ".join(found) if found else ("none" if mapping.values == [] else "nothing")
    return shown + (f" (cases {'; '.join(cases)})" if cases else "")


#: how much a predicate claims: a change to a higher rank claims more (what held still holds);
#: broad and narrow are claims in opposite directions, so one for the other is a weaker claim
STRENGTH = {"exactMatch": 3, "closeMatch": 2, "broadMatch": 1, "narrowMatch": 1,
            "relatedMatch": 0}


def _predicate_change(new: loader.LoadedCrosswalk, where: list[str | int], what: str,
                      before: Any, after: Any, subject: Subject) -> Iterator[Finding]:
    then, now = _predicate(before), _predicate(after)
    if then == now:
        return
    stronger = STRENGTH.get(now, 0) > STRENGTH.get(then, 0)
    rule = ch.PREDICATE_STRENGTHENED if stronger else ch.PREDICATE_WEAKENED
    yield about(new.at(rule, f"{what}: {then} -> {now}", where), subject)


def _window(old: loader.LoadedCrosswalk, new: loader.LoadedCrosswalk,
            handed_over_to: str | None, every: Subject) -> Iterator[Finding]:
    o, n = old.model, new.model
    window = f"[{o.valid_from}, {o.valid_to or 'open'}) -> [{n.valid_from}, " \
             f"{n.valid_to or 'open'})"
    starts_later = n.valid_from > o.valid_from
    ends_earlier = n.valid_to is not None and (o.valid_to is None or n.valid_to < o.valid_to)
    if o.valid_to is None and ends_earlier and not starts_later and handed_over_to is not None:
        yield new.at(ch.WINDOW_HANDED_OVER, f"validity window {window}: {handed_over_to} "
                                            f"takes over from {n.valid_to}", ["valid_to"])
    elif starts_later or ends_earlier:
        yield about(new.at(ch.WINDOW_SHORTENED, f"validity window {window}",
                           ["valid_from" if starts_later else "valid_to"]), every)
    elif n.valid_from < o.valid_from or (
            o.valid_to is not None and (n.valid_to is None or n.valid_to > o.valid_to)):
        yield new.at(ch.WINDOW_WIDENED, f"validity window {window}", ["valid_from"])


def _label(key: tuple[str, tuple[str, ...]]) -> str:
    slot, columns = key
    return f"{'/'.join(columns) or '(constant)'} -> {slot}"


# -- the vocabulary -----------------------------------------------------------------------------

def places(folder: Path, shown: str | None) -> SchemaLocator:
    """Where things are written in the schema folder, its files shown as ``shown/<name>``."""
    display = {p: f"{shown}/{p.name}" for p in folder.glob("*.yaml")} if shown else {}
    return SchemaLocator(folder, display)


def _folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def _vocabularies(old_path: Path, new_path: Path, old_display: str | None = None,
                  new_display: str | None = None) -> Report:
    report = Report()
    old_places = places(_folder(old_path), old_display)
    new_places = places(_folder(new_path), new_display)
    report.files.append(new_places.main)
    report.extend(vocabulary_changes(_folder(old_path), _folder(new_path), old_places,
                                     new_places))
    return report


def vocabulary_changes(old_folder: Path, new_folder: Path, old_places: SchemaLocator,
                       new_places: SchemaLocator) -> Iterator[Finding]:
    """Every change from the vocabulary in ``old_folder`` to the one in ``new_folder``."""
    old = vocabulary.load(old_folder / resources.MAIN_SCHEMA_FILE, full=True)
    new = vocabulary.load(new_folder / resources.MAIN_SCHEMA_FILE, full=True)

    def at(where: SchemaLocator, rule: Rule, message: str, parts: tuple[str, ...],
           slots: tuple[str, ...] = (), values: tuple[str, ...] = ()) -> Finding:
        found = where.at(rule, message, parts)
        return about(found, Subject(None, old.version, slots, values)) if slots else found

    def of_enum(enum: str) -> tuple[str, ...]:
        return tuple(name for name, info in old.slots.items() if info.enum == enum)

    for slot in old.slots:
        if slot not in new.slots:
            yield at(old_places, ch.SLOT_REMOVED, f"slot {slot} removed", ("slots", slot),
                     (slot,))
    for slot, info in new.slots.items():
        if slot not in old.slots:
            yield at(new_places, ch.ADDED, f"slot {slot} added", ("slots", slot))
            continue
        was = old.slots[slot]
        narrowed = [f for f in ("range", "pattern") if getattr(was, f) != getattr(info, f)]
        relaxed = []
        for bound, tighter in (("minimum_value", 1), ("maximum_value", -1)):
            then, now = getattr(was, bound), getattr(info, bound)
            if then == now:
                continue
            if now is not None and (then is None or (now - then) * tighter > 0):
                narrowed.append(f"{bound} {then} -> {now}")
            else:
                relaxed.append(f"{bound} {then} -> {now}")
        if was.multivalued and not info.multivalued:
            narrowed.append("single-valued")
        if info.required and not was.required:
            narrowed.append("required")
        relaxed += (["optional"] if was.required and not info.required else []) + (
            ["multivalued"] if info.multivalued and not was.multivalued else [])
        if narrowed:
            yield at(new_places, ch.SLOT_NARROWED, f"slot {slot}: {', '.join(narrowed)} "
                                                   "changed", ("slots", slot), (slot,))
        elif relaxed:
            yield at(new_places, ch.ADDED, f"slot {slot} relaxed: {', '.join(relaxed)}",
                     ("slots", slot))
        if was.description != info.description:
            yield at(new_places, ch.REWORDED, f"description of slot {slot} reworded",
                     ("slots", slot))
        for rule, message in _annotations(f"slot {slot}", was.annotations, info.annotations):
            yield at(new_places, rule, message, ("slots", slot),
                     (slot,) if rule is ch.ANNOTATION_CHANGED else ())
    for enum in sorted(set(old.enums_raw) - set(new.enums_raw)):
        yield at(old_places, ch.VALUE_REMOVED, f"enum {enum} removed", ("enums", enum),
                 of_enum(enum))
    for enum in sorted(set(new.enums_raw) - set(old.enums_raw)):
        yield at(new_places, ch.ADDED, f"enum {enum} added", ("enums", enum))
    for name in ("title", "description"):
        if getattr(old.view.schema, name) != getattr(new.view.schema, name):
            yield at(new_places, ch.REWORDED, f"{name} of the vocabulary reworded", (name,))
    for kind, before_all, after_all in (("classes", old.classes, new.classes),
                                        ("enums", old.enums_raw, new.enums_raw)):
        for name in sorted(set(before_all) & set(after_all)):
            if before_all[name].description != after_all[name].description:
                yield at(new_places, ch.REWORDED, f"description of {name} reworded",
                         (kind, name))
    for enum in sorted(set(old.enums_raw) & set(new.enums_raw)):
        before, after = old.enum_values(enum), new.enum_values(enum)
        for value in before:
            if value not in after:
                yield at(old_places, ch.VALUE_REMOVED, f"{enum}: value {value} removed",
                         ("enums", enum, "permissible_values", value), of_enum(enum), (value,))
        for value, now in after.items():
            parts = ("enums", enum, "permissible_values", value)
            if value not in before:
                yield at(new_places, ch.ADDED, f"{enum}: value {value} added", parts)
                continue
            then = before[value]
            for field in ("meaning", "parent"):
                if getattr(then, field) != getattr(now, field):
                    shown = "is_a" if field == "parent" else field
                    yield at(new_places, ch.VALUE_REDEFINED,
                             f"{enum}: {shown} of {value}: {getattr(then, field) or '(none)'} "
                             f"-> {getattr(now, field) or '(none)'}", parts, of_enum(enum),
                             (value,))
            if now.deprecated and not then.deprecated:
                yield at(new_places, ch.ADDED, f"{enum}: value {value} deprecated", parts)
            if then.description != now.description:
                yield at(new_places, ch.REWORDED, f"{enum}: description of {value} "
                                                  "reworded", parts)
            for rule, message in _annotations(f"{enum}.{value}", then.annotations,
                                              now.annotations):
                breaking = rule is ch.ANNOTATION_CHANGED
                yield at(new_places, rule, message, parts, of_enum(enum) if breaking else (),
                         (value,) if breaking else ())
    for rule, message, where, slot_name, value_name in _htcds_changes(old, new):
        breaking = rule is ch.ANNOTATION_CHANGED
        yield at(new_places, rule, message, where, (slot_name,) if breaking else (),
                 (value_name,) if breaking and value_name else ())


def _annotations(owner: str, before: Mapping[str, str],
                 after: Mapping[str, str]) -> Iterator[tuple[Rule, str]]:
    """Annotation changes of one slot or value: a ``*_note`` added, reworded or removed
    (patch), any other added (additive), changed or removed (breaking: the toolkit acts on
    it). The
    HTCDS declarations are left to :func:`_htcds_changes`, which compares what they resolve
    to."""
    for key in sorted(set(before) | set(after)):
        then, now = before.get(key), after.get(key)
        if then == now or (key.startswith("htcds_") and not key.endswith("_note")):
            continue  # where a value lands in HTCDS is compared resolved (_htcds_changes)
        if key.endswith("_note"):  # wording: a patch however it changed
            how = "added" if then is None else "removed" if now is None else "reworded"
            yield ch.REWORDED, f"{owner}: annotation {key} {how}"
        elif then is None:
            yield ch.ADDED, f"{owner}: annotation {key} added ({excerpt(str(now), 60)})"
        else:
            yield ch.ANNOTATION_CHANGED, (f"{owner}: annotation {key}: {excerpt(then, 60)} "
                                          f"-> {excerpt(now, 60) if now else '(removed)'}")


def _htcds_changes(old: vocabulary.Vocabulary, new: vocabulary.Vocabulary
                   ) -> Iterator[tuple[Rule, str, tuple[str, ...], str, str | None]]:
    """Where slots and values land in HTCDS 2.0, old against new, however it is declared
    (annotation, meaning or mapping): a slot or value now written somewhere else, or no longer
    written, is breaking (the HTCDS layout writes other cells for the same records); one
    written where it had no place is additive. (rule, message, location, slot, value)."""
    from ctdc_schema import htcds

    before, after = htcds.plan(old), htcds.plan(new)
    then_slots = {t.slot: t for t in before.targets}
    for target in after.targets:
        parts: tuple[str, ...] = ("slots", target.slot)
        was = then_slots.pop(target.slot, None)
        if was is None:
            yield ch.ADDED, f"slot {target.slot} written to HTCDS {target.field.name}", \
                parts, target.slot, None
            continue
        if was.field.name != target.field.name:
            yield ch.ANNOTATION_CHANGED, (f"slot {target.slot}: HTCDS field "
                                          f"{was.field.name} -> {target.field.name}"), \
                parts, target.slot, None
            continue
        enum = new.slots[target.slot].enum or ""
        values = new.enum_values(enum) if enum else {}
        for value in values:
            where = ("enums", enum, "permissible_values", value)
            earlier, decision = was.values.get(value), target.values.get(value)
            now = decision.value if decision else "(undeclared: VC107)"
            if earlier is None or earlier.value == now:
                continue
            if earlier.value is None and decision is not None:
                yield ch.ADDED, f"{enum}.{value} now written to HTCDS as {now}", where, \
                    target.slot, value
            else:
                yield ch.ANNOTATION_CHANGED, (
                    f"{enum}.{value}: HTCDS {target.field.name} value "
                    f"{earlier.value or '(none)'} -> {now or '(none)'}"), where, target.slot, \
                    value
    for slot, was in then_slots.items():
        if slot in new.slots:
            yield ch.ANNOTATION_CHANGED, (f"slot {slot}: no longer written to HTCDS "
                                          f"{was.field.name}"), ("slots", slot), slot, None


# -- against a git revision ---------------------------------------------------------------------

def _git(*args: str, cwd: Path) -> bytes:
    """Run git with an argument list (never a shell); its failure is a usage error."""
    import subprocess

    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False,
                                timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"cannot run git: {exc}") from None
    if result.returncode != 0:
        message = excerpt(result.stderr.decode("utf-8", "replace").strip(), 200)
        raise UsageError(f"git {args[0]}: {message}")
    return result.stdout


#: at most this many files are read from a revision (the vocabulary and crosswalks of a
#: project are tens); each is at most the YAML loader's own limit
MAX_SNAPSHOT_FILES = 5_000


@dataclass
class Snapshot:
    """The vocabulary and crosswalks of a git revision, written to a temporary folder with
    ``git show`` (nothing is checked out), beside the working tree they are compared with."""

    ref: str
    top: Path  # the working tree's root
    old_root: Path  # the revision's files, under their repository paths
    roots: tuple[str, ...]  # the crosswalk roots compared (repository paths)
    #: files of the working tree that are not read (links out of the tree, special files)
    problems: list[registry.PathProblem] = dataclasses.field(default_factory=list)

    def old(self, name: str) -> Path:
        return self.old_root / name

    def shown(self, path: str | Path | None) -> str | None:
        """A path as the user knows it: ``REF:name`` for the revision's files."""
        if path is None:
            return None
        inside = Path(path)
        if inside.is_relative_to(self.old_root):
            return f"{self.ref}:{inside.relative_to(self.old_root).as_posix()}"
        return str(path)

    @property
    def crosswalk_names(self) -> tuple[set[str], set[str]]:
        """The crosswalk files (repository paths) at the revision and in the working tree;
        the working tree's are found as ``ctdc validate`` finds them (no link out of it)."""
        old: set[str] = set()
        new: set[str] = set()
        for root in self.roots:
            for path in registry.crosswalk_files(self.old_root / root):
                old.add(path.relative_to(self.old_root).as_posix())
            for path in registry.crosswalk_files(self.top / root, self.problems):
                new.add(path.relative_to(self.top).as_posix())
        return old, new

    @property
    def has_vocabulary(self) -> bool:
        return all((root / "schema" / resources.MAIN_SCHEMA_FILE).is_file()
                   for root in (self.old_root, self.top))


def crosswalk_roots(paths: Sequence[Path] | None, top: Path) -> tuple[str, ...]:
    """The crosswalk roots (folders of source folders) of ``paths``, as repository paths;
    none given: the repository's ``crosswalks/``."""
    if not paths:
        return (registry.CROSSWALKS_DIR,)
    roots = set()
    for file in registry.expand(paths):
        root = file.resolve().parent.parent
        if not root.is_relative_to(top.resolve()):
            raise UsageError(f"{file}: --against compares files of the git repository at "
                             f"{top}, and this one is outside it")
        roots.add(root.relative_to(top.resolve()).as_posix())
    return tuple(sorted(roots))


@contextmanager
def snapshot(ref: str, root: Path | None = None,
             paths: Sequence[Path] | None = None) -> Iterator[Snapshot]:
    """The files of revision ``ref`` of the repository at ``root`` (default: the working
    directory's), for as long as the ``with`` block runs: the vocabulary (``schema/``) and
    the crosswalk roots of ``paths`` (default ``crosswalks/``)."""
    import tempfile

    if not ref or ref.startswith("-") or any(c in ref for c in "\n\0"):
        raise UsageError(f"not a git revision: '{excerpt(ref, 60)}'")
    here = root or Path.cwd()
    top = Path(_git("rev-parse", "--show-toplevel", cwd=here).decode().strip())
    roots = crosswalk_roots(paths, top)
    commit = _git("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}",
                  cwd=top).decode().strip()
    listed = _git("ls-tree", "-r", "-l", "-z", commit, "--", "schema", *roots,
                  cwd=top).decode("utf-8", "replace").split("\0")
    entries = [entry.split("\t", 1) for entry in listed if "\t" in entry]
    if len(entries) > MAX_SNAPSHOT_FILES:
        raise UsageError(f"{ref} holds more than {MAX_SNAPSHOT_FILES:,} files under schema/ "
                         f"and {', '.join(roots)}/: not compared")
    with tempfile.TemporaryDirectory(prefix="ctdc-diff-") as tmp:
        old_root = Path(tmp)
        for meta, name in entries:
            kind, size = meta.split()[1], meta.split()[3]
            target = old_root / name
            if kind != "blob" or not size.isdigit() or int(size) > yamlsource.MAX_BYTES or \
                    not target.resolve().is_relative_to(old_root.resolve()):
                continue  # not a file, too large to be read, or (never from git) outside
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_git("show", f"{commit}:{name}", cwd=top))
        yield Snapshot(ref, top, old_root, roots)


def in_force_siblings(tree: dict[str, loader.LoadedCrosswalk | list[Finding]],
                      name: str) -> list[loader.LoadedCrosswalk]:
    """The loaded versions of ``name``'s source that serve dates (none superseded)."""
    folder = name.rsplit("/", 1)[0] + "/"
    return registry.in_force([cw for other, cw in tree.items()
                              if other.startswith(folder)
                              and isinstance(cw, loader.LoadedCrosswalk)])


def successor_of(crosswalk: loader.LoadedCrosswalk,
                 siblings: list[loader.LoadedCrosswalk]) -> str | None:
    """The label of the version of the same source that starts where ``crosswalk`` ends."""
    end = crosswalk.model.valid_to
    for other in siblings:
        if other is not crosswalk and end is not None and other.model.valid_from == end:
            return other.label
    return None


def predecessor(new: loader.LoadedCrosswalk, siblings: Sequence[loader.LoadedCrosswalk]
                ) -> loader.LoadedCrosswalk | None:
    """The version ``new`` is numbered against: the one it ``supersedes``, else the one whose
    window ends where its own begins (it continues it), else the highest lower version; only
    versions that serve dates count, besides the one it supersedes."""
    others = [o for o in siblings if o is not new]
    m = new.model
    if m.supersedes:
        return next((o for o in others if o.model.version == m.supersedes), None)
    serving = registry.in_force(others)
    continued = [o for o in serving if o.model.valid_to is not None
                 and o.model.valid_to == m.valid_from]
    if continued:
        return continued[0]
    lower = [o for o in serving if Version(o.model.version) < Version(m.version)]
    return max(lower, key=lambda o: Version(o.model.version), default=None)


def load_tree(root: Path, names: set[str],
              shown: str = "") -> dict[str, loader.LoadedCrosswalk | list[Finding]]:
    """The crosswalks ``names`` under ``root``: each loaded, or the findings that stopped it;
    files are shown as ``shown`` + their repository path."""
    loaded: dict[str, loader.LoadedCrosswalk | list[Finding]] = {}
    for name in sorted(names):
        crosswalk, found = loader.load(root / name, shown + name)
        loaded[name] = crosswalk if crosswalk is not None else found
    return loaded


def siblings(tree: dict[str, loader.LoadedCrosswalk | list[Finding]],
             name: str) -> list[loader.LoadedCrosswalk]:
    """Every loaded version of ``name``'s source."""
    folder = name.rsplit("/", 1)[0] + "/"
    return [cw for other, cw in tree.items()
            if other.startswith(folder) and isinstance(cw, loader.LoadedCrosswalk)]


def vocabulary_of(snap: Snapshot) -> Iterator[Finding]:
    """The vocabulary's changes since the revision; a vocabulary that does not load is a
    usage error that names it as the user knows it."""
    try:
        yield from vocabulary_changes(
            snap.old("schema"), snap.top / "schema", places(snap.old("schema"),
                                                            f"{snap.ref}:schema"),
            places(snap.top / "schema", "schema"))
    except InputError as exc:
        raise InputError(exc.detail, snap.shown(exc.path), exc.line, exc.column) from None


def against(ref: str, root: Path | None = None,
            paths: Sequence[Path] | None = None) -> Report:
    """The changes from revision ``ref`` to the working tree, for the vocabulary and the
    crosswalks of the repository at ``root`` (default: the working directory's), those under
    ``paths`` or ``crosswalks/``. A version file added since ``ref`` is compared with its
    predecessor. Old files are read with ``git show``; nothing is checked out."""
    report = Report()
    with snapshot(ref, root, paths) as snap:
        if snap.has_vocabulary:
            report.extend(vocabulary_of(snap))
            report.files.append(f"schema/{resources.MAIN_SCHEMA_FILE}")
        old_names, new_names = snap.crosswalk_names
        for problem in snap.problems:
            shown = problem.path.relative_to(snap.top) if problem.path.is_relative_to(
                snap.top) else problem.path
            report.findings.append(RULES[problem.code].at(problem.message, shown.as_posix()))
        if not old_names and not new_names and not snap.has_vocabulary:
            raise UsageError(f"nothing to compare: no vocabulary (schema/) and no crosswalks "
                             f"under {', '.join(snap.roots)}/ at {ref} or in the working tree")
        old_tree = load_tree(snap.old_root, old_names, f"{ref}:")
        new_tree = load_tree(snap.top, new_names)
        for name in sorted(old_names | new_names):
            old, new = old_tree.get(name), new_tree.get(name)
            if isinstance(new, list):  # the working tree's file does not load: say why
                report.findings.extend(new)
                report.files.append(name)
            elif new is None:
                report.findings.append(ch.CODE_REMOVED.at(
                    f"crosswalk version {name} removed since {ref}", f"{ref}:{name}"))
            elif isinstance(old, list):
                report.findings.append(UNREADABLE_AT_REF.at(
                    f"{name} at {ref} does not load with this ctdc ({old[0].code} "
                    f"{old[0].message}): not compared", name, 1, 1))
                report.files.append(name)
            elif old is None:
                report.findings.append(ch.ADDED.at(f"crosswalk version {name} added since "
                                                   f"{ref}", name, 1, 1))
                report.files.append(name)
                before = predecessor(new, siblings(new_tree, name))
                if before is not None:
                    report.extend(crosswalk_changes(
                        before, new, successor_of(new, in_force_siblings(new_tree, name))))
            else:
                report.extend(crosswalk_changes(
                    old, new, successor_of(new, in_force_siblings(new_tree, name))))
                report.files.append(name)
    return report
