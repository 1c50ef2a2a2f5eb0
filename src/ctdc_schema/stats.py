"""The collaborative's dashboard from any harmonised dataset: tables (CSV, JSON) and charts
(SVG for the site, PNG for slides).

Every figure follows the CTDC denominator rule: a share counts only the records that hold
information in that variable group (a record with no citizenship recorded is not in the
citizenship denominator; "known none", an empty list, is information). Small counts are
suppressed, as the collaborative does for its releases (k = 11): a count under ``min_count`` is
never shown, in a table, a chart or a page, and its row says that it was suppressed.
Denominators are not printed; shares of the other cells still bound a suppressed one (no
secondary suppression here: the dashboard reads data that is de-identified already).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdc_schema import atomic
from ctdc_schema.errors import InputError, UsageError

#: the collaborative's minimum cell count
MIN_COUNT = 11
ALL = "all sources"


@dataclass(frozen=True)
class Figure:
    """One dashboard figure: which slot, how many categories, which denominator."""

    name: str
    title: str
    slot: str
    multivalued: bool = False
    top: int | None = None
    #: categories in their own order (years, bands) rather than by count
    ordered: bool = False


FIGURES: tuple[Figure, ...] = (
    Figure("records_by_source", "Records per source", "source_id"),
    Figure("citizenship_top10", "Top 10 citizenships", "citizenship", top=10),
    Figure("exploitation_types", "Type of exploitation", "exploitation_types",
           multivalued=True),
    Figure("labour_sectors_top5", "Top 5 sectors of forced labour", "labour_sectors",
           multivalued=True, top=5),
    Figure("gender", "Gender", "gender"),
    Figure("age_broad", "Age at registration (bands)", "age_broad", ordered=True),
    Figure("year_of_registration", "Records by year of registration", "year_of_registration",
           ordered=True),
)


@dataclass
class Row:
    """One cell of a figure: a category of a group, its count and share, or suppressed."""

    group: str
    category: str
    count: int | None
    share: float | None
    suppressed: bool = False


@dataclass
class Table:
    """A figure computed: its rows per group, and what the shares are of."""

    figure: Figure
    rows: list[Row] = field(default_factory=list)

    @property
    def denominator(self) -> str:
        if self.figure.slot == "source_id":
            return "share of all records"
        many = " (a record may count in several categories)" if self.figure.multivalued else ""
        return f"share of the records with information on {self.figure.slot}{many}"

    def groups(self) -> list[str]:
        return list(dict.fromkeys(row.group for row in self.rows))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.figure.name, "title": self.figure.title,
                "slot": self.figure.slot, "denominator": self.denominator,
                "rows": [{"group": r.group, "category": r.category, "count": r.count,
                          "share": r.share, "suppressed": r.suppressed} for r in self.rows]}


@dataclass
class Dashboard:
    """Every figure of one dataset."""

    tables: list[Table]
    min_count: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.source, "min_count": self.min_count,
                "suppression": f"counts under {self.min_count} are suppressed",
                "tables": [t.to_dict() for t in self.tables]}


def _lists_parsed(relation: Any) -> Any:
    """A harmonised CSV as the records it holds: ``ctdc transform`` writes a multivalued slot
    as JSON text (``["a","b"]``) and a formula-like value after an apostrophe; here they
    become lists and text again, and numbers and booleans typed, as in Parquet."""
    from ctdc_schema import vocabulary
    from ctdc_schema.engine.outputs import FORMULA_STARTS

    slots = vocabulary.load().slots
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    typed = {"integer": "BIGINT", "boolean": "BOOLEAN"}
    selects = []
    for column in relation.columns:
        quoted = '"' + column.replace('"', '""') + '"'
        info = slots.get(column)
        if info is not None and info.multivalued:
            selects.append(f"from_json({quoted}, '[\"VARCHAR\"]') AS {quoted}")
        elif info is not None and info.range in typed:
            selects.append(f"TRY_CAST({quoted} AS {typed[info.range]}) AS {quoted}")
        else:  # undo the CSV writer's neutralisation of formula-like text
            selects.append(f"CASE WHEN starts_with({quoted}, chr(39)) AND substr({quoted}, 2, 1) "
                           f"IN ({starts}) THEN substr({quoted}, 2) ELSE {quoted} END AS "
                           f"{quoted}")
    return relation.project(", ".join(selects))


def read_harmonised(con: Any, path: Path) -> Any:
    """The harmonised dataset as a DuckDB relation: read by path through the relational API,
    never by pasting the path into SQL."""
    if not path.exists():
        raise UsageError(f"no such file or folder: {path}")
    name = path.name.lower()
    try:
        if path.is_dir() or name.endswith(".parquet"):
            pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
            return con.read_parquet(pattern, hive_partitioning=path.is_dir())
        if name.endswith((".jsonl", ".json", ".ndjson")):
            return con.read_json(str(path), format="newline_delimited")
        if name.endswith(".csv"):
            return _lists_parsed(con.read_csv(str(path), all_varchar=True))
    except Exception as exc:  # DuckDB's own messages name the problem; keep one line
        raise InputError(f"cannot read the harmonised dataset: {' '.join(str(exc).split())}",
                         path) from None
    raise UsageError(f"{path}: give harmonised records as .parquet (or a folder of them), "
                     ".jsonl or .csv")


def read_records(con: Any, path: Path) -> Any:
    """:func:`read_harmonised`, refusing data that is not harmonised records (no
    ``source_id``), as every release command does."""
    relation = read_harmonised(con, path)
    if "source_id" not in relation.columns:
        raise InputError("not a harmonised dataset: no column source_id (write one with "
                         "`ctdc transform`)", path)
    return relation


def _counts(con: Any, figure: Figure) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Counts per (group, category) and denominators per group, for every source and for all
    sources together. Column names come from the fixed figure list, never from input."""
    column = f'"{figure.slot}"'
    value = f"UNNEST({column})" if figure.multivalued else column
    known = f"{column} IS NOT NULL"
    counts: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = {}
    for group in ("source_id", None):
        key = "source_id" if group else f"'{ALL}'"
        rows = con.execute(
            f"SELECT {key} AS g, CAST(c AS VARCHAR) AS c, count(*) FROM "
            f"(SELECT source_id, {value} AS c FROM data WHERE {known}) "
            "WHERE c IS NOT NULL GROUP BY ALL").fetchall()
        counts.update({(str(g), str(c)): int(n) for g, c, n in rows})
        totals.update({str(g): int(n) for g, n in con.execute(
            f"SELECT {key}, count(*) FROM data WHERE {known} GROUP BY ALL").fetchall()})
    return counts, totals


def _table(con: Any, figure: Figure, min_count: int) -> Table:
    from ctdc_schema import vocabulary

    # ordered categories follow the vocabulary (age bands), else their text (years)
    values = vocabulary.load().slot_values(figure.slot) if figure.ordered else {}
    rank = {value: index for index, value in enumerate(values)}
    counts, totals = _counts(con, figure)
    if figure.slot == "source_id":
        counts = {(ALL, source): n for (group, source), n in counts.items() if group != ALL}
        totals = {ALL: sum(n for _, n in counts.items())}
    table = Table(figure)
    groups = sorted(g for g in totals if g != ALL)
    for group in ([ALL] if figure.slot == "source_id" else [ALL, *groups]):
        cells = {c: n for (g, c), n in counts.items() if g == group}
        hidden = {c for c, n in cells.items() if n < min_count}
        def by_count(category: str, cells: dict[str, int] = cells,
                     hidden: set[str] = hidden) -> tuple[bool, int, str]:
            return category in hidden, -cells[category], category

        order = sorted(cells, key=lambda c: (rank.get(c, len(rank)), c)) if figure.ordered \
            else sorted(cells, key=by_count)
        if figure.top is not None:
            order = order[:figure.top]
        for category in order:
            if category in hidden:
                table.rows.append(Row(group, category, None, None, True))
            else:
                table.rows.append(Row(group, category, cells[category],
                                      round(cells[category] / totals[group], 4)))
    return table


def compute(path: Path, min_count: int = MIN_COUNT,
            figures: Sequence[str] | None = None) -> Dashboard:
    """Every figure of the harmonised dataset at ``path``; with ``figures``, those of them
    whose slot the data holds (a synthetic release may hold a few slots only)."""
    import duckdb

    if min_count < 1:
        raise UsageError("--min-count must be at least 1")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    relation = read_harmonised(con, path)
    chosen = [f for f in FIGURES if figures is None or f.name in figures]
    if figures is not None:
        chosen = [f for f in chosen if f.slot in relation.columns]
    missing = sorted({f.slot for f in chosen} - set(relation.columns))
    if missing or "source_id" not in relation.columns:
        raise InputError(f"not a harmonised dataset: no column "
                         f"{', '.join(missing or ['source_id'])} "
                         "(write one with `ctdc transform`)", path)
    relation.create_view("data")
    return Dashboard([_table(con, figure, min_count) for figure in chosen], min_count,
                     path.name)


# -- output ---------------------------------------------------------------------------------------

def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "category", "count", "share", "suppressed"])
    for row in table.rows:
        writer.writerow([row.group, row.category, "" if row.count is None else row.count,
                         "" if row.share is None else f"{row.share:.4f}",
                         "yes" if row.suppressed else ""])
    return out.getvalue()


def chart(table: Table, fmt: str, min_count: int) -> bytes:
    """A bar chart per group (small multiples), shares only; suppressed categories are not
    drawn and a footnote says how many were suppressed and what the shares are of."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # text stays text (searchable, small) and ids are stable: rebuilding changes no byte
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "ctdc"})

    groups = table.groups()
    figure, axes = plt.subplots(len(groups), 1, figsize=(8, 1.2 + 2.2 * len(groups)),
                                squeeze=False)
    for axis, group in zip(axes[:, 0], groups, strict=True):
        rows = [r for r in table.rows if r.group == group and not r.suppressed]
        hidden = sum(1 for r in table.rows if r.group == group and r.suppressed)
        axis.barh([r.category for r in rows][::-1], [100 * (r.share or 0) for r in rows][::-1],
                  color="#3f51b5")
        axis.set_title(group if hidden == 0 else f"{group} ({hidden} suppressed)", fontsize=10,
                       loc="left")
        axis.set_xlabel("%")
        axis.tick_params(labelsize=8)
    figure.suptitle(table.figure.title, fontsize=12, x=0.01, ha="left")
    figure.text(0.01, 0.005, f"{table.denominator[0].upper()}{table.denominator[1:]}; "
                             f"counts under {min_count} suppressed.", fontsize=8)
    figure.tight_layout(rect=(0, 0.03, 1, 0.97))
    buffer = io.BytesIO()
    # no timestamps or software versions in the files: rebuilding changes no byte
    metadata: dict[str, Any] = ({"Date": None, "Creator": None} if fmt == "svg"
                                else {"Software": None})
    figure.savefig(buffer, format=fmt, dpi=110, metadata=metadata)
    plt.close(figure)
    return buffer.getvalue()


def write(dashboard: Dashboard, output: Path, charts: Sequence[str] = ("svg", "png")) -> list[Path]:
    """Write ``<name>.csv``, ``dashboard.json`` and each chart format into ``output``."""
    files: dict[Path, bytes] = {
        output / "dashboard.json": (json.dumps(dashboard.to_dict(), indent=2,
                                               ensure_ascii=False) + "\n").encode()}
    for table in dashboard.tables:
        files[output / f"{table.figure.name}.csv"] = table_csv(table).encode()
        for fmt in charts:
            files[output / f"{table.figure.name}.{fmt}"] = chart(table, fmt, dashboard.min_count)
    output.mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        atomic.write_bytes(path, data)
    return sorted(files)
