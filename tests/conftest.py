"""Shared fixtures: the repository, the real CTDC extract, and a scratch copy of the project."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from ctdc_schema import vocabulary

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
CTDC_2020 = DATA / "ctdc-public" / "ctdc_global_k_anon_2020_extract.csv"
#: the real public CTDC samples (CI has ../shared): the whole files, not an extract
SHARED_DATA = ROOT.parent / "shared" / "data" / "ctdc-public"
CTDC_2020_FULL = SHARED_DATA / "ctdc_global_k_anon_2020_sample.csv"
CTDC_2017_FULL = SHARED_DATA / "ctdc_global_2017_sample.csv"


def ctdc_2020_header() -> list[str]:
    """The 63 column names of the real 2020 release (first cell is the licence sentence)."""
    with CTDC_2020.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle, delimiter=";"))
    assert header[0].startswith("By using this data you agree to the Terms of Use")
    return header[1:]


def drop_value(schema_file: Path, value: str) -> None:
    """Remove a permissible value's whole block from a vocabulary file (a breaking change)."""
    lines = schema_file.read_text(encoding="utf-8").split("\n")
    start = lines.index(f"      {value}:")
    end = start + 1
    while not lines[end].strip() or lines[end].startswith("       "):  # the value's block
        end += 1
    schema_file.write_text("\n".join(lines[:start] + lines[end:]), encoding="utf-8")


@pytest.fixture(scope="session")
def vocab() -> vocabulary.Vocabulary:
    return vocabulary.load(ROOT / "schema")


@pytest.fixture()
def project_copy(tmp_path: Path) -> Path:
    """A throw-away copy of the parts of the checkout that generation reads and writes."""
    for part in ("schema", "generated"):
        shutil.copytree(ROOT / part, tmp_path / part)
    datamodel = tmp_path / "src" / "ctdc_schema" / "datamodel"
    datamodel.mkdir(parents=True)
    for module in (ROOT / "src/ctdc_schema/datamodel").glob("*.py"):
        if module.name != "__init__.py":
            shutil.copyfile(module, datamodel / module.name)
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path
