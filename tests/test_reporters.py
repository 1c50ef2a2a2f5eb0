"""Output formats and exit codes of `ctdc validate`, on real rule fixtures."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import DATA, ROOT
from jsonschema.validators import validator_for

from ctdc_schema import checker, reporters
from ctdc_schema.cli import run
from ctdc_schema.findings import Report

ERRORS = DATA / "rules" / "CW202"  # three errors
WARNINGS = DATA / "rules" / "CW501"  # two warnings only


@pytest.fixture(scope="module")
def report() -> Report:
    return checker.validate([ERRORS, WARNINGS], ROOT / "schema", bundled=False)


def test_json_shape(report: Report) -> None:
    data = json.loads(reporters.get("json").render(report))
    assert data["summary"] == {"errors": 3, "warnings": 2, "infos": 0, "files": 3}
    first = data["findings"][0]
    assert set(first) == {"code", "name", "severity", "message", "file", "line", "column",
                          "field", "path", "url", "related"}
    assert (first["code"], first["line"], first["column"]) == ("CW202", 15, 7)
    assert first["path"] == 'variables[0].values["F"]'
    assert first["file"].endswith("tests/data/rules/CW202/ngo/1.0.0.yaml")


def test_github_annotations(report: Report) -> None:
    lines = reporters.get("github").render(report).splitlines()
    assert lines[0].startswith("::error file=")
    assert ",line=15,col=7,title=CW202 value-not-permissible::'Female' is not a value" in lines[0]
    assert sum(line.startswith("::warning ") for line in lines) == 2
    assert lines[-1].startswith("ctdc validate: 3 error(s), 2 warning(s)")


def test_junit_counts_failures_by_threshold(report: Report) -> None:
    tree = ET.fromstring(reporters.get("junit").render(report))
    assert tree.get("failures") == "3"
    strict = ET.fromstring(reporters.get(
        "junit", reporters.RenderOptions(fail_on="warning")).render(report))
    assert strict.get("failures") == "5"
    assert len(tree.findall("testsuite")) == 3


def test_sarif_is_valid_sarif_2_1_0(report: Report) -> None:
    document = json.loads(reporters.get("sarif").render(report))
    schema = json.loads((DATA / "schemas" / "sarif-schema-2.1.0.json").read_text())
    validator = validator_for(schema)(schema)
    assert list(validator.iter_errors(document)) == []
    run_ = document["runs"][0]
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} >= {"CW202", "CW501", "VC101"}
    result = run_["results"][0]
    assert result["ruleId"] == "CW202"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 15,
                                                                    "startColumn": 7}
    assert any("relatedLocations" in r for r in run_["results"])


def test_text_groups_by_file_and_summarises(report: Report) -> None:
    text = reporters.get("text").render(report)
    assert "CW202/ngo/1.0.0.yaml\n      15:7  error    CW202  'Female'" in text
    assert text.rstrip().endswith("✖ 3 error(s), 2 warning(s), 0 info(s) in 3 file(s)")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([str(WARNINGS)], 0),
        ([str(WARNINGS), "--fail-on", "warning"], 1),
        ([str(ERRORS)], 1),
        ([str(ERRORS), "--fail-on", "never"], 0),
        ([str(ERRORS), "--format", "yaml"], 2),
        ([str(ERRORS), "--fail-on", "sometimes"], 2),
        (["no/such/crosswalk.yaml"], 2),
    ],
)
def test_exit_codes(args: list[str], code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", *args]) == code
    err = capsys.readouterr().err
    if code == 2:
        assert "Traceback" not in err and err.strip()


def test_output_file_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    assert run(["validate", str(ERRORS), "-f", "json", "-o", str(target)]) == 1
    assert json.loads(target.read_text())["summary"]["errors"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left


def test_cli_never_shows_a_traceback_for_a_binary_file(tmp_path: Path) -> None:
    source = tmp_path / "ngo"
    source.mkdir()
    (source / "1.0.0.yaml").write_bytes(bytes(range(256)))
    result = subprocess.run([sys.executable, "-m", "ctdc_schema", "validate", str(source)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "CW004" in result.stdout and "Traceback" not in result.stderr


def test_rules_command_explains_a_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["rules", "cw202"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CW202 value-not-permissible (error)")
    assert "Bad:" in out and "Good:" in out
    assert run(["rules", "XX999"]) == 2
