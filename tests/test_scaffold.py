"""`ctdc scaffold`: draft crosswalks of the bundled example exports and of the real CTDC samples,
written with the bundled crosswalks hidden and then compared with them, value mapping by value
mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CTDC_2020, CTDC_2020_FULL, ROOT, SHARED_DATA

from ctdc_schema.cli import run
from ctdc_schema.crosswalk.loader import load
from ctdc_schema.crosswalk.semantics import all_targets
from ctdc_schema.datamodel.crosswalk import Crosswalk
from ctdc_schema.harmonise import crosswalks_by_source
from ctdc_schema.profile import profile
from ctdc_schema.scaffold import scaffold

CTDC_2017_FULL = SHARED_DATA / "ctdc_global_2017_sample.csv"
#: (source, export, the share of the bundled value mappings the draft must reach): 0.8 for
#: the examples (the target), and for the real samples what the drafts reach, rounded down
CASES = [
    ("polaris", ROOT / "examples" / "polaris" / "hotline_export_2019.csv", 0.8),
    ("iom", ROOT / "examples" / "iom" / "case_export.csv", 0.8),
    ("ctdc-public", CTDC_2020_FULL if CTDC_2020_FULL.is_file() else CTDC_2020, 0.9),
    *([("ctdc-public-2017", CTDC_2017_FULL, 0.8)] if CTDC_2017_FULL.is_file() else []),
]
#: of the codes the draft proposes a target for, the share whose target is the bundled one:
#: weak evidence must not flood a steward with wrong suggestions
PRECISION = 0.9
#: warnings a draft may carry beside its TODOs (a rule that wants a steward's note)
WARNINGS: set[str] = set()
Key = tuple[str, str, str]
Mapping = dict[Key, set[str]]


def mappings(crosswalk: Crosswalk) -> tuple[Mapping, set[Key]]:
    """(slot, column, code) -> every target the code can reach (its cases too; "unknown" for
    no information; empty for a code mapped to nothing), and the keys mapped exactMatch
    (the variable's and the value's predicate both exact)."""
    found: Mapping = {}
    exact: set[Key] = set()
    for variable in crosswalk.variables:
        for code, mapping in (variable.values or {}).items():
            flags = variable.transform is not None and str(variable.transform.type) == "flags"
            key = (str(variable.slot), code if flags else (variable.column or [""])[0],
                   "1" if flags else code)
            reached = {"unknown"} if mapping.unknown else set(all_targets(mapping))
            found.setdefault(key, set()).update(reached)
            if reached and str(mapping.predicate or "exactMatch") == "exactMatch" and \
                    str(variable.predicate) == "exactMatch":
                exact.add(key)
    return found, exact


def draft(tmp_path: Path, source: str, export: Path) -> Crosswalk:
    target = tmp_path / "crosswalks" / f"{source}-draft" / "1.0.0.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(scaffold(export, f"{source}-draft"), encoding="utf-8")
    loaded, findings = load(target)
    assert loaded is not None, [f.message for f in findings]
    # the draft validates: every rule, errors none (its TODOs are CW119 warnings)
    report = tmp_path / "report.json"
    assert run(["validate", str(target), "--no-bundled", "-f", "json", "-o", str(report)]) == 0
    codes = {f["code"] for f in json.loads(report.read_text())["findings"]}
    assert codes <= {"CW119"} | WARNINGS, codes
    return loaded.model


@pytest.mark.parametrize(("source", "export", "floor"), CASES, ids=[c[0] for c in CASES])
def test_a_draft_reaches_the_bundled_mappings(tmp_path: Path, source: str, export: Path,
                                              floor: float) -> None:
    bundled = max(crosswalks_by_source()[source], key=lambda cw: cw.valid_from)
    bundled_mappings, exact = mappings(bundled)
    # only the codes this export holds can be reached from it
    columns = profile(export, top=10_000).columns
    seen = {(c.name, code) for c in columns for code, _ in c.top}
    seen |= {(c.name, piece.strip()) for c in columns
             for code, _ in c.top for sep in (";", ",", "/", "|") for piece in code.split(sep)}
    seen |= {(c.name, "1") for c in columns}
    judged = {key: targets for key, targets in bundled_mappings.items() if key[1:] in seen}
    wanted = {key: targets for key, targets in judged.items() if targets}
    got, got_exact = mappings(draft(tmp_path, source, export))
    # reached: the draft gives the code of that slot one of the bundled targets
    reached = [key for key, targets in wanted.items() if got.get(key, set()) & targets]
    # a proposal is right when every target it names is one the bundled mapping of that slot
    # reaches: a target where the bundled crosswalk maps the code to nothing, or only to
    # another slot, is wrong
    codes = {key[1:] for key in judged}
    proposed = [key for key, targets in got.items() if targets and key[1:] in codes]
    right = [key for key in proposed if got[key] <= judged.get(key, set())]
    share, precision = len(reached) / len(wanted), len(right) / len(proposed)
    print(f"{source}: {len(reached)} of {len(wanted)} value mappings ({share:.1%}); "
          f"{len(right)} of {len(proposed)} proposals right ({precision:.1%})")
    assert share >= floor
    assert precision >= PRECISION
    # never exactMatch where the bundled mapping is not exact
    assert sorted(k for k in got_exact & set(wanted) - exact if "unknown" not in got[k]) == []


def test_update_adds_exactly_the_new_codes(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A new IOM delivery with two unseen codes (one a near-spelling of a known value, one
    new in a multi-select cell): the crosswalk gains exactly those two entries, each a TODO,
    and every other byte stays as it was."""
    bundled = ROOT / "crosswalks" / "iom" / "2.0.0.yaml"
    crosswalk = tmp_path / "crosswalks" / "iom" / "2.0.0.yaml"
    crosswalk.parent.mkdir(parents=True)
    crosswalk.write_bytes(bundled.read_bytes())
    export = tmp_path / "delivery.csv"
    text = (ROOT / "examples" / "iom" / "case_export.csv").read_text(encoding="utf-8")
    header, first, *rest = text.splitlines()
    cells = first.split(",")
    columns = header.split(",")
    cells[columns.index("gender")] = "Femenine"
    cells[columns.index("means_of_control")] = "PsychologicalAbuse;Blackmail"
    export.write_text("\n".join([header, ",".join(cells), *rest]) + "\n", encoding="utf-8")
    assert run(["scaffold", str(export), "--update", str(crosswalk)]) == 0
    err = capsys.readouterr().err
    assert "2 new code(s) added" in err
    before = bundled.read_text(encoding="utf-8").splitlines()
    after = crosswalk.read_text(encoding="utf-8").splitlines()
    new = [line for line in after if line not in before]
    assert len(after) == len(before) + 2 and len(new) == 2
    remaining = list(after)
    for line in new:
        remaining.remove(line)
    assert remaining == before  # byte for byte, in order
    assert new[0].strip().startswith('"Femenine": {value: female, predicate: closeMatch')
    # no value names blackmail: the slot's "Other", for the steward to confirm
    assert new[1].strip().startswith('"Blackmail": {value: other, predicate: closeMatch, '
                                     'note: "TODO: new in this delivery: confirm other"')
    assert all("TODO" in line for line in new)
    # the updated crosswalk still loads and validates; its TODOs are warnings
    assert run(["validate", str(crosswalk), "--no-bundled"]) == 0
    # a second run finds nothing new
    assert run(["scaffold", str(export), "--update", str(crosswalk)]) == 0
    assert "0 new code(s) added" in capsys.readouterr().err


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "acme.csv"
    export.write_text('Sex,Nationality,Notes\nFemale,UA,"a ""quoted""\nnote"\n'
                      'Male,Ukraine,\x1b[31mred\nF,Ukrain,TODO later\n', encoding="utf-8")
    target = tmp_path / "crosswalks" / "acme" / "1.0.0.yaml"
    target.parent.mkdir(parents=True)
    assert run(["scaffold", str(export), "-s", "acme", "-o", str(target)]) == 0
    assert "lists its TODOs" in capsys.readouterr().err
    text = target.read_text(encoding="utf-8")
    assert "\x1b" not in text and '"Female": female' in text
    assert '"Ukrain": {value: UA, predicate: closeMatch' in text  # a misspelt country
    assert run(["validate", str(target), "--no-bundled", "-f", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {f["code"] for f in findings} == {"CW119"}
    assert run(["scaffold", str(export), "-s", "acme", "-o", str(target)]) == 2
    assert "exists: a draft never replaces a crosswalk" in capsys.readouterr().err
    assert run(["scaffold", str(export), "-s", "Not An Id"]) == 2
    assert "--source must be lower-case" in capsys.readouterr().err
    assert run(["scaffold", str(export)]) == 2
    assert "give the EXPORT and --source ID" in capsys.readouterr().err


def test_update_reports_codes_it_cannot_add(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A variable whose values are a flow mapping takes no new lines: its new code is named,
    with the variable's line, for the steward to add by hand (exit 1); nothing is written."""
    from ruamel.yaml import YAML

    bundled = ROOT / "crosswalks" / "iom" / "2.0.0.yaml"
    lines = bundled.read_text(encoding="utf-8").split("\n")
    start = lines.index("  - column: gender")
    values = lines.index("    values:", start)
    end = next(i for i in range(values + 1, len(lines)) if lines[i].startswith("  - "))
    mapping = YAML(typ="safe").load("\n".join(line[6:] for line in lines[values + 1:end]))
    flow = "    values: " + json.dumps(mapping, ensure_ascii=False)
    crosswalk = tmp_path / "crosswalks" / "iom" / "2.0.0.yaml"
    crosswalk.parent.mkdir(parents=True)
    crosswalk.write_text("\n".join([*lines[:values], flow, "", *lines[end:]]), encoding="utf-8")
    assert run(["validate", str(crosswalk), "--no-bundled"]) == 0  # the same crosswalk
    before = crosswalk.read_bytes()
    text = (ROOT / "examples" / "iom" / "case_export.csv").read_text(encoding="utf-8")
    header, first, *rest = text.splitlines()
    cells = first.split(",")
    cells[header.split(",").index("gender")] = "Femenine"
    export = tmp_path / "delivery.csv"
    export.write_text("\n".join([header, ",".join(cells), *rest]) + "\n", encoding="utf-8")
    assert run(["scaffold", str(export), "--update", str(crosswalk)]) == 1
    err = capsys.readouterr().err
    assert f"2.0.0.yaml:{start + 1}: not added: gender code \"Femenine\" (its values are a " \
           "flow mapping; add it by hand)" in err
    assert "0 new code(s) added" in err and "1 left to add by hand" in err
    assert crosswalk.read_bytes() == before


def _iom_with(tmp_path: Path, changes: dict[str, list[str]]) -> Path:
    """The IOM example export with the first cells of some columns replaced."""
    text = (ROOT / "examples" / "iom" / "case_export.csv").read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    columns = header.split(",")
    table = [row.split(",") for row in rows]
    for column, cells in changes.items():
        for i, cell in enumerate(cells):
            table[i][columns.index(column)] = cell
    export = tmp_path / "delivery.csv"
    export.write_text("\n".join([header, *(",".join(r) for r in table)]) + "\n",
                      encoding="utf-8")
    return export


def test_weak_evidence_stays_modest(tmp_path: Path) -> None:
    """The weaker tiers do not turn "no information" into a value, do not give a one-value
    slot a list, and abstain where the code's words are several values' words."""
    export = _iom_with(tmp_path, {
        "gender": ["Feminine and Masculine"] * 3,
        "relationship_to_recruiter": ["Don't know"] * 3,
        "means_of_control": ["Kept in debt"] * 3 + ["and"] * 2})
    text = draft(tmp_path, "acme", export)  # validates: nothing but TODOs
    lines = scaffold(export, "acme").splitlines()

    def line(code: str) -> str:
        return next(x for x in lines if x.strip().startswith(json.dumps(code) + ":"))

    assert text is not None
    assert "values: [" not in line("Feminine and Masculine")  # gender holds one value
    assert line("Don't know").strip().startswith('"Don\'t know": {unknown: true}')
    assert line("Kept in debt").strip().startswith('"Kept in debt": {value: null')
    assert line("and").strip().startswith('"and": {value: null')


def test_update_keeps_no_information_and_shared_columns_modest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--update: a new "no information" code is proposed as such, never as a value, in each
    variable that reads its column (IOM's exploitation_types feeds two, each deciding every
    code); a bad cell of a variable read by a transform is left to validation (exit 0)."""
    bundled = ROOT / "crosswalks" / "iom" / "2.0.0.yaml"
    crosswalk = tmp_path / "crosswalks" / "iom" / "2.0.0.yaml"
    crosswalk.parent.mkdir(parents=True)
    crosswalk.write_bytes(bundled.read_bytes())
    export = _iom_with(tmp_path, {"exploitation_types": ["Not specified"],
                                  "registration_date": ["2019-13-45"]})
    assert run(["scaffold", str(export), "--update", str(crosswalk)]) == 0
    err = capsys.readouterr().err
    assert "2 new code(s) added" in err and "registration_date" not in err
    new = [x for x in crosswalk.read_text(encoding="utf-8").splitlines()
           if x not in bundled.read_text(encoding="utf-8").splitlines()]
    assert len(new) == 2 and all(line.strip().startswith(
        '"Not specified": {value: null, note: "TODO: new in this delivery: mark it unknown, '
        'or map it"}') for line in new)
