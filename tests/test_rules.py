"""Every rule has a bad file under tests/data/rules/<CODE>/ that triggers it at a marked line.

A marker comment ``# expect: CODE`` at the end of a line says that finding CODE must be
reported on exactly that line of exactly that file; findings without a marker fail the test,
so the fixtures also prove that nothing else fires.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import DATA, ROOT

from ctdc_schema import checker, rules
from ctdc_schema.findings import RULES

RULE_DATA = DATA / "rules"
MARKER = re.compile(rb"#\s*expect:\s*([A-Z]{2}\d{3}(?:[ ,]+[A-Z]{2}\d{3})*)")


def expected(root: Path) -> set[tuple[str, int, str]]:
    found = set()
    for path in sorted(root.rglob("*.yaml")):
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            match = MARKER.search(line)
            if match:
                for code in re.split(r"[ ,]+", match.group(1).decode()):
                    found.add((path.relative_to(root).as_posix(), number, code))
    return found


def reported(root: Path) -> set[tuple[str, int, str]]:
    # each fixture is judged alone; CW105 is about the bundled crosswalks, so it sees them
    report = checker.validate([root], ROOT / "schema", bundled=root.name == "CW105")
    return {
        (Path(f.file).absolute().relative_to(root.absolute()).as_posix(),
         f.line or 0, f.code)
        for f in report.findings
    }


@pytest.mark.parametrize("root", sorted(p for p in RULE_DATA.iterdir() if p.is_dir()),
                         ids=lambda p: p.name)
def test_rule_fires_exactly_at_marked_lines(root: Path) -> None:
    marks = expected(root)
    assert any(code == root.name for _, _, code in marks) or root.name in (
        "CW004", "CW010", "CW011"), root
    assert reported(root) == marks | _unmarked(root)


def _unmarked(root: Path) -> set[tuple[str, int, str]]:
    # Files that cannot hold a marker comment: an empty file is reported at 1:1, a link out of
    # the folder and a source folder without versions at no line.
    found = {(p.relative_to(root).as_posix(), 1, "CW004")
             for p in root.rglob("*.yaml") if not p.is_symlink() and p.stat().st_size == 0}
    found |= {(p.relative_to(root).as_posix(), 0, "CW010") for p in root.rglob("*.yaml")
              if p.is_symlink() and not p.resolve().is_relative_to(root.resolve())}
    found |= {(p.relative_to(root).as_posix(), 0, "CW011") for p in root.iterdir()
              if p.is_dir() and not any(p.glob("*.yaml"))}
    return found


def test_every_crosswalk_rule_has_a_fixture() -> None:
    rules.load_all()
    crosswalk_codes = {code for code in RULES if code.startswith("CW")}
    fixtures = {p.name for p in RULE_DATA.iterdir() if p.is_dir()}
    assert crosswalk_codes == fixtures


# -- vocabulary rules: a copy of schema/ with one defect each ------------------------------------

def _schema_copy(tmp_path: Path) -> Path:
    target = tmp_path / "schema"
    shutil.copytree(ROOT / "schema", target)
    return target


def _line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def _vocab_findings(schema: Path) -> set[tuple[str, int, str]]:
    report = checker.validate(None, schema / "ctdc.yaml")
    return {(Path(f.file).name, f.line or 0, f.code) for f in report.findings
            if f.code.startswith("VC")}


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_vc001_unloadable_vocabulary(tmp_path: Path) -> None:
    schema = _schema_copy(tmp_path)
    _replace(schema / "ctdc.yaml", "  - provenance\n", "  - provenance\n  - no_such_module\n")
    assert _vocab_findings(schema) == {
        ("ctdc.yaml", _line_of(schema / "ctdc.yaml", "  - no_such_module"), "VC001")}


def test_vc101_definition_without_citation(tmp_path: Path) -> None:
    schema = _schema_copy(tmp_path)
    path = schema / "provenance.yaml"
    _replace(path, "        meaning: htcds:ActualVictimOfTrafficking\n",
             "        meaning: htcds:ActualVictimOfTrafficking\n")
    text = path.read_text(encoding="utf-8")
    start = text.index("      victim:\n")
    end = text.index("        meaning: htcds:ActualVictimOfTrafficking")
    path.write_text(text[:start] + "      victim:\n        description: An assisted victim.\n"
                    + text[end:], encoding="utf-8")
    assert _vocab_findings(schema) == {("provenance.yaml", _line_of(path, "      victim:"),
                                        "VC101")}


def test_vc102_duplicate_ctdc_code(tmp_path: Path) -> None:
    schema = _schema_copy(tmp_path)
    path = schema / "ctdc.yaml"
    _replace(path, "ctdc_code: Male", "ctdc_code: female")
    assert _vocab_findings(schema) == {("ctdc.yaml", _line_of(path, "      male:"), "VC102")}


def test_vc103_undeclared_prefix(tmp_path: Path) -> None:
    schema = _schema_copy(tmp_path)
    path = schema / "ctdc.yaml"
    _replace(path, "exact_mappings:\n      - ctdc:gender", "exact_mappings:\n      - ctcd:gender")
    findings = _vocab_findings(schema)
    assert ("ctdc.yaml", _line_of(path, "  gender:"), "VC103") in findings


def test_vc104_ambiguous_ctdc_column(tmp_path: Path) -> None:
    schema = _schema_copy(tmp_path)
    path = schema / "ctdc.yaml"
    _replace(path, "      - ctdc:citizenship", "      - ctdc:citizenship\n      - ctdc:gender")
    findings = _vocab_findings(schema)
    assert ("ctdc.yaml", _line_of(path, "  gender:"), "VC104") in findings or \
        ("ctdc.yaml", _line_of(path, "  citizenship:"), "VC104") in findings


def test_vc105_broader_value_unknown(tmp_path: Path) -> None:
    schema = _schema_copy(tmp_path)
    path = schema / "ctdc.yaml"
    _replace(path, "        is_a: debt_bondage_or_earnings\n        exact_mappings:\n"
                   "          - ctdc:meansOfControlDebtBondage",
             "        is_a: debt_bondage_or_wages\n        exact_mappings:\n"
             "          - ctdc:meansOfControlDebtBondage")
    assert _vocab_findings(schema) == {("ctdc.yaml", _line_of(path, "      debt_bondage:"),
                                        "VC105")}


def test_vc106_release_unlisted(tmp_path: Path) -> None:
    schema = _schema_copy(tmp_path)
    path = schema / "ctdc.yaml"
    version = next(line for line in path.read_text().splitlines() if line.startswith("version:"))
    _replace(path, version, "version: 9.0.0")
    assert _vocab_findings(schema) == {("ctdc.yaml", _line_of(path, "version: 9.0.0"), "VC106")}
    log = schema / "changes" / "ctdc.yaml"
    log.write_text("releases: [}\n", encoding="utf-8")
    assert _vocab_findings(schema) == {("ctdc.yaml", 1, "VC106")}  # the changelog's own line
    log.unlink()
    assert _vocab_findings(schema) == {("ctdc.yaml", _line_of(path, "version: 9.0.0"), "VC106")}


def test_broader_values_roll_up_along_is_a(vocab) -> None:
    assert vocab.broader("MeansOfControl", "takes_earnings") == ["debt_bondage_or_earnings"]
    assert vocab.broader("LabourSector", "begging") == ["peddling_or_begging"]
    assert vocab.broader("RecruiterRelationship", "intimate_partner") == ["acquainted"]
    assert vocab.broader("ExploitationType", "organ_removal") == [
        "other_incl_marriage_military_organ_removal"]
    assert vocab.broader("MeansOfControl", "false_promises") == []


def test_vc107_htcds_undeclared(tmp_path: Path) -> None:
    schema = _schema_copy(tmp_path)
    path = schema / "ctdc.yaml"
    _replace(path, "          htcds_value: Other\n          htcds_note: >-\n"
                   "            HTCDS's field definitions describe RestrictsMovement",
             "          htcds_note: >-\n"
             "            HTCDS's field definitions describe RestrictsMovement")
    _replace(path, "htcds_field: prs_Gender", "htcds_field: prs_Gendre")
    _replace(path, "htcds_value: none\n          htcds_note: >-\n            HTCDS's picklist "
                   "splits threats", "htcds_value: Threats\n          htcds_note: >-\n"
                   "            HTCDS's picklist splits threats")
    # a slot without an enum, and a second slot for one field
    _replace(path, "      generalisation: period_5\n",
             "      generalisation: period_5\n      htcds_field: cas_IncomingReferralDate\n")
    _replace(path, "      htcds_field: vic_TypeOfSexExploitation",
             "      htcds_field: vic_TypeOfExploitation")
    assert _vocab_findings(schema) == {
        ("ctdc.yaml", _line_of(path, "      restricts_movement:"), "VC107"),
        ("ctdc.yaml", _line_of(path, "  gender:"), "VC107"),
        ("ctdc.yaml", _line_of(path, "      threats:"), "VC107"),
        ("ctdc.yaml", _line_of(path, "  year_of_registration:"), "VC107"),
        ("ctdc.yaml", _line_of(path, "  sex_exploitation_types:"), "VC107")}
