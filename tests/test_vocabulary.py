"""The vocabulary covers every CTDC variable, with definitions, sources and meanings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pycountry
import pytest
from conftest import DATA, ROOT, ctdc_2020_header

from ctdc_schema.vocabulary import Vocabulary

# Codebook v6 (Nov 2017) §2 "List of variables", spelled as in the codebook.
CODEBOOK_V6 = """yearOfRegistration datasource gender ageBroad majorityStatus majorityStatusAtExploit
majorityEntry citizenship meansOfControlDebtBondage meansOfControlTakesEarnings
meansOfControlRestrictsFinancialAccess meansOfControlThreats meansOfControlPsychologicalAbuse
meansOfControlPhysicalAbuse meansOfControlSexualAbuse meansOfControlFalsePromises
meansOfControlPsychoactiveSubstances meansOfControlRestrictsMovement
meansOfControlRestrictsMedicalCare meansOfControlExcessiveWorkingHours meansOfControlUsesChildren
meansOfControlThreatOfLawEnforcement meansOfControlWithholdsNecessities
meansOfControlWithholdsDocuments meansOfControlOther meansOfControlNotSpecified
meansOfControlConcatenated isForcedLabour isSexualExploit isOtherExploit isSexAndLabour
isForcedMarriage isForcedMilitary isOrganRemoval typeOfExploitConcatenated typeOfLabourAgriculture
typeOfLabourAquafarming typeOfLabourBegging typeOfLabourConstruction typeOfLabourDomesticWork
typeOfLabourHospitality typeOfLabourIllicitActivities typeOfLabourManufacturing
typeOfLabourMiningOrDrilling typeOfLabourPeddling typeOfLabourTransportation typeOfLabourOther
typeOfLabourNotSpecified typeOfLabourConcatenated typeOfSexProstitution typeOfSexPornography
typeOfSexRemoteInteractiveServices typeOfSexPrivateSexualServices typeOfSexConcatenated
isAbduction RecruiterRelationship CountryofExploitation recruiterRelationIntimatePartner
recruiterRelationFriend recruiterRelationFamily recruiterRelationOther
recruiterRelationUnknown""".split()

GROUPED = {
    "means_of_control": "meansOfControl",
    "exploitation_types": "is",
    "labour_sectors": "typeOfLabour",
    "sex_exploitation_types": "typeOfSex",
    "recruiter_relationships": "recruiterRelation",
}

CITATION = re.compile(r"\[[^\[\]]+\]\s*$")


def test_every_2020_release_column_resolves(vocab: Vocabulary) -> None:
    header = ctdc_2020_header()
    assert len(header) == 63
    assert vocab.unresolved_columns(header) == []


def test_codebook_v6_variables_and_synthetic_additions_resolve(vocab: Vocabulary) -> None:
    assert len(CODEBOOK_V6) == 62
    assert vocab.unresolved_columns([*CODEBOOK_V6, "traffickMonths"]) == []


def test_columns_match_case_insensitively(vocab: Vocabulary) -> None:
    # Casing drifts between CTDC documents and files (domain notes §1.6).
    for spelling in ("MajorityEntry", "majorityentry", "COUNTRYOFEXPLOITATION", " Datasource "):
        assert vocab.resolve_column(spelling), spelling
    assert vocab.resolve_column("notACtdcColumn") == ()


def test_flag_columns_resolve_to_values_of_multivalued_enum_slots(vocab: Vocabulary) -> None:
    for column in ctdc_2020_header():
        for binding in vocab.resolve_column(column):
            if binding.value is not None:
                slot = vocab.slots[binding.slot]
                assert slot.multivalued and slot.enum, column
    for slot_name, prefix in GROUPED.items():
        slot = vocab.slots[slot_name]
        assert slot.multivalued and slot.enum, slot_name
        flagged = [
            v for v in vocab.slot_values(slot_name).values()
            if any(m.curie.startswith(f"ctdc:{prefix}") for m in v.mappings)
        ]
        assert flagged, slot_name
        header = {column.lower() for column in ctdc_2020_header()}
        for value in vocab.slot_values(slot_name).values():
            columns = {m.curie.split(":", 1)[1].lower() for m in value.mappings
                       if m.predicate == "exactMatch" and m.curie.startswith("ctdc:")}
            if columns & header:  # a value the 2020 layout writes as a flag has its label
                assert value.ctdc_code, f"{slot_name}.{value.name} has no ctdc_code"


def test_sex_and_labour_flag_is_a_related_mapping_of_exploitation_types(vocab: Vocabulary) -> None:
    (binding,) = vocab.resolve_column("isSexAndLabour")
    assert (binding.slot, binding.value) == ("exploitation_types", None)
    assert binding.predicate != "exactMatch"


def test_every_slot_and_value_is_defined_with_a_cited_source(vocab: Vocabulary) -> None:
    missing = [s.name for s in vocab.slots.values() if not CITATION.search(s.description)]
    assert missing == []
    for enum in vocab.enum_names:
        for value in vocab.enum_values(enum).values():
            assert CITATION.search(value.description), f"{enum}.{value.name}"


def test_countries_come_from_pycountry_with_unknown_and_withheld(vocab: Vocabulary) -> None:
    codes = vocab.enum_values("CountryCode")
    current = {c.alpha_2 for c in pycountry.countries}
    assert current <= set(codes)
    assert {"ZZ", "XX", "XK"} <= set(codes)
    assert codes["NO"].meaning == "iso3166:NO"  # Norway stays a string, not YAML 1.1 false
    assert codes["AN"].deprecated  # Netherlands Antilles: legacy IOM records
    assert vocab.slots["citizenship"].enum == "CountryCode"
    assert vocab.slots["country_of_exploitation"].enum == "CountryCode"


@pytest.mark.parametrize(
    ("slot", "moment"),
    [
        ("majority_status", "registration"),
        ("majority_status_at_exploitation", "exploitation"),
        ("majority_status_at_entry", "entered"),
        ("age_broad", "registration"),
    ],
)
def test_age_slots_say_when_age_is_measured(vocab: Vocabulary, slot: str, moment: str) -> None:
    assert moment in vocab.slots[slot].description.lower()


def test_age_bands_cover_0_to_open_ended_without_gaps(vocab: Vocabulary) -> None:
    bands = list(vocab.slot_values("age_broad").values())
    assert [b.ctdc_code for b in bands] == [
        "0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+",
    ]
    expected_min = 0
    for band in bands:
        assert int(band.annotations["min_age"]) == expected_min
        if "max_age" in band.annotations:
            expected_min = int(band.annotations["max_age"]) + 1
    assert "max_age" not in bands[-1].annotations


def test_provenance_slots_exist(vocab: Vocabulary) -> None:
    for slot in ("data_source_type", "contributing_organisation", "unit_of_record",
                 "legal_definition", "crosswalk_version", "source_id"):
        assert slot in vocab.slots
    assert {"case", "victim", "potential_victim"} <= set(vocab.slot_values("unit_of_record"))
    assert {"palermo", "us_tvpa"} <= set(vocab.slot_values("legal_definition"))


def test_vocabulary_is_versioned(vocab: Vocabulary) -> None:
    assert vocab.version == "1.6.0"


@pytest.mark.parametrize(
    ("module", "config"),
    [("ctdc.yaml", None), ("countries.yaml", "countries.linkmllint.yaml")],
)
def test_linkml_lint_is_clean(module: str, config: str | None) -> None:
    lint = [str(Path(sys.executable).parent / "linkml-lint")]
    if config:
        lint += ["--config", str(DATA / "lint" / config)]
    result = subprocess.run([*lint, str(ROOT / "schema" / module)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    assert "No problems found" in result.stdout, result.stdout


def test_vocabulary_1_1_adds_case_status_release_and_deidentification(vocab: Vocabulary) -> None:
    for slot in ("case_id", "trafficking_status", "trafficking_status_decided_by", "release",
                 "deidentification_method"):
        assert slot in vocab.slots
    assert set(vocab.slot_values("trafficking_status")) == {
        "possible_victim", "actual_victim", "not_a_victim"}
    assert vocab.slot_values("trafficking_status")["possible_victim"].meaning == \
        "htcds:PossibleVictimOfTrafficking"
    assert {"identifiers_removed", "k_anonymity", "synthetic_k_anonymity",
            "synthetic_differential_privacy"} == set(vocab.slot_values("deidentification_method"))
    assert vocab.annotations["registration_slot"] == "year_of_registration"


def test_iom_assistance_definition_is_its_own_legal_definition(vocab: Vocabulary) -> None:
    value = vocab.slot_values("legal_definition")["iom_assistance"]
    assert "no means element" in value.description and "any migrant" in value.description


def test_not_specified_is_a_fact_and_no_information_flags_are_not_its_columns(
        vocab: Vocabulary) -> None:
    means = vocab.slot_values("means_of_control")["not_specified"]
    assert means.ctdc_code is None and not means.mappings
    (binding,) = vocab.resolve_column("meansOfControlNotSpecified")
    assert (binding.slot, binding.value, binding.predicate) == (
        "means_of_control", None, "relatedMatch")
    (binding,) = vocab.resolve_column("recruiterRelationUnknown")
    assert binding.value is None
    labour = vocab.slot_values("labour_sectors")["not_specified"]
    assert labour.ctdc_code == "Not specified"  # typeOfLabourNotSpecified: there was labour


def test_threats_is_broader_than_htcds_physical_threats(vocab: Vocabulary) -> None:
    threats = vocab.slot_values("means_of_control")["threats"]
    assert threats.meaning is None
    assert ("narrowMatch", "htcds:PhysicalThreats") in {(m.predicate, m.curie)
                                                        for m in threats.mappings}


def test_synthetic_composites_are_broader_values_of_their_parts(vocab: Vocabulary) -> None:
    values = vocab.enum_values("MeansOfControl")
    parts = {name: v.parent for name, v in values.items() if v.parent}
    assert {p for p, parent in parts.items() if parent == "denies_basic_needs"} == {
        "restricts_financial_access", "restricts_movement", "restricts_medical_care",
        "withholds_necessities"}
    (binding,) = vocab.resolve_column("meansDenyBasicNeeds")
    assert binding.value == "denies_basic_needs" and binding.predicate == "exactMatch"
    # the 2020 flag of that name is the narrower value; the synthetic one its broader parent
    exact = [b for b in vocab.resolve_column("isOtherExploit") if b.predicate == "exactMatch"]
    assert [b.value for b in exact] == ["other_exploitation"]


def test_only_the_type_of_exploitation_depends_on_the_legal_definition(vocab: Vocabulary) -> None:
    depends = {name for name, slot in vocab.slots.items()
               if "legal_definition" in slot.annotations.get("definition_depends_on", "")}
    assert depends == {"exploitation_types"}
