"""A partner's first hour, in its own repository: its crosswalk is judged with everyone's,
its editor line works, and it can tune the checks the way linters are tuned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

from ctdc_schema import checker, resources, settings
from ctdc_schema.cli import run

IOM = (ROOT / "crosswalks" / "iom" / "2.0.0.yaml").read_text(encoding="utf-8")
MODELINE = resources.EDITOR_SCHEMA_LINE + resources.CROSSWALK_SCHEMA_URL


def partner_repo(tmp_path: Path, source: str = "acme", first_line: str = MODELINE) -> Path:
    """A partner repository holding one crosswalk, the IOM one under another name."""
    text = IOM.replace("source: iom\n", f"source: {source}\n").replace(
        "version: 2.0.0\n", "version: 1.0.0\n")
    lines = text.split("\n")
    lines[0] = first_line
    path = tmp_path / "crosswalks" / source / "1.0.0.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: Acme data\nnav: [index.md]\n")
    return path


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = run(["validate", "-f", "json", *args])
    out, err = capsys.readouterr()
    assert err == ""
    return code, json.loads(out)


def test_a_partner_crosswalk_is_compared_with_every_bundled_source(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = partner_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, report = validate(capsys, "crosswalks/acme")
    assert code == 0 and report["files"] == ["crosswalks/acme/1.0.0.yaml"]
    cross = [f for f in report["findings"] if f["code"] == "CW501"]
    # the same 28 conflicts IOM's own crosswalk has, now also against IOM itself
    assert len(cross) == 28, [f["message"] for f in report["findings"]]
    assert {f["file"] for f in report["findings"]} == {"crosswalks/acme/1.0.0.yaml"}
    first = next(f for f in cross if f["message"].startswith("gender=female "))
    assert first["message"] == (
        "gender=female is reached under different meanings: acme@1.0.0 (closeMatch, victim); "
        "ctdc-public@2.0.0 (closeMatch, victim); ctdc-public-2017@1.0.0 (exactMatch, victim); "
        "ctdc-synthetic@1.0.0 (exactMatch, victim); iom@2.0.0 (closeMatch, victim); "
        "polaris@2.1.0 (exactMatch, potential_victim)")
    assert first["line"] == next(n for n, line in enumerate(
        path.read_text().splitlines(), 1) if line.strip().startswith('"Feminine":'))
    # bundled places are named by the package, never by a site-packages or checkout path
    related = {r["file"].rsplit("/", 2)[0] for f in cross for r in f["related"]}
    assert related == {"ctdc-schema:crosswalks"}
    # alone, it has nothing to be compared with
    code, alone = validate(capsys, "crosswalks/acme", "--no-bundled")
    assert (code, alone["findings"]) == (0, [])


def test_a_source_id_taken_from_a_bundled_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    partner_repo(tmp_path, "iom")
    monkeypatch.chdir(tmp_path)
    code, report = validate(capsys, "crosswalks")
    (taken,) = [f for f in report["findings"] if f["code"] == "CW105"]
    assert code == 1 and (taken["file"], taken["line"]) == ("crosswalks/iom/1.0.0.yaml", 8)
    assert taken["message"] == (
        "source 'iom' is already a bundled source of ctdc-schema; choose another id "
        "(--no-bundled checks a change to the bundled crosswalk itself)")
    # the partner's iom replaces the bundled one: no window overlap with it (CW112)
    assert not [f for f in report["findings"] if f["code"].startswith("CW11")]


def test_validate_dot_reads_only_crosswalk_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    partner_repo(tmp_path)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "extra.yaml").write_text("a: 1\n")
    monkeypatch.chdir(tmp_path)
    code, report = validate(capsys, ".", "--select", "CW0,CW1,CW2,CW3")
    assert (code, report["files"], report["findings"]) == (0, ["crosswalks/acme/1.0.0.yaml"], [])


def test_validate_dot_without_a_crosswalks_folder_and_with_a_linked_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.yaml").write_text("debug: true\n")
    monkeypatch.chdir(tmp_path)
    code, report = validate(capsys, ".")
    assert code == 1 and report["files"] == ["."]
    assert [f["code"] for f in report["findings"]] == ["CW011"]  # nothing read, and said so
    real = tmp_path / "data" / "mappings"
    partner_repo(real)
    (tmp_path / "crosswalks").symlink_to(real / "crosswalks")
    code, report = validate(capsys, ".", "--select", "CW0,CW1")
    assert (code, report["files"], report["findings"]) == (
        0, ["crosswalks/acme/1.0.0.yaml"], [])


def test_the_editor_schema_accepts_what_the_format_allows() -> None:
    from jsonschema import Draft201909Validator

    schema = json.loads(resources.crosswalk_schema().read_text(encoding="utf-8"))
    variable = {"column": "Type", "slot": "exploitation_types", "predicate": "exactMatch",
                "values": {"FL": {"value": ["forced_labour", "forced_military"]},
                           "S": "sexual_exploitation", "B": ["sexual_exploitation"],
                           "N": {"values": []}, "X": None}}
    validator = Draft201909Validator({"$defs": schema["$defs"], "$ref": "#/$defs/Variable"})
    assert list(validator.iter_errors(variable)) == []
    variable["values"]["S"] = "sexual_exploitaton"
    assert len(list(validator.iter_errors(variable))) == 1


@pytest.mark.parametrize(("first_line", "warned"), [
    (MODELINE, False),
    (resources.EDITOR_SCHEMA_LINE + str(resources.crosswalk_schema()), False),
    (resources.EDITOR_SCHEMA_LINE + "../../generated/jsonschema/crosswalk.schema.json", True),
    (resources.EDITOR_SCHEMA_LINE + "https://example.org/crosswalk.schema.json", True),
    ("# a comment", True),
])
def test_the_editor_line_partners_can_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          first_line: str, warned: bool) -> None:
    partner_repo(tmp_path, first_line=first_line)
    monkeypatch.chdir(tmp_path)
    found = checker.validate([Path("crosswalks")], bundled=False).findings
    assert [f.code for f in found] == (["CW104"] if warned else [])
    if warned:
        assert found[0].message.endswith(f"; use '{MODELINE}'")


def test_schema_command_prints_the_schema_its_path_and_the_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "--modeline"]) == 0
    assert capsys.readouterr().out == MODELINE + "\n"
    assert run(["schema", "--path", "-o", "x.json"]) == 2
    assert "-o writes the schema itself" in capsys.readouterr().err
    assert run(["schema", "--path"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == resources.crosswalk_schema() and path.is_file()
    assert run(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(path.read_text(encoding="utf-8"))


# -- the habits of a linter ---------------------------------------------------------------------

def codes(report: dict) -> list[str]:
    return sorted({f["code"] for f in report["findings"]})


def test_select_and_ignore_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    partner_repo(tmp_path, first_line="# no editor line")
    monkeypatch.chdir(tmp_path)
    assert codes(validate(capsys, "crosswalks")[1]) == ["CW104", "CW501"]
    assert codes(validate(capsys, "crosswalks", "--select", "CW1")[1]) == ["CW104"]
    assert codes(validate(capsys, "crosswalks", "--ignore", "cw5,CW104")[1]) == []
    assert run(["validate", "crosswalks", "--select", "CW5O1"]) == 2
    assert capsys.readouterr().err == (
        "ctdc: error: --select: 'CW5O1' is no rule code nor the start of one; `ctdc rules` "
        "lists them\n")


@pytest.mark.parametrize(("name", "text"), [
    ("pyproject.toml", '[project]\nname = "acme-crosswalks"\n\n[tool.ctdc]\nignore = ["CW501"]\n'),
    ("ctdc.toml", 'ignore = ["CW501"]\n'),
])
def test_settings_in_pyproject_or_ctdc_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str], name: str,
                                            text: str) -> None:
    partner_repo(tmp_path, first_line="# no editor line")
    (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path / "crosswalks")  # found from a subfolder too
    assert codes(validate(capsys, "acme")[1]) == ["CW104"]
    # the command line wins over the file, key by key
    assert codes(validate(capsys, "acme", "--ignore", "CW104")[1]) == ["CW501"]


def test_bad_settings_are_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    partner_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    for text, message in [
        ("selekt = ['CW1']\n", "unknown ctdc setting 'selekt'; the settings are select, ignore"),
        ("ignore = 'CW501'\n", "'ignore' must be a list of rule codes"),
        ("ignore = [\n", "cannot read the ctdc settings"),
    ]:
        (tmp_path / "ctdc.toml").write_text(text)
        assert run(["validate", "crosswalks"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"ctdc: error: {tmp_path / 'ctdc.toml'}: ") and message in err, err


def test_an_inline_comment_silences_a_code_on_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = partner_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = validate(capsys, "crosswalks")[1]["findings"]
    female = next(f for f in before if f["message"].startswith("gender=female "))
    lines = path.read_text().split("\n")
    lines[female["line"] - 1] += "  # ctdc: ignore[CW501] reviewed with IOM, 2026-11"
    path.write_text("\n".join(lines))
    after = validate(capsys, "crosswalks")[1]["findings"]
    assert len(after) == len(before) - 1 and female["message"] not in {
        f["message"] for f in after}
    # another code on the line silences nothing; a bare ignore silences every code
    lines[female["line"] - 1] = lines[female["line"] - 1].replace("[CW501]", "[CW104]")
    path.write_text("\n".join(lines))
    assert len(validate(capsys, "crosswalks")[1]["findings"]) == len(before)
    assert settings.inline_ignored("a: 1  # ctdc: ignore\nb: 2  # ctdc: ignore[cw1, CW2]\n") \
        == {1: None, 2: frozenset({"CW1", "CW2"})}


@pytest.mark.parametrize("line_end", [
    "  # ctdc: ignore [CW104]",           # not the bracket form, and not alone: nothing
    "  # ctdc: ignored, reviewed",        # another word
    "  # ctdc: ignore[CW-104]",           # not a code: a malformed list silences nothing
    "  # ctdc: ignore[CW104]",            # another code
])
def test_inline_comments_that_silence_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str],
                                              line_end: str) -> None:
    path = partner_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = len(validate(capsys, "crosswalks")[1]["findings"])
    text = path.read_text()
    path.write_text(text.replace('"Feminine": female\n', f'"Feminine": female{line_end}\n'))
    assert len(validate(capsys, "crosswalks")[1]["findings"]) == before
    # a `#` inside a quoted code is text, not a comment
    assert settings.inline_ignored('"Fem # ctdc: ignore": female\n') == {}


def test_settings_stop_at_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    outer = tmp_path / "outer"
    repo = outer / "acme"
    repo.mkdir(parents=True)
    partner_repo(repo)
    (repo / ".git").mkdir()
    (outer / "ctdc.toml").write_text('ignore = ["CW5"]\n')           # above the repository
    (repo / "pyproject.toml").write_text("[project]\nname = [\n")    # broken, and not ours
    monkeypatch.chdir(repo)
    code, report = validate(capsys, "crosswalks")
    assert code == 0 and codes(report) == ["CW501"]
    assert run(["validate", "crosswalks", "--select", ","]) == 2
    assert "no rule code in ','" in capsys.readouterr().err


def test_cw501_names_each_source_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = partner_repo(tmp_path)
    # a second variable of the same source reaches gender=female under another meaning
    path.write_text(path.read_text() + (
        "  - column: sex_at_birth\n    slot: gender\n    predicate: relatedMatch\n"
        "    values:\n      \"F\": female\n"))
    monkeypatch.chdir(tmp_path)
    report = validate(capsys, "crosswalks", "--select", "CW501")[1]
    female = next(f for f in report["findings"] if f["message"].startswith("gender=female "))
    assert "acme@1.0.0 (closeMatch, victim; relatedMatch, victim); ctdc-public@2.0.0" in \
        female["message"]
    assert female["message"].count("acme@") == 1


def test_overlap_lines_up_and_says_when_one_source_is_alone(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["overlap"]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = lines[:lines.index("")]
    header = table[0]
    columns = [header.index(name) for name in ("iom", "polaris")]
    for row in table[2:]:
        for column in columns:  # every cell starts under its source's name
            assert row[column - 1] == " " and row[column] != " ", row
    assert run(["overlap", str(ROOT / "crosswalks" / "iom")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "one source only: nothing to compare it with (name more crosswalks, or none for every "
        "bundled one)")
