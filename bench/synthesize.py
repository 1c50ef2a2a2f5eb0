"""Synthetic release benchmark: `ctdc synthesize` (pac-synth, reporting length 3) on generated
harmonised datasets of 10^5 and 10^6 records at epsilon 1, 4 and 12, against the k = 11
release of `ctdc deidentify` on the same data.

Each run is its own process (imports included); wall time and peak resident memory come from
the operating system (``wait4``). Utility is the release's own report (marginal errors of
length 1 and 2, total variation distance; whether the dashboard's top-10 citizenships of all
sources and per source stay the same; records whose whole profile never occurs in the data);
for the k = 11 release the same marginal errors are computed here on its records.

    python bench/synthesize.py                       # 10^5 and 10^6
    python bench/synthesize.py --rows 1e5 --epsilon 4
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deidentify import CTDC, harmonised
from engine import measure


def k_anonymous_utility(real: Path, release: Path, columns: list[str]) -> dict[str, object]:
    """Marginal errors of the k-anonymous release against the real records, in the synthetic
    report's coding (a blanked cell is absence)."""
    from ctdc_schema import synthesize, utility, vocabulary
    from ctdc_schema.engine.duckdb_engine import connect

    vocab = vocabulary.load()
    con = connect()
    counts: list[Counter[tuple[str, ...]]] = []
    for path in (real, release):
        con.read_parquet(str(path)).create_view("records")
        counts.append(synthesize.microdata(con, vocab, columns))
        con.execute("DROP VIEW records")
    errors, _ = utility.marginals(con, columns, counts[0], counts[1], 2)
    con.close()
    return errors["summary"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=float, nargs="+", default=[1e5, 1e6])
    parser.add_argument("--epsilon", type=float, nargs="+", default=[1.0, 4.0, 12.0])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ctdc-bench-") as tmp:
        folder = Path(tmp)
        real = harmonised(folder)["ctdc-2020-sample"]
        print("utility: mean / max total variation distance of the length-1 and length-2 "
              "marginals; top-10 = dashboard citizenship lists with the same 10 countries "
              "(all sources, then per source); unseen = records whose whole profile never "
              "occurs in the data")
        print(f"{'records':>10} {'release':<14} {'seconds':>8} {'rec/s':>8} {'peak RSS':>9} "
              f"{'kept':>10} {'TVD-1 mean/max':>15} {'TVD-2 mean/max':>15} {'top-10':>7} "
              f"{'unseen':>7}")
        for rows in map(int, args.rows):
            data = folder / f"generated_{rows}.parquet"
            measure([sys.executable, str(Path(__file__).with_name("deidentify.py")),
                     "--rows", str(rows), "--generate", str(real), str(data)])
            columns: list[str] = []
            for epsilon in args.epsilon:
                out = folder / f"synthetic_{rows}_{epsilon:g}"
                seconds, rss, code = measure([*CTDC, "synthesize", str(data), "-o", str(out),
                                              "--epsilon", str(epsilon)])
                if code:
                    print(f"{rows:>10,} epsilon {epsilon:<6g} failed (exit {code})")
                    continue
                report = json.loads((out / "utility.json").read_text())
                columns = report["columns"]
                summary = report["marginals"]["summary"]
                (top,) = [f for f in report["dashboard"] if f["name"] == "citizenship_top10"]
                everyone = next(g for g in top["groups"] if g["group"] == "all sources")
                print(f"{rows:>10,} {'eps ' + format(epsilon, 'g'):<14} {seconds:>8.1f} "
                      f"{rows / seconds:>8,.0f} {rss:>7.0f} MB "
                      f"{report['records_synthetic']:>10,} "
                      f"{summary['1']['mean_total_variation']:>7.3f}/"
                      f"{summary['1']['max_total_variation']:<7.3f} "
                      f"{summary['2']['mean_total_variation']:>7.3f}/"
                      f"{summary['2']['max_total_variation']:<7.3f} "
                      f"{'yes' if everyone['top_same_categories'] else 'no':>3} "
                      f"{top['intact_groups'] - int(everyone['top_same_categories'])}/"
                      f"{top['groups_compared'] - 1} "
                      f"{report['fabricated']['share_of_records_with_unseen_profile']:>6.1%}")
            release = folder / f"k11_{rows}" / "release.parquet"
            seconds, rss, code = measure([*CTDC, "deidentify", str(data), "-o", str(release),
                                          "--k", "11"])
            if code or not columns:
                continue
            risk = json.loads((release.parent / "risk-report.json").read_text())
            summary = k_anonymous_utility(data, release, columns)
            print(f"{rows:>10,} {'k = 11':<14} {seconds:>8.1f} {rows / seconds:>8,.0f} "
                  f"{rss:>7.0f} MB {risk['records_out']:>10,} "
                  f"{summary['1']['mean_total_variation']:>7.3f}/"
                  f"{summary['1']['max_total_variation']:<7.3f} "
                  f"{summary['2']['mean_total_variation']:>7.3f}/"
                  f"{summary['2']['max_total_variation']:<7.3f} {'':>7} {'0.0%':>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
