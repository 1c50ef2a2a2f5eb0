"""The example exports: reproducible, inside their crosswalk's window, fully covered, realistic.

The checks read the files through the crosswalks (not through the generator's tables), so a
generator bug, a stale file or a crosswalk change that drops a code all fail here.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import ROOT

from ctdc_schema.crosswalk.coverage import check_csv
from ctdc_schema.crosswalk.loader import load
from ctdc_schema.crosswalk.transforms import country_alpha2
from ctdc_schema.datamodel.crosswalk import Crosswalk, Variable

EXAMPLES = ROOT / "examples"
SCRIPT = EXAMPLES / "make_examples.py"
POLARIS_2016 = EXAMPLES / "polaris" / "hotline_export_2016.csv"
POLARIS_2019 = EXAMPLES / "polaris" / "hotline_export_2019.csv"
IOM = EXAMPLES / "iom" / "case_export.csv"
#: file -> (source, version it must be read with, expected number of rows)
FILES = {
    POLARIS_2016: ("polaris", "1.0.0", 300),
    POLARIS_2019: ("polaris", "1.1.0", 400),
    IOM: ("iom", "1.0.0", 500),
}
DATE_COLUMN = {"polaris": "Date Case Created", "iom": "registration_date"}


def crosswalk(source: str, version: str) -> Crosswalk:
    loaded, findings = load(ROOT / "crosswalks" / source / f"{version}.yaml")
    assert loaded is not None, findings
    return loaded.model


def versions(source: str) -> list[Crosswalk]:
    return [crosswalk(source, p.stem) for p in sorted((ROOT / "crosswalks" / source).glob("*.yaml"))]


def rows(path: Path, model: Crosswalk) -> list[dict[str, str]]:
    assert model.export is not None
    with path.open(newline="", encoding=model.export.encoding or "utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=model.export.delimiter or ","))


def var(model: Crosswalk, column: str, slot: str) -> Variable:
    (found,) = [v for v in model.variables if column in v.column and v.slot == slot]
    return found


def targets(variable: Variable, cell: str, missing: list[str]) -> list[str]:
    """The target values of one cell, read through the crosswalk's explicit values."""
    if cell in missing:
        return []
    items = [c.strip() for c in cell.split(variable.split.strip())] if variable.split else [cell]
    found: list[str] = []
    for item in items:
        mapping = (variable.values or {})[item]
        found += mapping.values or ([mapping.value] if mapping.value else [])
    return found


def citizenship(model: Crosswalk, cell: str) -> str | None:
    """Citizenship as the crosswalk resolves it: explicit values, then the country transform."""
    variable = var(model, "Citizenship" if model.source == "polaris" else "citizenship",
                   "citizenship")
    if cell in (model.missing_codes or []):
        return None
    if cell in (variable.values or {}):
        return variable.values[cell].value
    assert variable.transform is not None
    return country_alpha2(cell, str(variable.transform.country_format))


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


# --- contract: window and coverage ---------------------------------------------------------------


@pytest.mark.parametrize("path", list(FILES), ids=lambda p: p.name)
def test_every_row_falls_in_exactly_the_window_of_its_crosswalk(path: Path) -> None:
    source, version, _ = FILES[path]
    column = DATE_COLUMN[source]
    windows = []
    for model in versions(source):
        fmt = var(model, column, "year_of_registration").transform.date_format or "%Y-%m-%d"
        days = [datetime.strptime(row[column], fmt).date() for row in rows(path, model)]
        end = model.valid_to or date.max
        if all(model.valid_from <= day < end for day in days):
            windows.append(model.version)
    assert windows == [version]


@pytest.mark.parametrize("path", list(FILES), ids=lambda p: p.name)
def test_every_file_is_completely_covered_by_its_crosswalk(path: Path) -> None:
    source, version, count = FILES[path]
    coverage = check_csv(crosswalk(source, version), path)
    assert coverage.rows == count
    assert coverage.absent_columns == set()
    assert coverage.unmapped == {}
    assert coverage.complete


def test_iom_file_passes_the_strict_checker_unchanged() -> None:
    """IOM reads exploitation_types twice but lists every code in both variables."""
    assert check_csv(crosswalk("iom", "1.0.0"), IOM).complete


def test_polaris_venue_column_read_by_two_variables_is_covered() -> None:
    """Venue/Industry feeds labour_sectors and sex_exploitation_types, each listing its own
    codes: a code is covered when either variable maps it."""
    for path in (POLARIS_2016, POLARIS_2019):
        assert check_csv(crosswalk(*FILES[path][:2]), path).complete


def test_a_file_read_with_the_other_polaris_version_is_not_covered() -> None:
    old_under_new = check_csv(crosswalk("polaris", "1.1.0"), POLARIS_2016)
    new_under_old = check_csv(crosswalk("polaris", "1.0.0"), POLARIS_2019)
    assert "Hotel/Motel-based" in old_under_new.unmapped["Venue/Industry"]
    assert "Escort Services" in new_under_old.unmapped["Venue/Industry"]
    assert set(old_under_new.unmapped) == set(new_under_old.unmapped) == {"Venue/Industry"}


# --- distributions follow the seed ---------------------------------------------------------------


def polaris_counts(path: Path, version: str, column: str, slot: str) -> Counter[str]:
    model = crosswalk("polaris", version)
    variable = var(model, column, slot)
    counts: Counter[str] = Counter()
    for row in rows(path, model):
        found = targets(variable, row[column], model.missing_codes or [])
        counts["+".join(sorted(found)) or "unknown"] += 1
    return counts


@pytest.mark.parametrize("path", [POLARIS_2016, POLARIS_2019], ids=lambda p: p.name)
def test_polaris_types_gender_and_age_follow_the_2016_statistics(path: Path) -> None:
    version = FILES[path][1]
    types = polaris_counts(path, version, "Trafficking Type", "exploitation_types")
    ((largest, _),) = types.most_common(1)
    assert largest == "sexual_exploitation"
    # 2016: Sex 5,551 > Labor 1,057 > Sex and Labor 268 (rows: victims, shares are per case)
    assert types["sexual_exploitation"] > 3 * types["forced_labour"]
    assert types["forced_labour"] > types["forced_labour+sexual_exploitation"]

    gender = polaris_counts(path, version, "Gender", "gender")
    assert gender.most_common(1)[0][0] == "female"
    assert gender["female"] > 4 * gender["male"] > 0
    assert 0 < gender["transgender_nonconforming"] < gender["male"]

    age = polaris_counts(path, version, "Age Group", "majority_status")
    minors = age["minor"] / (age["minor"] + age["adult"])
    assert 0.27 <= minors <= 0.39  # 2,387 of 7,277 = 32.8%
    assert age["unknown"] > 0


@pytest.mark.parametrize("path", [POLARIS_2016, POLARIS_2019], ids=lambda p: p.name)
def test_polaris_citizenship_is_mostly_blank_with_the_us_on_top(path: Path) -> None:
    model = crosswalk("polaris", FILES[path][1])
    cells = [row["Citizenship"] for row in rows(path, model)]
    resolved = Counter(code for code in (citizenship(model, c) for c in cells) if code)
    top = [code for code, _ in resolved.most_common(3)]
    assert "US" in top and "MX" in top
    assert sum(1 for c in cells if c in (model.missing_codes or [])) > len(cells) / 3
    assert "U.S. Citizen/LPR" in cells
    # the slides' top ten are written as names, some with the spellings the crosswalk maps
    assert {"Mexico", "Guatemala", "Honduras"} <= set(cells)
    explicit = set(var(model, "Citizenship", "citizenship").values or {})
    assert len({c for c in cells if c in explicit} - {"U.S. Citizen/LPR", "Foreign National"}) >= 2


def test_polaris_venues_follow_the_published_top_venues() -> None:
    raw_old = Counter(c for row in rows(POLARIS_2016, crosswalk("polaris", "1.0.0"))
                      for c in row["Venue/Industry"].split("; ") if c)
    assert {c for c, _ in raw_old.most_common(3)} & {"Hotel/Motel-based",
                                                     "Commercial-front Brothel"}
    assert raw_old["Hotel/Motel-based"] > raw_old["Street-based"]

    model = crosswalk("polaris", "1.1.0")
    raw_new = Counter(c for row in rows(POLARIS_2019, model)
                      for c in row["Venue/Industry"].split("; ") if c)
    assert raw_new.most_common(1)[0][0] == "Escort Services"
    assert raw_new["Escort Services"] > raw_new["Illicit Massage, Health & Beauty"] \
        > raw_new["Outdoor Solicitation"]
    labour = var(model, "Venue/Industry", "labour_sectors").values or {}
    industries = Counter({c: n for c, n in raw_new.items() if c in labour})
    assert "Domestic Work" in [c for c, _ in industries.most_common(3)]  # 2017: top, 242


def test_iom_nationalities_follow_the_slides() -> None:
    model = crosswalk("iom", "1.0.0")
    resolved = Counter(citizenship(model, row["citizenship"]) for row in rows(IOM, model))
    resolved.pop(None, None)
    top3 = [code for code, _ in resolved.most_common(3)]
    assert top3[:2] == ["UA", "MD"] or {"UA", "MD"} <= set(top3)
    top10 = {code for code, _ in resolved.most_common(10)}
    assert len(top10 & {"UA", "MD", "BY", "ID", "RO", "KG", "MM", "UZ", "KH", "BG"}) >= 8


def test_iom_exploitation_shares_are_within_three_points_of_the_slides() -> None:
    model = crosswalk("iom", "1.0.0")
    variable = var(model, "exploitation_types", "exploitation_types")
    share: Counter[str] = Counter()
    data = rows(IOM, model)
    for row in data:
        found = set(targets(variable, row["exploitation_types"], model.missing_codes or []))
        sexual, labour = "sexual_exploitation" in found, "forced_labour" in found
        share["sex_and_labour" if sexual and labour else "sex" if sexual
              else "labour" if labour else "other"] += 1
    seed = {"sex_and_labour": 36.17, "sex": 32.63, "labour": 27.21, "other": 3.99}
    for key, percent in seed.items():
        assert abs(100 * share[key] / len(data) - percent) <= 3, (key, share)


def test_iom_forced_labour_sectors_follow_the_slides() -> None:
    model = crosswalk("iom", "1.0.0")
    industry = var(model, "forced_labour_industry", "labour_sectors")
    begging = var(model, "exploitation_types", "labour_sectors")
    sectors: Counter[str] = Counter()
    for row in rows(IOM, model):
        for cell, variable in ((row["forced_labour_industry"], industry),
                               (row["exploitation_types"], begging)):
            sectors.update(targets(variable, cell, model.missing_codes or []))
    top4 = [s for s, _ in sectors.most_common(4)]
    assert top4[0] == "domestic_work"
    assert set(top4) == {"domestic_work", "construction", "agriculture", "manufacturing"}
    assert sectors["begging"] > 0


def test_iom_ages_are_exact_mostly_adult_with_a_minority_of_minors() -> None:
    model = crosswalk("iom", "1.0.0")
    ages = [int(row["age_at_registration"]) for row in rows(IOM, model)]
    known = [a for a in ages if a != -99]
    minors = sum(1 for a in known if a < 18) / len(known)
    assert 0.20 <= minors <= 0.30
    assert sum(1 for a in known if 18 <= a <= 40) / len(known) >= 0.55
    assert all(0 <= a < 100 for a in known)


def test_iom_uses_minus_99_for_missing_and_never_a_blank() -> None:
    model = crosswalk("iom", "1.0.0")
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
    for row in data:
        if row["registration_date"] < "2017":
            assert row["abduction"] == "-99"
            assert not row["gender"].startswith(("Transgender", "NonConforming"))
            assert "Remote" not in row["sex_exploitation_type"]
