"""`ctdc transform` and delivery manifests: one line per problem, exit codes, nothing half
written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from ctdc_schema.cli import run
from ctdc_schema.deliveries import load_manifest
from ctdc_schema.errors import InputError

EXAMPLES = ROOT / "examples"


def test_the_example_manifest_harmonises_every_delivery(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "records.jsonl"
    assert run(["transform", "--manifest", str(EXAMPLES / "manifest.yaml"), "-o", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300 + 400 + 500 + 250
    versions = {(r["source_id"], r["crosswalk_version"]) for r in map(json.loads, lines)}
    assert versions == {("polaris", "2.0.0"), ("polaris", "2.1.0"), ("iom", "2.0.0"),
                        ("ctdc-synthetic", "1.0.0")}
    err = capsys.readouterr().err
    assert "examples/polaris/hotline_export_2016.csv: 300 rows, 300 records " \
           "[polaris@2.0.0 (300)], 0 problems" in err


def test_one_export_with_its_delivery_date(tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    export = str(EXAMPLES / "polaris" / "hotline_export_2019.csv")
    assert run(["transform", export, "--source", "polaris", "--delivered", "2020-01-31",
                "-o", str(out)]) == 0
    assert {json.loads(line)["crosswalk_version"] for line in out.read_text().splitlines()} \
        == {"2.1.0"}


@pytest.mark.parametrize(("args", "message"), [
    (["--source", "polaris"], "give --delivered YYYY-MM-DD"),
    (["--source", "polaris", "--delivered", "31/01/2020"], "--delivered must be a date"),
    (["--source", "nobody"], "no crosswalk for source 'nobody'"),
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
    assert "code 'Female' of column 'gender' is not mapped" in err
    assert "nothing written" in err and not out.exists()
    assert run(["transform", str(export), "-s", "iom", "-o", str(out), "--allow-errors"]) == 1
    assert len(out.read_text().splitlines()) == 500


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
