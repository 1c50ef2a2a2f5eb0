"""Coverage-guided fuzzing of the two readers that take hostile files: the YAML loader (every
crosswalk, manifest and schema goes through it) and the export reader and engine.

A harness passes when the code either returns (findings are fine) or raises the user-facing
:class:`~ctdc_schema.errors.CtdcError` (one clean line, exit 2). Anything else is a crash: an
exception, a run past libFuzzer's ``-timeout`` or memory past its ``-rss_limit_mb``. atheris
then stops and writes the input to ``crash-*``/``timeout-*``, and ``make fuzz`` fails. What it
found is fixed and kept as a regression test in ``tests/test_hostile.py``.

    python fuzz/harnesses.py seed build/fuzz          # corpora from the repository's files
    python fuzz/harnesses.py yaml build/fuzz/yaml -max_total_time=300
    python fuzz/harnesses.py csv build/fuzz/csv -max_total_time=300
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import atheris

with atheris.instrument_imports(include=["ctdc_schema"]):
    from ctdc_schema import reporters, rules, vocabulary
    from ctdc_schema.crosswalk import loader
    from ctdc_schema.engine import duckdb_engine
    from ctdc_schema.errors import CtdcError
    from ctdc_schema.findings import Report
    from ctdc_schema.harmonise import crosswalks_by_source
    from ctdc_schema.rules import data as data_rules

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="ctdc-fuzz-"))
CROSSWALK = WORK / "crosswalks" / "ngo" / "1.0.0.yaml"
CROSSWALK.parent.mkdir(parents=True)
EXPORT = WORK / "export.csv"
_STATE: dict[str, Any] = {}


def fuzz_yaml(raw: bytes) -> None:
    """One crosswalk file: read, limits, parse, format check, model, then every rule, and
    every finding rendered by every reporter."""
    if "vocab" not in _STATE:
        _STATE["vocab"] = vocabulary.load()
        rules.load_all()
    CROSSWALK.write_bytes(raw)
    try:
        crosswalk, found = loader.load(CROSSWALK)
    except CtdcError:
        return
    if crosswalk is not None:
        for check in rules.FILE_CHECKS:
            found.extend(check(crosswalk, _STATE["vocab"]))
        for set_check in rules.SET_CHECKS:
            found.extend(set_check([crosswalk], _STATE["vocab"]))
    report = Report(found, [str(CROSSWALK)])
    for name in ("text", "json", "github", "junit", "sarif"):
        reporters.get(name).render(report).encode("utf-8")


def fuzz_csv(raw: bytes) -> None:
    """One export of the IOM layout, read in memory or streamed (by the input's length),
    mapped, reported and written."""
    if not _STATE:
        _STATE["versions"] = crosswalks_by_source(None, {"iom"})["iom"]
        _STATE["vocab"] = vocabulary.load()
    EXPORT.write_bytes(raw)
    con = duckdb_engine.connect()
    try:
        mapped = duckdb_engine.map_export(con, _STATE["versions"], _STATE["vocab"], EXPORT,
                                          materialize=bool(len(raw) % 2))
        list(data_rules.findings("export.csv", absent=mapped.absent, unknown=mapped.unknown,
                                 rejected=[(r.row, r.message) for r in mapped.opened.rejected],
                                 rows=mapped.opened.rows, problems=mapped.problems))
        con.execute(duckdb_engine.records_query(mapped)).fetchall()
    except CtdcError:
        pass
    finally:
        con.close()


def seed(folder: Path) -> None:
    """Corpora from the repository: every crosswalk and rule fixture, and the first rows of
    the example exports and of the real CTDC extract."""
    yaml_dir, csv_dir = folder / "yaml", folder / "csv"
    yaml_dir.mkdir(parents=True, exist_ok=True)
    csv_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted((ROOT / "crosswalks").glob("*/*.yaml")) + sorted(
        p for p in (ROOT / "tests" / "data" / "rules").glob("*/*/*.yaml") if not p.is_symlink())
    for index, path in enumerate(sources):
        (yaml_dir / f"seed-{index:03d}.yaml").write_bytes(path.read_bytes())
    exports = [ROOT / "examples" / "iom" / "case_export.csv",
               ROOT / "tests" / "data" / "ctdc-public" / "ctdc_global_k_anon_2020_extract.csv"]
    for index, path in enumerate(exports):
        lines = path.read_bytes().splitlines(keepends=True)
        for size in (2, 8, 40):
            (csv_dir / f"seed-{index}-{size}.csv").write_bytes(b"".join(lines[:size]))


def main() -> None:
    if sys.argv[1] == "seed":
        seed(Path(sys.argv[2]))
        return
    target = {"yaml": fuzz_yaml, "csv": fuzz_csv}[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
