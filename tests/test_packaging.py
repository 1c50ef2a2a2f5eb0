"""The wheel carries the vocabulary and generated artefacts and works outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (built,) = out.glob("ctdc_schema-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_schema_and_generated_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "ctdc_schema/_data/schema/ctdc.yaml",
        "ctdc_schema/_data/schema/countries.yaml",
        "ctdc_schema/_data/generated/jsonschema/ctdc.schema.json",
        "ctdc_schema/_data/generated/jsonschema/crosswalk.schema.json",
        "ctdc_schema/_data/crosswalks/polaris/2.1.0.yaml",
        "ctdc_schema/_data/generated/jsonschema/manifest.schema.json",
        "ctdc_schema/_data/schema/manifest.yaml",
        "ctdc_schema/datamodel/crosswalk.py",
        "ctdc_schema/datamodel/ctdc.py",
        "ctdc_schema/py.typed",
    ):
        assert required in names, required


@pytest.mark.slow
def test_installed_wheel_works_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "from ctdc_schema import resources, vocabulary;"
        "from ctdc_schema.datamodel import VictimRecord;"
        "v = vocabulary.load();"
        "print(resources.schema_path());"
        "print(v.version, len(v.slots), VictimRecord(gender='female').gender)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False,
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site), "CTDC_SCHEMA": ""},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    schema_line, summary = result.stdout.strip().splitlines()
    assert schema_line.startswith(str(site / "ctdc_schema" / "_data" / "schema"))
    assert summary.startswith("1.6.0 ") and summary.endswith(" female")


@pytest.mark.slow
def test_installed_wheel_validates_its_bundled_spec(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    result = subprocess.run(
        [sys.executable, "-m", "ctdc_schema", "validate", "--format", "json"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site), "CTDC_SCHEMA": ""},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["summary"]["errors"] == 0
    assert any("_data/crosswalks/iom/2.0.0.yaml" in f for f in report["files"])
