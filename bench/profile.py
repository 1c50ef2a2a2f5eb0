"""Profile benchmark: `ctdc profile` of generated exports in the Polaris and IOM layouts
(bench/generate.py: seeded, each column drawn from the example export's own codes, unique case
identifiers), against the floor of DuckDB reading the same file into Parquet.

Each command is its own process (imports included); wall time and peak resident memory come
from the operating system (``wait4``).

    python bench/profile.py              # 10^6 rows
    python bench/profile.py --rows 1e7
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import FLOOR, measure
from generate import LAYOUTS, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=float, default=1e6)
    args = parser.parse_args(argv)
    rows = int(args.rows)
    print(f"{rows:,} rows per export; floor = DuckDB COPY of the CSV to Parquet")
    print(f"{'layout':<8} {'command':<14} {'seconds':>8} {'rows/s':>11} {'x floor':>8} "
          f"{'peak RSS':>10}")
    with tempfile.TemporaryDirectory(prefix="ctdc-bench-") as tmp:
        for layout in LAYOUTS:
            export = Path(tmp) / f"{layout}.csv"
            generate(layout, rows, export)
            floor, floor_rss, _ = measure([sys.executable, "-c", FLOOR, str(export),
                                           str(Path(tmp) / "floor.parquet")])
            seconds, rss, code = measure([sys.executable, "-m", "ctdc_schema", "profile",
                                          str(export), "-f", "json", "-o",
                                          str(Path(tmp) / "profile.json")])
            for name, took, peak in (("floor", floor, floor_rss),
                                     ("ctdc profile", seconds, rss)):
                print(f"{layout:<8} {name:<14} {took:>8.2f} {rows / took:>11,.0f} "
                      f"{took / floor:>7.2f}x {peak:>7.0f} MiB")
            if code:
                print(f"{layout:<8} ctdc profile failed (exit {code})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
