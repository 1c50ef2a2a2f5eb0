"""The command line: versions, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ctdc_schema import __version__


def ctdc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ctdc_schema", *args],
                          capture_output=True, text=True, check=False)


def test_version_names_package_and_vocabulary() -> None:
    result = ctdc("--version")
    assert result.returncode == 0
    assert f"ctdc-schema {__version__}" in result.stdout
    assert "vocabulary 1.2.0" in result.stdout


def test_unknown_option_is_a_usage_error() -> None:
    result = ctdc("generate", "--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_missing_schema_path_is_a_one_line_error(tmp_path: Path) -> None:
    result = ctdc("generate", "--check", "--schema", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"ctdc: error: schema not found: {tmp_path / 'nope.yaml'}"


def test_schema_file_that_is_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "schema"
    bad.mkdir()
    (bad / "ctdc.yaml").write_bytes(b"id: x\nname: ctdc\ndescription: caf\xe9\n")
    (tmp_path / "pyproject.toml").write_text("")
    result = ctdc("generate", "--check", "--schema", str(bad))
    assert result.returncode == 2
    assert "ctdc.yaml:3:17: not valid UTF-8" in result.stderr
    assert "Traceback" not in result.stderr
