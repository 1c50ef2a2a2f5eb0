"""The bundled specification: the real crosswalks validate, cover real data, and export."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import CTDC_2020, CTDC_2020_FULL, DATA, ROOT

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
    assert len(report.files) == 6 + 6  # schema modules + crosswalks


def test_tvpa_versus_iom_assistance_is_reported_for_sexual_exploitation(report: Report) -> None:
    (conflict,) = [f for f in report.findings
                   if "exploitation_types=sexual_exploitation " in f.message]
    assert "polaris@2.1.0 (closeMatch, us_tvpa)" in conflict.message
    assert "iom@2.0.0 (closeMatch, iom_assistance)" in conflict.message
    assert "palermo" not in conflict.message


def test_cross_source_warnings_are_the_real_conflicts(report: Report) -> None:
    """CW501 names a value only where sources mean it differently: a predicate that differs,
    or the legal definition / unit of record of a slot whose meaning depends on it."""
    messages = [f.message for f in report.findings if f.code == "CW501"]
    assert len(messages) == 32
    # the same CTDC tactic, exact everywhere: not a conflict (populations differ, concepts not)
    assert not any(m.startswith("means_of_control=debt_bondage ") for m in messages)
    # HTCDS PhysicalThreats is narrower than CTDC's threats
    (threats,) = [m for m in messages if m.startswith("means_of_control=threats ")]
    assert "iom@2.0.0 (broadMatch)" in threats


def test_polaris_versions_follow_the_delivery_and_tile_time_with_a_stated_reason() -> None:
    versions = [loader.load(p)[0] for p in registry.crosswalk_files(ROOT / "crosswalks")
                if p.parent.name == "polaris"]
    first, second = sorted((v for v in versions if v), key=lambda c: c.model.valid_from)
    assert {first.model.window_axis, second.model.window_axis} == {"delivery_date"}
    assert first.model.valid_to == second.model.valid_from == date(2017, 3, 29)
    assert second.model.valid_to is None
    for text in ("2017-03-29", "assumption", "reclassif"):
        assert text in (second.model.description or ""), text


def test_ctdc_public_crosswalk_maps_every_value_of_the_real_release() -> None:
    crosswalk, findings = loader.load(ROOT / "crosswalks/ctdc-public/2.0.0.yaml")
    assert crosswalk is not None and findings == []
    for sample, rows in ((CTDC_2020_FULL, 5442), (CTDC_2020, 56)):
        coverage = check_csv(crosswalk.model, sample)
        assert coverage.rows == rows
        assert coverage.unmapped == {}
        assert coverage.absent_columns == set()


def test_coverage_reports_an_unmapped_real_value(tmp_path: Path) -> None:
    crosswalk, _ = loader.load(ROOT / "crosswalks/ctdc-public/2.0.0.yaml")
    assert crosswalk is not None
    text = CTDC_2020_FULL.read_text(encoding="utf-8")
    altered = tmp_path / "altered.csv"
    altered.write_text(text.replace(";Female;", ";Femme;", 3), encoding="utf-8")
    assert check_csv(crosswalk.model, altered).unmapped == {"gender": {"Femme": 3}}


def test_overlap_matrix_of_the_bundled_sources() -> None:
    table = overlap.compute()
    assert table.sources == ["ctdc-public@2.0.0", "ctdc-public-2017@1.0.0",
                             "ctdc-synthetic@1.0.0", "iom@2.0.0", "polaris@2.1.0"]
    assert table.cells["exploitation_types"]["polaris@2.1.0"] == "partial"
    assert table.cells["year_of_registration"]["iom@2.0.0"] == "exact"
    assert table.cells["unit_of_record"]["polaris@2.1.0"] == "declared"
    shared = table.shared(["iom@2.0.0", "polaris@2.1.0"])
    assert {"gender", "majority_status", "citizenship", "exploitation_types",
            "means_of_control", "recruiter_relationships"} <= set(shared)
    assert "unit_of_record" not in shared
    assert "shared by all 5 sources" in table.render_text()


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
