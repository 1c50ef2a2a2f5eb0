"""De-identification benchmark: `ctdc deidentify --k 11` on the harmonised example exports,
the real CTDC 2020 public sample and a generated 10^6-record dataset, against the naive
practice of dropping every record whose combination of quasi-identifiers is rarer than k, and
against the `anjana` package (greedy full-domain generalisation, then record suppression up to
a limit) on the same quasi-identifiers and hierarchies, where its own environment exists.

Each run is its own process (imports included); wall time and peak resident memory come from
the operating system (``wait4``). Targets (issue 12): k = 11 with under half the record loss
of the naive baseline, and 10^6 records in under a minute.

    python bench/deidentify.py                # 10^6 generated records
    python bench/deidentify.py --rows 1e5
    python bench/deidentify.py --anjana bench/.venv-anjana/bin/python   (made by `make bench`)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import measure

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "ctdc-public" / "ctdc_global_k_anon_2020_sample.csv"
CTDC = [sys.executable, "-m", "ctdc_schema"]
ANJANA = Path(__file__).resolve().parent / ".venv-anjana" / "bin" / "python"
MISSING = "(missing)"


def harmonised(folder: Path) -> dict[str, Path]:
    """The example deliveries and the real sample, harmonised by the engine."""
    out = {"examples": folder / "examples.parquet", "ctdc-2020-sample": folder / "real.parquet"}
    measure([*CTDC, "transform", "--manifest", str(ROOT / "examples" / "manifest.yaml"),
             "-o", str(out["examples"])])
    measure([*CTDC, "transform", "-i", str(REAL), "-s", "ctdc-public", "-o",
             str(out["ctdc-2020-sample"])])
    return out


def generated(real: Path, rows: int, target: Path) -> Path:
    """``rows`` records drawn from the real sample with their quasi-identifiers perturbed
    (years shifted, a third of the countries and ages redrawn from the sample's own values),
    so that rare combinations occur as in a large multi-source dataset. Seeded."""
    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)").fetchall()
    con.read_parquet(str(real)).create_view("real")
    con.execute("CREATE TABLE pool AS SELECT list(DISTINCT citizenship) AS c, "
                "list(DISTINCT country_of_exploitation) AS e, list(DISTINCT age_broad) AS a "
                "FROM real")
    con.execute(f"""
        CREATE TABLE big AS
        SELECT * REPLACE (
            CASE WHEN random() < 0.33 THEN pool.c[1 + floor(random() * len(pool.c))::INT]
                 ELSE citizenship END AS citizenship,
            CASE WHEN random() < 0.33 THEN pool.e[1 + floor(random() * len(pool.e))::INT]
                 ELSE country_of_exploitation END AS country_of_exploitation,
            CASE WHEN random() < 0.33 THEN pool.a[1 + floor(random() * len(pool.a))::INT]
                 ELSE age_broad END AS age_broad,
            year_of_registration + floor(random() * 5)::INT - 2 AS year_of_registration)
        FROM (SELECT real.* FROM real, range({rows // 5000 + 2})) AS r, pool
        ORDER BY random() LIMIT {rows}""")
    con.table("big").write_parquet(str(target))
    con.close()
    return target


def anjana_inputs(data: Path, folder: Path) -> tuple[Path, Path]:
    """The quasi-identifiers of ``data`` as text and each value's path up the vocabulary's
    hierarchy (the same ones ``ctdc deidentify`` uses), for bench/anjana_k.py."""
    from ctdc_schema import vocabulary
    from ctdc_schema.deidentify import hierarchies, slots_marked

    vocab = vocabulary.load()
    con = duckdb.connect()
    relation = con.read_parquet(str(data))
    qis = [slot for slot in slots_marked(vocab, "quasi_identifier") if slot in relation.columns]
    frame = relation.select(", ".join(
        f"coalesce(CAST(\"{slot}\" AS VARCHAR), '{MISSING}') AS \"{slot}\"" for slot in qis))
    csv = folder / "anjana-qi.csv"
    frame.write_csv(str(csv))
    paths: dict[str, list[list[str]]] = {}
    for tree in hierarchies(vocab, qis):
        values = [row[0] for row in frame.select(f'"{tree.slot}"').distinct().fetchall()]
        paths[tree.slot] = [
            [value, *(tree.generalise(None if value == MISSING else value, level) or MISSING
                      for level in range(1, tree.height)), "*"]
            for value in sorted(values)]
    con.close()
    tables = folder / "anjana-hierarchies.json"
    tables.write_text(json.dumps(paths))
    return csv, tables


def anjana(python: Path, data: Path, folder: Path, k: int, supp: float, seconds: int
           ) -> tuple[dict[str, Any], float, float]:
    """anjana's result on ``data`` (its JSON), wall seconds and peak RSS (MiB)."""
    csv, tables = anjana_inputs(data, folder)
    out = folder / "anjana.json"
    with out.open("w") as sink:
        start = time.perf_counter()
        child = subprocess.Popen([str(python), str(Path(__file__).with_name("anjana_k.py")),
                                  str(csv), str(tables), "--k", str(k), "--supp", str(supp),
                                  "--seconds", str(seconds)],
                                 stdout=sink, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
    lines = out.read_text().strip().splitlines()
    result = json.loads(lines[-1]) if lines else {"failed": True}
    return result, elapsed, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--k", type=int, default=11)
    parser.add_argument("--anjana", type=Path, default=ANJANA if ANJANA.exists() else None,
                        help="a python with anjana installed (default: bench/.venv-anjana)")
    parser.add_argument("--anjana-supp", type=float, default=5.0,
                        help="anjana's record suppression limit, %% (default 5)")
    parser.add_argument("--anjana-seconds", type=int, default=600)
    parser.add_argument("--generate", nargs=2, metavar=("REAL", "TARGET"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:  # in a child process, so that its memory is not counted in the runs
        generated(Path(args.generate[0]), int(args.rows), Path(args.generate[1]))
        return 0
    rows = int(args.rows)
    with tempfile.TemporaryDirectory(prefix="ctdc-bench-") as tmp:
        folder = Path(tmp)
        data = harmonised(folder)
        target = folder / "generated.parquet"
        measure([sys.executable, __file__, "--rows", str(rows), "--generate",
                 str(data["ctdc-2020-sample"]), str(target)])
        data[f"generated {rows:,}"] = target
        print(f"k = {args.k}; naive = drop every record in a combination rarer than k")
        if args.anjana is not None:
            print(f"anjana (suppression limit {args.anjana_supp:g} %): cells = cells "
                  "generalised to any; generalised = hierarchy level per quasi-identifier")
        else:
            print("anjana: no environment (make bench makes bench/.venv-anjana)")
        print(f"{'dataset':<20} {'records':>10} {'k':>4} {'dropped':>8} {'naive':>8} "
              f"{'ratio':>6} {'cells':>8} {'generalised':<28} {'seconds':>8} {'rec/s':>10} "
              f"{'peak RSS':>9}")
        for name, path in data.items():
            out = folder / name.replace(" ", "_").replace(",", "") / "release.parquet"
            seconds, rss, code = measure([*CTDC, "deidentify", str(path), "-o", str(out),
                                          "--k", str(args.k)])
            if code:
                print(f"{name:<20} failed (exit {code})")
                continue
            report = json.loads((out.parent / "risk-report.json").read_text())
            naive = report["naive_records_suppressed"]
            ratio = report["records_suppressed"] / naive if naive else 0.0
            levels = ",".join(f"{s[:4]}:{lv[:6]}" for s, lv in report["generalisation"].items()
                              if lv != "value") or "none"
            print(f"{name:<20} {report['records_in']:>10,} {report['k_achieved']:>4} "
                  f"{report['records_suppressed']:>8,} {naive:>8,} {ratio:>6.2f} "
                  f"{sum(report['cells_suppressed'].values()):>8,} {levels:<28} "
                  f"{seconds:>8.1f} {report['records_in'] / seconds:>10,.0f} "
                  f"{rss:>7.0f} MB")
            if args.anjana is None:
                continue
            found, seconds, rss = anjana(args.anjana, path, out.parent, args.k,
                                         args.anjana_supp, args.anjana_seconds)
            if "timeout" in found or "failed" in found:
                print(f"{'  anjana':<20} did not finish in {seconds:,.0f} s")
                continue
            kept = int(found["records_out"])
            levels = ",".join(f"{s[:4]}:{lv}" for s, lv in found["levels"].items() if lv) \
                or "none"
            print(f"{'  anjana':<20} {'':>10} {found['k_achieved']:>4} "
                  f"{report['records_in'] - kept:>8,} {'':>8} {'':>6} "
                  f"{found['cells_at_any']:>8,} {levels:<28} {seconds:>8.1f} "
                  f"{report['records_in'] / seconds:>10,.0f} {rss:>7.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
