"""What a crosswalk *means*: the one statement that the rules, the SSSOM export, the reference
mapper and (next) the compiled engine all read.

A crosswalk is data; this module is its semantics, in the order they apply to one cell:

1. **Columns.** An export header names a crosswalk column exactly, else ignoring case and
   surrounding spaces (CTDC's own documents spell ``Datasource``/``datasource``); two header
   cells that both fit one column make the header ambiguous (:func:`bind_header`).
2. **Collection windows.** For a record whose registration date is not wholly inside the
   window of a column collected only from some date (``collection``), or is unknown, a cell of
   that column can add values but never says "no": false flags and boolean false are read as
   missing (:func:`collected`, :func:`says_no`).
3. **Missing codes** (compared after case and whitespace folding) add nothing.
4. **Splitting.** A multi-select cell is split on the variable's ``split`` (trimmed).
5. **Lookup.** A code is looked up exactly, then folded, in the variable's ``values``; a
   mapping's ``cases`` choose its target from another column of the same row
   (:func:`resolve`). A code no mapping knows goes to the declared transform.
6. **What a code says** (:class:`Target`): values (an empty list: known to be none), nothing
   (``value: null``), or "unknown for this slot" (``unknown: true``).
7. **Flags.** Each flag column is true, false or missing; a variable's flags give the targets
   of the true ones, "unknown" if only unknown-flags are true, and "known none" only if every
   flag is false (:func:`combine_flags`).
8. **A slot** combines everything that reached it (:class:`SlotState`): values win; else
   "unknown" makes it absent; else "known none" is ``[]``; else it is absent.
9. **Versions.** A record's version is the one whose window holds its date on the source's
   ``window_axis``: the registration date, whose precision is the source's (a year, or a
   ``date_format`` without a day, stands for the whole span, which must lie in one window:
   :func:`date_span`), or the delivery date (:func:`choose_version`).

Everything here works on the generated crosswalk classes and plain values; nothing reads files
or prints.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ctdc_schema.datamodel.crosswalk import (
    Collection,
    Condition,
    Crosswalk,
    ValueCase,
    ValueMapping,
    Variable,
)
from ctdc_schema.vocabulary import SlotInfo, Vocabulary

#: the predicate of a bare target
DEFAULT_PREDICATE = "exactMatch"

#: record slots filled from a crosswalk's header rather than from a source column
HEADER_SLOTS: Mapping[str, str] = {
    "source_id": "source",
    "crosswalk_version": "version",
    "contributing_organisation": "organisation",
    "data_source_type": "data_source_type",
    "unit_of_record": "unit_of_record",
    "legal_definition": "legal_definition",
}

#: the date axes a source may choose its versions by
REGISTRATION_AXIS = "registration_date"
DELIVERY_AXIS = "delivery_date"


# -- codes ------------------------------------------------------------------------------------

#: the whitespace codes are trimmed and folded on: ASCII only, so that every engine (Python,
#: DuckDB, Spark SQL) draws the same line
WHITESPACE = " \t\n\r\f\v"
_WHITESPACE_RUNS = re.compile(r"[ \t\n\r\f\v]+")
_DIGITS = re.compile(r"[0-9]+")
#: the text of an integer a slot accepts as it is
INTEGER_PATTERN = "-?[0-9]+"


def strip(text: str) -> str:
    """``text`` without leading and trailing (ASCII) whitespace."""
    return text.strip(WHITESPACE)


def fold(code: str) -> str:
    """Case- and whitespace-insensitive form of a source code (or of a column name): runs of
    whitespace become one space, the ends are trimmed, and each character is lower-cased on its
    own by its *simple* lower-case mapping, as SQL engines do (no context rules such as Greek
    final sigma; U+0130 becomes "i", not "i" plus a combining dot)."""
    text = _WHITESPACE_RUNS.sub(" ", code).strip(" ")
    if text.isascii():
        return text.lower()  # no context rules in ASCII
    # Python's full mapping differs from the simple one for U+0130 alone
    return "".join(ch.lower() for ch in text.replace("\u0130", "i"))


def is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts superscripts and other scripts)."""
    return _DIGITS.fullmatch(text) is not None


def items(variable: Variable, cell: str) -> list[str]:
    """The codes of one cell: split on the variable's ``split`` and trimmed, or the cell; an
    empty code is no code."""
    if variable.split:
        separator = strip(variable.split) or variable.split
        return [strip(item) for item in cell.split(separator) if strip(item)]
    return [strip(cell)] if strip(cell) else []


def transform_kind(variable: Variable) -> str | None:
    return str(variable.transform.type) if variable.transform is not None else None


def is_flags(variable: Variable) -> bool:
    return transform_kind(variable) == "flags"


def is_constant(variable: Variable) -> bool:
    return transform_kind(variable) == "constant"


def targets(mapping: ValueMapping | ValueCase) -> list[str]:
    """The target values a mapping or case names (none for null, unknown or an empty list)."""
    if mapping.value is not None:
        return [mapping.value]
    return list(mapping.values or [])


def all_targets(mapping: ValueMapping) -> list[str]:
    """Every target a code can reach, whichever of its cases applies."""
    found = targets(mapping)
    for case in mapping.cases or []:
        found += [t for t in targets(case) if t not in found]
    return found


def effective_predicate(variable: Variable, mapping: ValueMapping | ValueCase) -> str:
    """The weaker of the variable's and the value's predicate (a bare target is exact)."""
    value_level = str(mapping.predicate) if mapping.predicate else DEFAULT_PREDICATE
    if value_level != DEFAULT_PREDICATE:
        return value_level
    return str(variable.predicate)


def missing_codes(crosswalk: Crosswalk) -> frozenset[str]:
    """The crosswalk's missing codes, folded."""
    return frozenset(fold(code) for code in crosswalk.missing_codes or [])


def target_problem(slot: SlotInfo, target: str, vocab: Vocabulary) -> str | None:
    """Why ``target`` (text) is not a valid value of ``slot``; None when it is."""
    if slot.enum:
        values = vocab.slot_values(slot.name)
        if target in values:
            return None
        by_code = [v.name for v in values.values()
                   if target in (v.ctdc_code, *v.aliases) or target.lower() == v.name.lower()]
        hint = by_code or difflib.get_close_matches(target, list(values), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        return f"'{target}' is not a value of slot {slot.name} ({slot.enum}){suggestion}"
    if slot.range == "boolean":
        return None if target in ("true", "false") else \
            f"'{target}' is not a value of boolean slot {slot.name}; use true or false"
    if slot.range == "integer":
        if re.fullmatch(INTEGER_PATTERN, target) is None:
            return f"'{target}' is not an integer (slot {slot.name})"
        number = int(target)
        low, high = slot.minimum_value, slot.maximum_value
        if (low is not None and number < int(low)) or (high is not None and number > int(high)):
            return f"{number} is outside the range of slot {slot.name} [{low}, {high}]"
        return None
    if slot.pattern and not re.search(slot.pattern, target):
        return f"'{target}' does not match the pattern of slot {slot.name}"
    return None


def typed(slot: SlotInfo, target: str) -> str | int | bool:
    """A valid target as the record holds it: booleans and integers typed, the rest text."""
    if slot.range == "boolean":
        return target == "true"
    if slot.range == "integer":
        return int(target)
    return target


# -- what one code says -----------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What one code (or one true flag) says about its slot in one row."""

    values: tuple[str, ...] = ()
    unknown: bool = False
    known_none: bool = False
    predicate: str = DEFAULT_PREDICATE
    note: str | None = None

    @classmethod
    def of(cls, variable: Variable, mapping: ValueMapping | ValueCase) -> Target:
        found = tuple(targets(mapping))
        return cls(
            values=found,
            unknown=bool(mapping.unknown),
            known_none=mapping.value is None and mapping.values is not None and not found,
            predicate=effective_predicate(variable, mapping),
            note=mapping.note,
        )


NOTHING = Target()


def condition_holds(condition: Condition, cell_of: Mapping[str, str | None],
                    missing: frozenset[str]) -> bool:
    """Whether ``condition`` holds for a row (``cell_of`` maps crosswalk columns to cells)."""
    cell = cell_of.get(condition.column)
    if cell is None or fold(cell) in missing:
        return False
    return fold(cell) in {fold(code) for code in condition.in_}


def resolve(variable: Variable, mapping: ValueMapping, cell_of: Mapping[str, str | None],
            missing: frozenset[str]) -> Target:
    """The target of a code in one row: the first case whose condition holds, else its own."""
    for case in mapping.cases or []:
        if condition_holds(case.when, cell_of, missing):
            return Target.of(variable, case)
    return Target.of(variable, mapping)


class Lookup:
    """A variable's ``values`` indexed for lookup: exact spelling first, then folded."""

    def __init__(self, variable: Variable) -> None:
        self.exact: dict[str, ValueMapping] = dict(variable.values or {})
        self.folded: dict[str, ValueMapping] = {}
        for code, mapping in self.exact.items():
            self.folded.setdefault(fold(code), mapping)

    def find(self, code: str) -> ValueMapping | None:
        return self.exact.get(code) or self.folded.get(fold(code))


# -- flags ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FlagReading:
    """One flag cell: true (with the column's target), false, or missing."""

    state: str  # "true" | "false" | "missing"
    target: Target = NOTHING


def flag_state(variable: Variable, cell: str | None, missing: frozenset[str]) -> str | None:
    """``true``/``false``/``missing`` for a flag cell; None when the code is neither."""
    if cell is None or fold(cell) in missing:
        return "missing"
    transform = variable.transform
    assert transform is not None
    code = strip(cell)
    if code in (transform.true_codes or []):
        return "true"
    if code in (transform.false_codes or []):
        return "false"
    return None


def combine_flags(readings: Sequence[FlagReading]) -> Target:
    """What a variable's flags say together (see the module docstring, step 7)."""
    true = [r.target for r in readings if r.state == "true"]
    values = tuple(dict.fromkeys(v for t in true for v in t.values))
    if values:
        return Target(values=values)
    if any(t.unknown for t in true):
        return Target(unknown=True)
    if readings and all(r.state == "false" for r in readings):
        return Target(known_none=True)
    return NOTHING


# -- a slot -----------------------------------------------------------------------------------

@dataclass
class SlotState:
    """Everything that reached one slot of one record."""

    values: list[str] = field(default_factory=list)
    unknown: bool = False
    known_none: bool = False

    def add(self, target: Target) -> None:
        for value in target.values:
            if value not in self.values:
                self.values.append(value)
        self.unknown |= target.unknown
        self.known_none |= target.known_none

    def result(self, multivalued: bool) -> list[str] | str | None:
        """The slot's value (a list for multivalued slots) or None when it is absent."""
        if self.values:
            return list(self.values) if multivalued else self.values[0]
        if self.unknown:
            return None
        if self.known_none and multivalued:
            return []
        return None


# -- columns ----------------------------------------------------------------------------------

def read_columns(crosswalk: Crosswalk) -> list[str]:
    """Every column a crosswalk reads (variables and conditions), in first-use order."""
    found: dict[str, None] = {}
    for variable in crosswalk.variables:
        for column in [] if is_constant(variable) else variable.column or []:
            found.setdefault(column)
        for mapping in (variable.values or {}).values():
            for case in mapping.cases or []:
                found.setdefault(case.when.column)
    return list(found)


@dataclass(frozen=True)
class HeaderBinding:
    """Where each crosswalk column is in an export header."""

    index: Mapping[str, int]  # crosswalk column -> header position
    absent: tuple[str, ...]  # crosswalk columns the header lacks
    ambiguous: Mapping[str, tuple[str, ...]]  # crosswalk column -> header cells that fit it


def bind_header(header: Sequence[str], columns: Iterable[str]) -> HeaderBinding:
    """Find ``columns`` in ``header``, ignoring case and surrounding spaces; a column that two
    header cells fit (``Year`` and ``year``) is ambiguous, even if one is spelled exactly."""
    loose: dict[str, list[int]] = {}
    for position, name in enumerate(header):
        loose.setdefault(fold(name), []).append(position)
    index: dict[str, int] = {}
    absent: list[str] = []
    ambiguous: dict[str, tuple[str, ...]] = {}
    for column in columns:
        hits = loose.get(fold(column)) or []
        if len(hits) == 1:
            index[column] = hits[0]
        elif not hits:
            absent.append(column)
        else:
            ambiguous[column] = tuple(header[i] for i in hits)
    return HeaderBinding(index, tuple(absent), ambiguous)


# -- dates, windows, versions -----------------------------------------------------------------

@dataclass(frozen=True)
class DateSpan:
    """A date known to a precision: the half-open span [start, end) it lies in."""

    start: date
    end: date

    @classmethod
    def day(cls, day: date) -> DateSpan:
        return cls(day, day + timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> DateSpan:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    def inside(self, start: date | None, end: date | None) -> bool:
        """Whether the whole span lies in the window [start, end) (None = unbounded)."""
        return (start is None or start <= self.start) and (end is None or self.end <= end)

    def overlaps(self, start: date | None, end: date | None) -> bool:
        return (end is None or self.start < end) and (start is None or start < self.end)


#: strftime directives a date_format may use, and the text each one matches
DATE_DIRECTIVES: Mapping[str, str] = {
    "%Y": "[0-9]{4}", "%m": "[0-9]{1,2}", "%d": "[0-9]{1,2}", "%y": "[0-9]{2}",
    "%H": "[0-9]{1,2}", "%M": "[0-9]{1,2}", "%S": "[0-9]{1,2}", "%%": "%",
}
DEFAULT_DATE_FORMAT = "%Y-%m-%d"


def date_regex(date_format: str | None) -> str | None:
    """The regular expression a date written as ``date_format`` must match in full; None for a
    format with a directive outside :data:`DATE_DIRECTIVES`.

    Parsers differ at the edges (one accepts a two-digit ``%Y``, another leading blanks), so a
    date is read only when its text has the format's shape, and every engine checks that shape
    first with the same expression.
    """
    fmt = date_format or DEFAULT_DATE_FORMAT
    out, position = [], 0
    while position < len(fmt):
        if fmt[position] == "%":
            directive = fmt[position:position + 2]
            if directive not in DATE_DIRECTIVES:
                return None
            out.append(DATE_DIRECTIVES[directive])
            position += 2
        else:
            out.append(re.escape(fmt[position]))
            position += 1
    return "".join(out)


def parse_date(code: str, date_format: str | None) -> date | None:
    """A date written as ``date_format`` (ISO 8601 by default); None if it does not parse."""
    text = strip(code)
    pattern = date_regex(date_format)
    if pattern is None or re.fullmatch(pattern, text) is None:
        return None
    try:
        return datetime.strptime(text, date_format or DEFAULT_DATE_FORMAT).date()
    except ValueError:
        return None


def date_span(code: str, date_format: str | None) -> DateSpan | None:
    """The span a date written as ``date_format`` stands for: a day, or a whole month or year
    when the format has no day (``%Y``, ``%m/%Y``); None if it does not parse."""
    day = parse_date(code, date_format)
    if day is None:
        return None
    fmt = date_format or "%Y-%m-%d"
    if any(d in fmt for d in ("%d", "%j", "%c", "%x")):
        return DateSpan.day(day)
    if any(m in fmt for m in ("%m", "%b", "%B")):
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return DateSpan(day, following)
    return DateSpan.year(day.year)


def says_no(target: Target, slot: SlotInfo) -> bool:
    """Whether a target only says "no": a known-none list or a boolean false."""
    return target.known_none or (slot.range == "boolean" and target.values == ("false",))


Window = tuple[date | None, date | None]


def collection_windows(collection: Sequence[Collection]) -> dict[str, list[Window]]:
    """Folded column name -> the collection windows stated for it (statements without dates,
    such as a number of contributors, state no window)."""
    windows: dict[str, list[Window]] = {}
    for statement in collection:
        if statement.collected_from is None and statement.collected_to is None:
            continue
        for column in statement.columns:
            windows.setdefault(fold(column), []).append(
                (statement.collected_from, statement.collected_to))
    return windows


def collected(windows: Mapping[str, Sequence[Window]], column: str,
              when: DateSpan | None) -> bool:
    """Whether ``column`` was collected for a record registered ``when`` (None = unknown).

    Outside its window a column can still add values, but never says "no" (see
    :func:`says_no`): a 0 written before collection began is not an answer.
    """
    for start, end in windows.get(fold(column), ()):
        if when is None or not when.inside(start, end):
            return False
    return True


def axis(crosswalk: Crosswalk) -> str:
    """The date axis a crosswalk's window is on (absent or null: the registration date)."""
    return str(crosswalk.window_axis or REGISTRATION_AXIS)


def in_force(versions: Sequence[Crosswalk]) -> list[Crosswalk]:
    """The versions of one source that are chosen for dates: all but those another version
    ``supersedes``. A superseded file stays (records harmonised with it name it), but the
    version that replaces it serves its dates."""
    replaced = {cw.supersedes for cw in versions if cw.supersedes}
    return [cw for cw in versions if cw.version not in replaced]


def window_holds(crosswalk: Crosswalk, span: DateSpan) -> bool:
    return span.inside(crosswalk.valid_from, crosswalk.valid_to)


def choose_version(versions: Sequence[Crosswalk], span: DateSpan | None) -> tuple[
        Crosswalk | None, str | None]:
    """The version whose window wholly holds ``span``; else None and the reason.

    A date known only to the year must lie wholly in one window. An unknown date can be
    served only by a source with a single version.
    """
    if span is None:
        if len(versions) == 1:
            return versions[0], None
        return None, "no date to choose the crosswalk version by"
    holding = [cw for cw in versions if window_holds(cw, span)]
    if len(holding) == 1:
        return holding[0], None
    shown = span.start.isoformat() if span.end - span.start == timedelta(days=1) \
        else f"{span.start.year}"
    touching = [cw.version for cw in versions if span.overlaps(cw.valid_from, cw.valid_to)]
    if len(touching) > 1:
        return None, f"{shown} straddles the windows of versions {', '.join(touching)}"
    return None, f"{shown} is outside the validity window of every version"
