"""`ctdc diff`: every change between two versions, classified breaking / additive / patch and
located, on the real Polaris pair and on small edits of real files."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT

from ctdc_schema import diff, rules
from ctdc_schema.cli import run

POLARIS = ROOT / "crosswalks" / "polaris"
IOM = ROOT / "crosswalks" / "iom" / "2.0.0.yaml"


@pytest.fixture(autouse=True)
def _rules() -> None:
    rules.load_all()


def found(report: object) -> list[tuple[str, str, int | None, str]]:
    return [(f.code, Path(f.file).name, f.line, f.message)
            for f in report.findings]  # type: ignore[attr-defined]


def test_the_polaris_typology_change(capsys: pytest.CaptureFixture[str]) -> None:
    report = diff.diff(POLARIS / "2.0.0.yaml", POLARIS / "2.1.0.yaml")
    codes = Counter(f.code for f in report.findings)
    # 2017-03-29: the Typology of Modern Slavery replaced the venue list
    assert codes["CH104"] == 12 and codes["CH201"] > 20 and codes["CH107"] == 1
    assert not codes["CH105"] and not codes["CH106"]
    listed = found(report)
    assert ("CH104", "2.0.0.yaml", 354, "code 'Agriculture/Farms' of Venue/Industry -> "
            "labour_sectors is no longer mapped") in listed
    assert ("CH201", "2.1.0.yaml", 356, "code 'Agriculture & Animal Husbandry' of "
            "Venue/Industry -> labour_sectors added") in listed
    assert ("CH107", "2.1.0.yaml", 102, "validity window [2015-01-01, 2017-03-29) -> "
            "[2017-03-29, open)") in listed
    assert run(["diff", str(POLARIS / "2.0.0.yaml"), str(POLARIS / "2.1.0.yaml"),
                "-f", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["errors"] == 13


def edited(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = IOM.read_text(encoding="utf-8")
    for before, after in replacements:
        assert before in text, before
        text = text.replace(before, after, 1)
    path = tmp_path / "new" / "iom" / "2.0.0.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(("replacement", "code", "message"), [
    (('"Feminine": female', '"Feminine": male'), "CH105",
     "code 'Feminine' of gender -> gender now reaches male, not female"),
    (('"Feminine": female', '"Feminine": {value: female, predicate: closeMatch}'), "CH106",
     "code 'Feminine' of gender -> gender: exactMatch -> closeMatch"),
    (('"Feminine": female', '"Feminine": female\n      "Femme": female'), "CH201",
     "code 'Femme' of gender -> gender added"),
    (('valid_from: "2002-01-01"', 'valid_from: "2010-01-01"'), "CH107",
     "validity window [2002-01-01, open) -> [2010-01-01, open)"),
    (('valid_from: "2002-01-01"', 'valid_from: "2000-01-01"'), "CH203",
     "validity window [2002-01-01, open) -> [2000-01-01, open)"),
])
def test_each_kind_of_crosswalk_change(tmp_path: Path, replacement: tuple[str, str], code: str,
                                       message: str) -> None:
    new = edited(tmp_path, replacement)
    listed = [(c, m) for c, _, _, m in found(diff.diff(IOM, new))]
    assert listed == [(code, message)]


def test_a_removed_code_is_located_on_the_old_side(tmp_path: Path) -> None:
    new = edited(tmp_path, ('      "Feminine": female\n', ""))
    (change,) = diff.diff(IOM, new).findings
    assert (change.code, change.file, change.line) == (
        "CH104", IOM.as_posix(), line_of(IOM, '"Feminine": female'))


def test_wording_only_is_a_patch(tmp_path: Path) -> None:
    text = IOM.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    new = edited(tmp_path, (title, title + " (reworded)"))
    report = diff.diff(IOM, new)
    assert {f.code for f in report.findings} == {"CH301"}
    assert report.exit_code("error") == 0
    assert diff.diff(IOM, IOM).findings == []


def test_vocabulary_changes(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(ROOT / "schema", old)
    shutil.copytree(ROOT / "schema", new)
    main = new / "ctdc.yaml"
    lines = main.read_text(encoding="utf-8").split("\n")
    start = lines.index("      transgender_nonconforming:")
    end = start + 1
    while not lines[end].strip() or lines[end].startswith("       "):  # the value's block
        end += 1
    text = "\n".join(lines[:start] + lines[end:])
    text = text.replace("  exploitation_types:\n    range: ExploitationType\n"
                        "    multivalued: true", "  exploitation_types:\n"
                        "    range: ExploitationType\n    multivalued: false", 1)
    main.write_text(text, encoding="utf-8")
    listed = found(diff.diff(old, new))
    assert ("CH102", "ctdc.yaml", line_of(old / "ctdc.yaml",
                                           "      transgender_nonconforming:"),
            "Gender: value transgender_nonconforming removed") in listed
    assert ("CH103", "ctdc.yaml", line_of(main, "  exploitation_types:"),
            "slot exploitation_types: single-valued changed") in listed


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["diff", str(IOM), str(ROOT / "schema")]) == 2
    assert "compare a crosswalk with a crosswalk" in capsys.readouterr().err
    assert run(["diff", str(IOM), "nope.yaml"]) == 2
    assert "no such file or folder: nope.yaml" in capsys.readouterr().err


def test_against_a_git_revision_reads_the_old_files_with_git(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                       env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                            "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})

    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    for source in ("iom", "polaris"):
        shutil.copytree(ROOT / "crosswalks" / source, tmp_path / "crosswalks" / source)
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "release")
    current = tmp_path / "crosswalks" / "iom" / "2.0.0.yaml"
    current.write_text(current.read_text().replace('"Feminine": female', '"Feminine": male'))
    (tmp_path / "crosswalks" / "polaris" / "2.0.0.yaml").unlink()
    shutil.copyfile(current, tmp_path / "crosswalks" / "iom" / "3.0.0.yaml")
    monkeypatch.chdir(tmp_path)
    listed = [(f.code, f.file, f.line) for f in diff.against("HEAD").findings]
    assert ("CH105", "crosswalks/iom/2.0.0.yaml", line_of(current, '"Feminine": male')) \
        in listed
    assert ("CH104", "HEAD:crosswalks/polaris/2.0.0.yaml", None) in listed
    assert ("CH201", "crosswalks/iom/3.0.0.yaml", 1) in listed
    assert len(listed) == 3  # the vocabulary and Polaris 2.1.0 did not change
    assert run(["diff", "--against", "HEAD", "-f", "github"]) == 1
    assert "::error file=crosswalks/iom/2.0.0.yaml," in capsys.readouterr().out
    assert run(["diff", "--against", "--help"]) == 2
    assert "not a git revision" in capsys.readouterr().err
