"""The HTCDS 2.0 layout: every vocabulary value reaches an HTCDS value or is declared to have
none, and what `ctdc transform --layout htcds` writes is the standard's own names, counted
against the harmonised records of the same exports (bundled examples and the real samples)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from conftest import CTDC_2017_FULL, CTDC_2020_FULL, ROOT

from ctdc_schema import htcds
from ctdc_schema.cli import run

MANIFEST = ROOT / "examples" / "manifest.yaml"
#: the reference copy the standards/ file was taken from
REFERENCE = ROOT.parent / "shared" / "reference" / "sources" / "htcds-field-standards-2.0.tsv"


def _inputs() -> list[str]:
    return ["--manifest", str(MANIFEST), "-i", str(CTDC_2020_FULL), "-s", "ctdc-public",
            "-i", str(CTDC_2017_FULL), "-s", "ctdc-public-2017"]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, str]], Path]:
    """The examples and both real samples, written in the HTCDS layout and as records."""
    folder = tmp_path_factory.mktemp("htcds")
    assert run(["transform", *_inputs(), "--layout", "htcds", "-o",
                str(folder / "htcds.csv")]) == 0
    assert run(["transform", *_inputs(), "-o", str(folder / "records.parquet")]) == 0
    with (folder / "htcds.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows, folder / "records.parquet"


def test_the_shipped_standard_is_the_reference_copy() -> None:
    if REFERENCE.is_file():
        assert htcds.STANDARD_FILE.read_bytes() == REFERENCE.read_bytes()
    standard = htcds.fields()
    assert standard["vic_MethodsOfControl"].multiselect
    assert len(standard["vic_MethodsOfControl"].values) == 16
    assert not standard["vic_ForcedLabourIndustry"].multiselect
    assert len(standard["vic_ForcedLabourIndustry"].values) == 21
    assert standard["prs_Citizenship"].iso3166 and standard["prs_Citizenship"].allows("NG")
    assert not standard["prs_Citizenship"].allows("ZZ")
    assert "vic_Vulnerabilities" not in standard  # deprecated in 2.0
    assert standard["prs_Gender"].values[-1] == "NonSpecifiedUnknown"


def test_every_value_reaches_an_htcds_value_or_is_declared_none(vocab) -> None:
    plan = htcds.plan(vocab)
    assert plan.problems == []
    placed = {t.slot for t in plan.targets} | set(plan.unplaced)
    with_mapping = {s.name for s in vocab.slots.values()
                    if any(m.curie.startswith("htcds:") for m in s.mappings)}
    assert with_mapping <= placed
    assert set(plan.unplaced) == {"age_broad", "unit_of_record"}
    for target in plan.targets:
        enum = vocab.slots[target.slot].enum
        assert set(target.values) == set(vocab.enum_values(enum))
        for name, decision in target.values.items():
            assert decision.value is None or target.field.allows(decision.value), name
            assert decision.why
    declared_none = sorted(f"{t.slot}.{name}" for t in plan.targets if not t.field.iso3166
                           for name, d in t.values.items() if d.value is None)
    assert declared_none == [
        "exploitation_types.forced_military", "exploitation_types.other_exploitation",
        "exploitation_types.other_incl_marriage_military_organ_removal",
        "exploitation_types.slavery_and_similar_practices",
        "gender.transgender_nonconforming",
        "labour_sectors.begging", "labour_sectors.illicit_activities", "labour_sectors.not_specified",
        "labour_sectors.other", "labour_sectors.peddling_or_begging",
        "means_of_control.abuse", "means_of_control.debt_bondage_or_earnings",
        "means_of_control.denies_basic_needs", "means_of_control.minor_sexually_exploited",
        "means_of_control.not_specified", "means_of_control.threats",
        "means_of_control.threats_to_person_or_family",
        "recruiter_relationships.not_specified", "recruiter_relationships.other"]
    # a value reaches HTCDS's Other only when it fits none of the picklist's named values
    others = sorted(f"{t.slot}.{name}" for t in plan.targets
                    for name, d in t.values.items() if d.value == "Other")
    assert others == ["means_of_control.other", "means_of_control.restricts_movement",
                      "trafficking_status_decided_by.other"]
    assert sorted(t.slot for t in plan.targets if t.lossless) == [
        "sex_exploitation_types", "trafficking_status", "trafficking_status_decided_by"]
    by_slot = {t.slot: t for t in plan.targets}
    assert by_slot["recruiter_relationships"].values["intimate_partner"] == htcds.Decision(
        "Acquainted", "through is_a acquainted")
    assert by_slot["labour_sectors"].values["aquafarming"].value == \
        "A_AgricultureForestryAndFishing"  # broadMatch: the ISIC section holds division 03
    assert by_slot["citizenship"].values["XK"].value is None
    assert by_slot["citizenship"].values["NG"].value == "NG"


def test_an_undeclared_value_is_a_problem(vocab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without its declaration, restricts_movement would inherit nothing from its composite
    (which has none because it cannot be split): a problem, not a silent gap."""
    from dataclasses import replace

    values = dict(vocab.enum_values("MeansOfControl"))
    bare = {k: v for k, v in values["restricts_movement"].annotations.items()
            if not k.startswith("htcds_")}
    values["restricts_movement"] = replace(values["restricts_movement"], annotations=bare)
    original = vocab.enum_values
    monkeypatch.setattr(vocab, "enum_values",
                        lambda enum: values if enum == "MeansOfControl" else original(enum))
    problems = htcds.plan(vocab).problems
    assert [(p.enum, p.value) for p in problems] == [("MeansOfControl", "restricts_movement")]
    assert "reaches no value of vic_MethodsOfControl" in problems[0].message


def test_the_layout_writes_only_the_standards_names(written) -> None:
    rows, _ = written
    standard = htcds.fields()
    header = list(rows[0])
    fields = [name for name in header if not name.startswith("ctdc_")]
    assert fields == [name for name in standard if name in fields]  # the standard's order
    assert fields == ["prs_Gender", "prs_Citizenship", "vic_TraffickingStatus",
                      "vic_TraffickingStatusDecisionMakingOrg", "vic_RelationshipToTrafficker",
                      "vic_MethodsOfControl", "vic_TypeOfExploitation",
                      "vic_ForcedLabourIndustry", "vic_TypeOfSexExploitation"]
    # the record itself follows, for every slot its HTCDS field does not say in full
    assert "ctdc_year_of_registration" in header and "ctdc_unit_of_record" in header
    assert "ctdc_means_of_control" in header and "ctdc_gender" in header
    assert "ctdc_trafficking_status" not in header  # said in full by vic_TraffickingStatus
    seen: Counter[str] = Counter()
    for row in rows:
        for name in fields:
            for value in filter(None, row[name].split(";")):
                assert standard[name].allows(value), (name, value)
                seen[name] += 1
    assert set(seen) == set(fields)  # every field holds values somewhere in these data


def test_the_layout_counts_what_the_records_hold(written) -> None:
    """Each HTCDS value is counted in the CSV and, independently, in the harmonised records
    through the declared mapping: they agree, field by field."""
    rows, records = written
    con = duckdb.connect()
    con.read_parquet(str(records)).create_view("records")
    assert len(rows) == con.execute("SELECT count(*) FROM records").fetchall()[0][0] == 6996

    def csv_count(name: str, value: str) -> int:
        return sum(value in row[name].split(";") for row in rows)

    def record_count(where: str, *params: object) -> int:
        return int(con.execute(f"SELECT count(*) FROM records WHERE {where}",
                               list(params)).fetchall()[0][0])

    assert csv_count("prs_Gender", "Feminine") == record_count("gender = 'female'") > 1000
    assert csv_count("prs_Gender", "Masculine") == record_count("gender = 'male'")
    assert sum(row["prs_Gender"] == "" for row in rows) == record_count(
        "gender IS NULL OR gender = 'transgender_nonconforming'")
    assert csv_count("vic_MethodsOfControl", "DebtBondage") == record_count(
        "list_contains(means_of_control, 'debt_bondage')") > 0
    assert csv_count("vic_MethodsOfControl", "Other") == record_count(
        "list_has_any(means_of_control, ['other', 'restricts_movement'])") > 0
    assert csv_count("vic_RelationshipToTrafficker", "Acquainted") == record_count(
        "list_has_any(recruiter_relationships, "
        "['acquainted', 'intimate_partner', 'friend_acquaintance'])") > 0
    assert csv_count("vic_ForcedLabourIndustry", "A_AgricultureForestryAndFishing") == \
        record_count("list_has_any(labour_sectors, ['agriculture', 'aquafarming'])") > 0
    assert csv_count("vic_TypeOfExploitation", "Other") == 0  # no value reaches it
    assert csv_count("prs_Citizenship", "NG") == record_count("citizenship = 'NG'")
    # the trafficking status is the record's own (its unit of record is no status)
    assert csv_count("vic_TraffickingStatus", "ActualVictimOfTrafficking") == record_count(
        "trafficking_status = 'actual_victim'") > 0
    assert csv_count("vic_TraffickingStatus", "PossibleVictimOfTrafficking") == record_count(
        "trafficking_status = 'possible_victim'") > 0
    assert sum(row["vic_TraffickingStatus"] == "" for row in rows) == record_count(
        "trafficking_status IS NULL") > 0  # the synthetic sample: IOM and Polaris mixed
    # several values of one record: distinct, in the picklist's order, whatever the record's
    picklist = htcds.fields()["vic_MethodsOfControl"].values
    several = [row["vic_MethodsOfControl"].split(";") for row in rows
               if ";" in row["vic_MethodsOfControl"]]
    assert len(several) > 500
    for cell in several:
        ranks = [picklist.index(value) for value in cell]
        assert ranks == sorted(set(ranks)), cell
    unsorted = con.execute(
        "SELECT count(*) FROM records WHERE len(means_of_control) > 1 "
        "AND means_of_control <> list_sort(means_of_control)").fetchall()[0][0]
    assert unsorted > 0  # so the order above is the layout's work
    # the extension column keeps what the field cannot say
    threats = [row for row in rows if "threats" in row["ctdc_means_of_control"].split(";")]
    assert threats and all("PhysicalThreats" not in row["vic_MethodsOfControl"]
                           for row in threats)
    # extension columns keep the vocabulary's values
    assert Counter(row["ctdc_year_of_registration"] for row in rows) == Counter(
        "" if year is None else str(year) for (year,) in
        con.execute("SELECT year_of_registration FROM records").fetchall())
