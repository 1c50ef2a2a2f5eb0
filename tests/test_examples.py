"""The example exports: reproducible, inside their crosswalk's window, fully covered, realistic.

The checks read the files through the crosswalks (not through the generator's tables), so a
generator bug, a stale file or a crosswalk change that drops a code all fail here.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from jsonschema import Draft201909Validator

from ctdc_schema import vocabulary, vocabulary_version
from ctdc_schema.crosswalk.coverage import check_csv
from ctdc_schema.crosswalk.loader import load
from ctdc_schema.crosswalk.mapper import MappingResult, ReferenceMapper, map_file
from ctdc_schema.datamodel.crosswalk import Crosswalk, Variable
from ctdc_schema.deliveries import load_manifest
from ctdc_schema.harmonise import crosswalks_by_source

EXAMPLES = ROOT / "examples"
SCRIPT = EXAMPLES / "make_examples.py"
MANIFEST = EXAMPLES / "manifest.yaml"
POLARIS_2016 = EXAMPLES / "polaris" / "hotline_export_2016.csv"
POLARIS_2019 = EXAMPLES / "polaris" / "hotline_export_2019.csv"
IOM = EXAMPLES / "iom" / "case_export.csv"
SYNTHETIC = EXAMPLES / "ctdc-synthetic" / "synthetic_2024_sample.csv"
#: file -> (source, version it must be read with, expected number of rows)
FILES = {
    POLARIS_2016: ("polaris", "2.0.0", 300),
    POLARIS_2019: ("polaris", "2.1.0", 400),
    IOM: ("iom", "2.0.0", 500),
    SYNTHETIC: ("ctdc-synthetic", "1.0.0", 250),
}


def crosswalk(source: str, version: str) -> Crosswalk:
    loaded, findings = load(ROOT / "crosswalks" / source / f"{version}.yaml")
    assert loaded is not None, findings
    return loaded.model


def rows(path: Path, model: Crosswalk) -> list[dict[str, str]]:
    assert model.export is not None
    with path.open(newline="", encoding=model.export.encoding or "utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=model.export.delimiter or ","))


def var(model: Crosswalk, column: str, slot: str) -> Variable:
    (found,) = [v for v in model.variables if column in (v.column or []) and v.slot == slot]
    return found


@pytest.fixture(scope="module")
def results() -> dict[Path, MappingResult]:
    """Every example, read through the manifest by the reference mapper (the engine's records
    are compared with these in test_engine.py)."""
    vocab = vocabulary.load()
    by_source = crosswalks_by_source()
    return {d.path: map_file(ReferenceMapper(by_source[d.source], vocab, d.delivered), d.path,
                             d.delimiter) for d in load_manifest(MANIFEST)}


def records(results: dict[Path, MappingResult], path: Path) -> list[dict[str, Any]]:
    return results[path.resolve()].records


def counts(found: list[dict[str, Any]], slot: str) -> Counter[str]:
    """Records per value of ``slot`` (lists joined with +, absent as "unknown")."""
    tally: Counter[str] = Counter()
    for record in found:
        value = record.get(slot)
        tally["+".join(value) if isinstance(value, list) else str(value or "unknown")] += 1
    return tally


# --- reproducibility ---------------------------------------------------------------------------


@pytest.mark.slow
def test_committed_examples_are_what_the_generator_writes() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_check_reports_a_stale_file_and_writing_restores_it(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "crosswalks", tmp_path / "crosswalks")
    (tmp_path / "examples").mkdir()
    shutil.copyfile(SCRIPT, tmp_path / "examples" / SCRIPT.name)
    script = [sys.executable, str(tmp_path / "examples" / SCRIPT.name)]

    missing = subprocess.run([*script, "--check"], capture_output=True, text=True, check=False)
    assert missing.returncode == 1
    assert not (tmp_path / "examples" / "iom").exists()  # --check writes nothing
    subprocess.run(script, capture_output=True, check=True)
    copy = tmp_path / "examples" / "iom" / "case_export.csv"
    written = copy.read_bytes()
    copy.write_bytes(written.replace(b"Feminine", b"Masculine", 1))

    stale = subprocess.run([*script, "--check"], capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert "examples/iom/case_export.csv" in stale.stderr
    assert "polaris" not in stale.stderr

    subprocess.run(script, capture_output=True, check=True)
    assert copy.read_bytes() == written
    again = subprocess.run([*script, "--check"], capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr


def test_files_use_the_contracts_delimiter_encoding_and_line_endings() -> None:
    for path, (source, version, count) in FILES.items():
        model = crosswalk(source, version)
        assert model.export is not None
        raw = path.read_bytes()
        raw.decode(model.export.encoding or "utf-8")
        assert b"\r" not in raw and raw.endswith(b"\n")
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert len(rows(path, model)) == count, path.name


# --- contract: versions and coverage ------------------------------------------------------------


def test_the_manifest_lists_every_example_with_its_delivery() -> None:
    listed = {d.path: d for d in load_manifest(MANIFEST)}
    assert set(listed) == {path.resolve() for path in FILES}
    assert all(d.delivered is not None for d in listed.values())


@pytest.mark.parametrize("path", list(FILES), ids=lambda p: p.name)
def test_every_file_is_read_completely_with_the_version_of_its_delivery(
        path: Path, results: dict[Path, MappingResult]) -> None:
    source, version, count = FILES[path]
    result = results[path.resolve()]
    assert result.rows == len(result.records) == count
    assert dict(result.versions) == {version: count}
    assert result.absent_columns == ()
    assert result.issues == []
    assert {r["source_id"] for r in result.records} == {source}


def test_iom_registration_dates_lie_in_the_window_of_its_crosswalk() -> None:
    model = crosswalk("iom", "2.0.0")
    days = [date.fromisoformat(row["registration_date"]) for row in rows(IOM, model)]
    assert all(model.valid_from <= day for day in days) and model.valid_to is None


def test_polaris_2016_cases_in_a_typology_delivery_are_unmapped_by_the_old_version() -> None:
    """The version follows the delivery: each file read with the other version does not map."""
    old_under_new = check_csv(crosswalk("polaris", "2.1.0"), POLARIS_2016)
    new_under_old = check_csv(crosswalk("polaris", "2.0.0"), POLARIS_2019)
    assert "Hotel/Motel-based" in old_under_new.unmapped["Venue/Industry"]
    assert "Escort Services" in new_under_old.unmapped["Venue/Industry"]
    assert set(old_under_new.unmapped) == set(new_under_old.unmapped) == {"Venue/Industry"}


def test_records_are_valid_against_the_generated_json_schema(
        results: dict[Path, MappingResult]) -> None:
    schema = json.loads((ROOT / "generated/jsonschema/ctdc.schema.json").read_text())
    dataset = {"vocabulary_version": vocabulary_version(),
               "records": [r for result in results.values() for r in result.records]}
    errors = [e.message for e in Draft201909Validator(schema).iter_errors(dataset)]
    assert errors == []


# --- distributions follow the seed ---------------------------------------------------------------


@pytest.mark.parametrize("path", [POLARIS_2016, POLARIS_2019], ids=lambda p: p.name)
def test_polaris_types_gender_and_age_follow_the_2016_statistics(
        path: Path, results: dict[Path, MappingResult]) -> None:
    found = records(results, path)
    types = counts(found, "exploitation_types")
    ((largest, _),) = types.most_common(1)
    assert largest == "sexual_exploitation"
    # 2016: Sex 5,551 > Labor 1,057 > Sex and Labor 268 (rows: victims, shares are per case)
    assert types["sexual_exploitation"] > 3 * types["forced_labour"]
    assert types["forced_labour"] > types["forced_labour+sexual_exploitation"]
    assert types["unknown"] > 0  # "Trafficking Type Not Specified"

    gender = counts(found, "gender")
    assert gender.most_common(1)[0][0] == "female"
    assert gender["female"] > 4 * gender["male"] > 0
    assert 0 < gender["transgender_nonconforming"] < gender["male"]

    age = counts(found, "majority_status")
    minors = age["minor"] / (age["minor"] + age["adult"])
    assert 0.27 <= minors <= 0.39  # 2,387 of 7,277 = 32.8%
    assert age["unknown"] > 0


@pytest.mark.parametrize("path", [POLARIS_2016, POLARIS_2019], ids=lambda p: p.name)
def test_polaris_citizenship_is_mostly_blank_and_the_us_status_is_no_country(
        path: Path, results: dict[Path, MappingResult]) -> None:
    model = crosswalk("polaris", FILES[path][1])
    cells = [row["Citizenship"] for row in rows(path, model)]
    found = records(results, path)
    resolved = counts(found, "citizenship")
    assert resolved["unknown"] > len(cells) / 2
    resolved.pop("unknown")
    top = [code for code, _ in resolved.most_common(3)]
    assert "US" in top and "MX" in top
    # the US status (citizen or permanent resident) and "Foreign National" give no country
    for cell, record in zip(cells, found, strict=True):
        if cell in ("U.S. Citizen/LPR", "Foreign National"):
            assert "citizenship" not in record
    assert "U.S. Citizen/LPR" in cells and "Foreign National" in cells
    assert {"Mexico", "Guatemala", "Honduras"} <= set(cells)
    explicit = set(var(model, "Citizenship", "citizenship").values or {})
    assert len({c for c in cells if c in explicit} - {"U.S. Citizen/LPR", "Foreign National"}) >= 2


def test_polaris_venues_follow_the_published_top_venues(
        results: dict[Path, MappingResult]) -> None:
    raw_old = Counter(c for row in rows(POLARIS_2016, crosswalk("polaris", "2.0.0"))
                      for c in row["Venue/Industry"].split("; ") if c)
    assert {c for c, _ in raw_old.most_common(3)} & {"Hotel/Motel-based",
                                                     "Commercial-front Brothel"}
    assert raw_old["Hotel/Motel-based"] > raw_old["Street-based"]

    model = crosswalk("polaris", "2.1.0")
    data = rows(POLARIS_2019, model)
    raw_new = Counter(c for row in data for c in row["Venue/Industry"].split("; ") if c)
    assert raw_new.most_common(1)[0][0] == "Escort Services"
    assert raw_new["Escort Services"] > raw_new["Illicit Massage, Health & Beauty"] \
        > raw_new["Outdoor Solicitation"]
    labour = var(model, "Venue/Industry", "labour_sectors").values or {}
    industries = Counter({c: n for c, n in raw_new.items()
                          if c in labour and not labour[c].cases})
    assert "Domestic Work" in [c for c, _ in industries.most_common(3)]  # 2017: top, 242
    # a labour case at a bar is hospitality work, never prostitution (conditional mapping)
    bars = [(row, record) for row, record in zip(data, records(results, POLARIS_2019),
                                                 strict=True)
            if "Bars, Strip Clubs & Cantinas" in row["Venue/Industry"]]
    labour_bars = [rec for row, rec in bars if row["Trafficking Type"] == "Labor"]
    sex_bars = [rec for row, rec in bars if row["Trafficking Type"] == "Sex"]
    assert labour_bars and sex_bars
    assert all("hospitality" in r["labour_sectors"] for r in labour_bars)
    assert not any("sex_exploitation_types" in r for r in labour_bars)
    assert all(r["sex_exploitation_types"] == ["prostitution"] for r in sex_bars)
    assert not any("labour_sectors" in r for r in sex_bars)


def test_iom_nationalities_follow_the_slides(results: dict[Path, MappingResult]) -> None:
    resolved = counts(records(results, IOM), "citizenship")
    resolved.pop("unknown", None)
    top3 = [code for code, _ in resolved.most_common(3)]
    assert top3[:2] == ["UA", "MD"] or {"UA", "MD"} <= set(top3)
    top10 = {code for code, _ in resolved.most_common(10)}
    assert len(top10 & {"UA", "MD", "BY", "ID", "RO", "KG", "MM", "UZ", "KH", "BG"}) >= 8


def test_iom_exploitation_shares_are_within_three_points_of_the_slides(
        results: dict[Path, MappingResult]) -> None:
    found = records(results, IOM)
    share: Counter[str] = Counter()
    for record in found:
        kinds = set(record.get("exploitation_types", []))
        sexual, labour = "sexual_exploitation" in kinds, "forced_labour" in kinds
        share["sex_and_labour" if sexual and labour else "sex" if sexual
              else "labour" if labour else "other"] += 1
    seed = {"sex_and_labour": 36.17, "sex": 32.63, "labour": 27.21, "other": 3.99}
    for key, percent in seed.items():
        assert abs(100 * share[key] / len(found) - percent) <= 3, (key, share)


def test_iom_forced_labour_sectors_follow_the_slides(results: dict[Path, MappingResult]) -> None:
    sectors = Counter(s for r in records(results, IOM) for s in r.get("labour_sectors", []))
    top4 = [s for s, _ in sectors.most_common(4)]
    assert top4[0] == "domestic_work"
    assert set(top4) == {"domestic_work", "construction", "agriculture", "manufacturing"}
    assert sectors["begging"] > 0


def test_iom_ages_are_exact_mostly_adult_with_a_minority_of_minors() -> None:
    model = crosswalk("iom", "2.0.0")
    ages = [int(row["age_at_registration"]) for row in rows(IOM, model)]
    known = [a for a in ages if a != -99]
    minors = sum(1 for a in known if a < 18) / len(known)
    assert 0.20 <= minors <= 0.30
    assert sum(1 for a in known if 18 <= a <= 40) / len(known) >= 0.55
    assert all(0 <= a < 100 for a in known)


def test_iom_uses_minus_99_for_missing_and_never_a_blank(
        results: dict[Path, MappingResult]) -> None:
    model = crosswalk("iom", "2.0.0")
    data = rows(IOM, model)
    assert all(cell != "" for row in data for cell in row.values())
    assert not any(cell.lower() == "unknown" for row in data for cell in row.values())
    rate = {column: sum(1 for row in data if row[column] == "-99") / len(data)
            for column in data[0]}
    assert rate["case_id"] == 0 and rate["registration_date"] == 0
    assert 0.01 <= rate["age_at_registration"] <= 0.10
    assert rate["age_at_registration"] < rate["age_at_exploitation_start"] \
        < rate["age_at_entry"] < 0.5
    assert 0.01 <= rate["citizenship"] <= 0.10
    assert 0.05 <= rate["means_of_control"] <= 0.5
    # abduction and the newer gender/sex-exploitation codes exist only from 2017
    for row, record in zip(data, records(results, IOM), strict=True):
        if row["registration_date"] < "2017":
            assert row["abduction"] == "-99" and "abducted" not in record
            assert not row["gender"].startswith(("Transgender", "NonConforming"))
            assert "Remote" not in row["sex_exploitation_type"]
    assert {r["trafficking_status"] for r in records(results, IOM)} == {"actual_victim"}
    assert len({r["case_id"] for r in records(results, IOM)}) == len(data)


def test_synthetic_sample_uses_the_2024_layout(results: dict[Path, MappingResult]) -> None:
    model = crosswalk("ctdc-synthetic", "1.0.0")
    data = rows(SYNTHETIC, model)
    flags = [c for c in data[0] if c.startswith(("means", "is", "typeOf", "recruiter"))]
    assert len(data[0]) == 27 and len(flags) == 21
    assert {cell for row in data for c in flags for cell in [row[c]]} == {"", "1"}
    assert all(len(row["citizenship"]) in (0, 3) for row in data)
    found = records(results, SYNTHETIC)
    assert {r["deidentification_method"] for r in found} == {"synthetic_differential_privacy"}
    means = Counter(m for r in found for m in r.get("means_of_control", []))
    assert {"abuse", "threats_to_person_or_family", "debt_bondage_or_earnings"} <= set(means)
    assert not any(r.get("means_of_control") == [] for r in found)  # 1/NULL: never "none"
