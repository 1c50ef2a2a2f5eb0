"""The ``ctdc`` command line: parse options, call one library function, return its exit code.

No logic lives here. Exit codes: 0 clean, 1 findings (or drift), 2 usage or input error.
No traceback ever reaches the user: problems they caused are :class:`CtdcError` and print one
line; anything else is a bug and prints one line too (``CTDC_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from ctdc_schema.errors import CtdcError, UsageError, printable

app = typer.Typer(
    name="ctdc",
    help="Check and generate the CTDC shared vocabulary and its crosswalks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

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

        linkml_version = dist_version("linkml")

        typer.echo(
            f"ctdc-schema {__version__} (vocabulary {vocabulary_version()}, "
            f"linkml {linkml_version})"
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


@app.command()
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
    root = output if output is not None else gen.default_root(schema_dir)
    rendered = gen.render(schema_dir)
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


FORMATS = ("text", "json", "github", "junit", "sarif")


def _emit(text: str, output: Path | None, inputs: Any = ()) -> None:
    """Write to ``output`` atomically, or to stdout (no ``-o``, or ``-o -``). An output that
    is one of the ``inputs`` is refused: a report must never overwrite what it reports on."""
    if output is None or str(output) == "-":
        typer.echo(text, nl=False)
        return
    from ctdc_schema import atomic

    atomic.refuse_overwrite(output, inputs)
    try:
        atomic.write_text(output, text)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def _use_color(choice: str, stream: Any = None) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool((stream or sys.stdout).isatty())


FailOnOption = Annotated[
    str, typer.Option("--fail-on", help="Exit 1 on findings of this severity or worse: "
                                        "error, warning or never."),
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
    str, typer.Option("--engine", help="duckdb (default), spark (needs the `spark` extra) "
                                       "or reference (the row-at-a-time oracle)."),
]
CrosswalksOption = Annotated[
    list[Path] | None, typer.Option("--crosswalks", metavar="DIR",
                                    help="Crosswalks to use (default: the bundled ones)."),
]


def _fail_on(value: str) -> str:

    if value not in ("error", "warning", "never"):
        raise UsageError(f"--fail-on must be error, warning or never, not '{value}'")
    return value


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


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Crosswalk files or folders (default: the vocabulary and every "
                            "bundled crosswalk); with --source or --manifest, export files.",
                       show_default=False),
    ] = None,
    source: SourceOption = None,
    delivered: DeliveredOption = None,
    manifest: ManifestOption = None,
    delimiter: DelimiterOption = None,
    max_examples: ExamplesOption = 5,
    engine: EngineOption = "duckdb",
    crosswalks: CrosswalksOption = None,
    schema: SchemaOption = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help=f"Output format: {', '.join(FORMATS)}."),
    ] = "text",
    fail_on: FailOnOption = "error",
    color: Annotated[
        str, typer.Option("--color", help="Colour text output: auto, always or never."),
    ] = "auto",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="Write the report to FILE instead of stdout."),
    ] = None,
) -> None:
    """Check the vocabulary and crosswalks, or partner exports against their crosswalk;
    report findings with stable rule codes."""
    from ctdc_schema import reporters

    options = reporters.RenderOptions(color=_use_color(color) and output is None,
                                      fail_on=_fail_on(fail_on))  # type: ignore[arg-type]
    reporter = reporters.get(output_format, options)
    if source or manifest is not None:
        from ctdc_schema import harmonise

        inputs = _deliveries(paths or [], source or [], delivered, manifest, delimiter)
        report = harmonise.validate_exports(inputs, schema=schema, crosswalks=crosswalks,
                                            max_examples=max_examples, engine=engine)
    else:
        from ctdc_schema import checker

        if delivered is not None or delimiter is not None:
            raise UsageError("--delivered and --delimiter apply to exports: give --source ID "
                             "or --manifest FILE")
        report = checker.validate(paths or None, schema)
    _emit(reporter.render(report), output,
          [*(paths or []), *report.files, *([manifest] if manifest else [])])
    raise typer.Exit(report.exit_code(options.fail_on))


@app.command("rules")
def rules_command(
    code: Annotated[str | None, typer.Argument(help="Explain this rule, e.g. CW202.")] = None,
) -> None:
    """List every rule, or explain one with a bad and a good example."""
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
    typer.Argument(help="Crosswalk files or folders (default: every bundled crosswalk).",
                   show_default=False),
]


@app.command()
def overlap(
    paths: PathsArgument = None,
    schema: SchemaOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Print which sources cover which vocabulary slots (exact / partial), and the overlap."""
    from ctdc_schema import overlap as overlap_module

    if output_format not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not '{output_format}'")
    table = overlap_module.compute(paths or None, schema)
    typer.echo(table.render_text() if output_format == "text" else table.render_json(), nl=False)


@app.command()
def transform(
    export: Annotated[
        Path | None, typer.Argument(help="The export file (or give --input, or --manifest).",
                                    show_default=False),
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
        str | None, typer.Option("--format", "-f",
                                 help="parquet, csv or jsonl (default: from the file name)."),
    ] = None,
    layout: Annotated[
        str | None, typer.Option("--layout", metavar="NAME",
                                 help="Write a release layout instead of vocabulary records: "
                                      "ctdc-public (the CTDC 2020 CSV)."),
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
        str, typer.Option("--dialect", help="SQL dialect of --explain: duckdb or spark."),
    ] = "duckdb",
    engine: EngineOption = "duckdb",
    delimiter: DelimiterOption = None,
    max_examples: ExamplesOption = 5,
    fail_on: FailOnOption = "error",
    crosswalks: CrosswalksOption = None,
    schema: SchemaOption = None,
) -> None:
    """Harmonise exports into one dataset of vocabulary records (DuckDB, streaming)."""
    from ctdc_schema import harmonise, reporters

    chosen_fail_on = _fail_on(fail_on)
    exports = ([export] if export is not None else []) + list(inputs or [])
    deliveries = _deliveries(exports, source or [], delivered, manifest, delimiter)
    if explain:
        typer.echo(harmonise.explain(deliveries[0], dialect, schema=schema,
                                     crosswalks=crosswalks), nl=False)
        return
    if output is None:
        raise UsageError("give --output FILE (.parquet, .csv or .jsonl)")
    partitions = [p.strip() for p in partition_by.split(",") if p.strip()] \
        if partition_by else []
    report = harmonise.transform(deliveries, output, output_format=output_format,
                                 layout=layout, partition_by=partitions,
                                 allow_errors=allow_errors, engine=engine, schema=schema,
                                 crosswalks=crosswalks, max_examples=max_examples)
    options = reporters.RenderOptions(color=_use_color("auto", sys.stderr),
                                      fail_on=chosen_fail_on)  # type: ignore[arg-type]
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


export_app = typer.Typer(help="Export the specification in other formats.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("sssom")
def export_sssom(
    paths: PathsArgument = None,
    schema: SchemaOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="Write the TSV to FILE instead of stdout."),
    ] = None,
) -> None:
    """Write the crosswalks' value mappings as an SSSOM TSV (literal subjects)."""
    from ctdc_schema import sssom

    _emit(sssom.export(paths or None, schema), output)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code instead of exiting."""
    try:
        # In non-standalone mode click *returns* the code of `typer.Exit` instead of raising.
        result = app(args=argv, prog_name="ctdc", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except click.exceptions.Abort:
        typer.echo("ctdc: aborted", err=True)
        return 130
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
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
