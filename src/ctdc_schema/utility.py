"""The utility report of a synthetic release: what the synthetic records are still good for.

Three views, each computed from the real microdata and the synthetic one in the same coding
(:func:`ctdc_schema.synthesize.microdata_sql`: one category per cell, a list as its set of
values, absence as its own category):

* **marginals** of length 1 and 2 (and 3 while there are at most :data:`MAX_TRIPLES` of
  them): for each set of columns, the shares of each combination of values in the real and in
  the synthetic records; per marginal the mean and the largest absolute error of the shares and
  the total variation distance (half the sum of the absolute errors); summarised per length;
* **the collaborative's dashboard figures** (:mod:`ctdc_schema.stats`) on real and synthetic
  records side by side: top-10 citizenships per source, exploitation-type shares, top-5 forced
  labour sectors, gender; for a top-N list, whether it is intact (the same categories, and in
  the same order);
* **fabricated combinations**: combinations of present values (of every length up to the
  marginals') that the synthetic records hold and the real ones never do, and synthetic
  records whose whole profile never occurs in the data.

The report compares with the real data, so it is not covered by the release's differential
privacy: real shares under the dashboard's minimum count are shown as suppressed, and
``ctdc publish`` leaves the report out of the public package.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctdc_schema.stats import ALL, MIN_COUNT
from ctdc_schema.vocabulary import Vocabulary

if TYPE_CHECKING:
    from ctdc_schema.synthesize import Statement

#: length-3 marginals are computed while there are at most this many
MAX_TRIPLES = 500
#: the dashboard figures compared, and whether each is a top-N list
FIGURES = ("citizenship_top10", "exploitation_types", "labour_sectors_top5", "gender")
Rows = Counter[tuple[str, ...]]


def marginal_counts(con: Any, rows: Rows, width: int, lengths: Sequence[int]
                    ) -> dict[tuple[int, ...], dict[tuple[str, ...], int]]:
    """Per set of column positions (every subset of the given lengths), the count of each
    combination of values, computed in DuckDB with grouping sets over the distinct rows."""
    from ctdc_schema.deidentify import _table

    subsets = [s for k in lengths for s in itertools.combinations(range(width), k)]
    if not subsets or not rows:
        return {s: {} for s in subsets}
    distinct = list(rows)
    _table(con, "marginal_rows", {**{f"c{i}": [r[i] for r in distinct] for i in range(width)},
                                  "n": [rows[r] for r in distinct]})
    columns = [f"c{i}" for i in range(width)]
    sets = ", ".join("(" + ", ".join(columns[i] for i in s) + ")" for s in subsets)
    found: dict[tuple[int, ...], dict[tuple[str, ...], int]] = {s: {} for s in subsets}
    result = con.execute(
        f"SELECT GROUPING({', '.join(columns)}), {', '.join(columns)}, sum(n) "
        f"FROM marginal_rows GROUP BY GROUPING SETS ({sets})").fetchall()
    con.execute("DROP TABLE marginal_rows")
    for mask, *cells, count in result:
        subset = tuple(i for i in range(width) if not (mask >> (width - 1 - i)) & 1)
        found[subset][tuple(cells[i] for i in subset)] = int(count)
    return found


def _errors(real: dict[tuple[str, ...], int], synthetic: dict[tuple[str, ...], int],
            n_real: int, n_synthetic: int) -> dict[str, float]:
    keys = set(real) | set(synthetic)
    errors = [abs(real.get(k, 0) / n_real - synthetic.get(k, 0) / max(n_synthetic, 1))
              for k in keys]
    return {"mean_abs_error": sum(errors) / len(errors) if errors else 0.0,
            "max_abs_error": max(errors, default=0.0),
            "total_variation": sum(errors) / 2}


def marginals(con: Any, columns: Sequence[str], real: Rows, synthetic: Rows,
              reporting_length: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(marginal errors, fabricated combinations) of ``synthetic`` against ``real``."""
    width = len(columns)
    lengths = [1, 2] + ([3] if len(list(itertools.combinations(range(width), 3)))
                        <= MAX_TRIPLES else [])
    lengths = [k for k in lengths if k <= width]
    n_real, n_synthetic = sum(real.values()), sum(synthetic.values())
    real_counts = marginal_counts(con, real, width, lengths)
    synthetic_counts = marginal_counts(con, synthetic, width, lengths)
    per_marginal: list[dict[str, Any]] = []
    fabricated: dict[int, dict[str, Any]] = {k: {"combinations": 0, "records": 0,
                                                 "examples": []} for k in lengths}
    for subset in real_counts:
        found_real, found_synthetic = real_counts[subset], synthetic_counts[subset]
        errors = _errors(found_real, found_synthetic, n_real, n_synthetic)
        per_marginal.append({"columns": [columns[i] for i in subset], **{
            k: round(v, 6) for k, v in errors.items()}})
        entry = fabricated[len(subset)]
        for combo, count in sorted(found_synthetic.items(), key=lambda i: (-i[1], i[0])):
            if combo not in found_real and all(combo):
                entry["combinations"] += 1
                entry["records"] += count
                if len(entry["examples"]) < 5:
                    entry["examples"].append({
                        "combination": {columns[i]: v for i, v in zip(subset, combo,
                                                                      strict=True)},
                        "synthetic_records": count})
    summary: dict[str, Any] = {}
    for k in lengths:
        of_length = [m for m in per_marginal if len(m["columns"]) == k]
        worst = max(of_length, key=lambda m: m["total_variation"])
        summary[str(k)] = {
            "marginals": len(of_length),
            "mean_abs_error": round(sum(m["mean_abs_error"] for m in of_length)
                                    / len(of_length), 6),
            "max_abs_error": max(m["max_abs_error"] for m in of_length),
            "mean_total_variation": round(sum(m["total_variation"] for m in of_length)
                                          / len(of_length), 6),
            "max_total_variation": worst["total_variation"],
            "worst_marginal": worst["columns"]}
    whole = [row for row in synthetic if row not in real]
    fabricated_report = {
        "by_length": {str(k): v for k, v in fabricated.items()},
        "records_with_unseen_profile": sum(synthetic[r] for r in whole),
        "unseen_profiles": len(whole),
        "share_of_records_with_unseen_profile": round(
            sum(synthetic[r] for r in whole) / max(n_synthetic, 1), 6)}
    return ({"lengths": lengths, "summary": summary, "marginals": per_marginal},
            fabricated_report)


def dashboard(real: Path, synthetic: Path, min_count: int = MIN_COUNT) -> list[dict[str, Any]]:
    """The dashboard figures on real and synthetic records, side by side. Real counts under
    ``min_count`` are shown as suppressed; top-N lists are compared on the full counts."""
    from ctdc_schema import stats

    full = {t.figure.name: t for t in stats.compute(real, 1, FIGURES).tables}
    fake = {t.figure.name: t for t in stats.compute(synthetic, 1, FIGURES).tables}
    figures = []
    for name, table in full.items():
        other = fake.get(name)
        if other is None:
            continue
        top = table.figure.top
        groups = []
        for group in table.groups():
            mine = [r for r in table.rows if r.group == group]
            theirs = {r.category: r for r in other.rows if r.group == group}
            theirs_order = [r.category for r in other.rows if r.group == group]
            rows: list[dict[str, Any]] = [{"category": r.category,
                     "real_share": None if (r.count or 0) < min_count else r.share,
                     "synthetic_share": theirs[r.category].share
                     if r.category in theirs else 0.0}
                    for r in mine]
            entry: dict[str, Any] = {"group": group, "rows": rows}
            known = [r for r in rows if r["real_share"] is not None]
            if known:
                entry["max_share_error"] = round(max(
                    abs(r["real_share"] - r["synthetic_share"]) for r in known), 6)
            if top is not None:
                wanted = [r.category for r in mine]
                entry["top_same_categories"] = set(wanted) == set(theirs_order[:len(wanted)])
                entry["top_same_order"] = wanted == theirs_order[:len(wanted)]
            groups.append(entry)
        figure: dict[str, Any] = {"name": name, "title": table.figure.title, "top": top,
                                  "groups": groups}
        if top is not None:
            figure["intact_groups"] = sum(g["top_same_categories"] for g in groups)
            figure["groups_compared"] = len(groups)
        figures.append(figure)
    return figures


def utility_report(con: Any, vocab: Vocabulary, columns: Sequence[str], real: Rows,
                   synthetic: Rows, data: Path, synthetic_records: Path,
                   reporting_length: int) -> dict[str, Any]:
    """The whole report, as plain data."""
    errors, fabricated = marginals(con, columns, real, synthetic, reporting_length)
    return {"columns": list(columns), "records_real": sum(real.values()),
            "records_synthetic": sum(synthetic.values()),
            "marginals": errors,
            # the figures count per source: without the source there is no dashboard
            "dashboard": dashboard(data, synthetic_records) if "source_id" in columns else [],
            "fabricated": fabricated}


def markdown(report: dict[str, Any], statement: Statement | None = None) -> str:
    """The report as a Markdown page (the docs site shows it)."""
    lines = ["# Utility of the synthetic release", ""]
    if statement is not None:
        lines += [f"Epsilon {statement.epsilon:g}, delta {statement.delta:.3g}, reporting "
                  f"length {statement.reporting_length}; {report['records_synthetic']:,} "
                  f"synthetic records from {report['records_real']:,} real ones.", ""]
    lines += ["Compared with the real data, so not itself covered by differential privacy "
              f"(real shares of fewer than {MIN_COUNT} records are suppressed).", "",
              "## Marginals", "",
              "Shares of each combination of values, real against synthetic (absence is a "
              "value; a list is its set of values).", "",
              "| length | marginals | mean abs. error | max abs. error | mean TVD | max TVD "
              "| worst marginal |", "|---|---|---|---|---|---|---|"]
    for k, row in report["marginals"]["summary"].items():
        lines.append(f"| {k} | {row['marginals']} | {row['mean_abs_error']:.4f} | "
                     f"{row['max_abs_error']:.4f} | {row['mean_total_variation']:.4f} | "
                     f"{row['max_total_variation']:.4f} | {', '.join(row['worst_marginal'])} |")
    lines += ["", "## Dashboard figures", ""]
    for figure in report["dashboard"]:
        lines += [f"### {figure['title']}", ""]
        if figure["top"] is not None:
            lines += [f"Top-{figure['top']} list intact (same categories) in "
                      f"{figure['intact_groups']} of {figure['groups_compared']} groups.", ""]
        for group in figure["groups"]:
            if figure["name"] == "citizenship_top10" and group["group"] != ALL \
                    and len(figure["groups"]) > 8:
                continue  # per-source lists are in utility.json
            flags = ""
            if "top_same_categories" in group:
                flags = " (intact)" if group["top_same_order"] else \
                    " (same categories, other order)" if group["top_same_categories"] \
                    else " (changed)"
            lines += [f"**{group['group']}**{flags}", "", "| category | real | synthetic |",
                      "|---|---|---|"]
            for row in group["rows"]:
                real = "suppressed" if row["real_share"] is None else \
                    f"{row['real_share']:.1%}"
                lines.append(f"| {row['category']} | {real} | {row['synthetic_share']:.1%} |")
            lines.append("")
    fabricated = report["fabricated"]
    lines += ["## Fabricated combinations", "",
              "Combinations of present values that the synthetic records hold and the real "
              "ones never do.", "", "| length | combinations | synthetic records |",
              "|---|---|---|"]
    for k, row in fabricated["by_length"].items():
        lines.append(f"| {k} | {row['combinations']:,} | {row['records']:,} |")
    lines += ["", f"Synthetic records whose whole profile never occurs in the data: "
              f"{fabricated['records_with_unseen_profile']:,} "
              f"({fabricated['share_of_records_with_unseen_profile']:.1%}).", ""]
    return "\n".join(lines)
