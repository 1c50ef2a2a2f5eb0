"""The reference mapper on the bundled crosswalks: conditional mappings, versions by delivery or
registration date, collection windows, unknown codes, flags, and what it reports."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT

from ctdc_schema import vocabulary
from ctdc_schema.crosswalk.loader import load
from ctdc_schema.crosswalk.mapper import MappingResult, Record, ReferenceMapper, map_file
from ctdc_schema.datamodel.crosswalk import Crosswalk
from ctdc_schema.errors import UsageError

POLARIS_2019 = ROOT / "examples" / "polaris" / "hotline_export_2019.csv"
POLARIS_HEADER = ["Case ID", "Potential Victim No.", "Date Case Created", "Trafficking Type",
                  "Venue/Industry", "Gender", "Age Group", "Citizenship", "Means of Control",
                  "Recruiter Relationship", "State", "Indicator Level"]
IOM_HEADER = ["case_id", "registration_date", "gender", "age_at_registration",
              "age_at_exploitation_start", "age_at_entry", "citizenship",
              "country_of_exploitation", "exploitation_types", "forced_labour_industry",
              "sex_exploitation_type", "means_of_control", "relationship_to_recruiter",
              "abduction"]


def versions(source: str) -> list[Crosswalk]:
    found = []
    for path in sorted((ROOT / "crosswalks" / source).glob("*.yaml")):
        loaded, findings = load(path)
        assert loaded is not None, findings
        found.append(loaded.model)
    return found


def polaris(delivered: date = date(2020, 1, 31)) -> ReferenceMapper:
    return ReferenceMapper(versions("polaris"), vocabulary.load(), delivered)


def polaris_row(kind: str, venue: str, **cells: str) -> list[str]:
    row = dict.fromkeys(POLARIS_HEADER, "")
    row.update({"Case ID": "C1", "Potential Victim No.": "1", "Date Case Created": "05/14/2018",
                "Trafficking Type": kind, "Venue/Industry": venue})
    row.update({key.replace("_", " "): value for key, value in cells.items()})
    return [row[column] for column in POLARIS_HEADER]


def one(mapper: ReferenceMapper, header: list[str], row: list[str]) -> tuple[Record, MappingResult]:
    result = mapper.map_table(header, [row])
    (record,) = result.records
    return record, result


# -- conditional mappings: the typology's mixed sex-and-labour types ----------------------------

def test_a_labour_case_at_a_bar_gives_no_sex_exploitation_type() -> None:
    record, result = one(polaris(), POLARIS_HEADER,
                         polaris_row("Labor", "Bars, Strip Clubs & Cantinas"))
    assert result.issues == []
    assert record["exploitation_types"] == ["forced_labour"]
    assert record["labour_sectors"] == ["hospitality"]
    assert "sex_exploitation_types" not in record


def test_a_sex_case_at_a_bar_is_prostitution_and_no_sector() -> None:
    record, _ = one(polaris(), POLARIS_HEADER, polaris_row("Sex", "Bars, Strip Clubs & Cantinas"))
    assert record["sex_exploitation_types"] == ["prostitution"]
    assert "labour_sectors" not in record


def test_a_sex_and_labour_case_in_illicit_massage_gets_both() -> None:
    record, _ = one(polaris(), POLARIS_HEADER,
                    polaris_row("Sex and Labor", "Illicit Massage, Health & Beauty"))
    assert record["exploitation_types"] == ["forced_labour", "sexual_exploitation"]
    assert record["labour_sectors"] == ["other"]
    assert record["sex_exploitation_types"] == ["prostitution"]


def test_illicit_activities_in_a_sex_case_gives_no_sector() -> None:
    sex, _ = one(polaris(), POLARIS_HEADER, polaris_row("Sex", "Illicit Activities"))
    labour, _ = one(polaris(), POLARIS_HEADER, polaris_row("Labor", "Illicit Activities"))
    assert "labour_sectors" not in sex
    assert labour["labour_sectors"] == ["illicit_activities"]


def test_conditions_compare_codes_after_folding_and_ignore_missing_cells() -> None:
    folded, _ = one(polaris(), POLARIS_HEADER,
                    polaris_row(" labor ", "Bars, Strip Clubs & Cantinas"))
    assert "sex_exploitation_types" not in folded and folded["labour_sectors"] == ["hospitality"]
    for kind in ("Unknown", "Trafficking Type Not Specified"):
        unknown, _ = one(polaris(), POLARIS_HEADER,
                         polaris_row(kind, "Bars, Strip Clubs & Cantinas"))
        # no case holds: the default says nothing, as the type does not
        assert "sex_exploitation_types" not in unknown and "labour_sectors" not in unknown


def test_peddling_and_begging_lands_on_its_broader_value() -> None:
    record, _ = one(polaris(), POLARIS_HEADER, polaris_row("Labor", "Peddling & Begging"))
    assert record["labour_sectors"] == ["peddling_or_begging"]
    assert vocabulary.load().broader("LabourSector", "begging") == ["peddling_or_begging"]


# -- versions by delivery date ------------------------------------------------------------------

def _export_with_case_year(year: int) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(POLARIS_2019.read_text(encoding="utf-8"), newline=""))
    header, *rows = list(reader)
    column = header.index("Date Case Created")
    for row in rows:
        month, day, _ = row[column].split("/")
        row[column] = f"{month}/{'28' if (month, day) == ('02', '29') else day}/{year}"
    return header, rows


def test_a_typology_coded_delivery_of_2015_cases_is_read_with_the_typology_version() -> None:
    header, rows = _export_with_case_year(2015)
    result = polaris(date(2018, 7, 1)).map_table(header, rows)
    assert dict(result.versions) == {"2.1.0": 400}
    assert result.issues == []
    assert {r["year_of_registration"] for r in result.records} == {2015}


def test_the_same_file_delivered_before_the_typology_is_read_with_the_old_list() -> None:
    header, rows = _export_with_case_year(2015)
    result = polaris(date(2017, 1, 15)).map_table(header, rows)
    assert dict(result.versions) == {"2.0.0": 400}
    unmapped = result.unmapped()
    assert set(unmapped) == {"Venue/Industry"} and "Escort Services" in unmapped["Venue/Industry"]


def test_a_delivery_axis_source_needs_the_delivery_date() -> None:
    with pytest.raises(UsageError, match="give --delivered"):
        ReferenceMapper(versions("polaris"), vocabulary.load())
    with pytest.raises(UsageError, match=r"2014-06-01.*outside the validity window"):
        polaris(date(2014, 6, 1))
    # a single-version source needs no date: there is nothing to choose
    ReferenceMapper(versions("ctdc-synthetic"), vocabulary.load())


# -- versions by registration date ---------------------------------------------------------------

def _registration_versions(tmp_path: Path) -> list[Crosswalk]:
    base = (ROOT / "crosswalks" / "iom" / "2.0.0.yaml").read_text(encoding="utf-8")
    first = base.replace("valid_to: null", "valid_to: \"2017-01-01\"")
    second = base.replace("version: 2.0.0", "version: 2.1.0").replace(
        "valid_from: \"2002-01-01\"", "valid_from: \"2017-01-01\"")
    found = []
    for name, text in (("2.0.0", first), ("2.1.0", second)):
        path = tmp_path / "iom" / f"{name}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        loaded, findings = load(path)
        assert loaded is not None, findings
        found.append(loaded.model)
    return found


def iom_row(registered: str, **cells: str) -> list[str]:
    row = dict.fromkeys(IOM_HEADER, "-99")
    row.update({"case_id": "0A1B2C3D", "registration_date": registered})
    row.update(cells)
    return [row[column] for column in IOM_HEADER]


def test_each_record_takes_the_version_of_its_registration_date(tmp_path: Path) -> None:
    mapper = ReferenceMapper(_registration_versions(tmp_path), vocabulary.load())
    result = mapper.map_table(IOM_HEADER, [iom_row("2016-12-31"), iom_row("2017-01-01"),
                                           iom_row("1999-05-05"), iom_row("-99"),
                                           iom_row("31/12/2016")])
    assert [r["crosswalk_version"] for r in result.records] == ["2.0.0", "2.1.0"]
    assert [(i.kind, i.row) for i in result.issues] == [
        ("version", 4), ("version", 5), ("version", 6)]
    assert "outside the validity window" in result.issues[0].message
    assert "no date to choose" in result.issues[1].message
    assert "'31/12/2016' is not a registration date" in result.issues[2].message


def test_a_year_only_date_must_lie_wholly_in_one_window() -> None:
    from ctdc_schema.crosswalk import semantics

    cws = versions("polaris")  # windows meet on 2017-03-29
    chosen, reason = semantics.choose_version(cws, semantics.DateSpan.year(2017))
    assert chosen is None and reason is not None and "straddles" in reason
    chosen, _ = semantics.choose_version(cws, semantics.DateSpan.year(2018))
    assert chosen is not None and chosen.version == "2.1.0"


# -- collection windows, unknown codes, flags ----------------------------------------------------

def iom() -> ReferenceMapper:
    return ReferenceMapper(versions("iom"), vocabulary.load())


def test_abduction_before_collection_began_is_absent_not_no() -> None:
    early, _ = one(iom(), IOM_HEADER, iom_row("2015-03-01", abduction="0"))
    late, _ = one(iom(), IOM_HEADER, iom_row("2018-03-01", abduction="0"))
    unknown_date, _ = one(iom(), IOM_HEADER, iom_row("-99", abduction="0"))
    assert "abducted" not in early and "abducted" not in unknown_date
    assert late["abducted"] is False
    # outside the window a column can still say yes: only "no" needs the question asked
    early_yes, _ = one(iom(), IOM_HEADER, iom_row("2015-03-01", abduction="1"))
    assert early_yes["abducted"] is True


def test_unknown_codes_leave_the_slot_absent_but_never_hide_a_value() -> None:
    gender, _ = one(iom(), IOM_HEADER, iom_row("2018-03-01", gender="NonSpecifiedUnknown"))
    assert "gender" not in gender
    record, _ = one(polaris(), POLARIS_HEADER, polaris_row(
        "Sex", "Escort Services", Means_of_Control="Not Specified; Physical abuse",
        Recruiter_Relationship="Not Specified", Citizenship="U.S. Citizen/LPR"))
    assert record["means_of_control"] == ["physical_abuse"]
    assert "recruiter_relationships" not in record
    assert "citizenship" not in record
    status, _ = one(polaris(), POLARIS_HEADER, polaris_row("Trafficking Type Not Specified", ""))
    assert "exploitation_types" not in status
    assert status["trafficking_status"] == "possible_victim"


def test_iom_not_specified_is_no_information_and_acquainted_its_broader_value() -> None:
    record, _ = one(iom(), IOM_HEADER, iom_row("2018-03-01", means_of_control="NotSpecified",
                                               relationship_to_recruiter="Acquainted"))
    assert "means_of_control" not in record
    assert record["recruiter_relationships"] == ["acquainted"]
    both, _ = one(iom(), IOM_HEADER, iom_row("2018-03-01",
                                             means_of_control="NotSpecified;DebtBondage"))
    assert both["means_of_control"] == ["debt_bondage"]


def test_flags_say_none_only_when_every_flag_is_false() -> None:
    mapper = ReferenceMapper(versions("ctdc-public"), vocabulary.load())
    header = ["yearOfRegistration", "Datasource", "recruiterRelationIntimatePartner",
              "recruiterRelationFriend", "recruiterRelationFamily", "recruiterRelationOther",
              "recruiterRelationUnknown"]
    cases = {
        ("0", "0", "0", "0", "0"): [],
        ("0", "0", "", "0", "0"): None,
        ("0", "0", "0", "0", "1"): None,
        ("0", "0", "1", "0", "1"): ["family_relative"],
        ("1", "", "", "", ""): ["intimate_partner"],
    }
    for flags, expected in cases.items():
        record, result = one(mapper, header, ["2019", "Case Management", *flags])
        assert [i for i in result.issues if i.kind != "column"] == []  # a partial header
        assert record.get("recruiter_relationships") == expected, flags


# -- what the mapper reports -----------------------------------------------------------------------

def test_unmapped_codes_and_rejected_values_are_reported_with_row_and_column() -> None:
    result = polaris().map_table(POLARIS_HEADER, [
        polaris_row("Sex", "Escort Services", Gender="F"),
        polaris_row("Sex", "Escort Services; Hotel/Motel-based", Citizenship="Atlantis"),
        polaris_row("Sex", "Escort Services", Date_Case_Created="2018-05-14"),
    ])
    found = {(i.kind, i.row, i.column, i.code) for i in result.issues}
    assert found == {
        ("unmapped", 2, "Gender", "F"),
        ("unmapped", 3, "Venue/Industry", "Hotel/Motel-based"),
        ("rejected", 3, "Citizenship", "Atlantis"),
        ("rejected", 4, "Date Case Created", "2018-05-14"),
    }
    # the venue read by both variables is reported once, not once per variable
    assert result.unmapped()["Venue/Industry"] == {"Hotel/Motel-based": 1}


def test_a_flag_code_that_is_neither_yes_nor_no_is_reported(tmp_path: Path) -> None:
    mapper = ReferenceMapper(versions("ctdc-public"), vocabulary.load())
    header = ["yearOfRegistration", "Datasource", "isAbduction", "recruiterRelationFriend"]
    result = mapper.map_table(header, [["2019", "Hotline", "0", "yes"]])
    assert [(i.kind, i.column, i.code) for i in result.issues if i.kind != "column"] == [
        ("flag", "recruiterRelationFriend", "yes")]


def test_a_column_the_crosswalk_reads_but_the_header_lacks_is_a_problem() -> None:
    header = [c for c in POLARIS_HEADER if c != "Trafficking Type"] + ["Notes"]
    row = polaris_row("Labor", "Bars, Strip Clubs & Cantinas")
    del row[POLARIS_HEADER.index("Trafficking Type")]
    result = polaris().map_table(header, [[*row, "x"]])
    assert [(i.kind, i.row, i.column) for i in result.issues] == [
        ("column", 1, "Trafficking Type")]
    assert result.absent_columns == ("Trafficking Type",)
    assert result.unknown_columns == ("Notes",)  # neither read nor declared ignored
    (record,) = result.records
    assert "labour_sectors" not in record and "sex_exploitation_types" not in record


def test_map_file_reads_the_contract_delimiter_and_rejects_ragged_rows(tmp_path: Path) -> None:
    from ctdc_schema.errors import InputError

    ragged = tmp_path / "ragged.csv"
    ragged.write_text(",".join(IOM_HEADER) + "\n" + ",".join(iom_row("2018-01-01")) + ",extra\n",
                      encoding="utf-8")
    with pytest.raises(InputError, match=r"ragged.csv:2: row has 15 fields, the header 14"):
        map_file(iom(), ragged)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join(IOM_HEADER).encode() + b"\n\xe9\n")
    with pytest.raises(InputError, match=r"latin.csv:2:1: not valid UTF-8"):
        map_file(iom(), latin)


def test_a_single_version_maps_a_row_whose_date_is_unreadable_and_reports_the_date() -> None:
    result = iom().map_table(IOM_HEADER, [iom_row("31/12/2016", gender="Feminine")])
    (record,) = result.records
    assert record["gender"] == "female" and "year_of_registration" not in record
    assert [(i.kind, i.code) for i in result.issues] == [("rejected", "31/12/2016")]
