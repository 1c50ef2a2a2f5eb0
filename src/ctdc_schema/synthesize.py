"""``ctdc synthesize``: a differentially private synthetic release of a harmonised dataset, the
way the collaborative has published since 2024.

The method is Microsoft Research's Synthetic Data Showcase, through its own implementation,
``pac-synth`` (``DpAggregateSeededSynthesizer``): noisy counts of every combination of up to
``reporting_length`` attributes are released with (epsilon, delta)-differential privacy, and
synthetic records are sampled from those counts (post-processing, so they carry the same
guarantee). This module prepares the microdata the way the method needs and the vocabulary
allows, runs it, and writes the release:

* the columns are the vocabulary's quasi-identifiers and sensitive slots (the ``disclosure``
  annotation ``ctdc deidentify`` uses), or ``--columns``; direct identifiers never;
* ages are the vocabulary's bands (``age_broad``); a list slot becomes one ``{NULL, 1}`` flag
  per value, as in the CTDC synthetic codebook, plus one flag ``<slot>_none`` for a list known
  to be empty, so that "known none" and "unknown" stay apart (the codebook's coding loses it);
* ``records.parquet`` holds harmonised records that conform to the vocabulary's JSON Schema
  (``deidentification_method: synthetic_differential_privacy``), sorted, so that their order
  says nothing; ``aggregates.csv`` the DP aggregate counts; ``privacy.json`` / ``privacy.md``
  the privacy statement; ``utility.json`` / ``utility.md`` the utility report
  (:mod:`ctdc_schema.utility`).

pac-synth draws its noise from the operating system's randomness (Rust ``thread_rng``) and
takes no seed, so two runs on the same data differ: noise that could be recomputed would
protect nothing, so the command has no ``--seed``. Tests that need a reproducible synthesis
seed the operating system's randomness instead (``tests/seeded/entropy.c``, preloaded, with
``CTDC_THREADS=1``): the same seed then gives the same release, byte for byte.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ctdc_schema import __version__, atomic, vocabulary
from ctdc_schema.deidentify import slots_marked
from ctdc_schema.errors import InputError, UsageError, excerpt
from ctdc_schema.privacy_ledger import Ledger
from ctdc_schema.sqltext import ident
from ctdc_schema.vocabulary import Vocabulary

#: the flag of a list known to be empty (no vocabulary value is called this; checked)
NONE = "none"
#: pac-synth's separator of the values of a list column
SEPARATOR = ";"
#: the fabrication controls pac-synth offers (thresholds on 2-counts and longer, which decide
#: how many combinations absent from the data may be reported; they do not change epsilon)
FABRICATION = ("uncontrolled", "balanced", "progressive", "minimize")
#: how a list slot reaches the method: one {NULL, 1} flag per value (the synthetic codebook's
#: coding), or the whole set of values as one category (better marginals for a slot with few
#: distinct sets: measured on the bundled data, README)
LIST_CODINGS = ("flags", "sets")
DEFAULT_REPORTING_LENGTH = 3
MECHANISM = ("DP aggregate-seeded synthesis (Synthetic Data Showcase, pac-synth): Gaussian "
             "noise on the counts of all attribute combinations up to the reporting length, "
             "record sensitivity bounded by a DP percentile, thresholds against fabricated "
             "combinations, then records sampled from the noisy counts")
#: columns the release writes itself: never synthesised from the data
PROVENANCE = ("vocabulary_version", "deidentification_method", "crosswalk_version", "release")
#: harmonised columns whose value follows from the record's source (the crosswalk header)
PER_SOURCE = ("data_source_type", "contributing_organisation", "unit_of_record",
              "legal_definition")


@dataclass
class Statement:
    """The privacy statement of one synthetic release."""

    epsilon: float
    delta: float
    delta_source: str
    reporting_length: int
    fabrication: str
    list_coding: str
    mechanism: str
    columns: list[str]
    flags: list[str]
    records: int
    date: str
    data: str
    data_sha256: str
    tool: str
    parameters: dict[str, Any]
    ledger: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def markdown(self) -> str:
        lines = [
            "# Privacy statement", "",
            f"These {self.records:,} records are synthetic: sampled from differentially private "
            "counts of attribute combinations, they describe no actual person.", "",
            "| | |", "|---|---|",
            f"| guarantee | ({self.epsilon:g}, {self.delta:.3g})-differential privacy |",
            f"| epsilon | {self.epsilon:g} |",
            f"| delta | {self.delta:.3g} ({self.delta_source}) |",
            f"| reporting length | {self.reporting_length} |",
            f"| fabrication control | {self.fabrication} |",
            f"| list slots coded as | {self.list_coding} |",
            f"| columns | {', '.join(self.columns)} |",
            f"| date | {self.date} |",
            f"| tool | {self.tool} |", "",
            f"Mechanism: {self.mechanism}.", "",
            "The DP aggregate counts (`aggregates.csv`) are released under the same guarantee; "
            "the synthetic records are derived from them only (post-processing). Privacy loss "
            "adds up across releases of the same people: the epsilons of every release count "
            "against one budget.", ""]
        if self.ledger:
            lines += [f"Ledger: {self.ledger['spent']:g} of a budget of "
                      f"{self.ledger['budget']:g} spent on this data after this release "
                      f"({self.ledger['releases']} release(s)).", ""]
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


@dataclass
class SyntheticRelease:
    """What ``synthesize`` wrote."""

    statement: Statement
    utility: dict[str, Any]
    files: list[Path]


def columns_for(vocab: Vocabulary, available: Sequence[str],
                requested: Sequence[str] | None) -> list[str]:
    """The slots to synthesise: ``requested``, or the annotated quasi-identifiers and
    sensitive slots present; never a direct identifier or a column outside the vocabulary."""
    if requested:
        chosen = list(dict.fromkeys(requested))
        for slot in chosen:
            info = vocab.slots.get(slot)
            if info is None or slot not in available:
                raise UsageError(f"--columns: '{slot}' is not a column of the data and a slot "
                                 "of the vocabulary")
            if info.annotations.get("disclosure") == "direct_identifier":
                raise UsageError(f"--columns: '{slot}' is a direct identifier; it is never "
                                 "released")
            if slot in PROVENANCE:
                raise UsageError(f"--columns: '{slot}' describes the release, not the person; "
                                 "the release writes its own")
    else:
        chosen = [s for s in [*slots_marked(vocab, "quasi_identifier"),
                              *slots_marked(vocab, "sensitive")] if s in available]
    if not chosen:
        raise UsageError("no columns to synthesise: the data holds none of the vocabulary's "
                         "quasi-identifiers or sensitive slots (give --columns)")
    for slot in chosen:
        info = vocab.slots[slot]
        if info.multivalued and info.enum and NONE in vocab.enum_values(info.enum):
            raise UsageError(f"slot {slot} has a value called '{NONE}', which the synthetic "
                             "coding reserves for a list known to be empty")
    return chosen


def microdata_sql(vocab: Vocabulary, columns: Sequence[str]) -> str:
    """SELECT list that turns harmonised records (view ``records``) into the method's
    microdata: every cell text, absence empty, a list as its values joined by ``;`` (in
    vocabulary order once :func:`clean_rows` has seen them) or ``none`` when known to be
    empty."""
    selects = []
    for slot in columns:
        quoted = ident(slot)
        if vocab.slots[slot].multivalued:
            selects.append(
                f"CASE WHEN {quoted} IS NULL THEN '' WHEN len({quoted}) = 0 THEN '{NONE}' "
                f"ELSE array_to_string(list_sort(list_distinct(CAST({quoted} AS VARCHAR[]))), "
                f"'{SEPARATOR}') END AS {quoted}")
        else:
            selects.append(f"coalesce(CAST({quoted} AS VARCHAR), '') AS {quoted}")
    return ", ".join(selects)


def microdata(con: Any, vocab: Vocabulary, columns: Sequence[str],
              data: Path | None = None) -> Counter[tuple[str, ...]]:
    """The distinct microdata rows of the view ``records`` (read from ``data``) with their
    counts."""
    rows = con.execute(f"SELECT {microdata_sql(vocab, columns)}, count(*) FROM records "
                       "GROUP BY ALL").fetchall()
    found: Counter[tuple[str, ...]] = Counter()
    for key, count in zip(clean_rows(vocab, columns, [r[:-1] for r in rows]), rows,
                          strict=True):
        found[key] += int(count[-1])  # lists in vocabulary order, as the synthetic ones
    single = [i for i, slot in enumerate(columns) if not vocab.slots[slot].multivalued]
    for row in found:  # the aggregates join a combination's attributes with ";"
        for i in single:
            if SEPARATOR in row[i]:
                raise InputError(f"column {columns[i]} holds a value with '{SEPARATOR}' "
                                 f"({excerpt(row[i])}), which the DP aggregates use between "
                                 "attributes: harmonise the data with `ctdc transform`", data)
    return found


def _parameters(epsilon: float, delta: float | None, reporting_length: int,
                fabrication: str) -> Any:
    import pacsynth

    builder = pacsynth.DpAggregateSeededParametersBuilder() \
        .epsilon(epsilon).reporting_length(reporting_length) \
        .fabrication_mode(getattr(pacsynth.FabricationMode, fabrication)())
    if delta is not None:
        builder = builder.delta(delta)
    return builder.build()


def run_method(rows: Counter[tuple[str, ...]], vocab: Vocabulary, columns: Sequence[str],
               lists: Sequence[str], epsilon: float, delta: float | None,
               reporting_length: int, fabrication: str
               ) -> tuple[Counter[tuple[str, ...]], dict[str, int], int, Any]:
    """pac-synth on the microdata: (the synthetic rows, distinct and counted, in the microdata
    coding; the DP aggregates; the DP number of records; the parameters used). Rows are handed
    over by reference (one list per distinct row) and taken back counted, so that 10^6 records
    cost their distinct rows, not 10^6 copies."""
    import pacsynth

    from ctdc_schema.engine.duckdb_engine import THREADS_ENV

    if os.environ.get(THREADS_ENV, "").isdigit():  # the engine's thread bound, for pac-synth too
        pacsynth.set_number_of_threads(max(1, int(os.environ[THREADS_ENV])))
    raw: list[list[str]] = [list(columns)]
    for row, count in sorted(rows.items()):
        shared = list(row)
        raw.extend([shared] * count)
    single = [c for c in columns if c not in lists]
    dataset = pacsynth.Dataset(raw, multi_value_columns={c: SEPARATOR for c in lists},
                               sensitive_zeros=single)
    del raw
    parameters = _parameters(epsilon, delta, reporting_length, fabrication)
    synthesizer = pacsynth.DpAggregateSeededSynthesizer(parameters)
    with _rust_stderr_silenced():
        synthesizer.fit(dataset)
    del dataset
    protected = int(synthesizer.get_dp_number_of_records())
    aggregates = {str(k): int(v) for k, v in synthesizer.get_dp_aggregates(SEPARATOR).items()}
    with _rust_stderr_silenced():
        sampled = synthesizer.sample(protected, join_multi_value_columns=True)
    order = [sampled[0].index(c) for c in columns]
    counted = Counter(tuple(record[i] for i in order) for record in itertools.islice(
        sampled, 1, None))
    del sampled
    synthetic: Counter[tuple[str, ...]] = Counter()
    for key, count in zip(clean_rows(vocab, columns, list(counted)), counted.values(),
                          strict=True):
        synthetic[key] += count
    return synthetic, aggregates, protected, parameters


@contextlib.contextmanager
def _rust_stderr_silenced() -> Iterator[None]:
    """Standard error (the file descriptor) sent nowhere while pac-synth runs: a Rust panic
    prints its message and a backtrace there before Python sees the exception, and a user
    gets the one-line error made from that exception instead."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as sink:  # noqa: PTH123
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _clean_list(cell: str, order: dict[str, int]) -> str:
    """A sampled list cell in the microdata coding: its values in vocabulary order; a
    ``none`` flag sampled beside values is dropped (the values are what is known)."""
    if not cell:
        return ""
    values = [v for v in dict.fromkeys(cell.split(SEPARATOR)) if v]
    if len(values) > 1 and NONE in values:
        values.remove(NONE)
    return SEPARATOR.join(sorted(values, key=lambda v: (order.get(v, len(order)), v)))


def clean_rows(vocab: Vocabulary, columns: Sequence[str], rows: Sequence[Sequence[str]]
               ) -> list[tuple[str, ...]]:
    """Sampled rows in the microdata coding (:func:`microdata_sql`): list cells in vocabulary
    order, a ``none`` beside values dropped."""
    orders = {c: {v: i for i, v in enumerate(vocab.slot_values(c))}
              for c in columns if vocab.slots[c].multivalued}
    return [tuple(_clean_list(cell, orders[c]) if c in orders else cell
                  for c, cell in zip(columns, row, strict=True)) for row in rows]


def records_from_microdata(con: Any, vocab: Vocabulary, columns: Sequence[str],
                           rows: Counter[tuple[str, ...]],
                           per_source: dict[str, dict[str, Any]], types: dict[str, str]) -> Any:
    """Harmonised records (a DuckDB relation, sorted) from synthetic microdata rows: the
    inverse of :func:`microdata_sql`, typed as the input was, with the columns that follow
    from the record's source and the release's provenance. Values reach DuckDB as data
    (Arrow tables), never as SQL text."""
    from ctdc_schema.deidentify import _table

    lists = [c for c in columns if vocab.slots[c].multivalued]
    distinct = sorted(rows)
    _table(con, "synthetic", {**{f"c{i}": [r[i] for r in distinct] for i in range(len(columns))},
                              "n": [rows[r] for r in distinct]})
    known = [c for c in PER_SOURCE if any(c in info for info in per_source.values())]
    joined = "source_id" in columns and bool(known)
    if joined:
        sources = sorted(per_source)
        _table(con, "sources", {"s": sources, **{c: [per_source[s].get(c) for s in sources]
                                                  for c in known}})
    selects = []
    for slot in vocab.slots:
        if slot in columns:
            cell = f"NULLIF(y.c{columns.index(slot)}, '')"
            if slot in lists:
                selects.append(f"CASE WHEN {cell} IS NULL THEN NULL WHEN {cell} = '{NONE}' "
                               f"THEN CAST([] AS VARCHAR[]) ELSE string_split({cell}, "
                               f"'{SEPARATOR}') END AS {ident(slot)}")
            else:
                sql_type = types.get(slot, "VARCHAR")
                if sql_type not in ("VARCHAR", "BIGINT", "INTEGER", "BOOLEAN", "DOUBLE"):
                    sql_type = "VARCHAR"
                selects.append(f"TRY_CAST({cell} AS {sql_type}) AS {ident(slot)}")
        elif joined and slot in known:
            selects.append(f"x.{ident(slot)}")
        elif slot == "deidentification_method":
            selects.append(f"'synthetic_differential_privacy' AS {ident(slot)}")
        elif slot == "vocabulary_version":
            selects.append(f"CAST(? AS VARCHAR) AS {ident(slot)}")
    source = f"NULLIF(y.c{columns.index('source_id')}, '')" if joined else ""
    join = f" LEFT JOIN sources x ON x.s = {source}" if joined else ""
    order = ", ".join(f"y.c{i}" for i in range(len(columns)))
    parameters = [vocab.version] if "vocabulary_version" in vocab.slots else []
    con.execute(f"CREATE TEMP TABLE synthetic_records AS SELECT {', '.join(selects)} "
                f"FROM synthetic y CROSS JOIN range(y.n){join} ORDER BY {order}", parameters)
    return con.table("synthetic_records")


def _per_source(con: Any, columns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per source, its most frequent value of each column that follows from the source."""
    present = [c for c in PER_SOURCE if c in columns]
    found: dict[str, dict[str, Any]] = {}
    for column in present:
        for source, value in con.execute(
                f"SELECT source_id, mode({ident(column)}) FROM records GROUP BY ALL").fetchall():
            found.setdefault(str(source), {})[column] = value
    return found


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*.parquet")) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def write_aggregates(aggregates: dict[str, int], target: Path) -> None:
    """The DP aggregate counts as CSV: length, combination (``column:value`` joined by ``;``,
    attributes sorted) and count; sorted by length, then count, then combination."""
    import csv
    import io

    rows = sorted(((len(k.split(SEPARATOR)), SEPARATOR.join(sorted(k.split(SEPARATOR))), n)
                   for k, n in aggregates.items()), key=lambda r: (r[0], -r[2], r[1]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["length", "combination", "count"])
    writer.writerows(rows)
    atomic.write_text(target, out.getvalue())


def synthesize(data: Path, output: Path, epsilon: float, delta: float | None = None,
               reporting_length: int = DEFAULT_REPORTING_LENGTH,
               columns: Sequence[str] | None = None, fabrication: str = "uncontrolled",
               ledger: Path | None = None, budget: float | None = None,
               layout: str | None = None, schema: Path | str | None = None,
               list_coding: str = "flags") -> SyntheticRelease:
    """Write a DP synthetic release of the harmonised ``data`` into the folder ``output``.

    The whole release is built in a temporary folder beside ``output``; the ledger records it
    before the folder takes ``output``'s place, so that no release is ever on disk without
    being counted, and a failure leaves the previous folder as it was."""
    import shutil

    if not (math.isfinite(epsilon) and 0 < epsilon <= 100):
        raise UsageError("--epsilon must be a number above 0 (and at most 100)")
    if delta is not None and not (0 < delta < 1):
        raise UsageError("--delta must be between 0 and 1")
    if not 1 <= reporting_length <= 6:
        raise UsageError("--reporting-length must be between 1 and 6")
    if list_coding not in LIST_CODINGS:
        raise UsageError(f"--list-coding must be one of {', '.join(LIST_CODINGS)}")
    if fabrication not in FABRICATION:
        raise UsageError(f"--fabrication must be one of {', '.join(FABRICATION)}")
    if budget is not None and ledger is None:
        raise UsageError("--budget declares the budget of a --ledger; give --ledger FILE")
    try:
        import pacsynth  # noqa: F401
    except ImportError:
        raise UsageError("`ctdc synthesize` needs pac-synth: pip install 'ctdc-schema[dp]'") \
            from None
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output} is a file; give a folder")
    inputs = [data] + ([ledger] if ledger is not None else [])
    atomic.refuse_overwrite(output, inputs, folder=True)
    inside = [item for item in inputs if Path(os.path.realpath(item)).is_relative_to(
        os.path.realpath(output))]
    if inside:
        raise UsageError(f"-o {output} holds {inside[0]}, which this run reads: the release "
                         "replaces the whole folder; choose another")
    book = Ledger.open(ledger, budget) if ledger is not None else None
    if book is not None:
        book.check(epsilon)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=".ctdc-synthetic-"))
    try:
        release = _build(data, staging, epsilon, delta, reporting_length, columns,
                         fabrication, layout, schema, list_coding, book, output.name)
        if book is not None:
            book.save()  # counted before it is in place: a failure below over-counts, safely
        previous = None
        if output.exists():
            previous = Path(tempfile.mkdtemp(dir=output.parent, prefix=".ctdc-previous-"))
            output.replace(previous / "release")
        staging.replace(output)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    release.files = [output / f.name for f in release.files]
    return release


def _build(data: Path, folder: Path, epsilon: float, delta: float | None,
           reporting_length: int, columns: Sequence[str] | None, fabrication: str,
           layout: str | None, schema: Path | str | None, list_coding: str,
           book: Ledger | None, name: str) -> SyntheticRelease:
    """The release, written into the (new, empty) ``folder``; recorded in ``book``."""
    from ctdc_schema.engine.duckdb_engine import connect
    from ctdc_schema.stats import read_records
    from ctdc_schema.utility import markdown as utility_markdown
    from ctdc_schema.utility import utility_report

    vocab = vocabulary.load(schema)
    con = connect()
    try:
        relation = read_records(con, data)
        available = list(relation.columns)
        chosen = columns_for(vocab, available, columns)
        relation.create_view("records")
        types = dict(zip(available, map(str, relation.types), strict=True))
        for slot in chosen:
            if vocab.slots[slot].multivalued and not types[slot].endswith("[]") \
                    and types[slot] != '"NULL"':
                raise InputError(f"column {slot} holds {types[slot]}, not a list of values",
                                 data)
        real = microdata(con, vocab, chosen, data)
        if sum(real.values()) == 0:
            raise InputError("the dataset holds no records", data)
        lists = [c for c in chosen if vocab.slots[c].multivalued] \
            if list_coding == "flags" else []
        try:
            rows, aggregates, protected, parameters = run_method(
                real, vocab, chosen, lists, epsilon, delta, reporting_length, fabrication)
        except BaseException as exc:  # a Rust panic is a BaseException, not an Exception
            if type(exc).__name__ != "PanicException":
                raise
            raise InputError(f"pac-synth cannot synthesise these {sum(real.values()):,} "
                             f"records at epsilon {epsilon:g} (too few for the noise: "
                             f"{' '.join(str(exc).split())[:120]})", data) from None
        per_source = _per_source(con, available)
        synthetic = records_from_microdata(con, vocab, chosen, rows, per_source, types)
        flags = sorted({a.split(":", 1)[0] for k in aggregates for a in k.split(SEPARATOR)
                        if a.split(":", 1)[0] not in chosen})
        used_delta = delta if delta is not None else \
            1 / (protected * math.log(protected)) if protected > 1 else 1.0
        statement = Statement(
            epsilon=epsilon, delta=used_delta,
            delta_source="given" if delta is not None else
            "pac-synth's default, 1 / (n ln n) of the protected number of records",
            reporting_length=reporting_length, fabrication=fabrication, list_coding=list_coding,
            mechanism=MECHANISM,
            columns=chosen, flags=flags, records=protected, date=date.today().isoformat(),
            data=data.name, data_sha256=_sha256(data),
            tool=f"ctdc-schema {__version__}, pac-synth {_pacsynth_version()}",
            parameters=json.loads(parameters.to_json_str()),
            notes=[(f"A list slot is coded as one flag per value ({{NULL, 1}}) and "
                    f"'{NONE}' for a list known to be empty; a sampled record with both keeps "
                    "the values.") if list_coding == "flags" else
                   (f"A list slot is coded as one category per set of values ('{NONE}' for "
                    "a list known to be empty)."),
                   "Counts of rare combinations are noisy, and some combinations in the "
                   "synthetic records never occur in the data (see the utility report)."])
        synthetic.write_parquet(str(folder / "records.parquet"))
        report = utility_report(con, vocab, chosen, real, rows, data,
                                folder / "records.parquet", reporting_length)
        files = [folder / "records.parquet"]
        if layout is not None:
            files.append(_write_layout(con, layout, folder))
    finally:
        con.close()
    write_aggregates(aggregates, folder / "aggregates.csv")
    if book is not None:
        statement.ledger = book.record(epsilon, used_delta, statement, Path(name))
    atomic.write_text(folder / "privacy.json", json.dumps(statement.to_dict(), indent=1) + "\n")
    atomic.write_text(folder / "privacy.md", statement.markdown())
    atomic.write_text(folder / "utility.json", json.dumps(report, indent=1) + "\n")
    atomic.write_text(folder / "utility.md", utility_markdown(report, statement))
    files += [folder / n for n in ("aggregates.csv", "privacy.json", "privacy.md",
                                   "utility.json", "utility.md")]
    return SyntheticRelease(statement, report, files)


def _write_layout(con: Any, name: str, folder: Path) -> Path:
    from ctdc_schema import layouts

    target = folder / "records.csv"
    layouts.get(name).write(con, "synthetic_records", [], target)
    return target


def _pacsynth_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pac-synth")
    except PackageNotFoundError:
        return "unknown"
