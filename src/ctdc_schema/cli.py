"""The ``ctdc`` command line: parse options, call one library function, return its exit code.

No logic lives here. Exit codes: 0 clean, 1 findings (or drift), 2 usage or input error.
No traceback ever reaches the user: problems they caused are :class:`CtdcError` and print one
line; anything else is a bug and prints one line too (``CTDC_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ctdc_schema.errors import CtdcError, UsageError, printable

app = typer.Typer(
    name="ctdc",
    help="Check and generate the CTDC shared vocabulary and its crosswalks.",
    no_args_is_help=True,
    # `ctdc --install-completion` / `--show-completion` (bash, zsh, fish, PowerShell)
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class ReportFormat(StrEnum):
    """Report formats of ``ctdc validate`` (choices shown in ``--help``)."""

    text = "text"
    json = "json"
    github = "github"
    junit = "junit"
    sarif = "sarif"


class Color(StrEnum):
    """When text output is coloured."""

    auto = "auto"
    always = "always"
    never = "never"


class FailOn(StrEnum):
    """The least severe finding that makes the exit code 1."""

    error = "error"
    warning = "warning"
    never = "never"


class Engine(StrEnum):
    """The engines that run a compiled crosswalk."""

    duckdb = "duckdb"
    spark = "spark"
    reference = "reference"


class Dialect(StrEnum):
    """SQL dialects of ``transform --explain``."""

    duckdb = "duckdb"
    spark = "spark"


class TableFormat(StrEnum):
    """Output of ``ctdc overlap``."""

    text = "text"
    json = "json"


class DataFormat(StrEnum):
    """Files ``ctdc transform`` writes."""

    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"

SchemaOption = Annotated[
    Path | None,
    typer.Option(
        "--schema", metavar="PATH", envvar="CTDC_SCHEMA",
        help="Vocabulary to use: the main YAML file or its folder (default: the bundled one).",
    ),
]


def _version_callback(value: bool) -> None:
    if value:
        from importlib.metadata import version as dist_version

        from ctdc_schema import __version__, vocabulary_version

        typer.echo(
            f"ctdc-schema {__version__} (vocabulary {vocabulary_version()}, "
            f"linkml-runtime {dist_version('linkml-runtime')})"
        )
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True,
                     help="Print the package and vocabulary versions and exit."),
    ] = False,
) -> None:
    """Check and generate the CTDC shared vocabulary and its crosswalks."""


@app.command(short_help="Regenerate JSON Schema, Python classes and docs from schema/.")
def generate(
    check: Annotated[
        bool,
        typer.Option("--check", help="Do not write; exit 1 and name every file that drifts."),
    ] = False,
    schema: SchemaOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", metavar="DIR",
                     help="Project root to write into (default: the checkout holding schema/)."),
    ] = None,
) -> None:
    """Regenerate JSON Schema, pydantic classes, docs pages and the country enum."""
    from ctdc_schema import generate as gen
    from ctdc_schema import resources

    schema_dir = resources.schema_path(schema).parent
    rendered = gen.render(schema_dir)
    root = output if output is not None else gen.default_root(schema_dir)
    if check:
        drifts = gen.drift(root, rendered)
        for item in drifts:
            typer.echo(item, err=True)
        if drifts:
            typer.echo(
                f"{len(drifts)} generated file(s) out of step with schema/; run `ctdc generate`",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(f"generated files are up to date ({len(rendered)} files)")
        return
    changed = gen.write(root, rendered, lambda d: typer.echo(f"wrote {d.path}"
                                                             if d.kind != "orphaned"
                                                             else f"removed {d.path}"))
    typer.echo(f"{changed} file(s) changed, {len(rendered) - changed} unchanged")


def _to_stdout(output: Path | None) -> bool:
    return output is None or str(output) == "-"


def _emit(text: str, output: Path | None, inputs: Any = (), color: bool = False) -> None:
    """Write to ``output`` atomically, or to stdout (no ``-o``, or ``-o -``). An output that
    is one of the ``inputs`` is refused: a report must never overwrite what it reports on.
    ``color`` keeps colour codes even when stdout is a pipe (``--color always``)."""
    if _to_stdout(output):
        typer.echo(text, nl=False, color=color or None)
        return
    assert output is not None
    from ctdc_schema import atomic

    atomic.refuse_overwrite(output, inputs)
    try:
        atomic.write_text(output, text)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def _use_color(choice: str, stream: Any = None) -> bool:
    """``--color``: always, never, or (auto) when the stream is a terminal and NO_COLOR is
    unset (https://no-color.org)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool((stream or sys.stdout).isatty())


FailOnOption = Annotated[
    FailOn, typer.Option("--fail-on", help="Exit 1 on findings of this severity or worse."),
]
SourceOption = Annotated[
    list[str] | None,
    typer.Option("--source", "-s", metavar="ID",
                 help="The crosswalk source an export follows, e.g. polaris (once per "
                      "export, or once for all)."),
]
DeliveredOption = Annotated[
    str | None, typer.Option("--delivered", metavar="YYYY-MM-DD",
                             help="When the export was delivered: chooses the crosswalk "
                                  "version of sources that version by delivery date."),
]
ManifestOption = Annotated[
    Path | None, typer.Option("--manifest", "-m", metavar="FILE",
                              help="A YAML list of deliveries {path, source, delivered}."),
]
DelimiterOption = Annotated[
    str | None, typer.Option("--delimiter", metavar="CHAR",
                             help="Field delimiter of CSV exports (default: the crosswalk's "
                                  "export contract, else sniffed)."),
]
ExamplesOption = Annotated[
    int, typer.Option("--max-examples", metavar="N", min=1, max=10_000,
                      help="First row numbers listed per data finding."),
]
EngineOption = Annotated[
    Engine, typer.Option("--engine", help="DuckDB; Spark (needs the `spark` extra); or the "
                                          "row-at-a-time reference oracle."),
]
ColorOption = Annotated[
    Color, typer.Option("--color", help="Colour text output (auto: on a terminal)."),
]
ReportOutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", metavar="FILE",
                              help="Write the report to FILE (- for stdout)."),
]
ReportFormatOption = Annotated[
    ReportFormat, typer.Option("--format", "-f", help="Report format."),
]
CrosswalksOption = Annotated[
    list[Path] | None, typer.Option("--crosswalks", metavar="DIR",
                                    help="Crosswalks to use (default: the bundled ones)."),
]


def _deliveries(exports: list[Path], sources: list[str], delivered: str | None,
                manifest: Path | None, delimiter: str | None) -> list[Any]:
    """The deliveries a data command was given: exports with --source, or a manifest."""
    from ctdc_schema import deliveries

    listed: list[Any] = []
    if manifest is not None:
        listed = [deliveries.Delivery(d.path, d.source, d.delivered, delimiter or d.delimiter)
                  for d in deliveries.load_manifest(manifest)]
        if not exports and not sources:
            return listed
    if not exports or not sources:
        raise UsageError("give an export and --source ID, or --manifest FILE")
    if len(sources) not in (1, len(exports)):
        raise UsageError(f"{len(exports)} exports and {len(sources)} --source: give one "
                         "--source for all, or one per export in the same order")
    when = deliveries.parse_date(delivered) if delivered is not None else None
    chosen = sources * len(exports) if len(sources) == 1 else sources
    return listed + [deliveries.Delivery(path, source, when, delimiter)
                     for path, source in zip(exports, chosen, strict=True)]


AgainstOption = Annotated[
    str | None,
    typer.Option("--against", metavar="REF",
                 help="Git revision to compare the working tree's vocabulary and crosswalks "
                      "with (read with git show, no checkout), e.g. origin/main."),
]


@app.command(short_help="Check crosswalks, or partner exports against theirs.")
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", show_default=False, hidden=True),
    ] = None,
    source: SourceOption = None,
    delivered: DeliveredOption = None,
    manifest: ManifestOption = None,
    delimiter: DelimiterOption = None,
    max_examples: ExamplesOption = 5,
    engine: EngineOption = Engine.duckdb,
    crosswalks: CrosswalksOption = None,
    schema: SchemaOption = None,
    output_format: ReportFormatOption = ReportFormat.text,
    fail_on: FailOnOption = FailOn.error,
    select: Annotated[
        list[str] | None, typer.Option("--select", metavar="CODES",
                                       help="Report only these rules (codes or prefixes, "
                                            "comma-separated: CW2,CW501)."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", metavar="CODES",
                                       help="Do not report these rules (codes or prefixes)."),
    ] = None,
    bundled: Annotated[
        bool, typer.Option("--bundled/--no-bundled",
                           help="Compare the crosswalks with the ones bundled with ctdc-schema."),
    ] = True,
    against: AgainstOption = None,
    color: ColorOption = Color.auto,
    output: ReportOutputOption = None,
) -> None:
    """Check crosswalks, or partner exports against their crosswalk; report findings with
    stable rule codes (`ctdc rules` explains them).

    PATH: crosswalk files or folders (default: the vocabulary and every bundled crosswalk),
    compared with the bundled crosswalks unless --no-bundled; with --source or --manifest,
    export files. With --against REF, also the version numbers of the repository's
    vocabulary and crosswalks against their changes since REF (rules SV1xx).
    """
    from ctdc_schema import reporters

    colored = _use_color(color) and _to_stdout(output)
    options = reporters.RenderOptions(color=colored, fail_on=fail_on.value)
    reporter = reporters.get(output_format.value, options)
    from ctdc_schema import settings

    selection = settings.find().override(select, ignore)
    if source or manifest is not None:
        from ctdc_schema import harmonise

        if against is not None:
            raise UsageError("--against REF checks crosswalk and vocabulary versions, not "
                             "exports: leave out --source/--manifest")
        inputs = _deliveries(paths or [], source or [], delivered, manifest, delimiter)
        report = harmonise.validate_exports(inputs, schema=schema, crosswalks=crosswalks,
                                            max_examples=max_examples, engine=engine.value)
        report = settings.apply(report, selection)
    else:
        from ctdc_schema import checker

        if delivered is not None or delimiter is not None:
            raise UsageError("--delivered and --delimiter apply to exports: give --source ID "
                             "or --manifest FILE")
        report = checker.validate(paths or None, schema, bundled=bundled, selection=selection)
        if against is not None:
            from ctdc_schema import versioning

            report.extend(settings.apply(versioning.gate(against, paths=paths or None),
                                         selection).findings)
    _emit(reporter.render(report), output,
          [*(paths or []), *report.files, *([manifest] if manifest else [])],
          color=colored)
    raise typer.Exit(report.exit_code(options.fail_on))


@app.command(short_help="Changes between two versions, classified.")
def diff(
    old: Annotated[
        Path | None, typer.Argument(metavar="OLD", show_default=False, hidden=True),
    ] = None,
    new: Annotated[
        Path | None, typer.Argument(metavar="NEW", show_default=False, hidden=True),
    ] = None,
    against: AgainstOption = None,
    records: Annotated[
        Path | None,
        typer.Option("--records", metavar="DATA",
                     help="Harmonised records (Parquet, a folder of it, JSONL or CSV): count "
                          "the ones each breaking change concerns, and their years."),
    ] = None,
    output_format: ReportFormatOption = ReportFormat.text,
    fail_on: FailOnOption = FailOn.error,
    color: ColorOption = Color.auto,
    output: ReportOutputOption = None,
) -> None:
    """Every change from OLD to NEW (two crosswalk files, or two vocabulary folders), or from
    git revision --against REF to the working tree: breaking (CH1xx, errors), additive (CH2xx)
    or patch (CH3xx); exit 1 on a breaking one. With --records, each breaking change says how
    many of those harmonised records it re-means.
    """
    from ctdc_schema import diff as diff_module
    from ctdc_schema import reporters, rules

    rules.load_all()
    colored = _use_color(color) and _to_stdout(output)
    options = reporters.RenderOptions(color=colored, fail_on=fail_on.value)
    if against is not None:
        if old is not None:
            raise UsageError("give OLD NEW, or --against REF, not both")
        report = diff_module.against(against)
    elif old is None or new is None:
        raise UsageError("give OLD and NEW, or --against REF")
    else:
        report = diff_module.diff(old, new)
    if records is not None:
        from ctdc_schema import impact

        report = impact.annotate(report, records)
    _emit(reporters.get(output_format.value, options).render(report), output,
          [p for p in (old, new, records) if p is not None], color=colored)
    raise typer.Exit(report.exit_code(options.fail_on))


@app.command(short_help="What each version changed, as Markdown.")
def changelog(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", show_default=False, hidden=True),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", metavar="ID",
                     help="Only this source's crosswalks (repeatable); leaves out the "
                          "vocabulary."),
    ] = None,
    schema: SchemaOption = None,
    output: ReportOutputOption = None,
) -> None:
    """CHANGELOG-style Markdown of the vocabulary's releases and every crosswalk version's
    `changes`, newest first.

    PATH: crosswalk files or folders (default: every bundled crosswalk).
    """
    from ctdc_schema import changelog as changelog_module
    from ctdc_schema import resources
    from ctdc_schema.crosswalk.loader import load_valid

    crosswalks = load_valid(paths or None, set(source) if source else None)
    if source and not crosswalks:
        raise UsageError(f"no crosswalk of source '{source[0]}'")
    releases = None if source else changelog_module.vocabulary_releases(
        resources.schema_path(schema).parent)
    _emit(changelog_module.render(crosswalks, releases, set(source) if source else None),
          output, paths or [])


@app.command("rules", short_help="List the rules, or explain one.")
def rules_command(
    code: Annotated[
        str | None, typer.Argument(metavar="CODE", show_default=False, hidden=True),
    ] = None,
) -> None:
    """List every rule, or explain the rule CODE (e.g. CW202) with a bad and a good example."""
    from ctdc_schema import rules
    from ctdc_schema.findings import RULES

    rules.load_all()
    if code is None:
        for rule in sorted(RULES.values(), key=lambda r: r.code):
            typer.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<30}  {rule.summary}")
        return
    chosen = RULES.get(code.upper())
    if chosen is None:
        raise UsageError(f"no rule '{code}'; `ctdc rules` lists them")
    typer.echo(f"{chosen.code} {chosen.name} ({chosen.severity.value})\n\n{chosen.summary}\n\n"
               f"{chosen.explanation}\n\nBad:\n{chosen.bad}\nGood:\n{chosen.good}")


PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(metavar="PATH", show_default=False, hidden=True),
]


@app.command(short_help="Which sources cover which vocabulary slots.")
def overlap(
    paths: PathsArgument = None,
    schema: SchemaOption = None,
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="Table format."),
    ] = TableFormat.text,
) -> None:
    """Print which sources cover which vocabulary slots (exact / partial), and the overlap.

    PATH: crosswalk files or folders (default: every bundled crosswalk).
    """
    from ctdc_schema import overlap as overlap_module

    table = overlap_module.compute(paths or None, schema)
    typer.echo(table.render_text() if output_format == "text" else table.render_json(), nl=False)


@app.command(short_help="What an export holds, column by column.")
def profile(
    export: Annotated[
        Path | None, typer.Argument(metavar="EXPORT", show_default=False, hidden=True),
    ] = None,
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="Report format."),
    ] = TableFormat.text,
    top: Annotated[int, typer.Option("--top", min=1, max=1000,
                                     help="Most frequent codes shown per column.")] = 10,
    delimiter: Annotated[str | None, typer.Option(
        "--delimiter", metavar="CHAR", help="Field delimiter (default: sniffed).")] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", metavar="NAME", help="Text encoding (default: UTF-8, BOM aware).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="Write the report here (- is stdout)."),
    ] = None,
) -> None:
    """Per column of EXPORT (CSV, TSV, XLSX, JSON Lines, Parquet): a type guess, fill rate,
    distinct codes, the most frequent codes, date formats that parse, multi-select separators
    that fit, and codes that look like "no information". The first step of a crosswalk.
    """
    from ctdc_schema import atomic
    from ctdc_schema import profile as profile_module

    if export is None:
        raise UsageError("give the EXPORT to profile")
    found = profile_module.profile(export, delimiter, encoding, top)
    text = found.text(top) if output_format == "text" else \
        json.dumps(found.to_dict(), indent=1, ensure_ascii=False) + "\n"
    if output is None or str(output) == "-":
        typer.echo(text, nl=False)
    else:
        atomic.refuse_overwrite(output, [export])
        atomic.write_text(output, text)


@app.command(short_help="Draft a crosswalk from a new source's export.")
def scaffold(
    export: Annotated[
        Path | None, typer.Argument(metavar="EXPORT", show_default=False, hidden=True),
    ] = None,
    source: Annotated[str | None, typer.Option(
        "--source", "-s", metavar="ID", help="The new source's id (lower case, digits, -).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="Where the draft goes, e.g. crosswalks/ID/1.0.0.yaml "
                                       "(default: stdout); never over an existing file."),
    ] = None,
    delimiter: Annotated[str | None, typer.Option(
        "--delimiter", metavar="CHAR", help="Field delimiter (default: sniffed).")] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", metavar="NAME", help="Text encoding (default: UTF-8, BOM aware).")
    ] = None,
    update: Annotated[Path | None, typer.Option(
        "--update", metavar="CROSSWALK", help="Add the codes of EXPORT that CROSSWALK does "
                                              "not map yet, as TODO entries, in place.")
    ] = None,
    schema: SchemaOption = None,
) -> None:
    """Write a draft crosswalk for EXPORT: every column matched to a slot where the evidence
    is good, every code seen with a proposed value and its evidence, TODO where only the
    steward can decide (`ctdc validate` warns on each, CW119). With --update, add a new
    delivery's unmapped codes to an existing crosswalk instead (only new lines change).
    """
    from ctdc_schema import atomic
    from ctdc_schema import scaffold as scaffold_module

    if export is not None and update is not None:
        if source is not None or output is not None:
            raise UsageError("--update writes the crosswalk in place: give no --source or -o")
        atomic.refuse_overwrite(update, [export])
        text, added, left = scaffold_module.update(export, update, delimiter, encoding,
                                                   schema)
        if added:
            atomic.write_text(update, text)
        for column, code in added:
            typer.echo(f"{update}: added {column} code {json.dumps(code)[:60]} (TODO)",
                       err=True)
        for item in left:
            typer.echo(f"{update}:{item.line}: not added: {item.column} code "
                       f"{json.dumps(item.code)[:60]} ({item.reason}; add it by hand)",
                       err=True)
        typer.echo(f"{len(added)} new code(s) added to {update}"
                   + (f", {len(left)} left to add by hand" if left else ""), err=True)
        if left:
            raise typer.Exit(1)
        return
    if export is None or source is None:
        raise UsageError("give the EXPORT and --source ID (or --update CROSSWALK)")
    text = scaffold_module.scaffold(export, source, delimiter, encoding, schema)
    if output is None or str(output) == "-":
        typer.echo(text, nl=False)
        return
    if output.exists():
        raise UsageError(f"{output} exists: a draft never replaces a crosswalk")
    atomic.write_text(output, text)
    typer.echo(f"wrote a draft crosswalk to {output}; `ctdc validate {output}` lists its "
               "TODOs", err=True)


@app.command(short_help="Harmonise exports into vocabulary records.")
def transform(
    export: Annotated[
        Path | None, typer.Argument(metavar="EXPORT", show_default=False, hidden=True),
    ] = None,
    inputs: Annotated[
        list[Path] | None,
        typer.Option("--input", "-i", metavar="FILE",
                     help="An export file; repeat with one --source each to combine several."),
    ] = None,
    source: SourceOption = None,
    delivered: DeliveredOption = None,
    manifest: ManifestOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="Where to write the records: .parquet (default), .csv "
                                       "or .jsonl; a folder with --partition-by."),
    ] = None,
    output_format: Annotated[
        DataFormat | None, typer.Option("--format", "-f",
                                        help="File format (default: from the file name)."),
    ] = None,
    layout: Annotated[
        str | None, typer.Option("--layout", metavar="NAME",
                                 help="Write a release layout instead of vocabulary records: "
                                      "ctdc-public (the CTDC 2020 CSV), ctdc-synthetic (the "
                                      "synthetic release of 2024) or htcds (HTCDS 2.0 field "
                                      "and value names)."),
    ] = None,
    partition_by: Annotated[
        str | None, typer.Option("--partition-by", metavar="SLOTS",
                                 help="Hive-partitioned Parquet by these slots, e.g. "
                                      "source,year."),
    ] = None,
    allow_errors: Annotated[
        bool, typer.Option("--allow-errors",
                           help="Write the records of the rows without problems, and list the "
                                "others in OUTPUT.rejected.csv."),
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Print the compiled SQL plan and exit."),
    ] = False,
    dialect: Annotated[
        Dialect, typer.Option("--dialect", help="SQL dialect of --explain."),
    ] = Dialect.duckdb,
    engine: EngineOption = Engine.duckdb,
    delimiter: DelimiterOption = None,
    max_examples: ExamplesOption = 5,
    fail_on: FailOnOption = FailOn.error,
    crosswalks: CrosswalksOption = None,
    schema: SchemaOption = None,
) -> None:
    """Harmonise exports into one dataset of vocabulary records (DuckDB, streaming).

    EXPORT: the export file (or give --input, or --manifest).
    """
    from ctdc_schema import harmonise, reporters

    exports = ([export] if export is not None else []) + list(inputs or [])
    deliveries = _deliveries(exports, source or [], delivered, manifest, delimiter)
    if explain:
        typer.echo(harmonise.explain(deliveries[0], dialect.value, schema=schema,
                                     crosswalks=crosswalks), nl=False)
        return
    if output is None:
        raise UsageError("give --output FILE (.parquet, .csv or .jsonl)")
    partitions = [p.strip() for p in partition_by.split(",") if p.strip()] \
        if partition_by else []
    report = harmonise.transform(deliveries, output,
                                 output_format=output_format.value if output_format else None,
                                 layout=layout, partition_by=partitions,
                                 allow_errors=allow_errors, engine=engine.value, schema=schema,
                                 crosswalks=crosswalks, max_examples=max_examples)
    options = reporters.RenderOptions(color=_use_color("auto", sys.stderr),
                                      fail_on=fail_on.value)
    if report.findings:
        typer.echo(reporters.get("text", options).render(report), err=True, nl=False)
    errors = report.exit_code("error")
    written = not errors or allow_errors
    for item in report.exports:
        versions = ", ".join(f"{item['source']}@{v} ({n})"
                             for v, n in item["versions"].items()) or "no version"
        typer.echo(f"{item['file']}: {item['rows']} rows [{versions}], "
                   f"{item['records']} records written", err=True)
    summary = report.summary()
    if written:
        total = sum(item["records"] for item in report.exports)
        typer.echo(f"wrote {total} records to {output} ({summary['errors']} errors, "
                   f"{summary['warnings']} warnings)", err=True)
        if errors:
            typer.echo(f"rows with problems listed in {harmonise.rejected_path(output)}",
                       err=True)
    else:
        typer.echo("ctdc: errors in the input; nothing written (use --allow-errors to write "
                   "the rows without problems)", err=True)
    raise typer.Exit(report.exit_code(options.fail_on))


@app.command("schema", short_help="The crosswalk JSON Schema, for editors.")
def schema_command(
    path: Annotated[
        bool, typer.Option("--path", help="Print where the installed copy is."),
    ] = False,
    modeline: Annotated[
        bool, typer.Option("--modeline", help="Print the first line a crosswalk needs for "
                                              "completion in editors."),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="Write the JSON Schema to FILE (- for stdout)."),
    ] = None,
) -> None:
    """Print the crosswalk format's JSON Schema (what editors complete and check against),
    where its installed copy is (--path), or the line that points editors at it
    (--modeline)."""
    from ctdc_schema import resources

    if path and modeline:
        raise UsageError("give --path or --modeline, not both")
    if (path or modeline) and output is not None:
        raise UsageError("-o writes the schema itself; --path and --modeline print one line")
    if path:
        typer.echo(resources.crosswalk_schema())
    elif modeline:
        typer.echo(resources.EDITOR_SCHEMA_LINE + resources.CROSSWALK_SCHEMA_URL)
    else:
        _emit(resources.crosswalk_schema().read_text(encoding="utf-8"), output)


@app.command(short_help="The collaborative's dashboard of a harmonised dataset.")
def stats(
    data: Annotated[Path, typer.Argument(metavar="DATA", show_default=False, hidden=True)],
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="DIR",
                           help="Folder for the tables (CSV, dashboard.json) and charts."),
    ] = Path("dashboard"),
    min_count: Annotated[
        int, typer.Option("--min-count", metavar="N", min=1,
                          help="Suppress counts under N (the collaborative's k)."),
    ] = 11,
) -> None:
    """Tables (CSV, JSON) and charts (SVG, PNG) of a harmonised dataset: records per source,
    top-10 citizenships, exploitation types, top-5 forced-labour sectors, gender, age bands,
    years, overall and per source. Counts under --min-count are suppressed.

    DATA: harmonised records (`ctdc transform` output: .parquet, a folder of them, .jsonl).
    """
    from ctdc_schema import stats as stats_module

    dashboard = stats_module.compute(data, min_count)
    files = stats_module.write(dashboard, output)
    typer.echo(f"wrote {len(files)} files to {output}", err=True)


@app.command(short_help="A k-anonymous release of harmonised data, with its risk report.")
def deidentify(
    data: Annotated[
        Path | None, typer.Argument(metavar="DATA", show_default=False, hidden=True),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="The release (Parquet); the risk report is written "
                                       "beside it (risk-report.json, risk-report.txt)."),
    ] = None,
    k: Annotated[int, typer.Option("--k", min=2, help="Every combination of "
                                                      "quasi-identifiers holds at least k "
                                                      "records (CTDC: 11).")] = 11,
    quasi_identifiers: Annotated[
        list[str] | None,
        typer.Option("--quasi-identifiers", "-q", metavar="SLOT",
                     help="Quasi-identifier slots (repeatable; default: the vocabulary's "
                          "disclosure annotations)."),
    ] = None,
    l_value: Annotated[
        int | None, typer.Option("--l", min=2, help="Also l-diversity of the sensitive slot: "
                                                    "each class holds at least l distinct "
                                                    "values of it."),
    ] = None,
    sensitive: Annotated[
        str | None, typer.Option("--sensitive", metavar="SLOT",
                                 help="The sensitive slot for --l (default: the "
                                      "vocabulary's)."),
    ] = None,
    schema: SchemaOption = None,
) -> None:
    """Generalise (along the vocabulary's hierarchies), blank single cells and, as the last
    resort, drop records until DATA (harmonised records) is k-anonymous, losing as little as
    possible; print the risk report.
    """
    from ctdc_schema import deidentify as module

    if data is None or output is None:
        raise UsageError("give DATA and -o FILE")
    report = module.deidentify(data, output, k, quasi_identifiers, sensitive, l_value, schema)
    module.write_report(report, output.parent)
    typer.echo(report.text(), nl=False)


class Fabrication(StrEnum):
    uncontrolled = "uncontrolled"
    balanced = "balanced"
    progressive = "progressive"
    minimize = "minimize"


class ListCoding(StrEnum):
    flags = "flags"
    sets = "sets"


class SyntheticLayout(StrEnum):
    ctdc_synthetic = "ctdc-synthetic"


@app.command(short_help="A differentially private synthetic release and its utility.")
def synthesize(
    data: Annotated[
        Path | None, typer.Argument(metavar="DATA", show_default=False, hidden=True),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="DIR",
                                  help="Folder for records.parquet, aggregates.csv, the privacy "
                                       "statement and the utility report."),
    ] = None,
    epsilon: Annotated[float | None, typer.Option("--epsilon", help="Privacy budget of this "
                                                                     "release.")] = None,
    delta: Annotated[float | None, typer.Option("--delta", help="Delta (default: pac-synth's, "
                                                                "1/(n ln n)).")] = None,
    reporting_length: Annotated[int, typer.Option(
        "--reporting-length", min=1, max=6,
        help="Longest attribute combination counted.")] = 3,
    columns: Annotated[
        list[str] | None,
        typer.Option("--columns", "-c", metavar="SLOT",
                     help="Slots to synthesise (repeatable; default: the vocabulary's "
                          "quasi-identifiers and sensitive slots)."),
    ] = None,
    fabrication: Annotated[Fabrication, typer.Option(
        "--fabrication", help="pac-synth's control of combinations absent from the data.")
    ] = Fabrication.uncontrolled,
    ledger: Annotated[Path | None, typer.Option(
        "--ledger", metavar="FILE", help="Privacy ledger of this data: the release is "
                                         "recorded in it, and refused over its budget.")
    ] = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", help="Total epsilon a new --ledger allows.")] = None,
    layout: Annotated[SyntheticLayout | None, typer.Option(
        "--layout", help="Also write records.csv in the CTDC synthetic release's layout.")
    ] = None,
    list_coding: Annotated[ListCoding, typer.Option(
        "--list-coding", help="A list slot as one {NULL, 1} flag per value (the synthetic "
                              "codebook's), or its set of values as one category.")
    ] = ListCoding.flags,
    schema: SchemaOption = None,
) -> None:
    """Sample synthetic records from differentially private counts of attribute combinations
    of DATA (harmonised records) with pac-synth, the Synthetic Data Showcase's implementation
    (extra `dp`); print the privacy statement.
    """
    from ctdc_schema import synthesize as module

    if data is None or output is None or epsilon is None:
        raise UsageError("give DATA, -o DIR and --epsilon")
    release = module.synthesize(data, output, epsilon, delta, reporting_length, columns,
                                fabrication.value, ledger, budget,
                                layout.value if layout is not None else None, schema,
                                list_coding.value)
    typer.echo(release.statement.markdown(), nl=False)
    typer.echo(f"wrote {len(release.files)} files to {output}", err=True)


@app.command(short_help="Portal-ready files of a de-identified release.")
def publish(
    data: Annotated[
        Path | None, typer.Argument(metavar="DATA", show_default=False, hidden=True),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="DIR",
                                  help="Folder for records.csv, datapackage.json, data.json "
                                       "and codebook.md."),
    ] = None,
    k: Annotated[int, typer.Option("--k", min=2, help="Refuse DATA unless it is k-anonymous "
                                                      "over the quasi-identifiers.")] = 11,
    publisher: Annotated[str, typer.Option("--publisher", help="Publishing organisation.")
                         ] = "Counter Trafficking Data Collaborative",
    email: Annotated[str, typer.Option("--email", help="Contact e-mail for the portal.")
                     ] = "contact@ctdatacollaborative.org",
    base_url: Annotated[str, typer.Option("--base-url", help="Where the files will be "
                                                             "downloadable.")
                        ] = "https://w3id.org/ctdc-schema/releases/",
    schema: SchemaOption = None,
) -> None:
    """Describe DATA (de-identified harmonised records, as `ctdc deidentify` writes them) for
    a public portal: a Frictionless data package, a DCAT-US 1.1 data.json entry and a
    codebook made from the vocabulary; refuses data that is not k-anonymous.
    """
    from ctdc_schema import publish as module

    if data is None or output is None:
        raise UsageError("give DATA and -o DIR")
    package = module.publish(data, output, k, module.Publisher(publisher, email, base_url),
                             schema)
    problems = module.validate_catalog(json.loads((output / "data.json").read_text("utf-8")))
    if problems:
        raise UsageError(f"data.json is not valid DCAT-US 1.1: {problems[0]}")
    typer.echo(f"published {package['resources'][0]['path']} with datapackage.json, data.json "
               f"and codebook.md in {output}")


docs_app = typer.Typer(help="The documentation site.", no_args_is_help=True)
app.add_typer(docs_app, name="docs", short_help="Build or preview the documentation site.")

DashboardOption = Annotated[
    list[str] | None,
    typer.Option("--dashboard", metavar="LABEL=FILE",
                 help="Harmonised data for the dashboard page, labelled (repeatable)."),
]


def _dashboards(values: list[str], work: Path) -> list[tuple[str, Path]]:
    from ctdc_schema import stats as stats_module

    found = []
    for number, value in enumerate(values, start=1):
        label, sep, path = value.partition("=")
        if not sep or not label.strip() or not path:
            raise UsageError(f"--dashboard takes LABEL=FILE, not '{value}'")
        folder = work / f"dashboard-{number}"
        stats_module.write(stats_module.compute(Path(path)), folder, charts=("svg",))
        found.append((label.strip(), folder))
    return found


@docs_app.command("build")
def docs_build(
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="DIR", help="Where the site goes."),
    ] = Path("build/site"),
    dashboard: DashboardOption = None,
    release: Annotated[
        Path | None, typer.Option("--release", metavar="DIR",
                                  help="A folder `ctdc publish` wrote: its risk report goes "
                                       "on the de-identification page."),
    ] = None,
    synthetic: Annotated[
        Path | None, typer.Option("--synthetic", metavar="DIR",
                                  help="A folder `ctdc synthesize` wrote: its privacy "
                                       "statement and utility report go on the synthetic "
                                       "release page."),
    ] = None,
) -> None:
    """Build the static site (mkdocs-material, works offline) from the vocabulary, the
    crosswalks, the validator and harmonised data."""
    import tempfile

    from ctdc_schema import site

    with tempfile.TemporaryDirectory(prefix="ctdc-stats-") as work:
        pages = site.build(output, _dashboards(dashboard or [], Path(work)), release,
                           synthetic)
    typer.echo(f"built {pages} pages in {output}", err=True)


@docs_app.command("serve")
def docs_serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    dashboard: DashboardOption = None,
) -> None:
    """Build the site and preview it on http://localhost:PORT (Ctrl-C stops)."""
    import functools
    import http.server
    import tempfile

    from ctdc_schema import site

    with tempfile.TemporaryDirectory(prefix="ctdc-site-") as work:
        root = Path(work) / "site"
        site.build(root, _dashboards(dashboard or [], Path(work)))
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
            typer.echo(f"serving http://localhost:{port}/ (Ctrl-C stops)", err=True)
            server.serve_forever()


export_app = typer.Typer(help="Export the specification in other formats.", no_args_is_help=True)
app.add_typer(export_app, name="export",
              short_help="Export the crosswalks in other formats (SSSOM).")


@export_app.command("sssom")
def export_sssom(
    paths: PathsArgument = None,
    schema: SchemaOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="Write the TSV to FILE instead of stdout."),
    ] = None,
) -> None:
    """Write the crosswalks' value mappings as an SSSOM TSV.

    PATH: crosswalk files or folders (default: every bundled crosswalk).
    """
    from ctdc_schema import sssom

    _emit(sssom.export(paths or None, schema), output)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code instead of exiting.

    Click runs in standalone mode, so that *it* prints its usage errors (``Usage: ...``,
    ``Try 'ctdc -h' for help.``, exit 2) with whichever click typer brings: typer 0.2x vendors
    its own, and catching ``click.ClickException`` here would miss every one of them.
    """
    try:
        app(args=argv, prog_name="ctdc", standalone_mode=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        typer.echo(str(exc.code), err=True)
        return 1
    except CtdcError as exc:
        typer.echo(f"ctdc: error: {printable(str(exc))}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("ctdc: interrupted", err=True)
        return 130
    except Exception as exc:  # a bug: one line, never a traceback (unless asked for)
        if os.environ.get("CTDC_DEBUG"):
            traceback.print_exc()
        message = printable(" ".join(str(exc).split())) or type(exc).__name__
        typer.echo(f"ctdc: internal error: {message} (set CTDC_DEBUG=1 for details)", err=True)
        return 2
    return 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
