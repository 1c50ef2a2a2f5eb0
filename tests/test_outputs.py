"""What `ctdc transform` writes and what `ctdc validate EXPORT` reports: every output format,
partitions, the CTDC release layout, and every reporter on data findings."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import CTDC_2020_FULL, DATA, ROOT
from jsonschema import Draft201909Validator
from jsonschema.validators import validator_for

from ctdc_schema.cli import run
from ctdc_schema.layouts import ctdc_public

EXAMPLES = ROOT / "examples"
IOM = EXAMPLES / "iom" / "case_export.csv"
SYNTHETIC = EXAMPLES / "ctdc-synthetic" / "synthetic_2024_sample.csv"
SCHEMA = json.loads((ROOT / "generated/jsonschema/ctdc.schema.json").read_text())
RECORD = Draft201909Validator({"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"],
                               "$ref": "#/$defs/VictimRecord"})


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("jsonl") / "iom.jsonl"
    assert run(["transform", str(IOM), "-s", "iom", "-o", str(out)]) == 0
    found = jsonl(out)
    assert all(not list(RECORD.iter_errors(record)) for record in found)
    return found


def test_parquet_keeps_the_vocabulary_types(tmp_path: Path, reference: list[dict]) -> None:
    out = tmp_path / "iom.parquet"
    assert run(["transform", str(IOM), "-s", "iom", "-o", str(out)]) == 0
    table = pq.read_table(out)
    assert table.num_rows == 500
    schema = table.schema
    # an enumerated slot is stored dictionary-encoded
    gender = schema.get_field_index("gender")
    encodings = pq.ParquetFile(out).metadata.row_group(0).column(gender).encodings
    assert any("DICTIONARY" in encoding for encoding in encodings)
    assert str(schema.field("year_of_registration").type) == "int64"
    assert str(schema.field("exploitation_types").type).startswith("list")
    con = duckdb.connect()
    names = [c[0] for c in con.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                       [str(out)]).fetchall()]
    first = dict(zip(names, con.execute("SELECT * FROM read_parquet(?) LIMIT 1",
                                        [str(out)]).fetchone(), strict=True))
    assert {k: v for k, v in first.items() if v is not None} == reference[0]


def test_csv_writes_lists_as_json(tmp_path: Path, reference: list[dict]) -> None:
    out = tmp_path / "iom.csv"
    assert run(["transform", str(IOM), "-s", "iom", "-o", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 500
    first = rows[0]
    assert json.loads(first["exploitation_types"]) == reference[0]["exploitation_types"]
    assert first["release"] == ""  # absent
    assert first["year_of_registration"] == str(reference[0]["year_of_registration"])


def test_partitioned_by_source_and_year(tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    assert run(["transform", "-i", str(IOM), "-s", "iom", "-i", str(SYNTHETIC),
                "-s", "ctdc-synthetic", "-o", str(out), "--partition-by", "source,year"]) == 0
    folders = sorted(p.relative_to(out).parts[:2] for p in out.rglob("*.parquet"))
    assert ("source_id=ctdc-synthetic", "year_of_registration=2002") in folders
    assert ("source_id=iom", "year_of_registration=2019") in folders
    total = duckdb.connect().execute("SELECT COUNT(*) FROM read_parquet(?, hive_partitioning "
                                     "= true)", [f"{out}/**/*.parquet"]).fetchone()
    assert total == (750,)
    # a second run replaces the folder whole
    assert run(["transform", str(IOM), "-s", "iom", "-o", str(out), "--partition-by",
                "source"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["source_id=iom"]
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]


def test_bad_partition_and_format_options(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["transform", str(IOM), "-s", "iom", "-o", str(tmp_path / "d"),
                "--partition-by", "planet"]) == 2
    assert "not a slot of the record" in capsys.readouterr().err
    assert run(["transform", str(IOM), "-s", "iom", "-o", str(tmp_path / "x"),
                "--format", "xml"]) == 2
    assert capsys.readouterr().err.endswith(
        "Error: Invalid value for '--format' / '-f': Value error, 'xml' is not one of "
        "'parquet', 'csv', 'jsonl'.\n")
    assert list(tmp_path.iterdir()) == []


def test_ctdc_public_layout_reproduces_the_2020_release(tmp_path: Path) -> None:
    """The real 2020 sample, harmonised and written back in its own layout: the same header,
    the same records when read again, and the cells the records can say."""
    out = tmp_path / "ctdc.csv"
    assert run(["transform", str(CTDC_2020_FULL), "-s", "ctdc-public", "--layout",
                "ctdc-public", "-o", str(out)]) == 0
    with CTDC_2020_FULL.open(encoding="utf-8", newline="") as handle:
        release = list(csv.reader(handle, delimiter=";"))
    with out.open(encoding="utf-8", newline="") as handle:
        written = list(csv.reader(handle, delimiter=";"))
    assert written[0] == release[0] == [ctdc_public.TERMS, *ctdc_public.COLUMNS]
    assert len(written) == len(release) == 5443
    cells = same = 0
    for ours, theirs in zip(written[1:], release[1:], strict=True):
        cells += len(theirs)
        same += sum(a == b for a, b in zip(ours, theirs, strict=True))
    assert same / cells >= 0.9678  # measured: 337,100 of 348,288 cells (96.79%)
    # every difference is a documented normalisation: reading it back changes no record
    again = tmp_path / "again.jsonl"
    first = tmp_path / "first.jsonl"
    assert run(["transform", str(out), "-s", "ctdc-public", "-o", str(again)]) == 0
    assert run(["transform", str(CTDC_2020_FULL), "-s", "ctdc-public", "-o", str(first)]) == 0
    strip = [{k: v for k, v in r.items() if k != "source_file"} for r in jsonl(first)]
    assert [{k: v for k, v in r.items() if k != "source_file"} for r in jsonl(again)] == strip


# -- reporters on data findings --------------------------------------------------------------

@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = IOM.read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(",Feminine,", ",Female,")
    text[5] = text[5] + ",surplus"
    path = tmp_path_factory.mktemp("broken") / "iom.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def test_text_locates_data_findings_by_row_and_column(
        broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", str(broken), "-s", "iom"]) == 1
    out = capsys.readouterr().out
    assert "3:gender  error    DX201  code 'Female' is not mapped: 1 row (row 3)" in out
    assert "6:0  error    DX103  cannot read the row" in out
    assert run(["validate", str(broken), "-s", "iom", "--fail-on", "never"]) == 0


def test_sarif_github_and_junit_are_valid_for_data(
        broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", str(broken), "-s", "iom", "-f", "sarif"]) == 1
    document = json.loads(capsys.readouterr().out)
    schema = json.loads((DATA / "schemas" / "sarif-schema-2.1.0.json").read_text())
    assert list(validator_for(schema)(schema).iter_errors(document)) == []
    results = document["runs"][0]["results"]
    unmapped = next(r for r in results if r["ruleId"] == "DX201")
    assert unmapped["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert unmapped["locations"][0]["logicalLocations"] == [{"name": "gender",
                                                              "kind": "member"}]
    rules = {r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]}
    assert {"DX101", "DX201", "DX205"} <= rules

    assert run(["validate", str(broken), "-s", "iom", "-f", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("::error file=") and ",line=3,title=DX201 unmapped-code::"
               "column 'gender': code 'Female'" in line for line in lines)

    assert run(["validate", str(broken), "-s", "iom", "-f", "junit"]) == 1
    tree = ET.fromstring(capsys.readouterr().out)
    assert tree.get("failures") == "2"
    names = [case.get("name") for case in tree.iter("testcase")]
    assert "DX201 unmapped-code at 3:gender" in names


def test_json_report_carries_figures_per_export(
        broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", str(broken), "-s", "iom", "-f", "json", "--max-examples", "1"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["exports"] == [{"file": report["files"][0], "source": "iom", "rows": 500,
                                  "records": 498, "versions": {"2.0.0": 499},
                                  "rows_with_problems": 1}]
    first = report["findings"][0]
    assert (first["code"], first["line"], first["field"]) == ("DX201", 3, "gender")


def test_the_library_returns_data_and_prints_nothing(
        broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import ctdc_schema

    report = ctdc_schema.validate_export(broken, "iom", max_examples=2)
    assert [f.code for f in report.sorted_findings()] == ["DX201", "DX103"]
    assert capsys.readouterr() == ("", "")
