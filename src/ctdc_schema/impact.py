"""``ctdc diff ... --records DATA``: which harmonised records each breaking change concerns.

Every harmonised record names the vocabulary version and the crosswalk version that made it
(``vocabulary_version``, ``source_id`` + ``crosswalk_version``). A change that can re-mean
records carries a :class:`~ctdc_schema.diff.Subject`: the version it changes and the slots and
values it touches. One DuckDB scan of the dataset counts, per change, the records made under
that version that hold those values, and the registration years they span, so that an analyst
sees which series break and from when. Values are query parameters and slot names are checked
against the dataset's columns: nothing from a crosswalk or the data is pasted into SQL.

A crosswalk change is counted by the targets the old mapping gave (records holding them): the
harmonised record does not keep the source code, so that is an upper bound, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ctdc_schema.diff import ChangeFinding, Subject
from ctdc_schema.errors import InputError, excerpt
from ctdc_schema.findings import Finding, Report
from ctdc_schema.sqltext import ident

YEAR = "year_of_registration"


def _scope(subject: Subject, columns: dict[str, str]) -> tuple[str, list[Any]]:
    """The records made under the subject's version (all, if the data cannot tell)."""
    if subject.source is None:
        if "vocabulary_version" not in columns:
            return "TRUE", []
        return "vocabulary_version = ?", [subject.version]
    if not {"source_id", "crosswalk_version"} <= set(columns):
        return "TRUE", []
    return "source_id = ? AND crosswalk_version = ?", [subject.source, subject.version]


def _holding(subject: Subject, columns: dict[str, str]) -> tuple[str, list[Any]]:
    """Of those, the records holding the subject's values in one of its slots."""
    if not subject.slots:
        return "TRUE", []
    tests: list[str] = []
    params: list[Any] = []
    for slot in subject.slots:
        if slot not in columns:
            continue  # the dataset never held the slot
        column = ident(slot)
        if subject.absent:
            tests.append(f"{column} IS NULL")
        elif not subject.values:
            tests.append(f"{column} IS NOT NULL")
        elif columns[slot].endswith("[]"):
            tests.append(f"list_has_any(CAST({column} AS VARCHAR[]), CAST(? AS VARCHAR[]))")
            params.append(list(subject.values))
        else:
            tests.append(f"list_contains(CAST(? AS VARCHAR[]), CAST({column} AS VARCHAR))")
            params.append(list(subject.values))
    return ("(" + " OR ".join(tests) + ")" if tests else "FALSE"), params


def count(findings: Sequence[Finding], data: Path) -> list[Finding]:
    """``findings`` with, on each change that names its records, the count of DATA's records
    it concerns (and their years); other findings unchanged."""
    from ctdc_schema.engine.duckdb_engine import connect
    from ctdc_schema.stats import read_harmonised

    subjects = [(i, f.subject) for i, f in enumerate(findings)
                if isinstance(f, ChangeFinding) and f.subject is not None]
    if not subjects:
        return list(findings)
    con = connect()
    try:
        relation = read_harmonised(con, data)
        columns = dict(zip(relation.columns, map(str, relation.types), strict=True))
        needed = {"source_id", "crosswalk_version"} if any(
            s.source is not None for _, s in subjects) else {"source_id"}
        if not needed <= set(columns):
            raise InputError(f"not a harmonised dataset: no column "
                             f"{', '.join(sorted(needed - set(columns)))} (the records "
                             "`ctdc transform` writes name their source and versions)", data)
        relation.create_view("records")
        selects, params = ["count(*)"], []
        for _, subject in subjects:
            scope, scope_params = _scope(subject, columns)
            holding, holding_params = _holding(subject, columns)
            both = f"{scope} AND {holding}"
            selects.append(f"count(*) FILTER (WHERE {scope})")
            selects.append(f"count(*) FILTER (WHERE {both})")
            params += scope_params + scope_params + holding_params
            for fn in ("min", "max"):
                if YEAR in columns:
                    selects.append(f"{fn}({ident(YEAR)}) FILTER (WHERE {both})")
                    params += scope_params + holding_params
                else:
                    selects.append("NULL")
        (row,) = con.execute(f"SELECT {', '.join(selects)} FROM records", params).fetchall()
    finally:
        con.close()
    out = list(findings)
    for n, (index, subject) in enumerate(subjects):
        in_scope, hit, first, last = row[1 + 4 * n: 5 + 4 * n]
        out[index] = replace(findings[index], message=findings[index].message + " — " +
                             _sentence(subject, hit, in_scope, first, last, columns))
    return out


def _sentence(subject: Subject, hit: int, in_scope: int, first: Any, last: Any,
              columns: dict[str, str]) -> str:
    made = (f"vocabulary {subject.version}" if subject.source is None
            else f"{excerpt(subject.source, 40)} {subject.version}")
    if subject.source is None and "vocabulary_version" not in columns:
        made = "any vocabulary (the records do not name theirs)"
    what = "hold it" if subject.slots else "are concerned"
    if subject.source is not None and subject.values:
        what = "hold its old target (an upper bound)"
    years = f", registered {first} to {last}" if hit and first is not None else ""
    return f"{hit:,} of the {in_scope:,} records made under {made} {what}{years}"


def annotate(report: Report, data: Path) -> Report:
    """``report`` with the record counts of :func:`count`."""
    return Report(count(report.findings, data), report.files, report.exports)
