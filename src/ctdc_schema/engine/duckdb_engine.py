"""Run compiled plans on DuckDB, embedded: open the export, load the lookup tables, map.

Memory is bounded by DuckDB's ``memory_limit`` (operators spill to ``temp_directory``), not by
the size of the input. Lookup tables are loaded from Python values with prepared statements;
the only SQL text is the plan's, rendered from its AST.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ctdc_schema.crosswalk import semantics
from ctdc_schema.datamodel.crosswalk import Crosswalk
from ctdc_schema.engine import dialects
from ctdc_schema.engine.plan import LookupTable, Plan, compile_source
from ctdc_schema.engine.readers import Opened, open_export
from ctdc_schema.errors import UsageError
from ctdc_schema.vocabulary import Vocabulary

#: memory DuckDB may use before it spills to disk (CTDC_MEMORY_LIMIT overrides)
DEFAULT_MEMORY_LIMIT = "1GB"


def connect(memory_limit: str | None = None, temp_directory: Path | None = None) -> Any:
    """A private in-memory DuckDB connection with bounded memory."""
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit or os.environ.get("CTDC_MEMORY_LIMIT")
        or DEFAULT_MEMORY_LIMIT}
    con = duckdb.connect(":memory:", config=config)
    if temp_directory is not None:
        con.execute("SET temp_directory = ?", [str(temp_directory)])
    return con


def load_tables(con: Any, tables: Sequence[LookupTable]) -> None:
    """Create each lookup table and fill it with its rows (values travel as parameters)."""
    for table in tables:
        columns = ", ".join(f"{name} {sql_type}" for name, sql_type in table.columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table.name} ({columns})")
        if table.rows:
            marks = ", ".join("?" for _ in table.columns)
            con.executemany(f"INSERT INTO {table.name} VALUES ({marks})", table.rows)


@dataclass
class Problem:
    """Rows sharing one problem: (kind, column, code), how many, and the first row numbers."""

    kind: str  # "unmapped" | "rejected" | "flag" | "version"
    column: str | None
    code: str | None
    count: int
    rows: list[int] = field(default_factory=list)


@dataclass
class Mapped:
    """One export mapped: the records relation lives in the connection as ``records``."""

    opened: Opened
    plan: Plan
    versions: dict[str, int]
    problems: list[Problem]
    absent: list[str]
    unknown: list[str]
    records: int


def choose_fixed(versions: Sequence[Crosswalk], delivered: date | None) -> str | None:
    """The version every record of a delivery gets, when the source versions by delivery."""
    axes = {semantics.axis(cw) for cw in versions}
    if len(axes) != 1:
        raise UsageError(f"the versions of {versions[0].source} disagree on window_axis "
                         "(run `ctdc validate`)")
    if axes.pop() != semantics.DELIVERY_AXIS:
        return None
    if delivered is None:
        if len(versions) == 1:
            return versions[0].version
        raise UsageError(f"source {versions[0].source} chooses its crosswalk version by the "
                         "delivery's date: give --delivered YYYY-MM-DD (or `delivered` in the "
                         "manifest)")
    chosen, reason = semantics.choose_version(versions, semantics.DateSpan.day(delivered))
    if chosen is None:
        raise UsageError(f"delivery of {delivered.isoformat()}: {reason}")
    return chosen.version


def bind(versions: Sequence[Crosswalk], opened: Opened) -> tuple[dict[str, str | None],
                                                                list[str], list[str]]:
    """Crosswalk columns -> ``src`` columns, the absent ones, and the export's unknown columns
    (neither read nor declared ignored). Ambiguous headers are an input error."""
    from ctdc_schema.crosswalk.mapper import ReferenceMapper

    columns: dict[str, None] = {}
    for cw in versions:
        for column in semantics.read_columns(cw):
            columns.setdefault(column)
    binding = semantics.bind_header(opened.header, columns)
    if binding.ambiguous:
        column, cells = next(iter(binding.ambiguous.items()))
        from ctdc_schema.errors import InputError

        shown = ", ".join(f"'{c}'" for c in cells)
        raise InputError(f"ambiguous header: {shown} all match column '{column}'",
                         opened.path, 1)
    bound: dict[str, str | None] = {c: (f"c{binding.index[c]}" if c in binding.index else None)
                                    for c in columns}
    ignored = {semantics.fold(c.column) for cw in versions for c in cw.ignored_columns or []}
    read = {semantics.fold(c) for c in columns} | ignored
    unknown = [h for h in opened.header if semantics.fold(h) not in read]
    del ReferenceMapper
    return bound, list(binding.absent), unknown


def map_export(con: Any, versions: Sequence[Crosswalk], vocab: Vocabulary, path: Path,
               delivered: date | None = None, delimiter: str | None = None,
               source_file: str | None = None, max_examples: int = 5) -> Mapped:
    """Open ``path``, compile its source's crosswalks for its columns, and map it: the records
    are left in the connection as table ``records``."""
    ordered = sorted(versions, key=lambda cw: cw.valid_from)
    fixed = choose_fixed(ordered, delivered)
    contract = ordered[0].export
    opened = open_export(con, path, delimiter or (contract.delimiter if contract else None),
                         contract.encoding if contract else None,
                         str(contract.file_format) if contract and contract.file_format
                         else None)
    binding, absent, unknown = bind(ordered, opened)
    plan = compile_source(ordered, vocab, binding, fixed, source_file or str(path))
    load_tables(con, plan.tables)
    con.execute("CREATE OR REPLACE TEMP TABLE records AS " + dialects.render(plan.records))
    versions_used = dict(con.execute("SELECT crosswalk_version, COUNT(*) FROM records "
                                     "GROUP BY crosswalk_version").fetchall())
    con.execute("CREATE OR REPLACE TEMP TABLE problems AS " + dialects.render(plan.problems))
    problems = [
        Problem(kind, plan.problem_columns[col] if col >= 0 else None, code, int(count),
                [int(r) for r in rows])
        for kind, col, code, count, rows in con.execute(
            "SELECT kind, col, code, COUNT(*), LIST_SLICE(LIST_SORT(LIST(DISTINCT __row)), 1, ?) "
            "FROM (SELECT DISTINCT __row, kind, col, code FROM problems) "
            "GROUP BY kind, col, code ORDER BY MIN(__row), kind, col, code",
            [max_examples]).fetchall()]
    records = int(con.execute("SELECT COUNT(*) FROM records").fetchone()[0])
    return Mapped(opened, plan, {str(k): int(v) for k, v in versions_used.items()}, problems,
                  absent, unknown, records)
