"""The whole real CTDC samples, read by their crosswalks: every value accounted for, and the
meanings the review of issue 6 found wrong now come out right.

The expected counts were taken from the files with Python's csv module (see the README of the
shared samples); the mapper must reproduce them record by record.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import CTDC_2017_FULL, CTDC_2020_FULL, ROOT
from jsonschema import Draft201909Validator

from ctdc_schema import vocabulary, vocabulary_version
from ctdc_schema.crosswalk.loader import load
from ctdc_schema.crosswalk.mapper import MappingResult, ReferenceMapper, map_file, read_delimited
from ctdc_schema.errors import InputError

MEANS_FLAGS = [
    "meansOfControlDebtBondage", "meansOfControlTakesEarnings",
    "meansOfControlRestrictsFinancialAccess", "meansOfControlThreats",
    "meansOfControlPsychologicalAbuse", "meansOfControlPhysicalAbuse",
    "meansOfControlSexualAbuse", "meansOfControlFalsePromises",
    "meansOfControlPsychoactiveSubstances", "meansOfControlRestrictsMovement",
    "meansOfControlRestrictsMedicalCare", "meansOfControlExcessiveWorkingHours",
    "meansOfControlUsesChildren", "meansOfControlThreatOfLawEnforcement",
    "meansOfControlWithholdsNecessities", "meansOfControlWithholdsDocuments",
    "meansOfControlOther",
]


def mapper(source: str, version: str) -> ReferenceMapper:
    loaded, findings = load(ROOT / "crosswalks" / source / f"{version}.yaml")
    assert loaded is not None, findings
    return ReferenceMapper([loaded.model], vocabulary.load())


@pytest.fixture(scope="module")
def rows_2020() -> list[dict[str, str]]:
    with CTDC_2020_FULL.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.fixture(scope="module")
def result_2020() -> MappingResult:
    return map_file(mapper("ctdc-public", "2.0.0"), CTDC_2020_FULL)


@pytest.fixture(scope="module")
def result_2017() -> MappingResult:
    return map_file(mapper("ctdc-public-2017", "1.0.0"), CTDC_2017_FULL)


def year(row: dict[str, str]) -> int | None:
    return int(row["yearOfRegistration"]) if row["yearOfRegistration"] else None


# -- every value accounted for ---------------------------------------------------------------------

def test_2020_sample_is_read_whole_with_every_value_accounted_for(
        result_2020: MappingResult) -> None:
    assert result_2020.rows == len(result_2020.records) == 5442
    assert result_2020.issues == []
    assert result_2020.absent_columns == ()
    assert dict(result_2020.versions) == {"2.0.0": 5442}


def test_2017_sample_is_read_whole_with_every_value_accounted_for(
        result_2017: MappingResult) -> None:
    assert result_2017.rows == len(result_2017.records) == 104
    assert result_2017.issues == []
    assert result_2017.absent_columns == ()
    header, _ = read_delimited(CTDC_2017_FULL, ",")
    loaded, _ = load(ROOT / "crosswalks/ctdc-public-2017/1.0.0.yaml")
    assert loaded is not None
    read = {c for v in loaded.model.variables for c in v.column or []}
    ignored = {c.column for c in loaded.model.ignored_columns or []}
    assert read | ignored == set(header) and not read & ignored  # every column accounted for


def test_2017_codings_land_where_the_sources_say(result_2017: MappingResult) -> None:
    with CTDC_2017_FULL.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row, record in zip(rows, result_2017.records, strict=True):
        if row["citizenship"] == "00":  # the 2018 dictionary's "Unknown Country"
            assert record["citizenship"] == "ZZ"
        if row["citizenship"] == "-99":
            assert "citizenship" not in record
        flags = [row[c] for c in ("control_threats", "control_physical",
                                  "control_limit_necessities", "control_other")]
        assert ("means_of_control" in record) == ("1" in flags)  # 1/-99: never "none"
        assert record["data_source_type"] == {"Case Management": "case_management",
                                              "Hotline": "hotline"}[row["datasource"]]
    assert Counter(r.get("citizenship") for r in result_2017.records)["ZZ"] == 20


# -- "no information" is not a value ----------------------------------------------------------------

def test_means_not_specified_without_another_means_is_absence(
        rows_2020: list[dict[str, str]], result_2020: MappingResult) -> None:
    only_not_specified = [
        index for index, row in enumerate(rows_2020)
        if row["Datasource"] == "Case Management" and row["meansOfControlNotSpecified"] == "1"
        and not any(row[c] == "1" for c in MEANS_FLAGS)]
    assert len(only_not_specified) == 1697
    texts = Counter(rows_2020[i]["meansOfControlConcatenated"] for i in only_not_specified)
    assert texts == {"": 1630, "Not specified": 67}
    for index in only_not_specified:
        assert "means_of_control" not in result_2020.records[index]
    # "not_specified" is never produced from this release
    assert not any("not_specified" in r.get("means_of_control", [])
                   for r in result_2020.records)


def test_recruiter_unknown_is_absence(rows_2020: list[dict[str, str]],
                                      result_2020: MappingResult) -> None:
    unknown = [index for index, row in enumerate(rows_2020)
               if row["Datasource"] == "Case Management"
               and row["recruiterRelationUnknown"] == "1" and row["RecruiterRelationship"] == ""]
    assert len(unknown) == 2535
    for index in unknown:
        assert "recruiter_relationships" not in result_2020.records[index]
    # a known relationship next to "Not Specified" is kept
    mixed = [i for i, row in enumerate(rows_2020)
             if row["RecruiterRelationship"] == "Family/Relative; Not Specified"]
    assert mixed and all(result_2020.records[i]["recruiter_relationships"] == ["family_relative"]
                         for i in mixed)


def test_labour_not_specified_stays_a_value(rows_2020: list[dict[str, str]],
                                            result_2020: MappingResult) -> None:
    """typeOfLabourNotSpecified says there was forced labour of an unstated type."""
    flagged = [i for i, row in enumerate(rows_2020) if row["typeOfLabourNotSpecified"] == "1"]
    assert flagged
    for index in flagged:
        assert "not_specified" in result_2020.records[index]["labour_sectors"]


def test_a_group_is_none_only_when_every_flag_is_zero(
        rows_2020: list[dict[str, str]], result_2020: MappingResult) -> None:
    columns = ["isForcedLabour", "isSexualExploit", "isOtherExploit", "isForcedMarriage",
               "isForcedMilitary", "isOrganRemoval", "isSlaveryAndPractices"]
    for row, record in zip(rows_2020, result_2020.records, strict=True):
        cells = [row[c] for c in columns] + [row["isSexAndLabour"]]
        if all(cell == "0" for cell in cells[:-1]) and not row["typeOfExploitConcatenated"]:
            assert record["exploitation_types"] == []
        elif "1" not in cells and not row["typeOfExploitConcatenated"]:
            assert "exploitation_types" not in record  # e.g. Hotline rows with only a 0
    hotline_other_zero = [r for row, r in zip(rows_2020, result_2020.records, strict=True)
                          if row["Datasource"] == "Hotline"
                          and [row[c] for c in columns] == ["", "", "0", "", "", "", ""]]
    assert len(hotline_other_zero) == 321
    assert not any("exploitation_types" in r for r in hotline_other_zero)


# -- collection windows ---------------------------------------------------------------------------

def test_no_record_before_2017_says_abduction_or_the_new_forms_are_absent_facts(
        rows_2020: list[dict[str, str]], result_2020: MappingResult) -> None:
    before = [(row, r) for row, r in zip(rows_2020, result_2020.records, strict=True)
              if (year(row) or 0) < 2017]
    zeros = [r for row, r in before if row["isAbduction"] == "0" and year(row) is not None]
    assert len(zeros) == 866
    assert not any("abducted" in r for _, r in before)  # no year is no window either
    after = [r for row, r in zip(rows_2020, result_2020.records, strict=True)
             if (year(row) or 0) >= 2017 and row["isAbduction"] == "0"]
    assert after and all(r["abducted"] is False for r in after)
    hotline_early = [(row, r) for row, r in before if row["Datasource"] == "Hotline"
                     and year(row) in (2015, 2016)
                     and "0" in (row["typeOfSexRemoteInteractiveServices"],
                                 row["typeOfSexPrivateSexualServices"])]
    assert len(hotline_early) == 165
    for _, record in hotline_early:
        forms = record.get("sex_exploitation_types")
        assert forms != []  # the two unread zeros never make the group "none"
        assert "remote_interactive_services" not in (forms or [])


def test_gender_before_2017_is_kept_as_the_sex_it_records(
        rows_2020: list[dict[str, str]], result_2020: MappingResult) -> None:
    early = [r for row, r in zip(rows_2020, result_2020.records, strict=True)
             if (year(row) or 9999) < 2017 and row["gender"]]
    assert len(early) == 2514 and all(r["gender"] in ("female", "male") for r in early)


# -- provenance and validity ----------------------------------------------------------------------

def test_records_carry_status_release_and_deidentification(
        rows_2020: list[dict[str, str]], result_2020: MappingResult) -> None:
    for row, record in zip(rows_2020, result_2020.records, strict=True):
        assert record["release"] == "ctdc-global-k-anon-2020"
        assert record["deidentification_method"] == "k_anonymity"
        hotline = row["Datasource"] == "Hotline"
        assert record["trafficking_status"] == ("possible_victim" if hotline
                                                else "actual_victim")
        assert record.get("trafficking_status_decided_by") == ("ngo" if hotline else None)


@pytest.mark.parametrize("which", ["2020", "2017"])
def test_records_are_valid_against_the_generated_json_schema(
        which: str, result_2020: MappingResult, result_2017: MappingResult) -> None:
    schema = json.loads((ROOT / "generated/jsonschema/ctdc.schema.json").read_text())
    found: list[dict[str, Any]] = (result_2020 if which == "2020" else result_2017).records
    dataset = {"vocabulary_version": vocabulary_version(), "records": found}
    assert [e.message for e in Draft201909Validator(schema).iter_errors(dataset)] == []


# -- column names ---------------------------------------------------------------------------------

def test_header_spelled_as_in_the_codebook_matches_case_insensitively(
        tmp_path: Path, result_2020: MappingResult) -> None:
    text = CTDC_2020_FULL.read_bytes().decode("utf-8")
    header, rest = text.split("\r\n", 1)
    spelled = (header.replace(";Datasource;", ";datasource;")
               .replace(";CountryOfExploitation;", ";CountryofExploitation;")
               .replace(";majorityEntry;", ";MajorityEntry;"))
    assert spelled != header
    codebook = tmp_path / "codebook_spelling.csv"
    codebook.write_bytes((spelled + "\r\n" + rest).encode())
    result = map_file(mapper("ctdc-public", "2.0.0"), codebook)
    assert result.absent_columns == () and result.issues == []
    assert result.records == result_2020.records


def test_a_header_that_fits_one_column_twice_is_ambiguous(tmp_path: Path) -> None:
    text = CTDC_2020_FULL.read_bytes().decode("utf-8")
    header, rest = text.split("\r\n", 1)
    doubled = tmp_path / "doubled.csv"
    first_row = rest.split("\r\n", 1)[0]
    header = header.replace(";Datasource;", ";datasource;")
    doubled.write_bytes(f"{header};DATASOURCE\r\n{first_row};Hotline\r\n".encode())
    with pytest.raises(InputError, match=r"ambiguous header: 'datasource', 'DATASOURCE'"):
        map_file(mapper("ctdc-public", "2.0.0"), doubled)
    # an exact spelling next to a case variant is ambiguous too: which one is meant?
    exact = tmp_path / "exact.csv"
    exact.write_bytes(f"{header.replace(';datasource;', ';Datasource;')};DATASOURCE\r\n"
                      f"{first_row};Hotline\r\n".encode())
    with pytest.raises(InputError, match=r"exact.csv:1: ambiguous header: 'Datasource', "
                                         r"'DATASOURCE'"):
        map_file(mapper("ctdc-public", "2.0.0"), exact)
