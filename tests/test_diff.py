"""`ctdc diff`: every change between two versions, classified breaking / additive / patch and
located, on the real Polaris pair and on small edits of real files."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, drop_value

from ctdc_schema import diff, impact, rules, vocabulary_version
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
    """2.1.0 continues 2.0.0 from 2017-03-29, when the Typology of Modern Slavery replaced the
    venue list: a change of the source's coding. The retired venue codes are not breaking
    (records before that date keep 2.0.0) and no code both versions map re-means anything, so
    the pair needs a minor step, which 2.0.0 -> 2.1.0 is."""
    report = diff.diff(POLARIS / "2.0.0.yaml", POLARIS / "2.1.0.yaml")
    codes = Counter(f.code for f in report.findings)
    assert codes == {"CH201": 23, "CH204": 12, "CH301": 7, "CH205": 1}
    listed = found(report)
    old, new = POLARIS / "2.0.0.yaml", POLARIS / "2.1.0.yaml"
    assert ("CH204", "2.0.0.yaml", line_of(old, '"Agriculture/Farms":'),
            "code 'Agriculture/Farms' of Venue/Industry -> labour_sectors is no longer "
            "mapped") in listed
    assert ("CH201", "2.1.0.yaml", line_of(new, '"Agriculture & Animal Husbandry":'),
            "code 'Agriculture & Animal Husbandry' of Venue/Industry -> labour_sectors "
            "added") in listed
    assert ("CH205", "2.1.0.yaml", line_of(new, "valid_from:"), "polaris@2.1.0 continues "
            "polaris@2.0.0 from 2017-03-29") in listed
    assert run(["diff", str(POLARIS / "2.0.0.yaml"), str(POLARIS / "2.1.0.yaml"),
                "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["errors"] == 0


def test_the_same_retirement_in_place_is_breaking(tmp_path: Path) -> None:
    """Dropping a code from a version (not continuing it from a later date) re-means the
    exports of its own window: CH104, not CH204."""
    text = (POLARIS / "2.0.0.yaml").read_text(encoding="utf-8")
    assert '      "Factory/Manufacturing": manufacturing\n' in text
    new = tmp_path / "polaris" / "2.0.0.yaml"
    new.parent.mkdir()
    new.write_text(text.replace('      "Factory/Manufacturing": manufacturing\n', "", 1),
                   encoding="utf-8")
    assert [f.code for f in diff.diff(POLARIS / "2.0.0.yaml", new).findings] == ["CH104"]


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
    drop_value(main, "transgender_nonconforming")
    text = main.read_text(encoding="utf-8").replace("  exploitation_types:\n    range: ExploitationType\n"
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


@pytest.fixture(scope="module")
def harmonised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example deliveries and the real CTDC 2020 sample, harmonised by the engine: every
    record names its vocabulary and crosswalk versions."""
    from conftest import CTDC_2020_FULL

    out = tmp_path_factory.mktemp("harmonised") / "records.parquet"
    assert run(["transform", "--manifest", str(ROOT / "examples" / "manifest.yaml"),
                "-i", str(CTDC_2020_FULL), "-s", "ctdc-public", "-o", str(out)]) == 0
    return out


def _count(data: Path, where: str, *params: object) -> int:
    sql = f"SELECT count(*) FROM read_parquet(?) WHERE {where}"  # the tests' own fixed SQL
    return int(duckdb.execute(sql, [str(data), *params]).fetchone()[0])  # type: ignore[index]


def test_records_a_vocabulary_change_re_means(tmp_path: Path, harmonised: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(ROOT / "schema", old)
    shutil.copytree(ROOT / "schema", new)
    drop_value(new / "ctdc.yaml", "transgender_nonconforming")
    assert run(["diff", str(old), str(new), "--records", str(harmonised), "-f", "json"]) == 1
    (change,) = json.loads(capsys.readouterr().out)["findings"]
    version = vocabulary_version()
    made = _count(harmonised, "vocabulary_version = ?", version)
    holding = _count(harmonised, "vocabulary_version = ? AND gender = ?", version,
                     "transgender_nonconforming")
    years = duckdb_years(harmonised, "gender = 'transgender_nonconforming'")
    assert made > 5000 and holding > 0
    assert change["message"] == (
        f"Gender: value transgender_nonconforming removed — {holding:,} of the {made:,} "
        f"records made under vocabulary {version} hold it, registered {years[0]} to "
        f"{years[1]}")


def test_records_a_crosswalk_change_may_re_mean(tmp_path: Path, harmonised: Path) -> None:
    new = edited(tmp_path, ('"Feminine": female', '"Feminine": male'))
    report = diff.diff(IOM, new)
    (change,) = impact.count(report.findings, harmonised)
    iom = _count(harmonised, "source_id = 'iom' AND crosswalk_version = '2.0.0'")
    female = _count(harmonised, "source_id = 'iom' AND crosswalk_version = '2.0.0' AND "
                                "gender = 'female'")
    assert 0 < female < iom
    first, last = duckdb_years(harmonised, "source_id = 'iom' AND gender = 'female'")
    assert change.message.endswith(f" — {female:,} of the {iom:,} records made under iom 2.0.0 "
                                   "hold its old target (an upper bound), registered "
                                   f"{first} to {last}")


def duckdb_years(data: Path, where: str) -> tuple[int, int]:
    low, high = duckdb.execute(f"SELECT min(year_of_registration), max(year_of_registration) "
                               f"FROM read_parquet(?) WHERE {where}", [str(data)]).fetchone() \
        or (0, 0)
    return int(low), int(high)


# -- what a review found the diff missed or misjudged ------------------------------------------

def _polaris_edit(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = (POLARIS / name).read_text(encoding="utf-8")
    for before, after in replacements:
        assert before in text, before
        text = text.replace(before, after, 1)
    path = tmp_path / "polaris" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_conditions_and_collection_windows_are_compared(tmp_path: Path) -> None:
    labour = 'in: ["Labor", "Sex and Labor", "Labor Trafficking"]}\n            value: hospitality'
    new = _polaris_edit(tmp_path, "2.1.0.yaml", (labour, labour.replace('"Sex and Labor", ', "")))
    (change,) = diff.diff(POLARIS / "2.1.0.yaml", new).findings
    assert change.code == "CH105" and "'Bars, Strip Clubs & Cantinas'" in change.message
    public = ROOT / "crosswalks" / "ctdc-public" / "2.0.0.yaml"
    moved = tmp_path / "ctdc-public" / "2.0.0.yaml"
    moved.parent.mkdir()
    moved.write_text(public.read_text(encoding="utf-8").replace(
        'collected_from: "2017-01-01"', 'collected_from: "2016-01-01"', 1), encoding="utf-8")
    assert [f.code for f in diff.diff(public, moved).findings] == ["CH108"]


def test_a_column_that_feeds_another_slot_is_re_mapped(tmp_path: Path) -> None:
    new = edited(tmp_path, ("    slot: gender\n", "    slot: majority_status\n"))
    codes = Counter(f.code for f in diff.diff(IOM, new).findings)
    assert codes["CH105"] == 1 and not codes["CH201"] and not codes["CH104"]


@pytest.mark.parametrize(("before", "after", "code"), [
    ("broadMatch", "closeMatch", "CH202"), ("broadMatch", "relatedMatch", "CH106"),
    ("broadMatch", "narrowMatch", "CH106"), ("broadMatch", "exactMatch", "CH202")])
def test_predicates_are_ranked(tmp_path: Path, before: str, after: str, code: str) -> None:
    old_text = '        value: transgender_nonconforming\n        predicate: broadMatch'
    new = edited(tmp_path, (old_text, old_text.replace(before, after)))
    assert [f.code for f in diff.diff(IOM, new).findings] == [code]


@pytest.mark.parametrize(("bound", "code"), [
    ("maximum_value: 2200", "CH201"), ("maximum_value: 2050", "CH103")])
def test_bounds_are_compared_by_direction(tmp_path: Path, bound: str, code: str) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(ROOT / "schema", old)
    shutil.copytree(ROOT / "schema", new)
    text = (new / "ctdc.yaml").read_text(encoding="utf-8")
    (new / "ctdc.yaml").write_text(text.replace("    maximum_value: 2100", f"    {bound}", 1),
                                   encoding="utf-8")
    assert [f.code for f in diff.diff(old, new).findings] == [code]


def test_records_are_counted_alike_in_csv_and_parquet(tmp_path: Path) -> None:
    assert run(["transform", "--manifest", str(ROOT / "examples" / "manifest.yaml"),
                "-o", str(tmp_path / "examples.csv")]) == 0
    assert run(["transform", "--manifest", str(ROOT / "examples" / "manifest.yaml"),
                "-o", str(tmp_path / "examples.parquet")]) == 0
    new = edited(tmp_path, ('"ForcedLabour": forced_labour', '"ForcedLabour": other_exploitation'))
    report = diff.diff(IOM, new)
    counts = {fmt: impact.count(report.findings, tmp_path / f"examples.{fmt}")[0].message
              for fmt in ("csv", "parquet")}
    assert counts["csv"] == counts["parquet"] and " 0 of the" not in counts["csv"], counts
    assert run(["diff", str(IOM), str(new), "--records",
                str(ROOT / "examples" / "iom" / "case_export.csv")]) == 2  # not harmonised


def test_against_compares_a_new_version_with_its_predecessor(tmp_path: Path) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                       env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                            "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})

    shutil.copytree(ROOT / "crosswalks" / "iom", tmp_path / "crosswalks" / "iom")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "release")
    text = IOM.read_text(encoding="utf-8").replace("version: 2.0.0", "version: 3.0.0\n"
                                                   "supersedes: 2.0.0", 1)
    (tmp_path / "crosswalks" / "iom" / "3.0.0.yaml").write_text(
        text.replace('"Feminine": female', '"Feminine": male', 1), encoding="utf-8")
    codes = [f.code for f in diff.against("HEAD", tmp_path).findings]
    assert codes == ["CH201", "CH105"], codes


def test_annotation_changes_are_classified(tmp_path: Path) -> None:
    """Where a value lands in HTCDS, compared as resolved: another HTCDS value or none is
    breaking whatever decides it (here a mapping made narrow); an annotation the toolkit acts
    on changed is breaking, one added additive; a note is wording."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(ROOT / "schema", old)
    shutil.copytree(ROOT / "schema", new)
    main = new / "ctdc.yaml"
    text = main.read_text(encoding="utf-8")
    for before, after in (
            # uses_children loses its closeMatch to ThreatensChildrenFamily: no HTCDS value
            ("        close_mappings:\n          - htcds:ThreatensChildrenFamily",
             "        narrow_mappings:\n          - htcds:ThreatensChildrenFamily"),
            # restricts_movement declared to have none instead of Other
            ("          htcds_value: Other\n          htcds_note: >-\n"
             "            HTCDS's field definitions describe RestrictsMovement",
             "          htcds_value: none\n          htcds_note: >-\n"
             "            HTCDS's field definitions describe RestrictsMovement"),
            ("      disclosure: sensitive\n    range: LabourSector",
             "      disclosure: quasi_identifier\n    range: LabourSector"),
            ("      htcds_field: prs_Gender\n",
             "      htcds_field: prs_Gender\n      htcds_note: Gender.\n"),
            ("      htcds_field: vic_RelationshipToTrafficker\n",
             "      htcds_field: vic_RelationshipToTrafficker\n      scope: recruiters\n")):
        assert before in text, before
        text = text.replace(before, after, 1)
    main.write_text(text, encoding="utf-8")
    listed = {(code, line, message) for code, _, line, message in found(diff.diff(old, new))}
    assert listed == {
        ("CH110", line_of(main, "      uses_children:"),
         "MeansOfControl.uses_children: HTCDS vic_MethodsOfControl value "
         "ThreatensChildrenFamily -> (undeclared: VC107)"),
        ("CH110", line_of(main, "      restricts_movement:"),
         "MeansOfControl.restricts_movement: HTCDS vic_MethodsOfControl value Other -> (none)"),
        ("CH110", line_of(main, "  labour_sectors:"),
         "slot labour_sectors: annotation disclosure: sensitive -> quasi_identifier"),
        ("CH301", line_of(main, "  gender:"), "slot gender: annotation htcds_note added"),
        ("CH201", line_of(main, "  recruiter_relationships:"),
         "slot recruiter_relationships: annotation scope added (recruiters)")}
