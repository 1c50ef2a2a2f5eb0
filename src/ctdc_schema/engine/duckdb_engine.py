"""Run compiled plans on DuckDB, embedded: open the export, load the lookup tables, map.

One export is mapped on one private connection in the steps of :class:`~.plan.Plan`: a first
scan that keeps the distinct cells (table ``g``), the problem items found from ``g`` alone, the
rows concerned (table ``problem_rows``, only when there are problems), and the records, which
stream from the file to the output without being held. Memory is bounded by DuckDB's
``memory_limit`` (operators spill to a temporary directory), not by the size of the input.
Lookup tables are loaded from Python values with prepared statements; the only SQL text is the
plan's, rendered from its AST, and a few fixed statements here.
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
from ctdc_schema.engine import dialects, readers
from ctdc_schema.engine.plan import PROBLEM_ROWS, LookupTable, Plan, Step, compile_source
from ctdc_schema.engine.readers import Opened
from ctdc_schema.errors import InputError, UsageError, excerpt
from ctdc_schema.rules.data import Problem
from ctdc_schema.vocabulary import Vocabulary

#: memory DuckDB may use before it spills to disk (CTDC_MEMORY_LIMIT overrides)
DEFAULT_MEMORY_LIMIT = "1GB"
#: threads DuckDB may use (CTDC_THREADS overrides; default: DuckDB's, the machine's cores)
THREADS_ENV = "CTDC_THREADS"
#: the most first rows a problem lists
MAX_EXAMPLES = 10_000


def connect(memory_limit: str | None = None, temp_directory: Path | None = None) -> Any:
    """A private in-memory DuckDB connection with bounded memory and no extension loading
    from the network."""
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit or os.environ.get("CTDC_MEMORY_LIMIT")
        or DEFAULT_MEMORY_LIMIT,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if os.environ.get(THREADS_ENV):
        config["threads"] = int(os.environ[THREADS_ENV])
    con = duckdb.connect(":memory:", config=config)
    # The plan writes every join of the rows as `rows LEFT JOIN small table`, in the order
    # that streams: the small side is the hash table, the rows are probed in file order.
    # DuckDB's estimates of a view over a CSV file are poor enough that it sometimes turns
    # that around (hashing a million rows to probe a hundred), so its reordering is off.
    con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    # reports go to stdout (JSON, SARIF ...): DuckDB must not draw its progress bar there
    con.execute("SET enable_progress_bar = false")
    if temp_directory is not None:
        con.execute("SET temp_directory = ?", [str(temp_directory)])
    return con


def load_tables(con: Any, tables: Sequence[LookupTable]) -> None:
    """Create each lookup table and fill it with its rows (values travel as parameters)."""
    for table in tables:
        columns = ", ".join(f"{name} {sql_type}" for name, sql_type in table.columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table.name} ({columns})")
        if table.rows:
            # one statement per table: each column travels as one list parameter
            columns_of = [list(column) for column in zip(*table.rows, strict=True)]
            unnest = ", ".join(f"UNNEST(CAST(? AS {sql_type}[]))"
                               for _, sql_type in table.columns)
            con.execute(f"INSERT INTO {table.name} SELECT {unnest}", columns_of)


@dataclass
class Mapped:
    """One export mapped on a connection: what was read, what did not fit, and the plan whose
    ``records`` query (still to run) writes the records."""

    source: str
    opened: Opened
    plan: Plan
    #: rows per crosswalk version (rows no version applies to under None)
    versions: dict[str | None, int]
    problems: list[Problem]
    #: crosswalk columns the export lacks, and export columns nobody reads or ignores
    absent: list[str]
    unknown: list[str]
    #: rows left out of the records because of a problem
    problem_rows: int = 0
    #: (slot, value) -> why the vocabulary's JSON Schema rejects it
    invalid: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def records(self) -> int:
        """Records the ``records`` query yields: rows read, less rows with a problem."""
        return self.opened.rows - self.problem_rows


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
    columns: dict[str, None] = {}
    for cw in versions:
        for column in semantics.read_columns(cw):
            columns.setdefault(column)
    binding = semantics.bind_header(opened.header, columns)
    if binding.ambiguous:
        column, cells = next(iter(binding.ambiguous.items()))
        shown = ", ".join(f"'{excerpt(c)}'" for c in cells)
        raise InputError(f"ambiguous header: {shown} all match column "
                         f"'{excerpt(column)}'", opened.path, 1)
    bound: dict[str, str | None] = {c: (f"c{binding.index[c]}" if c in binding.index else None)
                                    for c in columns}
    ignored = {semantics.fold(c.column) for cw in versions for c in cw.ignored_columns or []}
    read = {semantics.fold(c) for c in columns} | ignored
    unknown = [h for h in opened.header if semantics.fold(h) not in read]
    return bound, list(binding.absent), unknown


def run_sql(con: Any, tree: Any) -> Any:
    return con.execute(dialects.render(tree))


def define(con: Any, steps: Sequence[Step]) -> None:
    """Create the plan's relations: small tables computed once, views otherwise."""
    for step in steps:
        kind = "TABLE" if step.kind == "table" else "VIEW"
        con.execute(f"CREATE OR REPLACE TEMP {kind} {step.name} AS "
                    + dialects.render(step.query))


def map_export(con: Any, versions: Sequence[Crosswalk], vocab: Vocabulary, path: Path,
               delivered: date | None = None, delimiter: str | None = None,
               source_file: str | None = None, max_examples: int = 5,
               schema: Path | str | None = None, materialize: bool = True) -> Mapped:
    """Open ``path``, compile its source's crosswalks for its columns, scan it and find what
    does not fit. The records are not produced yet: :func:`write_records` (or a query of
    ``records_query(mapped)``) streams them."""
    ordered = sorted(versions, key=lambda cw: cw.valid_from)
    fixed = choose_fixed(ordered, delivered)
    contract = ordered[0].export
    opened = readers.open_with_contract(con, path, contract, delimiter, materialize)
    binding, absent, unknown = bind(ordered, opened)
    plan = compile_source(ordered, vocab, binding, fixed, source_file or str(path))
    load_tables(con, plan.tables)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE g AS " + dialects.render(plan.keys))
    except InputError:
        raise
    except Exception as exc:  # the file changed under us, or a read DuckDB cannot do
        message = excerpt(" ".join(str(exc).split()), 160)
        raise InputError(f"cannot read the file: {message}", path) from None
    total = sum(int(n) for (n,) in run_sql(con, plan.total).fetchall())
    readers.finish(con, opened, total)
    define(con, plan.steps)
    invalid = check_values(con, plan, vocab, schema)
    counts = {(str(v) if v is not None else None): int(n)
              for v, n in run_sql(con, plan.version_counts).fetchall()}
    mapped = Mapped(ordered[0].source, opened, plan, counts, [], absent, unknown,
                    invalid=invalid)
    parts = sorted({int(part) for part, *_ in run_sql(con, plan.problem_keys).fetchall()})
    if parts:
        define(con, [plan.problem_steps[j] for j in parts])
        con.execute(f"CREATE OR REPLACE TEMP TABLE {PROBLEM_ROWS} AS "
                    + dialects.render(plan.problem_rows(parts)))
        mapped.problems = summarise(con, plan, max_examples, invalid)
        (mapped.problem_rows,) = con.execute(f"SELECT COUNT(*) FROM {PROBLEM_ROWS}").fetchone()
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {PROBLEM_ROWS} "
                    "(__row BIGINT, items VARCHAR[])")
    return mapped


def check_values(con: Any, plan: Plan, vocab: Vocabulary,
                 schema: Path | str | None = None) -> dict[tuple[str, str], str]:
    """Validate the distinct values of every slot against the JSON Schema
    (:mod:`.conformance`); list the bad ones in ``t_invalid`` so that the problem queries
    find their rows."""
    from ctdc_schema.engine import conformance

    found: dict[tuple[str, str], str] = {}
    for slot, query in plan.value_checks:
        values = [str(value) for (value,) in run_sql(con, query).fetchall() if value is not None]
        for value, reason in conformance.invalid_values(vocab, slot, values, schema).items():
            found[(slot, value)] = reason
    if found:
        con.executemany("INSERT INTO t_invalid VALUES (?, ?)", list(found))
    return found


def summarise(con: Any, plan: Plan, max_examples: int,
              invalid: dict[tuple[str, str], str]) -> list[Problem]:
    """Problems per (kind, column, code): exact row counts and the first row numbers."""
    problems = []
    for item, count, first in con.execute(
            "SELECT item, COUNT(*), MIN(__row, ?) FROM (SELECT DISTINCT __row, "
            f"UNNEST(items) AS item FROM {PROBLEM_ROWS}) GROUP BY item "
            "ORDER BY MIN(__row), item", [min(max(max_examples, 1), MAX_EXAMPLES)]).fetchall():
        kind, col, code = str(item).split(":", 2)
        column = plan.problem_columns[int(col)] if int(col) >= 0 else None
        problems.append(Problem(kind, column, code, int(count),
                                sorted(int(r) for r in first)[:max_examples],
                                invalid.get((column or "", code), "")))
    return problems


def records_query(mapped: Mapped) -> str:
    """The records without the internal row number, in vocabulary slot order (the rows with
    a problem left out)."""
    tree = mapped.plan.records_excluding if mapped.problem_rows else mapped.plan.records
    return f"SELECT * EXCLUDE (__row) FROM ({dialects.render(tree)})"
