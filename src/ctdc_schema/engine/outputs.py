"""Write harmonised records: Parquet (default), CSV or JSON Lines, one file or Hive partitions.

DuckDB writes every output (``COPY``), so records stream from the export to the file. A
reader never sees half an output: a file is written under a temporary name in its folder and
renamed into place; a partitioned folder is written beside the target and swapped in. Paths
travel as parameters, never as SQL text.

* Parquet keeps the vocabulary's types: enumerated slots are dictionary-encoded strings,
  lists are lists, absence is null;
* CSV writes a list as JSON text (``["a","b"]``; ``[]`` is "known: none", an empty cell is
  absence), so that nothing the vocabulary distinguishes is lost; a text cell that a
  spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return
  first) is written with a leading apostrophe, as spreadsheet users expect;
* JSON Lines writes one object per record with absent slots left out, as the vocabulary's
  JSON Schema expects (``--layout ctdc-public`` writes the CTDC release layout instead, see
  :mod:`ctdc_schema.layouts.ctdc_public`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ctdc_schema.engine.plan import OutputColumn
from ctdc_schema.errors import UsageError

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
#: names --partition-by accepts for the slots a partitioned dataset is usually cut by
PARTITION_ALIASES = {"source": "source_id", "year": "year_of_registration",
                     "version": "crosswalk_version"}


def output_format(path: Path, declared: str | None = None) -> str:
    """The format of an output: ``--format``, else the file's suffix, else Parquet."""
    if declared is not None:
        if declared not in set(FORMATS.values()):
            raise UsageError(f"--format must be parquet, csv or jsonl, not '{declared}'")
        return declared
    return FORMATS.get(path.suffix.lower(), "parquet")


def partition_columns(names: Sequence[str], columns: Sequence[OutputColumn]) -> list[str]:
    """``--partition-by`` names as slots of the record (``source`` and ``year`` accepted)."""
    known = {c.name for c in columns}
    chosen = []
    for name in names:
        slot = PARTITION_ALIASES.get(name, name)
        if slot not in known:
            raise UsageError(f"--partition-by: '{name}' is not a slot of the record (use "
                             "source, year, version or a slot name)")
        chosen.append(slot)
    return chosen


def projection(fmt: str, columns: Sequence[OutputColumn], relation: str = "r",
               cast: bool = False) -> str:
    """The SELECT list that writes ``relation``'s records in ``fmt``. ``cast``: give every
    column its plan type again (records read back from Parquet parts are plain text)."""
    def typed(column: OutputColumn) -> str:
        ref = f"{relation}.{column.name}"
        return f"CAST({ref} AS {column.sql_type})" if cast else ref

    if fmt == "jsonl":
        fields = ", ".join(f"{c.name} := {typed(c)}" for c in columns)
        # a JSON merge patch drops null members: absent slots are left out of the object
        return f"json_merge_patch('{{}}', to_json(struct_pack({fields}))) AS line"
    if fmt == "csv":
        return ", ".join(
            f"CAST(to_json({typed(c)}) AS VARCHAR) AS {c.name}" if c.sql_type.endswith("[]")
            else f"{neutral_sql(typed(c))} AS {c.name}" if c.sql_type == "VARCHAR"
            else f"{typed(c)} AS {c.name}" for c in columns)
    return ", ".join(f"{typed(c)} AS {c.name}" for c in columns)


#: the first characters that make a spreadsheet read a cell as a formula (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet will not run: an apostrophe before a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def neutral_sql(expr: str) -> str:
    """:func:`neutral` in SQL."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    return f"CASE WHEN LEFT({expr}, 1) IN ({starts}) THEN chr(39) || {expr} ELSE {expr} END"


def copy_options(fmt: str, partition_by: Sequence[str] = ()) -> str:
    if fmt == "jsonl":  # one JSON text per line, written as it is
        return "FORMAT csv, HEADER false, QUOTE '', ESCAPE ''"
    if fmt == "csv":
        return "FORMAT csv, HEADER true"
    options = "FORMAT parquet, COMPRESSION zstd"
    if partition_by:
        options += f", PARTITION_BY ({', '.join(partition_by)})"
    return options


def copy(con: Any, query: str, target: Path, fmt: str, partition_by: Sequence[str] = (),
         parameters: Sequence[Any] = ()) -> None:
    """``COPY (query) TO target`` (the target is a parameter)."""
    con.execute(f"COPY ({query}) TO ? ({copy_options(fmt, partition_by)})",
                [*parameters, str(target)])


def check_target(target: Path, partitioned: bool) -> None:
    """An output's folder must exist; a partitioned output is a folder, a file is a file."""
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"cannot write {target}: folder '{parent}' does not exist")
    if partitioned and target.exists() and not target.is_dir():
        raise UsageError(f"--partition-by writes a folder, and {target} is a file")
    if not partitioned and target.is_dir():
        raise UsageError(f"{target} is a folder; give a file name (or --partition-by)")


@contextmanager
def staged(target: Path, partitioned: bool = False) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to; renamed over ``target`` on success,
    removed on failure (an interrupted run leaves the old output, never half of a new one)."""
    check_target(target, partitioned)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    path = tmp / ("out" if partitioned else target.name)
    try:
        yield path
        if partitioned:
            if not path.exists():
                path.mkdir()
            old = None
            if target.exists():
                old = target.with_name(f".{target.name}.{os.getpid()}.old")
                target.replace(old)
            path.replace(target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        else:
            path.chmod(0o644)
            path.replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
