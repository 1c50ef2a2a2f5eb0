"""Generated files are reproducible, and any drift from schema/ is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from ctdc_schema import generate
from ctdc_schema.cli import run


def ctdc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctdc_schema", *args],
        capture_output=True, text=True, cwd=cwd, check=False,
        env={**os.environ, "CTDC_SCHEMA": ""},
    )


def test_committed_generated_files_are_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["generate", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_editing_an_enum_without_regenerating_fails_the_check(
    project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = project_copy / "schema" / "ctdc.yaml"
    text = schema.read_text(encoding="utf-8")
    anchor = "      male:\n"
    assert anchor in text
    schema.write_text(
        text.replace(anchor, "      intersex:\n        description: x [test]\n" + anchor, 1),
        encoding="utf-8",
    )
    code = run(["generate", "--check", "--schema", str(project_copy / "schema"),
                "--output", str(project_copy)])
    err = capsys.readouterr().err
    assert code == 1
    assert "generated/jsonschema/ctdc.schema.json: differs" in err
    assert "src/ctdc_schema/datamodel/ctdc.py: differs" in err
    assert "generated/docs/Gender.md: differs" in err
    # regenerating fixes it, and a second check is clean
    assert run(["generate", "--schema", str(project_copy / "schema"),
                "--output", str(project_copy)]) == 0
    assert "intersex" in (project_copy / "generated/jsonschema/ctdc.schema.json").read_text()
    assert run(["generate", "--check", "--schema", str(project_copy / "schema"),
                "--output", str(project_copy)]) == 0


def test_orphaned_and_missing_files_are_drift(
    project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project_copy / "generated/docs/RemovedEnum.md").write_text("stale\n")
    (project_copy / "generated/docs/Gender.md").unlink()
    code = run(["generate", "--check", "--schema", str(project_copy / "schema"),
                "--output", str(project_copy)])
    err = capsys.readouterr().err
    assert code == 1
    assert "generated/docs/RemovedEnum.md: is no longer generated" in err
    assert "generated/docs/Gender.md: is missing" in err
    run(["generate", "--schema", str(project_copy / "schema"), "--output", str(project_copy)])
    assert not (project_copy / "generated/docs/RemovedEnum.md").exists()


def test_two_generations_in_different_directories_give_identical_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "schema", tmp_path / "deeper" / "b" / "schema"
    shutil.copytree(ROOT / "schema", first)
    shutil.copytree(ROOT / "schema", second)
    os.utime(second / "ctdc.yaml", (0, 0))  # modification times must not matter
    one = generate.render(first)
    two = generate.render(second)
    assert one == two
    # ... and identical to what is committed
    for relative, content in one.items():
        assert (ROOT / relative).read_bytes() == content, relative
    assert not any(b"/tmp" in c or str(tmp_path).encode() in c for c in one.values())


def test_generation_from_another_working_directory(project_copy: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    result = ctdc("generate", "--check", "--schema", str(project_copy / "schema"),
                  "--output", str(project_copy), cwd=elsewhere)
    assert result.returncode == 0, result.stderr


def test_broken_schema_yaml_is_one_located_line(project_copy: Path) -> None:
    schema = project_copy / "schema" / "ctdc.yaml"
    lines = schema.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "version: 9.9.9\n")  # duplicate key
    schema.write_text("".join(lines), encoding="utf-8")
    result = ctdc("generate", "--check", "--schema", str(project_copy / "schema"),
                  "--output", str(project_copy))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "ctdc.yaml:5:1: duplicate key 'version' (first defined on line 4)" in result.stderr


def test_generate_refuses_to_guess_where_to_write(tmp_path: Path) -> None:
    loose = tmp_path / "vocab"
    shutil.copytree(ROOT / "schema", loose)
    result = ctdc("generate", "--schema", str(loose))
    assert result.returncode == 2
    assert "pass --output DIR" in result.stderr
    assert not (tmp_path / "generated").exists()
