"""`ctdc deidentify`: k-anonymous releases of the harmonised examples and of the real CTDC 2020
sample, checked independently with pycanon (k, l) and with counts made here in pandas."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import CTDC_2020, CTDC_2020_FULL, ROOT
from pycanon import anonymity

from ctdc_schema import deidentify, vocabulary
from ctdc_schema.cli import run

QIS = ["source_id", "year_of_registration", "gender", "age_broad", "citizenship",
       "country_of_exploitation"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("harmonised")
    real = CTDC_2020_FULL if CTDC_2020_FULL.is_file() else CTDC_2020
    out = {"examples": work / "examples.parquet", "ctdc": work / "ctdc.parquet"}
    assert run(["transform", "--manifest", str(ROOT / "examples" / "manifest.yaml"),
                "-o", str(out["examples"])]) == 0
    assert run(["transform", "-i", str(real), "-s", "ctdc-public", "-o", str(out["ctdc"])]) == 0
    return out


def released(path: Path, qis: list[str]) -> pd.DataFrame:
    """The release as pycanon reads it: a blank cell is the value "*" (pandas would leave
    rows with a missing key out of every group, and so out of the check)."""
    frame = pd.read_parquet(path)
    for slot in qis:
        frame[slot] = pd.Series([str(int(v)) if isinstance(v, float) and v == v else
                                 "*" if v is None or v != v else str(v)
                                 for v in frame[slot]], index=frame.index, dtype="string")
    return frame


def texts(series: pd.Series) -> list[str]:
    """Values as text, a whole number without pandas's ".0"."""
    return [str(int(v)) if isinstance(v, float) else str(v) for v in series.dropna()]


def naive_loss(path: Path, qis: list[str], k: int) -> int:
    frame = released(path, qis)
    sizes = frame.groupby(qis, dropna=False).size()
    return int(sizes[sizes < k].sum())


@pytest.mark.parametrize("k", [5, 11])
@pytest.mark.parametrize("name", ["examples", "ctdc"])
def test_the_release_is_k_anonymous_by_pycanon(data: dict[str, Path], tmp_path: Path,
                                               name: str, k: int) -> None:
    out = tmp_path / "release.parquet"
    report = deidentify.deidentify(data[name], out, k)
    frame = released(out, report.quasi_identifiers)
    assert report.quasi_identifiers == QIS  # from the vocabulary's disclosure annotations
    assert anonymity.k_anonymity(frame, QIS) == report.k_achieved >= k
    original = pd.read_parquet(data[name])
    assert report.records_in == len(original)
    assert report.records_out == len(frame) == report.records_in - report.records_suppressed
    # the collaborative's practice: blank cells, drop a record only as the last resort;
    # far less record loss than dropping every record of a rare combination
    assert report.naive_records_suppressed == naive_loss(data[name], QIS, k) > 0
    assert report.records_suppressed < report.naive_records_suppressed / 2
    # direct identifiers are gone; the method is stated on every record
    assert not {"case_id", "source_file", "source_row"} & set(frame.columns)
    assert set(frame["deidentification_method"]) == {"k_anonymity"}
    # blanked cells are exactly the cells that were there and are not any more
    for slot in QIS:
        if report.generalisation[slot] == "value":
            assert set(frame[slot]) - {"*"} <= set(texts(original[slot])), slot


def test_the_report_files_and_the_command(data: dict[str, Path], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "release" / "examples.parquet"
    assert run(["deidentify", str(data["examples"]), "-o", str(out), "--l", "2"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("de-identified examples.parquet: k = 11 asked, k = ")
    report = json.loads((out.parent / "risk-report.json").read_text())
    assert (out.parent / "risk-report.txt").read_text() == text
    assert report["l_diversity"]["sensitive"] == "exploitation_types"
    frame = released(out, QIS)
    frame["exploitation_types"] = [",".join(sorted(map(str, v))) if v is not None else "*"
                                   for v in frame["exploitation_types"]]
    assert anonymity.l_diversity(frame, QIS, ["exploitation_types"]) >= 2
    assert anonymity.k_anonymity(frame, QIS) >= 11
    assert sum(report["class_sizes"].values()) == frame.groupby(QIS).ngroups


def test_generalisation_follows_the_vocabulary(tmp_path: Path) -> None:
    """Three records from each country of two UN sub-regions: blanking every cell would lose
    them all, the sub-region loses a third of each (level 1 of 3); the release holds the vocabulary's
    sub-region names, k-anonymous by pycanon."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    vocab = vocabulary.load()
    regions = {code: str(v.annotations["un_subregion"]) for code, v in
               vocab.enum_values("CountryCode").items() if "un_subregion" in v.annotations}
    chosen = [c for c, r in sorted(regions.items()) if r in ("Western Africa", "Eastern Europe")]
    citizenship = [c for c in chosen for _ in range(3)]
    data = tmp_path / "records.parquet"
    pq.write_table(pa.table({"source_id": ["ngo"] * len(citizenship),
                             "citizenship": citizenship}), data)
    out = tmp_path / "release.parquet"
    report = deidentify.deidentify(data, out, 11, ["citizenship"])
    assert report.generalisation == {"citizenship": "un_subregion"}
    frame = released(out, ["citizenship"])
    assert set(frame["citizenship"]) == {"Western Africa", "Eastern Europe"}
    assert anonymity.k_anonymity(frame, ["citizenship"]) >= 11
    assert report.records_suppressed == 0 and report.loss["generalisation"] == len(frame) / 3


def test_the_hierarchies_are_declared_consistently() -> None:
    """Each age band's majority status agrees with its bounds, and every current country has
    a UN M49 sub-region and region (country_converter, at `ctdc generate`)."""
    vocab = vocabulary.load()
    for name, band in vocab.enum_values("AgeBand").items():
        expected = "minor" if int(band.annotations.get("max_age", 99)) < 18 else "adult"
        assert band.annotations["majority_status"] == expected, name
    countries = vocab.enum_values("CountryCode")
    missing = [c for c, v in countries.items() if not v.deprecated and c not in ("ZZ", "XX")
               and "un_subregion" not in v.annotations]
    assert missing == [] or set(missing) <= {"AQ"}, missing
    tree = deidentify.hierarchies(vocab, ["age_broad", "citizenship", "year_of_registration"])
    assert [h.levels for h in tree] == [("majority_status",), ("un_subregion", "un_region"),
                                        ("period_5",)]
    assert tree[2].generalise("2017", 1) == "2015-2019" and tree[0].generalise(
        "age_9_17", 1) == "minor" and tree[1].generalise("UA", 2) == "Europe"


def test_usage_errors(data: dict[str, Path], tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "r.parquet")
    assert run(["deidentify", str(data["examples"]), "-o", out, "--k", "1"]) == 2
    assert run(["deidentify", str(data["examples"]), "-o", out, "-q", "nope"]) == 2
    assert "'nope' is not a column" in capsys.readouterr().err
    assert run(["deidentify", str(data["examples"]), "-o", out, "-q",
                "exploitation_types"]) == 2
    assert "holds several values" in capsys.readouterr().err
    assert run(["deidentify", str(ROOT / "examples" / "iom" / "case_export.csv"), "-o",
                out]) == 2
    assert "not a harmonised dataset" in capsys.readouterr().err
    assert run(["deidentify", str(data["examples"]), "-o", str(data["examples"])]) == 2
    assert not (tmp_path / "r.parquet").exists()


def test_publish_describes_the_release_for_a_portal(data: dict[str, Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema
    from frictionless import validate

    release = tmp_path / "release" / "ctdc.parquet"
    assert run(["deidentify", str(data["ctdc"]), "-o", str(release)]) == 0
    folder = tmp_path / "published"
    assert run(["publish", str(release), "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "codebook.md", "data.json", "datapackage.json", "records.csv", "risk-report.json"]
    # Frictionless, independently: the package and its table (types, enums, missing values)
    report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:5]
    package = json.loads((folder / "datapackage.json").read_text())
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["gender"]["constraints"]["enum"][:2] == ["female", "male"]
    assert fields["exploitation_types"]["type"] == "array"
    assert fields["year_of_registration"]["type"] == "integer"
    assert "case_id" not in fields and package["ctdc:deidentification"]["k"] == 11
    # DCAT-US 1.1, against the copy of the schema in the shared reference (not the shipped one)
    shared = ROOT.parent / "shared" / "reference" / "schemas"
    schema = json.loads((shared / "dcat-us-1.1-dataset-non-federal.json").read_text()) \
        if shared.is_dir() else json.loads(publish_schema().read_text())
    (dataset,) = json.loads((folder / "data.json").read_text())["dataset"]
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        dataset)
    assert dataset["temporal"].startswith("20") and dataset["distribution"][0][
        "mediaType"] == "text/csv"
    assert "## citizenship" in (folder / "codebook.md").read_text()
    capsys.readouterr()
    # not de-identified: refused, nothing written
    assert run(["publish", str(data["ctdc"]), "-o", str(tmp_path / "raw")]) == 2
    assert "still holds direct identifiers" in capsys.readouterr().err
    assert not (tmp_path / "raw").exists()


def publish_schema() -> Path:
    from ctdc_schema import publish

    return publish.DCAT_SCHEMA


def test_publish_refuses_data_below_k(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "small.parquet"
    pq.write_table(pa.table({"source_id": ["ngo"] * 12, "gender": ["female"] * 11 + ["male"]}),
                   data)
    assert run(["publish", str(data), "-o", str(tmp_path / "out")]) == 2
    assert "is not 11-anonymous over source_id, gender (its smallest combination holds 1 " \
           "record(s))" in capsys.readouterr().err
