"""Files a hostile or careless contributor could put in a pull request: none may hang `ctdc`,
crash it, make it read outside the tree it checks, forge its output or overwrite an input.
Each class of attack is one fixture here, asserting the exact finding or usage error; every
limit is tried just under and just over."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

from ctdc_schema import harmonise, yamlsource
from ctdc_schema.cli import run
from ctdc_schema.crosswalk import loader
from ctdc_schema.deliveries import Delivery
from ctdc_schema.engine import readers

GOOD = (ROOT / "crosswalks" / "iom" / "2.0.0.yaml").read_text(encoding="utf-8")
IOM_EXPORT = ROOT / "examples" / "iom" / "case_export.csv"
SECRET = "TOP-SECRET-VALUE-9f2c"


def crosswalk(tmp_path: Path, text: str | bytes, name: str = "2.0.0.yaml") -> Path:
    folder = tmp_path / "crosswalks" / "iom"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def findings(path: Path) -> list[tuple[str, int | None, str]]:
    _, found = loader.load(path)
    return [(f.code, f.line, f.message) for f in found]


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["validate", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err
    return code, out, err


# -- YAML: aliases, tags, depth, size, keys, characters ------------------------------------------

def laughs(levels: int) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("text", "line"), [
    (laughs(12), 1),                                   # a billion laughs in 460 bytes
    ("x: 1\nfan: [" + ", ".join(["*a"] * 10_000) + "]\n", 2),   # an alias fan-out
    ("source: iom\nloop: &x [*x]\n", 2),               # a list that contains itself
    ("source: iom\nvalues: {<<: *defaults}\n", 2),     # a merge key brings in an alias
])
def test_anchors_and_aliases_are_refused_at_once(tmp_path: Path, text: str, line: int) -> None:
    path = crosswalk(tmp_path, text)
    (code, at, message) = findings(path)[0]
    assert (code, at) == ("CW005", line) and "not allowed" in message


@pytest.mark.parametrize(("text", "shown"), [
    ("source: !!python/object/apply:os.system ['echo hi']\n", "python/object/apply"),
    ("source: !custom iom\n", "!custom"),
    ("version: !!str 2.0.0\n", "tag:yaml.org,2002:str"),
])
def test_tags_are_refused(tmp_path: Path, text: str, shown: str) -> None:
    (code, line, message) = findings(crosswalk(tmp_path, text))[0]
    assert (code, line) == ("CW006", 1) and shown in message


def nested(depth: int) -> str:
    return "source: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"


def test_depth_limit_just_under_and_over(tmp_path: Path) -> None:
    # the top-level mapping is one level: MAX_DEPTH levels in all are allowed
    under = findings(crosswalk(tmp_path, nested(yamlsource.MAX_DEPTH)))
    assert not any(code == "CW007" for code, _, _ in under)
    over = findings(crosswalk(tmp_path, nested(yamlsource.MAX_DEPTH + 1)))
    assert over[0][0] == "CW007" and "32 levels" in over[0][2]
    assert findings(crosswalk(tmp_path, nested(5000)))[0][0] == "CW007"


def test_size_limit_just_under_and_over(tmp_path: Path) -> None:
    body = "# " + "x" * 60 + "\n"
    text = GOOD + body * ((yamlsource.MAX_BYTES - len(GOOD.encode())) // len(body))
    text += "#" * (yamlsource.MAX_BYTES - len(text.encode()) - 1) + "\n"
    assert len(text.encode()) == yamlsource.MAX_BYTES
    assert findings(crosswalk(tmp_path, text)) == []
    over = findings(crosswalk(tmp_path, text + "#"))
    assert over[0][:2] == ("CW007", 1) and "over the limit of 1,048,576" in over[0][2]


def test_node_limit_just_under_and_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the real limit (100,000) in a smaller file: count the good file's values, then lower
    # the limit around that count
    events = sum(1 for _ in yamlsource._yaml().parse(GOOD))
    monkeypatch.setattr(yamlsource, "MAX_NODES", events)
    assert findings(crosswalk(tmp_path, GOOD)) == []
    monkeypatch.setattr(yamlsource, "MAX_NODES", events // 2)
    assert findings(crosswalk(tmp_path, GOOD + "\n"))[0][0] == "CW007"


@pytest.mark.parametrize("key", ['? ["F", "W"]\n      : female', '? {a: 1}\n      : female'])
def test_keys_that_are_not_text(tmp_path: Path, key: str) -> None:
    text = GOOD.replace('      "Feminine": female', f"      {key}", 1)
    (code, line, message) = findings(crosswalk(tmp_path, text))[0]
    assert code == "CW008" and "keys must be text" in message
    assert line == text.splitlines().index(f"      {key.splitlines()[0]}") + 1


@pytest.mark.parametrize(("char", "name"), [
    ("\x00", "a NUL byte"), ("\x1b", "U+001B"), ("\x85", "U+0085"), ("\u2028", "U+2028"),
    ("\u2029", "U+2029"),
])
def test_forbidden_characters_are_located_as_an_editor_counts(
        tmp_path: Path, char: str, name: str) -> None:
    lines = GOOD.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("organisation:"))
    lines[at] = f'organisation: "International{char}Organization"'
    (code, line, message) = findings(crosswalk(tmp_path, "\n".join(lines) + "\n"))[0]
    assert (code, line) == ("CW009", at + 1) and name in message


def test_line_numbers_count_crlf_and_cr_as_editors_do(tmp_path: Path) -> None:
    for ending in ("\r\n", "\r"):
        text = ending.join(GOOD.splitlines()).replace("valid_from: \"2002-01-01\"",
                                                      "valid_from: soon") + ending
        (code, line, _) = findings(crosswalk(tmp_path, text))[0]
        assert code == "CW003"
        assert line == GOOD.splitlines().index("valid_from: \"2002-01-01\"") + 1


def test_a_byte_order_mark_is_not_a_missing_editor_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "generated", tmp_path / "generated")
    crosswalk(tmp_path, b"\xef\xbb\xbf" + GOOD.encode())
    monkeypatch.chdir(tmp_path)
    code, out, _ = validate(capsys, "crosswalks/iom", "--no-bundled")  # iom is bundled too
    assert "CW104" not in out and code == 0


# -- what the tree holds --------------------------------------------------------------------------

@pytest.fixture()
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A partner repository whose crosswalk folder holds links to a secret outside it, to
    /dev/zero and in a loop, an upper-case extension and an empty source folder."""
    repo = tmp_path / "repo"
    (repo / "crosswalks" / "acme").mkdir(parents=True)
    (repo / "crosswalks" / "acme" / "1.0.0.YAML").write_text(
        GOOD.replace("source: iom", "source: acme"), encoding="utf-8")
    (tmp_path / "secret.yaml").write_text(f"token: {SECRET}\n", encoding="utf-8")
    (repo / "crosswalks" / "acme" / "2.0.0.yaml").symlink_to(tmp_path / "secret.yaml")
    (repo / "crosswalks" / "acme" / "3.0.0.yaml").symlink_to("/dev/zero")
    (repo / "crosswalks" / "acme" / "4.0.0.yaml").symlink_to("5.0.0.yaml")
    (repo / "crosswalks" / "acme" / "5.0.0.yaml").symlink_to("4.0.0.yaml")
    (repo / "crosswalks" / "empty").mkdir()
    monkeypatch.chdir(repo)
    return repo


@pytest.mark.parametrize("output_format", ["text", "json", "github", "sarif", "junit"])
def test_the_tree_is_read_safely_and_nothing_outside_it_is_quoted(
        tree: Path, output_format: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = validate(capsys, "crosswalks", "-f", output_format)
    assert code == 1 and SECRET not in out
    if output_format == "json":
        report = json.loads(out)
        where = {(f["code"], f["file"]) for f in report["findings"]
                 if f["code"] in ("CW010", "CW011")}
        assert where == {("CW010", "crosswalks/acme/2.0.0.yaml"),
                         ("CW010", "crosswalks/acme/3.0.0.yaml"),
                         ("CW010", "crosswalks/acme/4.0.0.yaml"),
                         ("CW010", "crosswalks/acme/5.0.0.yaml"),
                         ("CW011", "crosswalks/empty")}
        assert "crosswalks/acme/1.0.0.YAML" in report["files"]  # upper case is a crosswalk


def test_a_named_link_out_of_the_project_is_not_read(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = validate(capsys, "crosswalks/acme/2.0.0.yaml", "-f", "json")
    assert code == 1 and SECRET not in out
    assert [f["code"] for f in json.loads(out)["findings"]] == ["CW010"]


def test_an_empty_folder_is_not_a_clean_run(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "nothing").mkdir()
    code, out, _ = validate(capsys, str(tmp_path / "nothing"))
    assert code == 1 and "CW011" in out


# -- output that cannot be forged ------------------------------------------------------------------

def test_text_output_cannot_forge_a_line_or_reach_the_terminal_raw(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("source: iom", 'source: "io\\nm\\u001b[2J"', 1)
    path = crosswalk(tmp_path, text)
    for output_format in ("text", "github"):
        code, out, _ = validate(capsys, str(path), "-f", output_format)
        assert code == 1
        assert "\x1b" not in out and "\u202e" not in out
        assert all("CW999" not in line for line in out.splitlines())
        finding_lines = [line for line in out.splitlines() if "CW101" in line or "CW003" in line]
        assert finding_lines and all("\\n" in line or "\\u" in line for line in finding_lines)


def test_junit_and_sarif_stay_valid_whatever_the_message_holds(tmp_path: Path) -> None:
    text = GOOD.replace("source: iom", 'source: "\\u0001\\u0008\\uFFFE\\uD800"', 1)
    path = crosswalk(tmp_path, text)
    ET.fromstring(run_output(path, "junit"))  # parses: no character XML forbids
    document = json.loads(run_output(path, "sarif"))
    assert document["runs"][0]["results"]


def run_output(path: Path, output_format: str) -> str:
    result = subprocess.run([sys.executable, "-m", "ctdc_schema", "validate", str(path), "-f",
                             output_format], capture_output=True, check=False)
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    return result.stdout.decode("utf-8")


def test_output_paths_that_would_overwrite_or_fail(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = crosswalk(tmp_path, GOOD)
    before = path.read_bytes()
    code, _, err = validate(capsys, str(path), "-o", str(path))
    assert code == 2 and "is one of the files being read" in err
    assert path.read_bytes() == before
    code, _, err = validate(capsys, str(path), "-o", str(tmp_path))
    assert code == 2 and "it is a folder" in err
    code, _, err = validate(capsys, str(path), "-o", str(path / "report.json"))
    assert code == 2 and "cannot write" in err
    code, out, _ = validate(capsys, str(path), "-o", "-", "-f", "json", "--no-bundled")
    assert json.loads(out)["summary"]["errors"] == 0
    export = tmp_path / "export.csv"
    shutil.copyfile(IOM_EXPORT, export)
    assert run(["transform", str(export), "-s", "iom", "-o", str(export), "-f", "csv"]) == 2
    assert export.read_bytes() == IOM_EXPORT.read_bytes()


# -- data inputs -------------------------------------------------------------------------------------

def test_special_and_endless_files_are_refused(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for target in ("/dev/zero", str(fifo)):
        code, _, err = validate(capsys, target, "-s", "iom")
        assert code == 2 and "not a regular file" in err


@pytest.mark.parametrize(("length", "rejected"), [
    (readers.MAX_LINE_BYTES - 1024, False), (readers.MAX_LINE_BYTES + 1024, True)])
def test_a_line_just_under_and_over_the_size_limit(tmp_path: Path, length: int,
                                                   rejected: bool) -> None:
    """DuckDB enforces the limit (``max_line_size``); a kilobyte either side of it."""
    rows = IOM_EXPORT.read_text(encoding="utf-8").splitlines()
    first, rest = rows[2].split(",", 1)
    rows[2] = first + " " * (length - len(rows[2].encode())) + "," + rest
    assert len(rows[2].encode()) == length
    path = tmp_path / "export.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = harmonise.validate_exports([Delivery(path, "iom")])
    found = [(f.code, f.line) for f in report.findings if f.code == "DX103"]
    assert found == ([("DX103", 3)] if rejected else [])


def test_a_huge_line_is_a_rejected_row_not_a_memory_spike(tmp_path: Path) -> None:
    rows = IOM_EXPORT.read_text(encoding="utf-8").splitlines()
    rows.insert(2, "X" * (readers.MAX_LINE_BYTES * 4) + "," + rows[2].split(",", 1)[1])
    path = tmp_path / "export.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = harmonise.validate_exports([Delivery(path, "iom")])
    assert [(f.code, f.line) for f in report.findings] == [("DX103", 3)]


def test_columns_just_under_and_over_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    header = IOM_EXPORT.read_text(encoding="utf-8").splitlines()[0].split(",")
    monkeypatch.setattr(readers, "MAX_COLUMNS", len(header))
    assert validate(capsys, str(IOM_EXPORT), "-s", "iom")[0] == 0
    monkeypatch.setattr(readers, "MAX_COLUMNS", len(header) - 1)
    code, _, err = validate(capsys, str(IOM_EXPORT), "-s", "iom")
    assert code == 2 and "over the limit" in err


def workbook(path: Path, rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_zip_bombs_are_refused_and_ordinary_workbooks_are_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    rows = [line.split(",") for line in IOM_EXPORT.read_text(encoding="utf-8").splitlines()]
    book = workbook(tmp_path / "export.xlsx", rows)
    with zipfile.ZipFile(book) as archive:
        unpacked = sum(e.file_size for e in archive.infolist())
        stored = sum(e.compress_size for e in archive.infolist())
    monkeypatch.setattr(readers, "MAX_XLSX_RATIO", unpacked // stored + 1)
    assert validate(capsys, str(book), "-s", "iom")[0] == 0
    monkeypatch.setattr(readers, "MAX_XLSX_RATIO", unpacked // stored - 1)
    code, _, err = validate(capsys, str(book), "-s", "iom")
    assert code == 2 and "over the limits" in err
    monkeypatch.setattr(readers, "MAX_XLSX_RATIO", 10_000)
    monkeypatch.setattr(readers, "MAX_XLSX_UNPACKED", unpacked)
    assert validate(capsys, str(book), "-s", "iom")[0] == 0
    monkeypatch.setattr(readers, "MAX_XLSX_UNPACKED", unpacked - 1)
    code, _, err = validate(capsys, str(book), "-s", "iom")
    assert code == 2 and "over the limits" in err
    monkeypatch.undo()
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<a>" + " " * (64 << 20) + "</a>")
    code, _, err = validate(capsys, str(bomb), "-s", "iom")
    assert code == 2 and "unpacks to" in err


def test_nested_json_values_are_rejected_rows(tmp_path: Path) -> None:
    header, first, *_ = IOM_EXPORT.read_text(encoding="utf-8").splitlines()
    record = dict(zip(header.split(","), first.split(","), strict=True))
    deep = dict(record, case_id=json.loads("[" * 200 + "]" * 200))
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (record, deep, record)) + "\n",
                    encoding="utf-8")
    report = harmonise.validate_exports([Delivery(path, "iom")])
    assert [(f.code, f.line) for f in report.findings] == [("DX103", 2)]
    assert "a list or an object" in report.findings[0].message


def test_formulas_are_neutralised_in_csv_outputs(tmp_path: Path) -> None:
    rows = IOM_EXPORT.read_text(encoding="utf-8").splitlines()
    rows[1] = '"=HYPERLINK(""http://evil"",""x"")"' + rows[1][rows[1].index(","):]
    rows[2] = rows[2].replace("Feminine", "@SUM(A1)", 1).replace("Masculine", "@SUM(A1)", 1)
    path = tmp_path / "export.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    harmonise.transform([Delivery(path, "iom")], out, allow_errors=True)
    written = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in written and "\n=" not in written and ",=" not in written
    side = harmonise.rejected_path(out).read_text(encoding="utf-8")
    assert ",'@SUM(A1)" in side and ",@SUM" not in side


def test_column_names_crafted_against_sql_are_only_names(tmp_path: Path) -> None:
    rows = IOM_EXPORT.read_text(encoding="utf-8").splitlines()
    rows[0] += ',"x""; DROP TABLE g; --",$1,{p},"a\x1b[31mb"'
    rows[1:] = [row + ",1,2,3,4" for row in rows[1:]]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = harmonise.validate_exports([Delivery(path, "iom")])
    assert [f.code for f in report.findings] == ["DX102"] * 4
    assert all("\x1b" not in f.message and "\x1b" not in (f.field or "")
               for f in report.findings)
    assert report.exports[0]["records"] == 500


def test_no_message_quotes_more_than_a_short_excerpt(tmp_path: Path) -> None:
    from ctdc_schema.findings import MAX_TEXT

    huge = "A" * 100_000
    text = GOOD.replace("source: iom", f"source: {huge}", 1).replace(
        '      "Feminine": female', f'      "{huge}": female\n      "{huge[:-1]}": femail', 1)
    found = findings(crosswalk(tmp_path, text))
    assert found and all(len(message) <= MAX_TEXT + 3 for _, _, message in found)
    from ctdc_schema.findings import RULES

    just = "B" * MAX_TEXT
    assert RULES["CW003"].at(just, "x.yaml").message == just
    assert RULES["CW003"].at(just + "B", "x.yaml").message == just + "..."


def test_an_inline_ignore_comment_cannot_stall_the_check() -> None:
    # a comment that never closes its bracket, as long as a crosswalk may be: read in one pass
    from ctdc_schema import settings

    line = "x: 1  # ctdc: ignore[" + " " * (yamlsource.MAX_BYTES - 30)
    assert settings.inline_ignored(line) == {}
    assert settings.inline_ignored('x: "' + "\\\\" * 400_000 + '"  # ctdc: ignore') == {1: None}
