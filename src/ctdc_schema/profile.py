"""``ctdc profile``: what a steward needs to know about an export before writing its crosswalk.

Per column: a type guess, the fill rate, the number of distinct codes, the most frequent codes
with their counts, the date formats that parse its values, the multi-select separators that fit
it, and the codes that look like "no information" (``-99``, ``Unknown``, ``N/A``, blank ...).

The export is read by the engine's readers (:mod:`ctdc_schema.engine.readers`: the same
encodings, delimiters and limits as ``ctdc validate``), and every figure comes from one
aggregation in DuckDB over the distinct (column, code) pairs, so a 10^6-row export profiles in
seconds and memory follows the number of distinct codes, not of rows. Codes reach DuckDB as
data, never as SQL text; a code is shown as a short escaped excerpt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ctdc_schema.errors import excerpt

#: codes that commonly mean "no information" (compared trimmed and case-folded)
MISSING_CODES = ("", "-99", "-9", "-1", "99", "999", "9999", "unknown", "unk", "n/a", "na",
                 "none", "not specified", "not provided", "not known", "null", "nil",
                 "missing", "?", "-", "--", "x", "zz", "xx", "refused", "declined")
#: date formats tried on every column (strftime, as the crosswalk's `year` transform takes)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y",
                "%m-%d-%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%Y",
                "%b %Y", "%B %d, %Y")
#: separators tried as multi-select delimiters
SEPARATORS = (";", ",", "|", "/", "+")
#: a type or format "fits" when it reads at least this share of the filled cells
FITS = 0.95
DEFAULT_TOP = 20


@dataclass
class Column:
    """The profile of one export column."""

    name: str
    position: int
    type: str
    rows: int
    filled: int
    distinct: int
    top: list[tuple[str, int]]
    date_formats: list[str] = field(default_factory=list)
    separators: list[dict[str, Any]] = field(default_factory=list)
    missing_codes: list[tuple[str, int]] = field(default_factory=list)

    @property
    def fill_rate(self) -> float:
        return self.filled / self.rows if self.rows else 0.0


@dataclass
class Profile:
    """Every column of one export."""

    path: str
    rows: int
    columns: list[Column]
    rejected_rows: int = 0
    #: the delimiter a delimited file was read with
    delimiter: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "rows": self.rows, "rejected_rows": self.rejected_rows,
                "delimiter": self.delimiter,
                "columns": [{**asdict(c), "fill_rate": round(c.fill_rate, 4),
                             "top": [{"code": code, "count": n} for code, n in c.top],
                             "missing_codes": [{"code": code, "count": n}
                                               for code, n in c.missing_codes]}
                            for c in self.columns]}

    def text(self, top: int = 10) -> str:
        lines = [f"{self.path}: {self.rows:,} rows, {len(self.columns)} columns"
                 + (f", {self.rejected_rows:,} rows unreadable" if self.rejected_rows else "")]
        for column in self.columns:
            kind = column.type + (f" ({', '.join(column.date_formats)})"
                                  if column.date_formats else "")
            lines.append(f"\n{column.position + 1}. {excerpt(column.name)}: {kind}, "
                         f"{column.fill_rate:.1%} filled, {column.distinct:,} distinct")
            for sep in column.separators:
                lines.append(f"   multi-select on '{sep['separator']}': {sep['share']:.0%} of "
                             f"filled cells hold it, {sep['pieces']:,} distinct pieces")
            if column.missing_codes:
                lines.append("   looks like no information: " + ", ".join(
                    f"{_shown(code)} ({n:,})" for code, n in column.missing_codes))
            shown = column.top[:top]
            width = max((len(_shown(code)) for code, _ in shown), default=0)
            lines += [f"   {_shown(code):<{width}}  {n:>9,}" for code, n in shown]
            if column.distinct > len(shown):
                lines.append(f"   ... {column.distinct - len(shown):,} more")
        return "\n".join(lines) + "\n"


def _shown(code: str) -> str:
    return '""' if code == "" else excerpt(code)


def profile(path: Path, delimiter: str | None = None, encoding: str | None = None,
            top: int = DEFAULT_TOP) -> Profile:
    """The profile of the export at ``path``."""
    from ctdc_schema.engine import readers
    from ctdc_schema.engine.duckdb_engine import connect

    con = connect()
    try:
        opened = readers.open_export(con, path, delimiter, encoding, materialize=False)
        columns = [f"c{i}" for i in range(len(opened.header))]
        if not columns:
            return Profile(str(path), 0, [])
        # one scan: every (column, code) pair with its count
        unpivot = " UNION ALL ".join(
            f"SELECT {i} AS col, CAST({c} AS VARCHAR) AS v FROM src"
            for i, c in enumerate(columns))
        con.execute(f"CREATE TEMP TABLE codes AS SELECT col, v, count(*) AS n FROM "
                    f"({unpivot}) GROUP BY ALL")
        (rows,) = con.execute("SELECT count(*) FROM src").fetchone()
        readers.finish(con, opened, int(rows))
        stats = _column_stats(con)
        tops = _top_codes(con, top)
        dates = _date_formats(con)
        separators = _separators(con)
        missing = _missing_codes(con)
    finally:
        con.close()
    found = []
    for i, name in enumerate(opened.header):
        filled, distinct, integers, numbers, booleans = stats.get(i, (0, 0, 0, 0, 0))
        formats = dates.get(i, [])
        kind = _type(filled, integers, numbers, booleans, formats)
        found.append(Column(
            name=name, position=i, rows=opened.rows, filled=filled, distinct=distinct,
            type=kind, top=tops.get(i, []), date_formats=formats,
            # a date's or a number's own punctuation is no multi-select separator
            separators=separators.get(i, []) if kind == "text" else [],
            missing_codes=missing.get(i, [])))
    return Profile(str(path), opened.rows, found, len(opened.rejected),
                   opened.dialect[1] if opened.dialect else None)


def _column_stats(con: Any) -> dict[int, tuple[int, int, int, int, int]]:
    """Per column: filled cells, distinct codes, and cells read as integer, number, boolean."""
    rows = con.execute(
        "SELECT col, sum(n) FILTER (WHERE trim(v) <> ''), count(*), "
        "sum(n) FILTER (WHERE TRY_CAST(trim(v) AS BIGINT) IS NOT NULL), "
        "sum(n) FILTER (WHERE TRY_CAST(trim(v) AS DOUBLE) IS NOT NULL), "
        "sum(n) FILTER (WHERE lower(trim(v)) IN ('true', 'false', 'yes', 'no', 'y', 'n')) "
        "FROM codes GROUP BY col").fetchall()
    return {int(c): (int(a or 0), int(b or 0), int(i or 0), int(f or 0), int(t or 0))
            for c, a, b, i, f, t in rows}


def _top_codes(con: Any, top: int) -> dict[int, list[tuple[str, int]]]:
    rows = con.execute(
        "SELECT col, v, n FROM codes QUALIFY row_number() OVER (PARTITION BY col "
        "ORDER BY n DESC, v) <= ? ORDER BY col, n DESC, v", [top]).fetchall()
    found: dict[int, list[tuple[str, int]]] = {}
    for col, value, n in rows:
        found.setdefault(int(col), []).append((str(value), int(n)))
    return found


def _date_formats(con: Any) -> dict[int, list[str]]:
    """Per column, the formats that parse at least :data:`FITS` of its filled cells (a
    column of plain integers is not a date, unless every value is a 4-digit year). A format
    is tried on a whole column only when it parses most of the column's 200 most frequent
    codes: an identifier column of 10^6 distinct codes costs one sample, not 13 scans."""
    con.execute("CREATE OR REPLACE TEMP TABLE date_sample AS SELECT col, v FROM codes "
                "WHERE trim(v) <> '' QUALIFY row_number() OVER (PARTITION BY col "
                "ORDER BY n DESC, v) <= 200")
    candidates: list[tuple[int, str]] = []
    for fmt in DATE_FORMATS:  # a format must be a constant for try_strptime: one query each
        candidates += [(int(col), fmt) for col, parsed, tried in con.execute(
            "SELECT col, count(*) FILTER (WHERE try_strptime(trim(v), ?) IS NOT NULL), "
            "count(*) FROM date_sample GROUP BY col", [fmt]).fetchall()
            if parsed >= 0.5 * tried]
    candidates.sort(key=lambda c: (c[0], DATE_FORMATS.index(c[1])))
    found: dict[int, list[str]] = {}
    for col, fmt in candidates:
        ((parsed, filled, years),) = con.execute(
            "SELECT sum(n) FILTER (WHERE try_strptime(trim(v), ?) IS NOT NULL), "
            "sum(n) FILTER (WHERE trim(v) <> ''), "
            "bool_and(trim(v) = '' OR (TRY_CAST(trim(v) AS BIGINT) BETWEEN 1900 AND 2100)) "
            "FROM codes WHERE col = ?", [fmt, col]).fetchall()
        if filled and (parsed or 0) >= FITS * filled and (fmt == "%Y") == bool(years):
            found.setdefault(col, []).append(fmt)
    return found


def _separators(con: Any) -> dict[int, list[dict[str, Any]]]:
    """Per column, the separators that split a share of its filled cells into pieces that
    repeat (fewer distinct pieces than distinct cells): a multi-select column."""
    found: dict[int, list[dict[str, Any]]] = {}
    for sep in SEPARATORS:
        shares = con.execute(
            "SELECT col, sum(n) FILTER (WHERE contains(v, ?)), "
            "sum(n) FILTER (WHERE trim(v) <> ''), count(*) FILTER (WHERE trim(v) <> '') "
            "FROM codes GROUP BY col", [sep]).fetchall()
        candidates = {int(c): (h, f, d) for c, h, f, d in shares if f and h and h >= 0.01 * f}
        if not candidates:
            continue
        pieces = dict(con.execute(
            "SELECT col, count(DISTINCT trim(p)) FROM (SELECT col, unnest(string_split(v, ?)) "
            "AS p FROM codes WHERE col IN (SELECT unnest(?)) AND contains(v, ?)) "
            "WHERE trim(p) <> '' GROUP BY col", [sep, list(candidates), sep]).fetchall())
        for col, (holding, filled, distinct) in candidates.items():
            count = int(pieces.get(col, 0))
            if 0 < count < distinct:
                found.setdefault(col, []).append(
                    {"separator": sep, "share": round(holding / filled, 4), "pieces": count})
    return found


def _missing_codes(con: Any) -> dict[int, list[tuple[str, int]]]:
    rows = con.execute(
        "SELECT col, v, n FROM codes WHERE lower(trim(v)) IN (SELECT unnest(?)) "
        "ORDER BY col, n DESC, v", [list(MISSING_CODES)]).fetchall()
    found: dict[int, list[tuple[str, int]]] = {}
    for col, value, n in rows:
        found.setdefault(int(col), []).append((str(value), int(n)))
    return found


def _type(filled: int, integers: int, numbers: int, booleans: int, formats: list[str]) -> str:
    if not filled:
        return "empty"
    if formats and formats != ["%Y"]:
        return "date"
    if integers >= FITS * filled:
        return "year" if formats == ["%Y"] else "integer"
    if numbers >= FITS * filled:
        return "number"
    if booleans >= FITS * filled:
        return "boolean"
    return "text"
