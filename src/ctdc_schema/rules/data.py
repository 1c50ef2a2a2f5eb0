"""DX: findings about a partner's export read through its crosswalk (``ctdc validate EXPORT``).

The checks themselves run in the data engine (:mod:`ctdc_schema.engine`), over millions of
rows; this module is their catalogue: code, name, severity and the documentation page of each,
and :func:`findings`, which turns what the engine found into located findings. A data finding
is located as ``file:row:column-name``: the row number a spreadsheet shows (the header is row
1; for JSON Lines and Parquet, the line or position of the record).

| codes | what |
|---|---|
| DX1xx | the file as a table: columns, unreadable rows, no rows |
| DX2xx | the cells: unmapped codes, rejected values, flag codes, versions, the JSON Schema |
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ctdc_schema.errors import excerpt
from ctdc_schema.findings import Finding, Rule, Severity, register

MISSING_COLUMN = register(Rule(
    code="DX101", name="missing-column", severity=Severity.ERROR,
    summary="A column the crosswalk reads is not in the export's header.",
    explanation=(
        "Every column a variable or a condition of the crosswalk reads must be in the header "
        "(matched without regard to case or surrounding spaces). Without it the slots it feeds "
        "are absent from every record: a renamed or dropped column would otherwise look like "
        "a source that never records that fact. Rename the column back, or release a new "
        "crosswalk version that reads the new name."
    ),
    bad="# crosswalk reads column Gender\nCase ID,Sex,Age Group\nC1,Female,Adult\n",
    good="Case ID,Gender,Age Group\nC1,Female,Adult\n",
))

UNKNOWN_COLUMN = register(Rule(
    code="DX102", name="unknown-column", severity=Severity.WARNING,
    summary="A column of the export that no crosswalk version reads or lists as ignored.",
    explanation=(
        "A column nobody reads is dropped from the harmonised data. That is fine for a column "
        "the crosswalk lists in `ignored_columns` with its reason; a column it does not know "
        "may be new information the crosswalk should map, or a renamed column (look for a "
        "DX101 next to it)."
    ),
    bad="Case ID,Gender,Gender (self-described)\n",
    good="ignored_columns:\n  - column: Gender (self-described)\n"
         "    note: free text, no vocabulary slot\n",
))

UNREADABLE_ROW = register(Rule(
    code="DX103", name="unreadable-row", severity=Severity.ERROR,
    summary="A row the reader cannot read as a record of the header's columns.",
    explanation=(
        "A delimited row with more or fewer fields than the header, bytes that are not valid "
        "in the file's encoding, a quoted field that is never closed, a line longer than 2 MB, "
        "or a JSON line that is not an object. The row is kept out of the records and reported "
        "here, never repaired: a guessed field boundary or a replacement character would put "
        "a wrong value on a chart. The row count is reconciled with the file, so no row can "
        "vanish without a finding."
    ),
    bad='Case ID,Gender,Age Group\nC1,Female\nC2,"Male,Adult\n',
    good='Case ID,Gender,Age Group\nC1,Female,\nC2,Male,Adult\n',
))

NO_RECORDS = register(Rule(
    code="DX104", name="no-records", severity=Severity.ERROR,
    summary="The export has a header and no rows.",
    explanation=(
        "An export without a single row is almost always a failed extraction (a query that "
        "matched nothing, a file truncated after its first line); it is reported rather than "
        "harmonised into an empty dataset."
    ),
    bad="Case ID,Gender,Age Group\n",
    good="Case ID,Gender,Age Group\nC1,Female,Adult\n",
))

UNMAPPED_CODE = register(Rule(
    code="DX201", name="unmapped-code", severity=Severity.ERROR,
    summary="A cell holds a code that no variable reading its column maps.",
    explanation=(
        "Each code of a column must be a missing code of the crosswalk, a code one of its "
        "`values` maps (on purpose to nothing, with `value: null`, if it says nothing the "
        "vocabulary can hold), or a value a transform derives (a country, an age). Anything "
        "else would silently become absence. Codes are compared after folding case and "
        "whitespace. Reported once per column and code, with the exact number of rows and the "
        "first of them; map the code in a new crosswalk version, or fix the export."
    ),
    bad="# values of Gender: Female, Male\nCase ID,Gender\nC1,female \nC2,F\n",
    good="values:\n  Female: {value: female}\n  F: {value: female}\n  Male: {value: male}\n",
))

REJECTED_VALUE = register(Rule(
    code="DX202", name="rejected-value", severity=Severity.ERROR,
    summary="A transform cannot derive a value from the cell.",
    explanation=(
        "A transform derives the value from the cell itself: an age that is not a whole number "
        "from 0 to 129, a country name or code pycountry cannot resolve (and that no explicit "
        "`values` spelling covers), a date not written in the variable's `date_format`, a "
        "number or text the slot's range or pattern does not allow. The cell is never turned "
        "into a quiet null: it is reported, like an unmapped code."
    ),
    bad="# transform: {type: age_band}\nCase ID,Age\nC1,twenty\nC2,340\n",
    good="Case ID,Age\nC1,20\nC2,34\n",
))

FLAG_CODE = register(Rule(
    code="DX203", name="unknown-flag-code", severity=Severity.ERROR,
    summary="A flag column holds a code that is neither one of its true nor its false codes.",
    explanation=(
        "A flags variable reads several 0/1 columns, each saying whether one value applies. A "
        "cell that is neither a `true_codes` nor a `false_codes` entry (nor a missing code) "
        "cannot be read either way; declare the code or fix the export."
    ),
    bad="# true_codes: ['1'], false_codes: ['0']\nisForcedLabour\nyes\n",
    good="isForcedLabour\n1\n",
))

NO_VERSION = register(Rule(
    code="DX204", name="no-crosswalk-version", severity=Severity.ERROR,
    summary="No crosswalk version applies to the record.",
    explanation=(
        "A source's crosswalk versions each hold for a validity window of dates, on the axis "
        "the source declares: the record's registration date (then each row is read with the "
        "version of its own date, so one export may span a coding change), or the delivery's "
        "date. A record whose date lies outside every window, cannot be read, or spans two "
        "versions (a year when the coding changed mid-year) cannot be read with certainty. "
        "Extend a window, add a version, or give the exact date."
    ),
    bad="# versions 1.0.0 [2015-01-01, 2017-03-29) and 1.1.0 [2017-03-29, -)\n"
        "Case ID,Year\nC1,2017\n",
    good="Case ID,Date Case Created\nC1,2017-06-02\n",
))

SCHEMA_INVALID = register(Rule(
    code="DX205", name="record-schema-invalid", severity=Severity.ERROR,
    summary="A mapped value fails the vocabulary's JSON Schema.",
    explanation=(
        "Every harmonised record must validate against `generated/jsonschema/ctdc.schema.json`"
        " (`$defs/VictimRecord`). The engine validates each distinct value of each slot with "
        "the schema (which is closed and relates no two properties, so that is the same as "
        "validating every record). A value outside the vocabulary or its bounds, such as a "
        "registration year before 1990, is reported with the rows that hold it."
    ),
    bad="# year_of_registration: transform year\nCase ID,Date\nC1,1985-04-01\n",
    good="Case ID,Date\nC1,2015-04-01\n",
))

#: engine problem kinds -> rules
KINDS = {"unmapped": UNMAPPED_CODE, "rejected": REJECTED_VALUE, "flag": FLAG_CODE,
         "version": NO_VERSION, "invalid": SCHEMA_INVALID}

_VERSION_REASONS = {
    "unreadable": "the registration date cannot be read",
    "no date": "the record has no registration date",
    "straddles": "the registration date spans two crosswalk versions",
    "outside": "the registration date is outside every crosswalk version's window",
}


@dataclass(frozen=True)
class Problem:
    """Rows sharing one problem, as an engine reports it: exact count, first rows."""

    kind: str  # "unmapped" | "rejected" | "flag" | "version" | "invalid"
    column: str | None
    code: str | None
    count: int
    rows: Sequence[int]
    reason: str = ""  # why (a schema message), when the kind alone does not say


def _rows(problem: Problem) -> str:
    shown = ", ".join(str(r) for r in problem.rows)
    more = ", ..." if problem.count > len(problem.rows) else ""
    noun = "row" if problem.count == 1 else "rows"
    return f"{problem.count} {noun} ({noun} {shown}{more})"


def problem_finding(problem: Problem, file: str) -> Finding:
    """The finding of one engine problem, at its first row."""
    rule = KINDS[problem.kind]
    code = excerpt(problem.code or "")
    first = problem.rows[0] if problem.rows else None
    if problem.kind == "unmapped":
        message = f"code '{code}' is not mapped: {_rows(problem)}"
    elif problem.kind == "rejected":
        message = f"cannot derive a value from '{code}': {_rows(problem)}"
    elif problem.kind == "flag":
        message = f"'{code}' is neither a true nor a false code: {_rows(problem)}"
    elif problem.kind == "version":
        reason = _VERSION_REASONS.get(problem.code or "", problem.code or "")
        message = f"no crosswalk version applies: {reason}: {_rows(problem)}"
    else:
        message = (f"slot '{problem.column}' cannot hold '{code}' ({problem.reason}): "
                   f"{_rows(problem)}")
    field = problem.column if problem.kind != "version" else None
    return rule.at(message, file, first, field=field)


def findings(file: str, *, absent: Sequence[str] = (), unknown: Sequence[str] = (),
             rejected: Sequence[tuple[int, str]] = (), rows: int | None = None,
             problems: Sequence[Problem] = ()) -> Iterator[Finding]:
    """Every finding about one export, in the order a reader meets them."""
    for column in absent:
        yield MISSING_COLUMN.at(f"column '{excerpt(column)}' is not in the header", file, 1,
                                field=column)
    for column in unknown:
        yield UNKNOWN_COLUMN.at(f"column '{excerpt(column)}' is neither read nor listed in "
                                "ignored_columns", file, 1, field=column)
    for row, message in rejected:
        yield UNREADABLE_ROW.at(f"cannot read the row: {message}", file, row)
    if rows == 0 and not rejected:
        yield NO_RECORDS.at("the export has a header and no rows", file, 1)
    for problem in problems:
        yield problem_finding(problem, file)
