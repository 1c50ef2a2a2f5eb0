"""The bundled specification: the real crosswalks validate, cover real data, and export."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CTDC_2020, DATA, ROOT

from ctdc_schema import checker, overlap, sssom
from ctdc_schema.cli import run
from ctdc_schema.crosswalk import loader, registry
from ctdc_schema.crosswalk.coverage import check_csv
from ctdc_schema.findings import Report


@pytest.fixture(scope="module")
def report() -> Report:
    return checker.validate()


def test_whole_spec_has_no_errors_and_only_cross_source_warnings(report: Report) -> None:
    assert report.summary()["errors"] == 0, [f.message for f in report.findings][:5]
    assert {f.code for f in report.findings} <= {"CW501"}
    assert len(report.files) == 4 + 4  # schema modules + crosswalks


def test_tvpa_versus_palermo_is_reported_for_sexual_exploitation(report: Report) -> None:
    (conflict,) = [f for f in report.findings
                   if "exploitation_types=sexual_exploitation " in f.message]
    assert "polaris@1.1.0" in conflict.message and "us_tvpa" in conflict.message
    assert "iom@1.0.0" in conflict.message and "palermo" in conflict.message


def test_polaris_versions_tile_time_with_a_stated_reason() -> None:
    versions = [loader.load(p)[0] for p in registry.crosswalk_files(ROOT / "crosswalks")
                if p.parent.name == "polaris"]
    first, second = sorted((v for v in versions if v), key=lambda c: c.model.valid_from)
    assert first.model.valid_to == second.model.valid_from
    assert second.model.valid_to is None
    assert "Typology" in (second.model.description or "")


def test_ctdc_public_crosswalk_maps_every_value_of_the_real_release() -> None:
    crosswalk, findings = loader.load(ROOT / "crosswalks/ctdc-public/1.0.0.yaml")
    assert crosswalk is not None and findings == []
    coverage = check_csv(crosswalk.model, CTDC_2020)
    assert coverage.rows == 56
    assert coverage.unmapped == {}
    assert coverage.absent_columns == set()


def test_coverage_reports_an_unmapped_real_value(tmp_path: Path) -> None:
    crosswalk, _ = loader.load(ROOT / "crosswalks/ctdc-public/1.0.0.yaml")
    assert crosswalk is not None
    text = CTDC_2020.read_text(encoding="utf-8").replace(";Female;", ";Femme;", 1)
    altered = tmp_path / "altered.csv"
    altered.write_text(text, encoding="utf-8")
    assert check_csv(crosswalk.model, altered).unmapped == {"gender": {"Femme": 1}}


def test_overlap_matrix_of_the_bundled_sources() -> None:
    table = overlap.compute()
    assert table.sources == ["ctdc-public@1.0.0", "iom@1.0.0", "polaris@1.1.0"]
    assert table.cells["exploitation_types"]["polaris@1.1.0"] == "partial"
    assert table.cells["year_of_registration"]["iom@1.0.0"] == "exact"
    assert table.cells["unit_of_record"]["polaris@1.1.0"] == "declared"
    shared = table.shared(["iom@1.0.0", "polaris@1.1.0"])
    assert {"gender", "majority_status", "citizenship", "exploitation_types",
            "means_of_control", "recruiter_relationships"} <= set(shared)
    assert "unit_of_record" not in shared
    assert "shared by all 3 sources" in table.render_text()


def test_sssom_export_is_accepted_by_sssom_py(tmp_path: Path) -> None:
    text = sssom.export()
    target = tmp_path / "crosswalks.sssom.tsv"
    target.write_text(text, encoding="utf-8")
    rows = list(csv.DictReader((line for line in text.splitlines() if not line.startswith("#")),
                               delimiter="\t"))
    assert any(r["subject_label"] == "-99" and r["object_id"] == "sssom:NoTermFound"
               and r["subject_source"] == "ctdcsrc:iom" for r in rows)
    assert any(r["subject_label"] == "Phillipines" and r["object_id"] == "ctdcv:CountryCode/PH"
               for r in rows)
    assert {r["predicate_id"] for r in rows} >= {"skos:exactMatch", "skos:closeMatch",
                                                "skos:broadMatch", "skos:narrowMatch"}
    sssom_cli = Path(sys.executable).parent / "sssom"
    result = subprocess.run([str(sssom_cli), "validate", str(target)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "not well-formed" not in result.stderr + result.stdout

    from sssom.parsers import parse_sssom_table

    assert len(parse_sssom_table(target).df) == len(rows)  # no row dropped as malformed


def test_overlap_and_export_refuse_a_broken_crosswalk(capsys: pytest.CaptureFixture[str]) -> None:
    broken = str(DATA / "rules" / "CW001")
    assert run(["overlap", broken]) == 2
    assert run(["export", "sssom", broken]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(":16:8: CW001 YAML syntax error" in line for line in err)
