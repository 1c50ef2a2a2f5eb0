"""`ctdc profile`: column profiles of the bundled example exports and of the full real CTDC
samples, each figure checked against an independent count made here with the csv module."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import CTDC_2020, CTDC_2020_FULL, ROOT

from ctdc_schema.cli import run
from ctdc_schema.profile import profile

POLARIS = ROOT / "examples" / "polaris" / "hotline_export_2019.csv"
IOM = ROOT / "examples" / "iom" / "case_export.csv"
REAL = CTDC_2020_FULL if CTDC_2020_FULL.is_file() else CTDC_2020


def counted(path: Path, delimiter: str) -> tuple[list[str], list[Counter[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    header, body = rows[0], rows[1:]
    return header, [Counter(row[i] for row in body) for i in range(len(header))]


@pytest.mark.parametrize(("path", "delimiter"), [(POLARIS, ","), (IOM, ","), (REAL, ";")],
                         ids=["polaris", "iom", "ctdc-2020"])
def test_every_count_matches_an_independent_one(path: Path, delimiter: str) -> None:
    found = profile(path, top=5)
    header, counts = counted(path, delimiter)
    assert [c.name for c in found.columns] == header
    for column, expected in zip(found.columns, counts, strict=True):
        assert column.rows == sum(expected.values()) == found.rows
        assert column.distinct == len(expected)
        assert column.filled == sum(n for code, n in expected.items() if code.strip())
        # the most frequent codes, ties broken by the code
        assert column.top == sorted(expected.items(), key=lambda i: (-i[1], i[0]))[:5]


def test_the_polaris_export_as_a_steward_needs_it() -> None:
    columns = {c.name: c for c in profile(POLARIS).columns}
    assert columns["Date Case Created"].type == "date"
    assert columns["Date Case Created"].date_formats == ["%m/%d/%Y"]
    assert columns["Date Case Created"].separators == []  # a date's slashes are no separator
    assert columns["Potential Victim No."].type == "integer"
    means = columns["Means of Control"]
    assert means.type == "text" and means.separators[0]["separator"] == ";"
    assert [code for code, _ in means.missing_codes] == ["", "Unknown", "Not Specified"]
    assert columns["Gender"].separators == []


def test_the_real_ctdc_sample() -> None:
    columns = {c.name: c for c in profile(REAL).columns}
    assert columns["yearOfRegistration"].type == "year"
    assert columns["isForcedLabour"].type == "integer"
    assert columns["typeOfExploitConcatenated"].separators[0]["separator"] == ";"
    assert columns["citizenship"].type == "text" and columns["citizenship"].distinct > 20
    assert all(column.rows == 5442 for column in columns.values()) or REAL == CTDC_2020


def test_text_and_json_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["profile", str(POLARIS), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{POLARIS}: 400 rows, 12 columns\n")
    assert "3. Date Case Created: date (%m/%d/%Y), 100.0% filled, 249 distinct" in out
    target = tmp_path / "profile.json"
    assert run(["profile", str(POLARIS), "-f", "json", "-o", str(target)]) == 0
    document = json.loads(target.read_text())
    assert document["rows"] == 400 and len(document["columns"]) == 12
    gender = next(c for c in document["columns"] if c["name"] == "Gender")
    assert gender["top"][0] == {"code": "Female", "count": 326}
    assert gender["fill_rate"] == pytest.approx(391 / 400, abs=1e-4)


def test_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["profile", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert run(["profile", str(empty)]) == 2
    assert "empty.csv" in capsys.readouterr().err
    # a ragged row is counted as unreadable, the rest is profiled
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n4,5\n")
    assert run(["profile", str(ragged), "--delimiter", ","]) == 0
    assert "ragged.csv: 2 rows, 2 columns, 1 rows unreadable" in capsys.readouterr().out
    # a code with terminal escapes is shown escaped, and cut short
    hostile = tmp_path / "hostile.csv"
    hostile.write_text("a\n\x1b[31mred" + "x" * 200 + "\n")
    assert run(["profile", str(hostile)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "..." in out
    assert run(["profile", str(POLARIS), "-o", str(POLARIS)]) == 2
    assert "is one of the files being read" in capsys.readouterr().err
