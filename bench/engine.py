"""Engine benchmark: `ctdc validate` and `ctdc transform` (vocabulary records, and the HTCDS
2.0 layout) against DuckDB's own CSV-to-Parquet copy of the same file (the I/O floor), on
seeded Polaris- and IOM-layout exports.

Each command runs as its own process, the way a partner's CI runs it (imports included), and
its wall time and peak resident memory are read from the operating system (``wait4``).
The floor is a process too: ``COPY (SELECT * FROM read_csv(FILE, all_varchar = true)) TO
'....parquet'``. Targets (issue 7): validate and transform within 2x of the floor at 10^6
rows, peak RSS under 1 GB at 10^7 rows and flat in N.

    python bench/engine.py                 # 10^6 rows per layout
    python bench/engine.py --rows 1e7      # the large run (about 1.3 GB of CSV per layout)
    python bench/engine.py --spark         # also Spark local mode (slow to start)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import LAYOUTS, generate

FLOOR = ("import duckdb, sys; duckdb.connect().execute(\"COPY (SELECT * FROM read_csv(?, "
         "all_varchar = true)) TO ? (FORMAT parquet)\", [sys.argv[1], sys.argv[2]])")


def measure(args: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MiB, exit code) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if child.stderr is not None:
        error = child.stderr.read().decode(errors="replace")
        child.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0,):
        print(f"    ! exit {code}: {error.strip()[-300:]}")
    return elapsed, usage.ru_maxrss / 1024, code


def run(rows: int, folder: Path, spark: bool) -> None:
    ctdc = [sys.executable, "-m", "ctdc_schema"]
    print(f"{rows:,} rows per export; floor = DuckDB COPY of the CSV to Parquet; "
          f"{os.cpu_count()} cores")
    print(f"{'layout':<8} {'command':<26} {'seconds':>8} {'rows/s':>11} {'x floor':>8} "
          f"{'peak RSS':>10}")
    for layout, (_, _, delivered) in LAYOUTS.items():
        export = folder / f"{layout}_{rows}.csv"
        if not export.exists():
            generate(layout, rows, export)
        dated = ["--delivered", delivered] if delivered else []
        floor, floor_rss, _ = measure([sys.executable, "-c", FLOOR, str(export),
                                       str(folder / "floor.parquet")])
        cases = [
            ("floor (DuckDB COPY)", floor, floor_rss),
            ("ctdc validate", *measure([*ctdc, "validate", str(export), "-s", layout,
                                        *dated])[:2]),
            ("ctdc transform", *measure([*ctdc, "transform", str(export), "-s", layout,
                                         *dated, "-o", str(folder / "out.parquet")])[:2]),
            ("transform --layout htcds", *measure(
                [*ctdc, "transform", str(export), "-s", layout, *dated, "--layout", "htcds",
                 "-o", str(folder / "htcds.csv")])[:2]),
        ]
        if spark:
            cases.append(("transform --engine spark", *measure(
                [*ctdc, "transform", str(export), "-s", layout, *dated, "--engine", "spark",
                 "-o", str(folder / "spark.parquet")])[:2]))
        for label, seconds, rss in cases:
            print(f"{layout:<8} {label:<26} {seconds:8.2f} {rows / seconds:11,.0f} "
                  f"{seconds / floor:8.2f} {rss:8.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda text: int(float(text)), default=1_000_000)
    parser.add_argument("--spark", action="store_true", help="also time --engine spark")
    parser.add_argument("--keep", type=Path, help="folder for the generated exports (reused)")
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.rows, args.keep, args.spark)
    else:
        with tempfile.TemporaryDirectory(prefix="ctdc-bench-") as folder:
            run(args.rows, Path(folder), args.spark)
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} "
          "MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
