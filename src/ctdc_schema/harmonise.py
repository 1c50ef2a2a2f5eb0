"""Validate and harmonise partner exports: the library behind ``ctdc validate EXPORT`` and
``ctdc transform``. Both return a :class:`~ctdc_schema.findings.Report` and never print.

Each delivery (an export file of one source, see :mod:`ctdc_schema.deliveries`) is read with the
crosswalk versions of its source, the version chosen per record by its registration date or
once per delivery by the delivery's date, as the source's ``window_axis`` says. Engines:

* ``duckdb`` (default): the compiled plan (:mod:`ctdc_schema.engine`) on embedded DuckDB,
  streaming from file to file;
* ``spark``: the same plan rendered for Apache Spark (optional extra ``spark``), for data that
  outgrow one machine;
* ``reference``: the row-at-a-time reference mapper, the oracle the others are tested against
  (slow; JSON Lines output only).

What did not fit is reported as DX findings (:mod:`ctdc_schema.rules.data`). ``transform``
writes nothing when an export has errors, unless ``allow_errors``: then the rows with a problem
are left out of the records and listed, with their finding codes, in a side file
``<output>.rejected.csv``.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdc_schema import atomic, vocabulary
from ctdc_schema.datamodel.crosswalk import Crosswalk
from ctdc_schema.deliveries import Delivery
from ctdc_schema.errors import UsageError, excerpt
from ctdc_schema.findings import Finding, Report, Severity
from ctdc_schema.rules import data

ENGINES = ("duckdb", "spark", "reference")
#: how many first rows a data finding lists
DEFAULT_EXAMPLES = 5


def shown_path(path: Path) -> str:
    """An export's path as reports and provenance show it: relative to the working directory
    (even when that leads up a folder), so that no machine's absolute paths land in the
    harmonised records."""
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def crosswalks_by_source(paths: Sequence[Path] | None = None,
                         wanted: set[str] | None = None) -> dict[str, list[Crosswalk]]:
    """Crosswalk versions in force (bundled, or under ``paths``) per source folder, superseded
    ones left out; only the sources in ``wanted`` are read when it is given."""
    from ctdc_schema.crosswalk import loader
    from ctdc_schema.crosswalk.semantics import in_force

    grouped: dict[str, list[Crosswalk]] = defaultdict(list)
    for crosswalk in loader.load_valid(paths, wanted):
        grouped[crosswalk.source_folder].append(crosswalk.model)
    return {source: in_force(versions) for source, versions in grouped.items()}


def _versions(deliveries: Sequence[Delivery],
              crosswalks: Sequence[Path] | None) -> dict[str, list[Crosswalk]]:
    wanted = {d.source for d in deliveries}
    found = crosswalks_by_source(crosswalks, wanted)
    for source in sorted(wanted - set(found)):
        known = ", ".join(sorted(crosswalks_by_source(crosswalks))) or "none"
        raise UsageError(f"no crosswalk for source '{source}' (known: {known})")
    return found


@dataclass
class Mapped:
    """One delivery read by an engine: its figures and findings (plain data)."""

    delivery: Delivery
    shown: str  # the path as the user sees it
    rows: int
    versions: dict[str | None, int]
    findings: list[Finding] = field(default_factory=list)
    problem_rows: int = 0
    records: int = 0

    @property
    def errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def summary(self) -> dict[str, Any]:
        return {"file": self.shown, "source": self.delivery.source, "rows": self.rows,
                "records": self.records,
                "versions": {str(v): n for v, n in sorted(self.versions.items(),
                                                          key=lambda i: str(i[0]))
                             if v is not None},
                "rows_with_problems": self.problem_rows}


class _Run:
    """Deliveries mapped by one engine, one private DuckDB connection each (the reader, and on
    Spark the summary of problems), kept open until the delivery is written."""

    def __init__(self, engine: str, schema: Path | str | None, max_examples: int,
                 writes: bool = True) -> None:
        self.engine = engine
        self.writes = writes  # records will be read again: read a small file into memory
        self.vocab = vocabulary.load(schema)
        self.schema = schema
        self.max_examples = max_examples
        self.stack = ExitStack()
        self.scratch = Path(self.stack.enter_context(tempfile.TemporaryDirectory(
            prefix="ctdc-")))
        self.spark: Any = None
        if engine == "spark":
            from ctdc_schema.engine import spark_engine

            self.spark = spark_engine.session()

    def map(self, delivery: Delivery, versions: Sequence[Crosswalk]) -> tuple[Mapped, Any]:
        """The delivery's figures and findings, and the engine's handle to write it."""
        from ctdc_schema.engine import duckdb_engine

        con = duckdb_engine.connect(temp_directory=self.scratch / "spill")
        shown = shown_path(delivery.path)
        records = None
        try:
            if self.spark is not None:
                from ctdc_schema.engine import spark_engine

                result, records = spark_engine.map_export(
                    self.spark, con, versions, self.vocab, delivery.path, self.scratch,
                    delivery.delivered, delivery.delimiter, shown, self.max_examples,
                    self.schema)
            else:
                result = duckdb_engine.map_export(
                    con, versions, self.vocab, delivery.path, delivery.delivered,
                    delivery.delimiter, shown, self.max_examples, self.schema, self.writes)
        except BaseException:
            con.close()
            raise
        opened = result.opened
        mapped = Mapped(delivery, shown, opened.rows + len(opened.rejected),
                        result.versions, problem_rows=result.problem_rows,
                        records=result.records)
        mapped.findings = list(data.findings(
            shown, absent=result.absent, unknown=result.unknown,
            rejected=[(r.row, r.message) for r in opened.rejected], rows=opened.rows,
            problems=result.problems))
        return mapped, (con, result, records)

    def write(self, handle: Any, target: Path, fmt: str, partition_by: Sequence[str]) -> None:
        """One delivery's records straight to the output (DuckDB only)."""
        from ctdc_schema.engine import duckdb_engine, outputs

        con, result, _ = handle
        columns = result.plan.outputs
        query = duckdb_engine.records_query(result)
        outputs.copy(con, f"SELECT {outputs.projection(fmt, columns)} FROM ({query}) r",
                     target, fmt, outputs.partition_columns(partition_by, columns))

    def write_part(self, handle: Any, name: str) -> Path:
        """One delivery's records as a Parquet part, in file order."""
        from ctdc_schema.engine import duckdb_engine, outputs

        con, result, records = handle
        if records is not None:
            from ctdc_schema.engine import spark_engine

            return spark_engine.write_part(con, records, self.scratch, name)
        part = self.scratch / f"{name}.parquet"
        outputs.copy(con, duckdb_engine.records_query(result), part, "parquet")
        return part

    @staticmethod
    def release(handle: Any) -> None:
        handle[0].close()

    def close(self) -> None:
        self.stack.close()


def _report(runs: Sequence[Mapped]) -> Report:
    report = Report()
    for run in runs:
        report.files.append(run.shown)
        report.extend(run.findings)
        report.exports.append(run.summary())
    return report


def validate_exports(deliveries: Sequence[Delivery], *, schema: Path | str | None = None,
                     crosswalks: Sequence[Path] | None = None,
                     max_examples: int = DEFAULT_EXAMPLES, engine: str = "duckdb") -> Report:
    """Check each delivery against its source's crosswalks: DX findings, no output."""
    _check_engine(engine)
    by_source = _versions(deliveries, crosswalks)
    if engine == "reference":
        return _report([_reference(d, by_source[d.source], schema, max_examples)[0]
                        for d in deliveries])
    run = _Run(engine, schema, max_examples, writes=False)
    try:
        found = []
        for delivery in deliveries:
            mapped, handle = run.map(delivery, by_source[delivery.source])
            run.release(handle)
            found.append(mapped)
        return _report(found)
    finally:
        run.close()


def validate_export(path: Path, source: str, **options: Any) -> Report:
    """:func:`validate_exports` for one file."""
    delivered = options.pop("delivered", None)
    delimiter = options.pop("delimiter", None)
    return validate_exports([Delivery(path, source, delivered, delimiter)], **options)


def transform(deliveries: Sequence[Delivery], output: Path, *,
              output_format: str | None = None, layout: str | None = None,
              partition_by: Sequence[str] = (), allow_errors: bool = False,
              engine: str = "duckdb", schema: Path | str | None = None,
              crosswalks: Sequence[Path] | None = None,
              max_examples: int = DEFAULT_EXAMPLES) -> Report:
    """Harmonise the deliveries into one dataset at ``output``; the report holds the findings
    and, per delivery, the records written (``report.exports``)."""
    from ctdc_schema.engine import outputs

    _check_engine(engine)
    fmt = outputs.output_format(output, output_format)
    if layout is not None:
        from ctdc_schema import layouts

        layouts.get(layout)
        if partition_by:
            raise UsageError("--layout and --partition-by cannot be combined")
    outputs.check_target(output, bool(partition_by))
    atomic.refuse_overwrite(output, [d.path for d in deliveries], bool(partition_by))
    for delivery in deliveries:  # a partitioned output replaces its folder whole
        if partition_by and Path(os.path.realpath(delivery.path)).is_relative_to(
                os.path.realpath(output)):
            raise UsageError(f"-o {output} holds {delivery.path}, which is being read")
    by_source = _versions(deliveries, crosswalks)
    if engine == "reference":
        return _transform_reference(deliveries, by_source, output, fmt, layout, partition_by,
                                    allow_errors, schema, max_examples)
    run = _Run(engine, schema, max_examples)
    runs: list[Mapped] = []
    rejected: list[list[str]] = []
    try:
        parts: list[Path] = []
        columns = None
        direct = len(deliveries) == 1 and layout is None and engine == "duckdb"
        for index, delivery in enumerate(deliveries):
            mapped, handle = run.map(delivery, by_source[delivery.source])
            runs.append(mapped)
            try:
                if any(r.errors for r in runs) and not allow_errors:
                    continue  # nothing will be written: keep checking the others
                rejected.extend(_rejected_rows(handle[0], mapped, handle[1]))
                columns = handle[1].plan.outputs
                if direct:
                    with outputs.staged(output, bool(partition_by)) as target:
                        run.write(handle, target, fmt, partition_by)
                else:
                    parts.append(run.write_part(handle, f"part-{index}"))
            finally:
                run.release(handle)
        if any(r.errors for r in runs) and not allow_errors:
            for mapped in runs:
                mapped.records = 0
            return _report(runs)
        if not direct and columns is not None:
            _combine(parts, columns, output, fmt, layout, partition_by)
        if rejected:
            _write_rejected(output, rejected)
        return _report(runs)
    finally:
        run.close()


def _combine(parts: Sequence[Path], columns: Any, output: Path, fmt: str,
             layout: str | None, partition_by: Sequence[str]) -> None:
    """The records of every delivery, in delivery order, as one output."""
    from ctdc_schema.engine import duckdb_engine, outputs

    con = duckdb_engine.connect()
    try:
        files = [str(p) for p in parts]
        source = "(SELECT * FROM read_parquet(?))"
        if layout is not None:
            from ctdc_schema import layouts

            with outputs.staged(output) as target:
                layouts.get(layout).write(con, source, [files], target)
            return
        targets = outputs.partition_columns(partition_by, columns)
        with outputs.staged(output, bool(partition_by)) as target:
            outputs.copy(con, f"SELECT {outputs.projection(fmt, columns, cast=True)} "
                              f"FROM {source} r", target, fmt, targets, [files])
    finally:
        con.close()


def _rejected_rows(con: Any, mapped: Mapped, result: Any) -> Iterator[list[str]]:
    """Side-file rows: every row left out of the records, with its finding codes."""
    for finding in mapped.findings:
        if finding.code == data.UNREADABLE_ROW.code:
            yield [mapped.shown, str(finding.line), finding.code, "", finding.message]
    if not result.problem_rows:
        return
    plan = result.plan
    cursor = con.execute("SELECT __row, items FROM problem_rows ORDER BY __row")
    while batch := cursor.fetchmany(10_000):
        for row, items in batch:
            for item in sorted(items):
                kind, col, code = str(item).split(":", 2)
                column = plan.problem_columns[int(col)] if int(col) >= 0 else ""
                yield [mapped.shown, str(row), data.KINDS[kind].code, column,
                       excerpt(code, 80)]


def _write_rejected(output: Path, rows: Sequence[Sequence[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    from ctdc_schema.engine.outputs import neutral

    writer.writerow(["file", "row", "finding", "column", "value"])
    writer.writerows([neutral(cell) for cell in row] for row in rows)
    atomic.write_text(rejected_path(output), buffer.getvalue())


def rejected_path(output: Path) -> Path:
    """Where ``transform --allow-errors`` lists the rows it left out."""
    return output.with_name(output.name + ".rejected.csv")


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not '{engine}'")


# -- the reference engine ---------------------------------------------------------------------

def _reference(delivery: Delivery, versions: Sequence[Crosswalk],
               schema: Path | str | None, max_examples: int) -> tuple[Mapped, list[Any]]:
    """One delivery through the reference mapper, reported like the engines report it."""
    from ctdc_schema.crosswalk.mapper import ReferenceMapper, map_file

    vocab = vocabulary.load(schema)
    shown = shown_path(delivery.path)
    result = map_file(ReferenceMapper(versions, vocab, delivery.delivered), delivery.path,
                      delivery.delimiter, shown)
    grouped: dict[tuple[str, str | None, str | None], list[int]] = {}
    for issue in result.issues:
        if issue.kind != "column":
            grouped.setdefault((issue.kind, issue.column, issue.code), []).append(issue.row)
    problems = sorted(
        (data.Problem(kind, column, code, len(set(rows)), sorted(set(rows))[:max_examples])
         for (kind, column, code), rows in grouped.items()),
        key=lambda p: (p.rows[0], p.kind, p.column or "", p.code or ""))
    bad = {issue.row for issue in result.issues if issue.kind != "column"}
    counts: dict[str | None, int] = {str(v): n for v, n in result.versions.items()}
    mapped = Mapped(delivery, shown, result.rows, counts,
                    problem_rows=len(bad))
    mapped.findings = list(data.findings(shown, absent=result.absent_columns,
                                         unknown=result.unknown_columns, rows=result.rows,
                                         problems=problems))
    kept = [record for record in result.records if record.get("source_row") not in bad]
    mapped.records = len(kept)
    return mapped, kept


def _transform_reference(deliveries: Sequence[Delivery],
                         by_source: dict[str, list[Crosswalk]], output: Path, fmt: str,
                         layout: str | None, partition_by: Sequence[str],
                         allow_errors: bool, schema: Path | str | None,
                         max_examples: int) -> Report:
    import json

    if fmt != "jsonl" or layout is not None or partition_by:
        raise UsageError("--engine reference writes JSON Lines only (-o FILE.jsonl)")
    runs, records = [], []
    for delivery in deliveries:
        mapped, kept = _reference(delivery, by_source[delivery.source], schema, max_examples)
        runs.append(mapped)
        records.extend(kept)
    if any(r.errors for r in runs) and not allow_errors:
        return _report(runs)
    atomic.write_text(output, "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                      for r in records))
    return _report(runs)


def explain(delivery: Delivery, dialect: str = "duckdb", *, schema: Path | str | None = None,
            crosswalks: Sequence[Path] | None = None) -> str:
    """The compiled plan of one delivery as SQL for ``dialect``, statement by statement, with
    the lookup tables it loads (their rows are data, listed by size only)."""
    from ctdc_schema.engine import dialects, duckdb_engine, readers
    from ctdc_schema.engine.plan import compile_source

    if dialect not in dialects.DIALECTS:
        raise UsageError(f"--dialect must be one of {', '.join(dialects.DIALECTS)}")
    versions = sorted(_versions([delivery], crosswalks)[delivery.source],
                      key=lambda cw: cw.valid_from)
    vocab = vocabulary.load(schema)
    con = duckdb_engine.connect()
    try:
        contract = versions[0].export
        opened = readers.open_with_contract(con, delivery.path, contract, delivery.delimiter)
        binding, _, _ = duckdb_engine.bind(versions, opened)
        fixed = duckdb_engine.choose_fixed(versions, delivery.delivered)
        plan = compile_source(versions, vocab, binding, fixed, shown_path(delivery.path))
    finally:
        con.close()
    lines = [f"-- plan of {shown_path(delivery.path)} ({delivery.source}, versions "
             f"{', '.join(plan.versions)}), {dialect} dialect",
             "-- input columns: " + ", ".join(
                 f"c{i} = {excerpt(name)}" for i, name in enumerate(opened.header)),
             "-- lookup tables (loaded as data): " + ", ".join(
                 f"{t.name} ({len(t.rows)} rows)" for t in plan.tables), ""]
    for name, sql in plan.statements(dialect):
        lines += [f"-- {name}", sql.rstrip() + ";", ""]
    return "\n".join(lines)
