"""Seeded exports of any size in the Polaris and IOM layouts, for the engine benchmark.

Each column is drawn independently from the values that column takes in the bundled example
export (``examples/``), so codes, spellings, missing codes and multi-selects are the
contract's own and keep their example frequencies; case identifiers are unique per row, as in
a real export, and every draw is a hash of (seed, row, column), so the same N and seed give
the same bytes on any machine and any number of threads. DuckDB writes the file: ten million
rows take seconds, not the minutes a Python loop would.

    python bench/generate.py polaris 1000000 -o /tmp/polaris.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: layout -> (example export, identifier column, delivery date of the layout's version)
LAYOUTS = {
    "polaris": (ROOT / "examples/polaris/hotline_export_2019.csv", "Case ID", "2020-01-31"),
    "iom": (ROOT / "examples/iom/case_export.csv", "case_id", None),
}
SEED = 20170301


def generate(layout: str, rows: int, output: Path, seed: int = SEED) -> Path:
    """Write ``rows`` rows of ``layout`` to ``output`` (CSV, the example's delimiter)."""
    import duckdb

    example, identifier, _ = LAYOUTS[layout]
    with example.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    header, body = table[0], table[1:]
    con = duckdb.connect()
    columns = []
    for index, name in enumerate(header):
        pool = [row[index] for row in body]
        con.execute(f"SET VARIABLE pool{index} = ?", [pool])
        if name == identifier:
            expr = f"printf('{layout[0].upper()}%09d', range)"
        else:
            expr = (f"getvariable('pool{index}')[1 + CAST(hash(range, {seed}, {index}) "
                    f"% {len(pool)} AS BIGINT)]")
        columns.append(f"{expr} AS c{index}")
    con.execute("SET VARIABLE header = ?", [header])
    output.parent.mkdir(parents=True, exist_ok=True)
    con.execute("SET VARIABLE target = ?", [str(output)])
    # header written by Python (DuckDB would quote names its own way), rows appended by DuckDB
    body_file = output.with_name(output.name + ".body")
    con.execute(f"COPY (SELECT {', '.join(columns)} FROM range(?)) TO ? "
                "(FORMAT csv, HEADER false)", [rows, str(body_file)])
    with output.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerow(header)
    with output.open("ab") as out, body_file.open("rb") as part:
        while chunk := part.read(1 << 24):
            out.write(chunk)
    body_file.unlink()
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layout", choices=sorted(LAYOUTS))
    parser.add_argument("rows", type=lambda text: int(float(text)))
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    generate(args.layout, args.rows, args.output, args.seed)
    print(f"wrote {args.rows} {args.layout} rows to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
