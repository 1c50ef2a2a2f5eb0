"""`ctdc transform` and delivery manifests: one line per problem, exit codes, nothing half
written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from ctdc_schema.cli import run
from ctdc_schema.deliveries import load_manifest
from ctdc_schema.errors import InputError

EXAMPLES = ROOT / "examples"


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_example_manifest_harmonises_every_delivery(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "records.jsonl"
    assert run(["transform", "--manifest", str(EXAMPLES / "manifest.yaml"), "-o", str(out)]) == 0
    records = jsonl(out)
    assert len(records) == 300 + 400 + 500 + 250
    versions = {(r["source_id"], r["crosswalk_version"]) for r in records}
    assert versions == {("polaris", "2.0.0"), ("polaris", "2.1.0"), ("iom", "2.0.0"),
                        ("ctdc-synthetic", "1.0.0")}
    # delivery order, then file order; provenance leads back to the row
    assert [r["source_row"] for r in records[:3]] == [2, 3, 4]
    assert records[0]["source_file"].endswith("hotline_export_2016.csv")
    err = capsys.readouterr().err
    assert "examples/polaris/hotline_export_2016.csv: 300 rows [polaris@2.0.0 (300)], " \
           "300 records written" in err
    assert "wrote 1450 records to" in err


def test_one_export_with_its_delivery_date(tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    export = str(EXAMPLES / "polaris" / "hotline_export_2019.csv")
    assert run(["transform", export, "--source", "polaris", "--delivered", "2020-01-31",
                "-o", str(out)]) == 0
    assert {r["crosswalk_version"] for r in jsonl(out)} == {"2.1.0"}


def test_repeated_inputs_each_with_its_source(tmp_path: Path) -> None:
    out = tmp_path / "both.jsonl"
    assert run(["transform", "-i", str(EXAMPLES / "iom" / "case_export.csv"), "-s", "iom",
                "-i", str(EXAMPLES / "ctdc-synthetic" / "synthetic_2024_sample.csv"),
                "-s", "ctdc-synthetic", "-o", str(out)]) == 0
    assert [r["source_id"] for r in jsonl(out)] == ["iom"] * 500 + ["ctdc-synthetic"] * 250


@pytest.mark.parametrize(("args", "message"), [
    (["--source", "polaris"], "give --delivered YYYY-MM-DD"),
    (["--source", "polaris", "--delivered", "31/01/2020"], "--delivered must be a date"),
    (["--source", "nobody"], "no crosswalk for source 'nobody'"),
    (["--source", "polaris", "--source", "iom", "--delivered", "2020-01-31"],
     "1 exports and 2 --source"),
    ([], "give an export and --source ID, or --manifest FILE"),
])
def test_usage_errors_are_one_line_and_exit_2(
        args: list[str], message: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never.jsonl"
    export = [str(EXAMPLES / "polaris" / "hotline_export_2019.csv")] if args else []
    assert run(["transform", *export, *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


def test_unmapped_codes_write_nothing_unless_allowed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = (EXAMPLES / "iom" / "case_export.csv").read_text(encoding="utf-8")
    export = tmp_path / "iom.csv"
    export.write_text(source.replace(",Feminine,", ",Female,", 2), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(["transform", str(export), "-s", "iom", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "DX201" in err and "code 'Female' is not mapped: 2 rows (rows 3, 4)" in err
    assert "nothing written" in err and not out.exists()
    assert list(tmp_path.iterdir()) == [export]  # not even a temporary file is left
    assert run(["transform", str(export), "-s", "iom", "-o", str(out), "--allow-errors"]) == 1
    assert len(jsonl(out)) == 498
    assert 3 not in {r["source_row"] for r in jsonl(out)}
    side = (tmp_path / "out.jsonl.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert side[0] == "file,row,finding,column,value"
    assert [line.split(",")[1:] for line in side[1:]] == [
        ["3", "DX201", "gender", "Female"], ["4", "DX201", "gender", "Female"]]


def _manifest(tmp_path: Path, body: str) -> Path:
    shutil.copytree(EXAMPLES / "iom", tmp_path / "run" / "iom")
    path = tmp_path / "run" / "manifest.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "where", "message"), [
    ("deliveries:\n  - path: ../../etc/passwd\n    source: iom\n", ":2:", "leads out of"),
    ("deliveries:\n  - path: iom/case_export.csv\n    source: iom\n    when: 2020-01-01\n",
     ":4:", "unknown key 'when'"),
    ("deliveries:\n  - path: iom/case_export.csv\n    source: iom\n    delivered: soon\n",
     ":4:", "not a valid date"),
    ("deliveries:\n  - path: iom/case_export.csv\n", ":2:", "missing required key 'source'"),
    ("deliveries: [\n", ":2:", "YAML syntax error"),
])
def test_bad_manifests_are_located_input_errors(tmp_path: Path, body: str, where: str,
                                               message: str) -> None:
    path = _manifest(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_manifest(path)
    assert where in str(caught.value) and message in str(caught.value)


def test_a_manifest_resolves_paths_against_its_own_folder(tmp_path: Path) -> None:
    path = _manifest(tmp_path, "deliveries:\n  - path: iom/case_export.csv\n    source: iom\n"
                               "    delivered: 2021-01-15\n")
    (delivery,) = load_manifest(path)
    assert delivery.path == (tmp_path / "run" / "iom" / "case_export.csv").resolve()
    assert str(delivery.delivered) == "2021-01-15"
