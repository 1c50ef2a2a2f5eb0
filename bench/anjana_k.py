"""The `anjana` package's k-anonymity on the same quasi-identifiers and hierarchies, for the
comparison in bench/deidentify.py.

anjana pins numpy, pandas and pycanon to exact versions that differ from this project's, so it
runs in its own virtual environment (``make bench`` makes ``bench/.venv-anjana``) and this script
imports nothing from ctdc_schema. Its input is what bench/deidentify.py writes: the
quasi-identifier columns as text (CSV, missing as ``(missing)``) and, per quasi-identifier, the
path of every value up the vocabulary's hierarchy (JSON). It prints one JSON object.

    python bench/anjana_k.py QI.csv HIERARCHIES.json --k 11 --supp 5 --seconds 600
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pycanon.anonymity
from anjana.anonymity import k_anonymity


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("hierarchies", type=Path)
    parser.add_argument("--k", type=int, default=11)
    parser.add_argument("--supp", type=float, default=5.0,
                        help="anjana's suppression limit, in %% of the records")
    parser.add_argument("--seconds", type=int, default=600)
    args = parser.parse_args(argv)

    def give_up(*_: Any) -> None:
        print(json.dumps({"timeout": args.seconds}))
        sys.exit(124)

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(args.seconds)
    data = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    paths: dict[str, list[list[str]]] = json.loads(args.hierarchies.read_text())
    qis = list(paths)
    hierarchies = {qi: {level: [path[level] for path in rows]
                        for level in range(len(rows[0]))}
                   for qi, rows in paths.items()}
    released = k_anonymity(data, [], qis, args.k, args.supp, hierarchies)
    levels = {}
    for qi, rows in paths.items():
        seen = set(released[qi]) if len(released) else set()
        levels[qi] = next((level for level in range(len(rows[0]))
                           if seen <= {path[level] for path in rows}), len(rows[0]) - 1)
    top = sum(len(released) for qi, rows in paths.items() if levels[qi] == len(rows[0]) - 1)
    print(json.dumps({
        "records_in": len(data),
        "records_out": len(released),
        "k_achieved": int(pycanon.anonymity.k_anonymity(released, qis)) if len(released) else 0,
        "levels": levels,
        "cells_at_any": top,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
