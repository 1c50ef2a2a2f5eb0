"""Run compiled plans on Apache Spark: the same plan, rendered for Spark SQL.

For users whose exports outgrow one machine. The export is read by the same strict reader as
on DuckDB (:mod:`.readers`: explicit dialect, rejected rows kept, row numbers, counts
reconciled) and handed to Spark as Parquet; every step of the plan then runs as Spark SQL
(:func:`.dialects.render` mends what sqlglot's Spark rendering lacks): the scans that grow
with the rows run on Spark, the small tables computed from the distinct cells on DuckDB, and
Spark broadcasts them; the records come back as Parquet, which DuckDB assembles into the
requested output. The problems are summarised exactly as on DuckDB, from
the same ``problem_rows`` relation.

The session is local (``local[*]``) unless ``CTDC_SPARK_MASTER`` names a master
(``spark://host:7077``, ``yarn``) or ``SPARK_REMOTE`` a Spark Connect server
(``sc://host:15002``). One session serves a whole run (starting one takes tens of seconds).
Measured here, local mode is several times slower than DuckDB at 10^6 rows on 2 cores: Spark
pays off on a cluster, not on a laptop (``bench/`` has the figures).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from ctdc_schema.datamodel.crosswalk import Crosswalk
from ctdc_schema.engine import dialects, duckdb_engine, readers
from ctdc_schema.engine.duckdb_engine import Mapped
from ctdc_schema.engine.plan import PROBLEM_ROWS, LookupTable, compile_source
from ctdc_schema.errors import UsageError
from ctdc_schema.vocabulary import Vocabulary

#: SQL types of the lookup tables -> Spark DDL
SPARK_TYPES = {"VARCHAR": "STRING", "INTEGER": "INT", "BIGINT": "BIGINT",
               "BOOLEAN": "BOOLEAN", "VARCHAR[]": "ARRAY<STRING>"}


@cache
def session() -> Any:
    """The Spark session of this process (local unless configured otherwise)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("--engine spark needs pyspark: pip install 'ctdc-schema[spark]'") \
            from None
    builder = SparkSession.builder.appName("ctdc-schema")
    remote = os.environ.get("SPARK_REMOTE")
    if remote:
        builder = builder.remote(remote)
    else:
        builder = (builder.master(os.environ.get("CTDC_SPARK_MASTER", "local[*]"))
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.shuffle.partitions",
                           os.environ.get("CTDC_SPARK_PARTITIONS", "8")))
    spark = (builder
             # the plan's semantics are DuckDB's: no ANSI errors on a cast the plan guards
             .config("spark.sql.ansi.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.log.level", "ERROR")
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    if not remote:
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def _sql(spark: Any, query: Any) -> Any:
    return spark.sql(dialects.render(query, "spark"))


def _view(spark: Any, name: str, frame: Any, cached: bool = False) -> None:
    if cached:
        frame = frame.cache()
    frame.createOrReplaceTempView(name)


def load_tables(spark: Any, tables: Sequence[LookupTable]) -> None:
    """The lookup tables as Spark views (small: Spark broadcasts them in joins)."""
    for table in tables:
        ddl = ", ".join(f"{name} {SPARK_TYPES.get(sql_type, 'STRING')}"  # enums are text
                        for name, sql_type in table.columns)
        _view(spark, table.name, spark.createDataFrame(list(table.rows), ddl))


def _ship(spark: Any, con: Any, name: str) -> None:
    """A small DuckDB table as a Spark view (enums travel as text)."""
    columns = con.execute(f"DESCRIBE {name}").fetchall()
    select = ", ".join(
        f"CAST({column} AS VARCHAR{'[]' if str(kind).endswith('[]') else ''}) AS {column}"
        if str(kind).startswith("ENUM") else column for column, kind, *_ in columns)
    table = con.execute(f"SELECT {select} FROM {name}").to_arrow_table()
    _view(spark, name, spark.createDataFrame(table), cached=True)


def map_export(spark: Any, con: Any, versions: Sequence[Crosswalk], vocab: Vocabulary,
               path: Path, scratch: Path, delivered: date | None = None,
               delimiter: str | None = None, source_file: str | None = None,
               max_examples: int = 5, schema: Path | str | None = None) -> tuple[Mapped, Any]:
    """Map one export with Spark doing the work that grows with the rows.

    Spark runs the three statements that read the rows (the grouping scan, the problem rows,
    the records); what lies between, computed from the distinct cells (a few thousand rows),
    runs on DuckDB exactly as in :func:`.duckdb_engine.map_export` and is shipped to Spark as
    small broadcast tables. Returns the :class:`~.duckdb_engine.Mapped` summary (its problems
    in ``con``'s ``problem_rows``) and the records as a Spark DataFrame, with ``__row``."""
    ordered = sorted(versions, key=lambda cw: cw.valid_from)
    fixed = duckdb_engine.choose_fixed(ordered, delivered)
    contract = ordered[0].export
    opened = readers.open_with_contract(con, path, contract, delimiter)
    readers.read_all(con, opened)
    staged = scratch / f"{path.stem}-src.parquet"
    con.execute("COPY (SELECT * FROM src) TO ? (FORMAT parquet)", [str(staged)])
    binding, absent, unknown = duckdb_engine.bind(ordered, opened)
    plan = compile_source(ordered, vocab, binding, fixed, source_file or str(path))
    _view(spark, "src", spark.read.parquet(str(staged)))
    duckdb_engine.load_tables(con, plan.tables)
    load_tables(spark, plan.tables)
    con.register("__spark_g", _sql(spark, plan.keys).toArrow())
    con.execute("CREATE OR REPLACE TEMP TABLE g AS SELECT * FROM __spark_g")
    con.unregister("__spark_g")
    duckdb_engine.define(con, plan.steps)
    invalid = duckdb_engine.check_values(con, plan, vocab, schema)
    counts = {(str(v) if v is not None else None): int(n)
              for v, n in duckdb_engine.run_sql(con, plan.version_counts).fetchall()}
    mapped = Mapped(ordered[0].source, opened, plan, counts, [], absent, unknown,
                    invalid=invalid)
    for step in plan.steps:
        _ship(spark, con, step.name)
    parts = sorted({int(part) for part, *_ in
                    duckdb_engine.run_sql(con, plan.problem_keys).fetchall()})
    if parts:
        duckdb_engine.define(con, [plan.problem_steps[j] for j in parts])
        for j in parts:
            _ship(spark, con, plan.problem_steps[j].name)
        rows = _sql(spark, plan.problem_rows(parts)).cache()
        _view(spark, PROBLEM_ROWS, rows)
        con.register("__spark_problems", rows.toArrow())
        con.execute(f"CREATE OR REPLACE TEMP TABLE {PROBLEM_ROWS} AS "
                    "SELECT * FROM __spark_problems")
        con.unregister("__spark_problems")
        mapped.problems = duckdb_engine.summarise(con, plan, max_examples, invalid)
        (mapped.problem_rows,) = con.execute(f"SELECT COUNT(*) FROM {PROBLEM_ROWS}").fetchone()
    query = plan.records_excluding if mapped.problem_rows else plan.records
    return mapped, _sql(spark, query)


def write_part(con: Any, records: Any, scratch: Path, name: str) -> Path:
    """Spark's records (in Spark's order) as one Parquet file in file order, for DuckDB."""
    folder = scratch / f"{name}.spark"
    records.write.mode("overwrite").parquet(str(folder))
    part = scratch / f"{name}.parquet"
    con.execute("COPY (SELECT * EXCLUDE (__row) FROM read_parquet(?) ORDER BY __row) "
                "TO ? (FORMAT parquet)", [str(folder / "*.parquet"), str(part)])
    return part
