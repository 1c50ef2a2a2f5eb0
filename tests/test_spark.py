"""The Spark engine gives DuckDB's output row for row (one Spark session for the whole file:
starting one takes tens of seconds)."""

from __future__ import annotations

import shutil
import warnings
from datetime import date
from pathlib import Path

import pytest
from conftest import CTDC_2017_FULL, CTDC_2020_FULL, ROOT
from test_engine import damaged

from ctdc_schema import harmonise
from ctdc_schema.deliveries import Delivery

pytest.importorskip("pyspark", reason="the `spark` extra is part of the test extra")
if shutil.which("java") is None:  # a failure that says what is missing, not a JVM trace
    pytest.fail("the Spark parity test needs Java 17 (`java` on PATH); the CI image has it",
                pytrace=False)

EXAMPLES = ROOT / "examples"
DELIVERIES = [
    Delivery(EXAMPLES / "polaris/hotline_export_2016.csv", "polaris", date(2017, 3, 15)),
    Delivery(EXAMPLES / "polaris/hotline_export_2019.csv", "polaris", date(2020, 1, 31)),
    Delivery(EXAMPLES / "iom/case_export.csv", "iom"),
    Delivery(EXAMPLES / "ctdc-synthetic/synthetic_2024_sample.csv", "ctdc-synthetic"),
    Delivery(CTDC_2020_FULL, "ctdc-public"),
    Delivery(CTDC_2017_FULL, "ctdc-public-2017"),
]


def both(deliveries: list[Delivery], folder: Path) -> tuple[str, str, list[str], list[str]]:
    """(DuckDB's JSON Lines, Spark's, DuckDB's finding messages, Spark's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyspark's own deprecation chatter
        duck = harmonise.transform(deliveries, folder / "duck.jsonl", allow_errors=True)
        spark = harmonise.transform(deliveries, folder / "spark.jsonl", allow_errors=True,
                                    engine="spark")
    return ((folder / "duck.jsonl").read_text(), (folder / "spark.jsonl").read_text(),
            [f"{f.code} {f.where} {f.message}" for f in duck.sorted_findings()],
            [f"{f.code} {f.where} {f.message}" for f in spark.sorted_findings()])


def test_spark_gives_duckdbs_records_for_every_example_and_real_sample(tmp_path: Path) -> None:
    duck, spark, duck_findings, spark_findings = both(DELIVERIES, tmp_path)
    assert duck.count("\n") == 300 + 400 + 500 + 250 + 5442 + 104
    assert spark == duck
    assert spark_findings == duck_findings == []


def test_spark_gives_duckdbs_problems(tmp_path: Path) -> None:
    copy = tmp_path / "iom.csv"
    copy.write_text(damaged(EXAMPLES / "iom/case_export.csv", ",", 7), encoding="utf-8")
    duck, spark, duck_findings, spark_findings = both([Delivery(copy, "iom")], tmp_path)
    assert duck_findings and spark_findings == duck_findings
    assert spark == duck
    rejected = harmonise.rejected_path(tmp_path / "spark.jsonl").read_text()
    assert rejected == harmonise.rejected_path(tmp_path / "duck.jsonl").read_text()
