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


def main() -> None:
    from ctdc_schema import generate, vocabulary

    schema = ROOT / "schema" / "ctdc.yaml"
    timed("load vocabulary (SchemaView, uncached)", lambda: vocabulary.Vocabulary(schema))
    vocab = vocabulary.Vocabulary(schema)
    timed("resolve every CTDC column name (lower-cased)", lambda: [
        vocab.resolve_column(c) for c in vocab.column_index
    ], repeat=50)
    timed("render all generated files (in memory)", lambda: generate.render(ROOT / "schema"),
          repeat=3)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ctdc_schema", "--version"], check=True,
                   capture_output=True)
    print(f"{'cold start: ctdc --version':<48} {1000 * (time.perf_counter() - start):8.1f} ms")
    print(f"{'peak memory (this process)':<48} {peak_rss_mib():8.1f} MiB")


if __name__ == "__main__":
    main()
