"""Benchmarks: `make bench` (or `python bench/run.py`). Prints timings and peak memory.

Performance targets live here, not in timed unit tests: timings depend on the machine.
Each case runs in this process after imports, the way a long-running caller would see it,
except where "cold" says the figure includes start-up.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, func: Callable[[], object], repeat: int = 5) -> None:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    print(f"{label:<48} median {statistics.median(samples) * 1000:8.1f} ms"
          f"  min {min(samples) * 1000:8.1f} ms  (n={repeat})")


def first_call(label: str, func: Callable[[], object]) -> None:
    start = time.perf_counter()
    func()
    print(f"{label:<48} {1000 * (time.perf_counter() - start):8.1f} ms  (once)")


def cold(label: str, *args: str) -> None:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ctdc_schema", *args], check=False,
                   capture_output=True)
    print(f"{label:<48} {1000 * (time.perf_counter() - start):8.1f} ms  (new process)")


SAMPLE_2020 = ROOT.parent / "shared/data/ctdc-public/ctdc_global_k_anon_2020_sample.csv"
EXTRACT_2020 = ROOT / "tests/data/ctdc-public/ctdc_global_k_anon_2020_extract.csv"


def reference_mapper_rows_per_second(copies: int = 10) -> None:
    """The row-at-a-time reference mapper (the oracle the compiled engine is tested against)
    on the real CTDC 2020 sample, repeated: records per second, all constructs included."""
    from ctdc_schema import vocabulary
    from ctdc_schema.crosswalk import loader
    from ctdc_schema.crosswalk.mapper import ReferenceMapper, read_delimited

    sample = SAMPLE_2020 if SAMPLE_2020.is_file() else EXTRACT_2020
    header, rows = read_delimited(sample, ";")
    crosswalk, _ = loader.load(ROOT / "crosswalks/ctdc-public/2.0.0.yaml")
    assert crosswalk is not None
    mapper = ReferenceMapper([crosswalk.model], vocabulary.load())
    table = rows * max(1, copies * 5442 // len(rows))
    start = time.perf_counter()
    result = mapper.map_table(header, table)
    elapsed = time.perf_counter() - start
    print(f"{'reference mapper, CTDC 2020 layout (64 columns)':<48} "
          f"{result.rows / elapsed:8.0f} rows/s  ({result.rows} rows, {elapsed:.2f} s)")


def main() -> None:
    from ctdc_schema import checker, generate, vocabulary
    from ctdc_schema.crosswalk import loader, registry

    first_call("validate the whole spec: first call", checker.validate)
    timed("validate the whole spec: warm", checker.validate)
    files = registry.crosswalk_files(ROOT / "crosswalks")
    loader.format_validator()
    timed(f"load {len(files)} crosswalk files (parse+format check)",
          lambda: [loader.load(f) for f in files])
    cold("cold: ctdc validate (import + run)", "validate")
    reference_mapper_rows_per_second()

    schema = ROOT / "schema" / "ctdc.yaml"
    timed("load vocabulary (SchemaView, uncached)", lambda: vocabulary.Vocabulary(schema))
    vocab = vocabulary.Vocabulary(schema)
    timed("resolve every CTDC column name (lower-cased)", lambda: [
        vocab.resolve_column(c) for c in vocab.column_index
    ], repeat=50)
    timed("render all generated files (in memory)", lambda: generate.render(ROOT / "schema"),
          repeat=3)
    cold("cold: ctdc --version", "--version")
    print(f"{'peak memory (this process)':<48} {peak_rss_mib():8.1f} MiB")


if __name__ == "__main__":
    main()
