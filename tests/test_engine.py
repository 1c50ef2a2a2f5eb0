"""The data engine against its oracle: the compiled DuckDB plan gives the reference mapper's
records and the reference mapper's problems, on the examples, on the real CTDC samples, on
damaged copies of them and on generated rows."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import CTDC_2017_FULL, CTDC_2020_FULL, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator

from ctdc_schema import vocabulary
from ctdc_schema.crosswalk import semantics
from ctdc_schema.crosswalk.mapper import MappingResult, ReferenceMapper, map_file
from ctdc_schema.datamodel.crosswalk import Crosswalk
from ctdc_schema.engine import dialects, duckdb_engine
from ctdc_schema.harmonise import crosswalks_by_source

EXAMPLES = ROOT / "examples"
SCHEMA = json.loads((ROOT / "generated/jsonschema/ctdc.schema.json").read_text())
RECORD = Draft201909Validator({"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"],
                               "$ref": "#/$defs/VictimRecord"})
BY_SOURCE = crosswalks_by_source()
VOCAB = vocabulary.load()

#: (source, export, delivery date)
CASES = [
    ("polaris", EXAMPLES / "polaris/hotline_export_2016.csv", date(2017, 3, 15)),
    ("polaris", EXAMPLES / "polaris/hotline_export_2019.csv", date(2020, 1, 31)),
    ("iom", EXAMPLES / "iom/case_export.csv", None),
    ("ctdc-synthetic", EXAMPLES / "ctdc-synthetic/synthetic_2024_sample.csv", None),
    ("ctdc-public", CTDC_2020_FULL, None),
    ("ctdc-public-2017", CTDC_2017_FULL, None),
]
IDS = [f"{source}:{path.name}" for source, path, _ in CASES]

Problems = dict[tuple[str, str | None, str | None], set[int]]


def engine(source: str, path: Path, delivered: date | None = None,
           delimiter: str | None = None) -> tuple[list[dict[str, Any]], Problems, Any]:
    """Records (absent slots left out, as the reference writes them) and problems."""
    con = duckdb_engine.connect()
    try:
        mapped = duckdb_engine.map_export(con, BY_SOURCE[source], VOCAB, path, delivered,
                                          delimiter, source_file="export", max_examples=10_000)
        tree = mapped.plan.records_excluding if mapped.problem_rows else mapped.plan.records
        cursor = con.execute(f"SELECT * EXCLUDE (__row) FROM ({dialects.render(tree)})")
        names = [d[0] for d in cursor.description]
        records = [{k: v for k, v in zip(names, row, strict=True) if v is not None}
                   for row in cursor.fetchall()]
        problems = {(p.kind, p.column, p.code): set(p.rows) for p in mapped.problems}
        return records, problems, mapped
    finally:
        con.close()


def reference(source: str, path: Path, delivered: date | None = None,
              delimiter: str | None = None) -> tuple[list[dict[str, Any]], Problems,
                                                     MappingResult]:
    """The reference mapper's records of the rows without problems, and its problems."""
    result = map_file(ReferenceMapper(BY_SOURCE[source], VOCAB, delivered), path, delimiter,
                      "export")
    problems: Problems = {}
    for issue in result.issues:
        if issue.kind != "column":
            problems.setdefault((issue.kind, issue.column, issue.code), set()).add(issue.row)
    bad = {row for rows in problems.values() for row in rows}
    return [r for r in result.records if r["source_row"] not in bad], problems, result


@pytest.mark.parametrize(("source", "path", "delivered"), CASES, ids=IDS)
def test_engine_gives_the_reference_records(source: str, path: Path,
                                            delivered: date | None) -> None:
    expected, expected_problems, result = reference(source, path, delivered)
    records, problems, mapped = engine(source, path, delivered)
    assert problems == expected_problems == {}
    assert len(records) == result.rows == mapped.opened.rows
    assert records == expected
    assert mapped.absent == list(result.absent_columns)
    assert mapped.unknown == list(result.unknown_columns)


@pytest.mark.parametrize(("source", "path", "delivered"), CASES, ids=IDS)
def test_engine_records_conform_to_the_json_schema(source: str, path: Path,
                                                   delivered: date | None) -> None:
    records, _, _ = engine(source, path, delivered)
    for record in records:
        errors = [e.message for e in RECORD.iter_errors(record)]
        assert not errors, (record["source_row"], errors)


def damaged(path: Path, delimiter: str, seed: int, rate: float = 0.02) -> str:
    """The file with cells replaced by junk, blanked, re-cased or padded with spaces."""
    rng = random.Random(seed)
    text = path.read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    for row in table[1:]:
        for index, cell in enumerate(row):
            draw = rng.random()
            if draw < rate / 2:
                row[index] = rng.choice(["JUNK", "n/a ", "-", "9999", "'; DROP TABLE g;--",
                                         '"$1"', "Fémale", "\u0130stanbul"])
            elif draw < rate * 3 / 4:
                row[index] = ""
            elif draw < rate:
                row[index] = f"  {cell.upper()}\t"
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(table)
    return out.getvalue()


@pytest.mark.parametrize(("source", "path", "delivered"), CASES, ids=IDS)
@pytest.mark.parametrize("seed", [1, 2])
def test_damaged_exports_give_the_reference_problems(
        source: str, path: Path, delivered: date | None, seed: int, tmp_path: Path) -> None:
    contract = BY_SOURCE[source][0].export
    delimiter = contract.delimiter if contract and contract.delimiter else ","
    copy = tmp_path / path.name
    copy.write_text(damaged(path, delimiter, seed), encoding="utf-8")
    expected, expected_problems, _ = reference(source, copy, delivered)
    records, problems, mapped = engine(source, copy, delivered)
    assert expected_problems, "the damage should have produced problems"
    assert problems == expected_problems
    assert records == expected
    assert mapped.problem_rows == len({r for rows in problems.values() for r in rows})


# -- generated rows -------------------------------------------------------------------------

def _codes(crosswalk: Crosswalk, column: str) -> list[str]:
    """Cells worth trying in ``column``: its codes, conditions' codes, flag codes, missing
    codes, and values transforms read, plus junk."""
    found: list[str] = list(crosswalk.missing_codes or [])
    folded = semantics.fold(column)
    for variable in crosswalk.variables:
        columns = [semantics.fold(c) for c in variable.column or []]
        for mapping in (variable.values or {}).values():
            for case in mapping.cases or []:
                if semantics.fold(case.when.column) == folded:
                    found.extend(case.when.in_)
        if folded not in columns:
            continue
        if semantics.is_flags(variable) and variable.transform is not None:
            found.extend([*(variable.transform.true_codes or []),
                          *(variable.transform.false_codes or [])])
            continue
        found.extend(variable.values or {})
        kind = semantics.transform_kind(variable)
        if kind in ("age_band", "majority_status"):
            found.extend(["0", "17", "18", "129", "130", "-1", "12a"])
        elif kind == "country":
            found.extend(["Brazil", "VIET NAM", "RU", "Atlantis", "GBR", "Korea"])
        elif kind == "year":
            found.extend(["2015", "2017-03-29", "03/28/2017", "2016-02-30", "1985", "soon"])
    found.extend(["JUNK", "", " ", "'; --", "$1"])
    return list(dict.fromkeys(found))


def _spell(draw: Any, code: str) -> str:
    """The code as a careless export might write it."""
    style = draw(st.sampled_from(["same", "same", "upper", "lower", "padded", "doubled"]))
    if style == "upper":
        return code.upper()
    if style == "lower":
        return code.lower()
    if style == "padded":
        return f" {code}\t"
    if style == "doubled":
        return code.replace(" ", "  ")
    return code


@st.composite
def exports(draw: Any, source: str) -> tuple[list[str], list[list[str]]]:
    versions = BY_SOURCE[source]
    columns: list[str] = []
    for crosswalk in versions:
        for column in semantics.read_columns(crosswalk):
            if column not in columns:
                columns.append(column)
    pools = {c: list(dict.fromkeys(code for cw in versions for code in _codes(cw, c)))
             for c in columns}
    splits = {c: v.split for cw in versions for v in cw.variables if v.split
              for c in v.column or []}
    rows = []
    for _ in range(draw(st.integers(1, 25))):
        row = []
        for column in columns:
            if column in splits and draw(st.booleans()):
                items = draw(st.lists(st.sampled_from(pools[column]), max_size=3))
                separator = splits[column] or ";"
                row.append(draw(st.sampled_from([separator, f" {separator} "])).join(
                    _spell(draw, item) for item in items))
            else:
                row.append(_spell(draw, draw(st.sampled_from(pools[column]))))
        rows.append(row)
    return columns, rows


GENERATED = [("iom", None), ("polaris", date(2017, 3, 15)), ("polaris", date(2020, 1, 31)),
             ("ctdc-public", None), ("ctdc-public-2017", None), ("ctdc-synthetic", None)]


@pytest.mark.parametrize(("source", "delivered"), GENERATED,
                         ids=[f"{s}:{d}" for s, d in GENERATED])
def test_generated_rows_give_the_reference_records_and_problems(
        source: str, delivered: date | None, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp(source)
    contract = BY_SOURCE[source][0].export
    delimiter = contract.delimiter if contract and contract.delimiter else ","

    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(exports(source))
    def check(export: tuple[list[str], Sequence[list[str]]]) -> None:
        header, rows = export
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([header, *rows])
        path = folder / "export.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        expected, expected_problems, _ = reference(source, path, delivered)
        records, problems, _ = engine(source, path, delivered)
        assert problems == expected_problems
        assert records == expected

    check()


# -- the pieces the engine relies on ----------------------------------------------------------

def test_the_record_schema_relates_no_two_properties() -> None:
    """Why validating each distinct value of each slot validates every record (DX205)."""
    record = SCHEMA["$defs"]["VictimRecord"]
    assert record["additionalProperties"] is False
    assert not {"required", "dependentRequired", "dependentSchemas", "if", "then", "else",
                "allOf", "anyOf", "oneOf", "not", "minProperties",
                "maxProperties"} & set(record)


def test_a_value_outside_the_schema_is_found_with_its_rows(tmp_path: Path) -> None:
    """A registration year after 2100 is inside IOM's open window, passes the year transform
    and fails the schema (years 1990-2100)."""
    rows = (EXAMPLES / "iom/case_export.csv").read_text(encoding="utf-8").splitlines()
    rows[4] = rows[4].replace(rows[4].split(",")[1], "2150-04-01", 1)
    path = tmp_path / "iom.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    records, problems, mapped = engine("iom", path)
    assert problems == {("invalid", "year_of_registration", "2150"): {5}}
    (problem,) = mapped.problems
    assert "2100" in problem.reason
    assert len(records) == 499


def test_the_vocabulary_index_is_the_vocabulary() -> None:
    fast, full = vocabulary.load(), vocabulary.load(full=True)
    assert fast.view is None and full.view is not None
    assert fast.slots == full.slots and fast.annotations == full.annotations
    assert all(fast.enum_values(e) == full.enum_values(e) for e in full.enum_names)


def test_explain_prints_every_statement_for_each_dialect(
        capsys: pytest.CaptureFixture[str]) -> None:
    from ctdc_schema.cli import run

    export = str(EXAMPLES / "iom/case_export.csv")
    assert run(["transform", export, "-s", "iom", "--explain"]) == 0
    duck = capsys.readouterr().out
    assert "-- g\n" in duck and "GROUPING SETS" in duck and "-- records\n" in duck
    assert "Feminine" not in duck  # codes travel as table rows, never as SQL text
    assert run(["transform", export, "-s", "iom", "--explain", "--dialect", "spark"]) == 0
    spark = capsys.readouterr().out
    assert "EXPLODE(SPLIT(" in spark and "TRY_TO_TIMESTAMP" in spark
    assert "ENUM(" not in spark


def test_the_vocabulary_index_keeps_the_schema_order() -> None:
    fast, full = vocabulary.load(), vocabulary.load(full=True)
    assert list(fast.slots) == list(full.slots)
    assert all(list(fast.enum_values(e)) == list(full.enum_values(e)) for e in full.enum_names)


def test_connections_draw_no_progress_bar_on_the_reports_stdout() -> None:
    con = duckdb_engine.connect()
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    assert con.execute("SELECT current_setting('autoinstall_known_extensions')").fetchone() \
        == (False,)
