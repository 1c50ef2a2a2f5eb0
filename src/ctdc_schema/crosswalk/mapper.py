"""The reference mapper: one source row in, one harmonised record out, obviously right and slow.

It applies :mod:`ctdc_schema.crosswalk.semantics` literally, one row and one cell at a time,
with no caching beyond indexing each variable's codes. It is the oracle the compiled engine is
tested against and the reader the tests of the crosswalks use; it is not meant for millions of
rows.

What it reports besides records are plain :class:`Issue` values (an unmapped code, a value a
transform rejects, a record no version applies to); turning them into located findings is the
caller's business.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ctdc_schema import textfiles
from ctdc_schema.crosswalk import semantics, transforms
from ctdc_schema.crosswalk.semantics import (
    DateSpan,
    FlagReading,
    HeaderBinding,
    Lookup,
    SlotState,
    Target,
)
from ctdc_schema.datamodel.crosswalk import Crosswalk, Variable
from ctdc_schema.errors import InputError, UsageError
from ctdc_schema.vocabulary import Vocabulary

Record = dict[str, Any]



@dataclass(frozen=True)
class Issue:
    """Something in the data the crosswalk does not account for."""

    kind: str  # "column" | "unmapped" | "rejected" | "flag" | "version"
    row: int  # the row number a spreadsheet shows: the header is row 1
    column: str | None
    code: str | None
    message: str


@dataclass
class MappingResult:
    """The records of one table and what did not fit."""

    records: list[Record] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rows: int = 0
    absent_columns: tuple[str, ...] = ()
    #: header cells the crosswalks neither read nor list in ``ignored_columns``
    unknown_columns: tuple[str, ...] = ()
    versions: Counter[str] = field(default_factory=Counter)

    def unmapped(self) -> dict[str, Counter[str]]:
        """Per column, the codes no variable maps (or a transform rejects), with counts."""
        found: dict[str, Counter[str]] = {}
        for issue in self.issues:
            if issue.kind in ("unmapped", "rejected", "flag") and issue.column is not None:
                found.setdefault(issue.column, Counter())[issue.code or ""] += 1
        return found


class _Compiled:
    """One crosswalk version prepared for row-at-a-time use."""

    def __init__(self, crosswalk: Crosswalk, vocab: Vocabulary) -> None:
        self.crosswalk = crosswalk
        self.vocab = vocab
        self.missing = semantics.missing_codes(crosswalk)
        self.lookups = {id(v): Lookup(v) for v in crosswalk.variables}
        self.windows = semantics.collection_windows(crosswalk.collection or [])
        self.windowed = [c for c in semantics.read_columns(crosswalk)
                         if semantics.fold(c) in self.windows]
        registration = vocab.annotations.get("registration_slot", "year_of_registration")
        self.date_variable = next((v for v in crosswalk.variables if v.slot == registration
                                   and v.column), None)

    def registration_span(self, cell_of: Mapping[str, str | None]) -> DateSpan | None:
        """The record's registration date as far as it is known (None: unknown)."""
        variable = self.date_variable
        if variable is None:
            return None
        cell = cell_of.get(variable.column[0]) if variable.column else None
        if cell is None or semantics.fold(cell) in self.missing:
            return None
        if semantics.transform_kind(variable) == "year":
            assert variable.transform is not None
            return semantics.date_span(cell, variable.transform.date_format)
        text = semantics.strip(cell)
        return DateSpan.year(int(text)) if semantics.is_digits(text) and 1 <= int(text) <= 9998 \
            else None

    def unreadable_date(self, cell_of: Mapping[str, str | None]) -> str | None:
        """The registration cell when it is written but is no date (None otherwise)."""
        variable = self.date_variable
        cell = cell_of.get(variable.column[0]) if variable and variable.column else None
        if cell is None or semantics.fold(cell) in self.missing:
            return None
        return None if self.registration_span(cell_of) is not None else semantics.strip(cell)


class ReferenceMapper:
    """Maps rows of one source's export onto vocabulary records, version by version."""

    def __init__(self, versions: Sequence[Crosswalk], vocab: Vocabulary,
                 delivered: date | None = None) -> None:
        if not versions:
            raise UsageError("no crosswalk version to map with")
        sources = {cw.source for cw in versions}
        if len(sources) != 1:
            raise UsageError(f"one source at a time, not {', '.join(sorted(sources))}")
        self.vocab = vocab
        self.versions = sorted(versions, key=lambda cw: cw.valid_from)
        self.compiled = {cw.version: _Compiled(cw, vocab) for cw in self.versions}
        axes = {semantics.axis(cw) for cw in self.versions}
        if len(axes) != 1:
            raise UsageError(f"the versions of {versions[0].source} disagree on window_axis "
                             "(run `ctdc validate`)")
        self.axis = axes.pop()
        self.fixed: Crosswalk | None = None
        if self.axis == semantics.DELIVERY_AXIS:
            if delivered is None and len(self.versions) == 1:
                self.fixed = self.versions[0]  # nothing to choose between
            elif delivered is None:
                raise UsageError(
                    f"source {versions[0].source} chooses its crosswalk version by the "
                    "delivery's date: give --delivered YYYY-MM-DD (or `delivered` in the "
                    "manifest)")
            else:
                chosen, reason = semantics.choose_version(self.versions,
                                                          DateSpan.day(delivered))
                if chosen is None:
                    raise UsageError(f"delivery of {delivered.isoformat()}: {reason}")
                self.fixed = chosen

    @classmethod
    def for_version(cls, crosswalk: Crosswalk, vocab: Vocabulary) -> ReferenceMapper:
        """A mapper that reads every row with ``crosswalk``, whatever the row's date."""
        mapper = cls([crosswalk], vocab, crosswalk.valid_from)
        mapper.fixed = crosswalk
        return mapper

    # -- header -------------------------------------------------------------------------------
    def columns(self) -> list[str]:
        found: dict[str, None] = {}
        for cw in self.versions:
            for column in semantics.read_columns(cw):
                found.setdefault(column)
        return list(found)

    def ignored(self) -> set[str]:
        """Folded names of the columns the crosswalks declare as deliberately not read."""
        return {semantics.fold(c.column) for cw in self.versions
                for c in cw.ignored_columns or []}

    def bind(self, header: Sequence[str], where: str = "") -> HeaderBinding:
        binding = semantics.bind_header(header, self.columns())
        if binding.ambiguous:
            column, cells = next(iter(binding.ambiguous.items()))
            shown = ", ".join(f"'{c}'" for c in cells)
            raise InputError(f"ambiguous header: {shown} all match column '{column}'",
                             where or None, 1)
        return binding

    # -- rows ---------------------------------------------------------------------------------
    def map_table(self, header: Sequence[str], rows: Iterable[Sequence[str]],
                  where: str = "", source_file: str | None = None) -> MappingResult:
        binding = self.bind(header, where)
        read = {semantics.fold(c) for c in self.columns()} | self.ignored()
        result = MappingResult(
            absent_columns=binding.absent,
            unknown_columns=tuple(h for h in header if semantics.fold(h) not in read),
            issues=[Issue("column", 1, column, None, f"column '{column}' is not in the header")
                    for column in binding.absent])
        for number, cells in enumerate(rows, start=2):
            cell_of = {column: (cells[i] if i < len(cells) else None)
                       for column, i in binding.index.items()}
            record, issues = self.map_row(cell_of, number, source_file)
            result.rows += 1
            result.issues.extend(issues)
            if record is not None:
                result.records.append(record)
                result.versions[str(record["crosswalk_version"])] += 1
        return result

    def choose(self, cell_of: Mapping[str, str | None]) -> tuple[Crosswalk | None, str | None]:
        """The version of one row: fixed by the delivery, else by its registration date."""
        if self.fixed is not None:
            return self.fixed, None
        # each version reads the registration date with its own date variable
        holding = []
        for cw in self.versions:
            span = self.compiled[cw.version].registration_span(cell_of)
            if span is not None and semantics.window_holds(cw, span):
                holding.append(cw)
        if len(holding) == 1:
            return holding[0], None
        first = self.compiled[self.versions[0].version]
        unreadable = first.unreadable_date(cell_of) if len(self.versions) > 1 else None
        if unreadable is not None:
            return None, f"'{unreadable}' is not a registration date to choose the version by"
        return semantics.choose_version(self.versions, first.registration_span(cell_of))

    def map_row(self, cell_of: Mapping[str, str | None], row: int,
                source_file: str | None = None) -> tuple[Record | None, list[Issue]]:
        """One record from one row (``cell_of``: crosswalk column -> cell, None if absent);
        ``source_file`` and ``row`` are its provenance."""
        crosswalk, reason = self.choose(cell_of)
        if crosswalk is None:
            return None, [Issue("version", row, None, None, reason or "no version")]
        compiled = self.compiled[crosswalk.version]
        span = compiled.registration_span(cell_of)
        # columns not collected at this record's date can add values but never say "no"
        uncollected = {column for column in compiled.windowed
                       if not semantics.collected(compiled.windows, column, span)}
        issues: list[Issue] = []
        states: dict[str, SlotState] = {}
        unmapped: dict[tuple[str, str], bool] = {}  # (column, code) -> mapped by any reader
        for variable in crosswalk.variables:
            slot = self.vocab.slots.get(variable.slot)
            if slot is None:
                continue
            state = states.setdefault(variable.slot, SlotState())
            for target in self._variable(compiled, variable, cell_of, uncollected, row, issues,
                                         unmapped):
                state.add(target)
        for (column, code), mapped in unmapped.items():
            if not mapped:
                issues.append(Issue("unmapped", row, column, code,
                                    f"code '{code}' of column '{column}' is not mapped"))
        record: Record = {}
        for slot_name, key in semantics.HEADER_SLOTS.items():
            value = getattr(crosswalk, key, None)
            if value is not None and slot_name in self.vocab.slots:
                record[slot_name] = str(value)
        if source_file is not None and "source_file" in self.vocab.slots:
            record["source_file"] = source_file
        if "source_row" in self.vocab.slots:
            record["source_row"] = row
        if "vocabulary_version" in self.vocab.slots:
            record["vocabulary_version"] = self.vocab.version
        for slot_name, state in states.items():
            slot = self.vocab.slots[slot_name]
            value = state.result(slot.multivalued)
            if value is None:
                continue  # absent (a header-declared value, if any, stands)
            if isinstance(value, list):
                order = list(self.vocab.slot_values(slot_name))
                value.sort(key=lambda v: order.index(v) if v in order else len(order))
                record[slot_name] = value
            else:
                record[slot_name] = semantics.typed(slot, value)
        return {name: record[name] for name in self.vocab.slots if name in record}, issues

    def _variable(self, compiled: _Compiled, variable: Variable,
                  cell_of: Mapping[str, str | None], uncollected: set[str], row: int,
                  issues: list[Issue], unmapped: dict[tuple[str, str], bool]) -> Iterator[Target]:
        """What one variable says about its slot in one row."""
        missing = compiled.missing
        slot = self.vocab.slots[variable.slot]
        if semantics.is_constant(variable):
            assert variable.transform is not None and variable.transform.constant is not None
            yield Target(values=(variable.transform.constant,))
            return
        lookup = compiled.lookups[id(variable)]
        if semantics.is_flags(variable):
            readings = []
            for column in variable.column or []:
                cell = cell_of.get(column)
                state = semantics.flag_state(variable, cell, missing)
                if state is None:
                    code = semantics.strip(cell or "")
                    issues.append(Issue("flag", row, column, code,
                                        f"'{code}' in flag column '{column}' "
                                        "is neither a true nor a false code"))
                    state = "missing"
                if state == "false" and column in uncollected:
                    state = "missing"  # a 0 before collection began is not "no"
                mapping = lookup.find(column)
                target = semantics.resolve(variable, mapping, cell_of, missing) \
                    if mapping is not None and state == "true" else semantics.NOTHING
                readings.append(FlagReading(state, target))
            yield semantics.combine_flags(readings)
            return
        for column in variable.column or []:
            cell = cell_of.get(column)
            if cell is None or semantics.fold(cell) in missing:
                continue
            for code in semantics.items(variable, cell):
                if semantics.fold(code) in missing:
                    continue
                key = (column, code)
                mapping = lookup.find(code)
                if mapping is not None:
                    unmapped[key] = True
                    target = semantics.resolve(variable, mapping, cell_of, missing)
                    if column in uncollected and semantics.says_no(target, slot):
                        continue  # not asked then: not an answer
                    yield target
                    continue
                if variable.transform is not None:
                    value, reason = transforms.apply(variable.transform, code, slot, self.vocab)
                    unmapped[key] = True
                    if value is None:
                        issues.append(Issue("rejected", row, column, code, reason or ""))
                        continue
                    yield Target(values=(value,))
                    continue
                if variable.values is None and not slot.enum:
                    unmapped[key] = True
                    problem = semantics.target_problem(slot, code, self.vocab)
                    if problem:
                        issues.append(Issue("rejected", row, column, code, problem))
                        continue
                    yield Target(values=(code,))
                    continue
                unmapped.setdefault(key, False)


# -- reading delimited text, strictly ---------------------------------------------------------

def read_delimited(path: Path, delimiter: str, encoding: str = "utf-8") -> tuple[
        list[str], list[list[str]]]:
    """Header and rows of a delimited file; every problem is an InputError with its row.

    Strict on purpose (the reference reader, not the fast one): bytes that do not decode,
    rows with a different number of fields than the header, and an empty file all stop it.
    """
    text = textfiles.decode(textfiles.read_bytes(path), path, encoding)
    if not text.strip():
        raise InputError("file is empty", path, 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        rows = []
        for row in reader:
            if len(row) != len(header):
                raise InputError(f"row has {len(row)} fields, the header {len(header)}", path,
                                 reader.line_num)
            rows.append(row)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path, reader.line_num) from None
    return header, rows


def map_file(mapper: ReferenceMapper, path: Path, delimiter: str | None = None,
             source_file: str | None = None) -> MappingResult:
    """Map a delimited export with the delimiter and encoding of the crosswalk's contract;
    ``source_file`` is the name its records carry as provenance."""
    contract = mapper.versions[0].export
    chosen = delimiter or (contract.delimiter if contract else None) or ","
    encoding = (contract.encoding if contract else None) or "utf-8"
    header, rows = read_delimited(path, chosen, encoding)
    return mapper.map_table(header, rows, str(path), source_file)
