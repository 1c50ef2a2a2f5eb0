"""Exports as partners send them: every format the readers take, every careless or hostile
file, each giving records or one clear located line, never a traceback or half an output."""

from __future__ import annotations

import codecs
import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

from ctdc_schema import harmonise
from ctdc_schema.cli import run
from ctdc_schema.deliveries import Delivery

IOM = ROOT / "examples" / "iom" / "case_export.csv"
TEXT = IOM.read_text(encoding="utf-8")
HEADER, *LINES = TEXT.splitlines()


def records(path: Path, tmp_path: Path, source: str = "iom", **options: Any) -> list[dict]:
    out = tmp_path / f"{path.name}.jsonl"
    report = harmonise.transform([Delivery(path, source, None, options.pop("delimiter", None))],
                                 out, **options)
    assert report.exit_code() == 0, [f.message for f in report.findings]
    found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for record in found:
        record.pop("source_file")
    return found


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    return records(IOM, tmp_path_factory.mktemp("csv"))


def table() -> list[list[str]]:
    return [line.split(",") for line in [HEADER, *LINES]]


# -- every format gives the same records ---------------------------------------------------

def test_tsv_and_a_delimiter_given_on_the_command_line(tmp_path: Path,
                                                      expected: list[dict]) -> None:
    tsv = tmp_path / "export.tsv"
    tsv.write_text("\n".join("\t".join(row) for row in table()) + "\n", encoding="utf-8")
    assert records(tsv, tmp_path) == expected
    semicolons = tmp_path / "semi.csv"
    with semicolons.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerows(table())
    assert records(semicolons, tmp_path, delimiter=";") == expected


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks(tmp_path: Path, expected: list[dict], encoding: str) -> None:
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(TEXT.encode(encoding))
    assert path.read_bytes().startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE,
                                         codecs.BOM_UTF16_BE))
    assert records(path, tmp_path) == expected


def test_xlsx_jsonl_and_parquet(tmp_path: Path, expected: list[dict]) -> None:
    from openpyxl import Workbook

    rows = table()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(tmp_path / "export.xlsx")
    assert records(tmp_path / "export.xlsx", tmp_path) == expected

    lines = [json.dumps(dict(zip(rows[0], row, strict=True))) for row in rows[1:]]
    (tmp_path / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    from_json = records(tmp_path / "export.jsonl", tmp_path)
    # JSON Lines have no header line: a record's row is its line
    assert [r["source_row"] for r in from_json] == list(range(1, 501))
    assert [{**r, "source_row": 0} for r in from_json] == \
        [{**r, "source_row": 0} for r in expected]

    pq.write_table(pa.table({name: [row[i] for row in rows[1:]]
                             for i, name in enumerate(rows[0])}), tmp_path / "export.parquet")
    from_parquet = records(tmp_path / "export.parquet", tmp_path)
    assert [{**r, "source_row": 0} for r in from_parquet] == \
        [{**r, "source_row": 0} for r in expected]


def test_quoted_line_breaks_are_one_row(tmp_path: Path, expected: list[dict]) -> None:
    """A quoted cell holding a line break is one row: the count reconciles by quotes."""
    rows = table()
    rows[1][-2] = '"Other\nsee notes"'  # relationship_to_recruiter, not a code: DX201
    path = tmp_path / "multiline.csv"
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    report = harmonise.validate_exports([Delivery(path, "iom")])
    assert [(f.code, f.line, f.field) for f in report.findings] == [
        ("DX201", 2, "relationship_to_recruiter")]
    assert report.exports[0]["rows"] == 500


# -- careless and hostile files ------------------------------------------------------------

def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["validate", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.out, captured.err


@pytest.mark.parametrize(("content", "message"), [
    (b"", "file is empty"),
    (b"case_id,gender,gender\nX,Female,Male\n", "duplicate column name 'gender'"),
    (bytes(range(128, 256)) * 4, "is not valid utf-8"),
    (bytes(range(256)) * 4, "NUL bytes"),
    (b"\x00\x01\x02\x03", "NUL bytes"),
])
def test_unreadable_files_are_one_line_and_exit_2(
        content: bytes, message: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    code, _, err = validate(capsys, str(path), "--source", "iom")
    assert code == 2
    (line,) = err.strip().splitlines()
    assert str(path) in line and message in line


@pytest.mark.parametrize(("target", "message"), [
    ("missing.csv", "file not found"),
    ("folder", "is a directory"),
    ("fake.xlsx", "not a readable .xlsx workbook"),
])
def test_wrong_paths_are_one_line_and_exit_2(target: str, message: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "fake.xlsx").write_text(TEXT, encoding="utf-8")
    code, _, err = validate(capsys, str(tmp_path / target), "--source", "iom")
    assert code == 2
    (line,) = err.strip().splitlines()
    assert message in line


def test_header_only_is_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "\n", encoding="utf-8")
    code, out, _ = validate(capsys, str(path), "-s", "iom")
    assert code == 1 and "1:0  error    DX104  the export has a header and no rows" in out


def test_ragged_rows_and_bad_bytes_are_findings_and_no_row_vanishes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [HEADER.encode(), *(line.encode() for line in LINES)]
    lines[3] = lines[3] + b",extra"                  # row 4: a field too many
    lines[6] = lines[6].rsplit(b",", 1)[0]           # row 7: a field too few
    lines[9] = lines[9].replace(b"Masculine", b"Mascul\xefne").replace(
        b"Feminine", b"Femin\xefne")                # row 10: Latin-1, not UTF-8
    path = tmp_path / "export.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out, _ = validate(capsys, str(path), "-s", "iom", "-f", "json")
    assert code == 1
    report = json.loads(out)
    assert [(f["code"], f["line"]) for f in report["findings"]] == [
        ("DX103", 4), ("DX103", 7), ("DX103", 10)]
    assert "bytes that are not valid utf-8" in report["findings"][2]["message"]
    assert report["exports"][0]["rows"] == 500
    # with --allow-errors the other rows are written with their own row numbers
    out_file = tmp_path / "out.jsonl"
    assert run(["transform", str(path), "-s", "iom", "-o", str(out_file),
                "--allow-errors"]) == 1
    written = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert len(written) == 497
    assert [r["source_row"] for r in written[:4]] == [2, 3, 5, 6]
    assert "\ufffd" not in out_file.read_text(encoding="utf-8")
    side = harmonise.rejected_path(out_file).read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[1:3] for line in side[1:]] == [
        ["4", "DX103"], ["7", "DX103"], ["10", "DX103"]]


def test_an_unclosed_quote_at_the_end_is_a_finding(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.csv"
    path.write_text(TEXT + 'ZZZ,2019-01-01,"Feminine\n', encoding="utf-8")
    code, out, _ = validate(capsys, str(path), "-s", "iom")
    assert code == 1 and "502:0  error    DX103" in out and "never closed" in out


def test_a_manifest_naming_a_missing_file(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("deliveries:\n  - path: gone.csv\n    source: iom\n", encoding="utf-8")
    code, _, err = validate(capsys, "--manifest", str(manifest))
    assert code == 2 and "gone.csv: file not found" in err


def test_an_output_in_a_missing_folder(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nowhere" / "out.parquet"
    assert run(["transform", str(IOM), "-s", "iom", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "folder" in err and "does not exist" in err and not out.parent.exists()


HOSTILE = ["'; DROP TABLE g; --", '"$1"', "a;b", "--", "$1", "\\N", "NULL", "{p}", "%s"]


def test_hostile_codes_in_crosswalk_and_export_map_like_any_other(tmp_path: Path) -> None:
    """Codes full of SQL and format syntax travel as data: mapped, counted, never run."""
    folder = tmp_path / "crosswalks" / "iom"
    shutil.copytree(ROOT / "crosswalks" / "iom", folder)
    crosswalk = folder / "2.0.0.yaml"
    text = crosswalk.read_text(encoding="utf-8")
    anchor = '      "Masculine": male\n'
    assert anchor in text
    added = "".join(f"      {json.dumps(code)}: male\n" for code in HOSTILE)
    crosswalk.write_text(text.replace(anchor, added + anchor, 1), encoding="utf-8")
    rows = table()
    for index, code in enumerate(HOSTILE, start=1):
        rows[index][2] = f'"{code.replace(chr(34), chr(34) * 2)}"'
    rows[len(HOSTILE) + 1][2] = '"\'; DROP TABLE records; --x"'  # unmapped
    path = tmp_path / "export.csv"
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    report = harmonise.validate_exports([Delivery(path, "iom")],
                                        crosswalks=[tmp_path / "crosswalks"])
    assert [(f.code, f.line, f.field) for f in report.findings] == [
        ("DX201", len(HOSTILE) + 2, "gender")]
    assert "DROP TABLE records; --x" in report.findings[0].message
    out = tmp_path / "out.jsonl"
    harmonise.transform([Delivery(path, "iom")], out, crosswalks=[tmp_path / "crosswalks"],
                        allow_errors=True)
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["gender"] for r in written[:len(HOSTILE)]] == ["male"] * len(HOSTILE)
