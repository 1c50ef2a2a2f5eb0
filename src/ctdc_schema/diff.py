"""``ctdc diff OLD NEW``: every change between two versions of the vocabulary or of a
crosswalk, classified as breaking, additive or patch (rules CH1xx, CH2xx, CH3xx).

Changes are findings, located on the NEW side where they have a place there (on the OLD side
for removals), so that every reporter of ``ctdc validate`` renders them and CI annotates them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ctdc_schema import resources, vocabulary, yamlsource
from ctdc_schema.crosswalk import loader
from ctdc_schema.crosswalk.semantics import targets
from ctdc_schema.errors import UsageError, excerpt
from ctdc_schema.findings import Finding, Report, Rule
from ctdc_schema.rules import changes as ch

EXACT = "exactMatch"


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
    report.extend(_crosswalk_changes(old, new))
    return report


def _crosswalk_changes(old: loader.LoadedCrosswalk,
                       new: loader.LoadedCrosswalk) -> Iterator[Finding]:
    o, n = old.model, new.model
    yield from _window(old, new)
    old_missing, new_missing = set(o.missing_codes or []), set(n.missing_codes or [])
    for field in ("title", "description", "organisation"):
        if getattr(o, field) != getattr(n, field):
            yield new.at(ch.REWORDED, f"{field} reworded", [field])
    old_vars = {_key(v): (i, v) for i, v in enumerate(o.variables)}
    new_vars = {_key(v): (i, v) for i, v in enumerate(n.variables)}
    for key, (index, _) in old_vars.items():
        if key not in new_vars:
            yield old.at(ch.CODE_REMOVED, f"variable {_label(key)} is no longer read",
                         ["variables", index])
    for key, (index, variable) in new_vars.items():
        where: list[str | int] = ["variables", index]
        if key not in old_vars:
            yield new.at(ch.ADDED, f"variable {_label(key)} added", where)
            continue
        _, before = old_vars[key]
        yield from _predicate_change(new, [*where, "predicate"], f"variable {_label(key)}",
                                     before.predicate, variable.predicate)
        for field in ("definition", "note"):
            if getattr(before, field) != getattr(variable, field):
                yield new.at(ch.REWORDED, f"{field} of variable {_label(key)} reworded",
                             [*where, field])
        yield from _values(old, new, before, variable, index, old_vars[key][0])
        for code in sorted(new_missing ^ old_missing):
            if code in (variable.values or {}) or code in (before.values or {}):
                yield new.at(ch.CODE_REMAPPED, f"'{excerpt(code, 40)}' moved between "
                                               "missing_codes and the values of "
                                               f"{_label(key)}", ["missing_codes"])
    for code in sorted(new_missing - old_missing):
        yield new.at(ch.ADDED, f"missing code '{excerpt(code, 40)}' added", ["missing_codes"])
    for code in sorted(old_missing - new_missing):
        yield old.at(ch.CODE_REMOVED, f"missing code '{excerpt(code, 40)}' removed",
                     ["missing_codes"])


def _values(old: loader.LoadedCrosswalk, new: loader.LoadedCrosswalk, before: Any, after: Any,
            index: int, old_index: int) -> Iterator[Finding]:
    label = _label(_key(after))
    old_values, new_values = before.values or {}, after.values or {}
    for code in old_values:
        if code not in new_values:
            yield old.at(ch.CODE_REMOVED, f"code '{excerpt(code, 40)}' of {label} is no "
                                          "longer mapped", ["variables", old_index, "values", code])
    for code, mapping in new_values.items():
        where: list[str | int] = ["variables", index, "values", code]
        if code not in old_values:
            yield new.at(ch.ADDED, f"code '{excerpt(code, 40)}' of {label} added", where)
            continue
        was = old_values[code]
        then, now = _target(was), _target(mapping)
        if then != now:
            yield new.at(ch.CODE_REMAPPED, f"code '{excerpt(code, 40)}' of {label} now "
                                           f"reaches {now}, not {then}", where)
        yield from _predicate_change(new, where, f"code '{excerpt(code, 40)}' of {label}",
                                     was.predicate, mapping.predicate)
        if was.note != mapping.note:
            yield new.at(ch.REWORDED, f"note of code '{excerpt(code, 40)}' reworded", where)


def _target(mapping: Any) -> str:
    if mapping.unknown:
        return "unknown"
    found = targets(mapping)
    cases = [f"{c.when.column if c.when else '?'}: {', '.join(targets(c)) or 'nothing'}"
             for c in mapping.cases or []]
    shown = ", ".join(found) if found else ("none" if mapping.values == [] else "nothing")
    return shown + (f" (cases {'; '.join(cases)})" if cases else "")


def _predicate_change(new: loader.LoadedCrosswalk, where: list[str | int], what: str,
                      before: Any, after: Any) -> Iterator[Finding]:
    then, now = _predicate(before), _predicate(after)
    if then == now:
        return
    rule = ch.PREDICATE_STRENGTHENED if now == EXACT else ch.PREDICATE_WEAKENED
    if then != EXACT and now != EXACT:
        rule = ch.PREDICATE_WEAKENED  # one inexact claim for another: not the same claim
    yield new.at(rule, f"{what}: {then} -> {now}", where)


def _window(old: loader.LoadedCrosswalk, new: loader.LoadedCrosswalk) -> Iterator[Finding]:
    o, n = old.model, new.model
    shorter = (n.valid_from > o.valid_from or (
        n.valid_to is not None and (o.valid_to is None or n.valid_to < o.valid_to)))
    longer = (n.valid_from < o.valid_from or (
        o.valid_to is not None and (n.valid_to is None or n.valid_to > o.valid_to)))
    window = f"[{o.valid_from}, {o.valid_to or 'open'}) -> [{n.valid_from}, " \
             f"{n.valid_to or 'open'})"
    if shorter:
        yield new.at(ch.WINDOW_SHORTENED, f"validity window {window}", ["valid_from"])
    elif longer:
        yield new.at(ch.WINDOW_WIDENED, f"validity window {window}", ["valid_from"])


def _label(key: tuple[str, tuple[str, ...]]) -> str:
    slot, columns = key
    return f"{'/'.join(columns) or '(constant)'} -> {slot}"


# -- the vocabulary -----------------------------------------------------------------------------

def _vocabularies(old_path: Path, new_path: Path, old_display: str | None = None,
                  new_display: str | None = None) -> Report:
    def main(path: Path) -> Path:
        return path / resources.MAIN_SCHEMA_FILE if path.is_dir() else path

    old, new = vocabulary.load(main(old_path), full=True), vocabulary.load(main(new_path),
                                                                            full=True)
    places = {side: _positions(main(path)) for side, path in (("old", old_path),
                                                               ("new", new_path))}
    for side, shown in (("old", old_display), ("new", new_display)):
        if shown is not None:
            places[side] = (shown, places[side][1])
    report = Report(files=[places["new"][0]])

    def at(side: str, rule: Rule, message: str, parts: tuple[str, ...]) -> Finding:
        file, positions = places[side]
        line, column = positions.marks.get(parts, (None, None))
        return rule.at(message, file, line, column)

    for slot in old.slots:
        if slot not in new.slots:
            report.findings.append(at("old", ch.SLOT_REMOVED, f"slot {slot} removed",
                                      ("slots", slot)))
    for slot, info in new.slots.items():
        if slot not in old.slots:
            report.findings.append(at("new", ch.ADDED, f"slot {slot} added", ("slots", slot)))
            continue
        was = old.slots[slot]
        narrowed = [f for f in ("range", "pattern", "minimum_value", "maximum_value")
                    if getattr(was, f) != getattr(info, f)]
        if was.multivalued and not info.multivalued:
            narrowed.append("single-valued")
        if info.required and not was.required:
            narrowed.append("required")
        if narrowed:
            report.findings.append(at("new", ch.SLOT_NARROWED,
                                      f"slot {slot}: {', '.join(narrowed)} changed",
                                      ("slots", slot)))
        elif (was.required and not info.required) or (info.multivalued and not was.multivalued):
            report.findings.append(at("new", ch.ADDED, f"slot {slot} relaxed (optional or "
                                                       "multivalued now)", ("slots", slot)))
        if was.description != info.description:
            report.findings.append(at("new", ch.REWORDED, f"description of slot {slot} "
                                                          "reworded", ("slots", slot)))
    for enum in sorted(set(old.enums_raw) & set(new.enums_raw)):
        before, after = old.enum_values(enum), new.enum_values(enum)
        for value in before:
            if value not in after:
                report.findings.append(at("old", ch.VALUE_REMOVED, f"{enum}: value {value} "
                                          "removed", ("enums", enum, "permissible_values",
                                                      value)))
        for value, value_info in after.items():
            parts = ("enums", enum, "permissible_values", value)
            if value not in before:
                report.findings.append(at("new", ch.ADDED, f"{enum}: value {value} added",
                                          parts))
            elif before[value].description != value_info.description:
                report.findings.append(at("new", ch.REWORDED, f"{enum}: description of "
                                                              f"{value} reworded", parts))
    return report


def _positions(path: Path) -> tuple[str, loader.Positions]:
    positions = loader.Positions()
    loader.to_data(yamlsource.compose(path), positions)
    return path.as_posix(), positions


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


def against(ref: str, root: Path | None = None) -> Report:
    """The changes from revision ``ref`` to the working tree, for the vocabulary and every
    crosswalk of the repository at ``root`` (default: the working directory's). Old files are
    read with ``git show``; nothing is checked out."""
    import tempfile

    if not ref or ref.startswith("-") or any(c in ref for c in "\n\0"):
        raise UsageError(f"not a git revision: '{excerpt(ref, 60)}'")
    here = root or Path.cwd()
    top = Path(_git("rev-parse", "--show-toplevel", cwd=here).decode().strip())
    commit = _git("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}",
                  cwd=top).decode().strip()
    listed = _git("ls-tree", "-r", "--name-only", commit, "--", "schema", "crosswalks",
                  cwd=top).decode("utf-8", "replace").splitlines()
    report = Report()
    with tempfile.TemporaryDirectory(prefix="ctdc-diff-") as tmp:
        old_root = Path(tmp)
        for name in listed:
            target = old_root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_git("show", f"{commit}:{name}", cwd=top))
        if (top / "schema" / resources.MAIN_SCHEMA_FILE).is_file() and \
                (old_root / "schema" / resources.MAIN_SCHEMA_FILE).is_file():
            part = _vocabularies(old_root / "schema", top / "schema",
                                 f"{ref}:schema/{resources.MAIN_SCHEMA_FILE}",
                                 f"schema/{resources.MAIN_SCHEMA_FILE}")
            report.findings.extend(part.findings)
            report.files.extend(part.files)
        old_files = {n for n in listed if n.startswith("crosswalks/")
                     and n.lower().endswith((".yaml", ".yml"))}
        new_files = {p.relative_to(top).as_posix()
                     for p in (top / "crosswalks").glob("*/*.y*ml")} \
            if (top / "crosswalks").is_dir() else set()
        for name in sorted(old_files | new_files):
            if name not in new_files:
                report.findings.append(ch.CODE_REMOVED.at(
                    f"crosswalk version {name} removed since {ref}", f"{ref}:{name}"))
            elif name not in old_files:
                report.findings.append(ch.ADDED.at(f"crosswalk version {name} added since "
                                                   f"{ref}", name, 1, 1))
                report.files.append(name)
            else:
                part = _crosswalks(old_root / name, top / name, f"{ref}:{name}", name)
                report.findings.extend(part.findings)
                report.files.append(name)
    return report
