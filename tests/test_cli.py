"""The command line: versions, exit codes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from ctdc_schema import __version__, cli, vocabulary_version


def ctdc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ctdc_schema", *args],
                          capture_output=True, text=True, check=False)


def test_version_names_package_and_vocabulary() -> None:
    result = ctdc("--version")
    assert result.returncode == 0
    assert f"ctdc-schema {__version__}" in result.stdout
    assert f"vocabulary {vocabulary_version()}" in result.stdout


def test_unknown_option_is_a_usage_error() -> None:
    result = ctdc("generate", "--no-such-option")
    assert result.returncode == 2
    assert result.stderr == ("Usage: ctdc generate [OPTIONS]\nTry 'ctdc generate -h' for help."
                             "\n\nError: No such option: --no-such-option\n")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("args", "usage", "error"), [
    (["--bogus"], "ctdc [OPTIONS] COMMAND [ARGS]...", "No such option: --bogus"),
    (["frobnicate"], "ctdc [OPTIONS] COMMAND [ARGS]...", "No such command 'frobnicate'."),
    (["validate", "--format", "bogus"], "ctdc validate [OPTIONS] [PATH]...",
     "Invalid value for '--format' / '-f': Value error, 'bogus' is not one of 'text', "
     "'json', 'github', 'junit', 'sarif'."),
    (["validate", "--color", "bogus"], "ctdc validate [OPTIONS] [PATH]...",
     "Invalid value for '--color': Value error, 'bogus' is not one of 'auto', 'always', "
     "'never'."),
    (["validate", "--fail-on", "info"], "ctdc validate [OPTIONS] [PATH]...",
     "Invalid value for '--fail-on': Value error, 'info' is not one of 'error', 'warning', "
     "'never'."),
    (["overlap", "-f", "csv"], "ctdc overlap [OPTIONS] [PATH]...",
     "Invalid value for '--format' / '-f': Value error, 'csv' is not one of 'text', 'json'."),
])
def test_usage_errors_name_the_problem_and_the_help(capsys: pytest.CaptureFixture[str],
                                                     args: list[str], usage: str,
                                                     error: str) -> None:
    code, out, err = run(capsys, *args)
    command = " ".join(usage.split()[:2]) if args[0] != "--bogus" and args[0] != "frobnicate" \
        else "ctdc"
    assert (code, out) == (2, "")
    assert err == f"Usage: {usage}\nTry '{command} -h' for help.\n\nError: {error}\n"


def test_bare_ctdc_and_dash_h_print_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "-h")
    assert code == 0 and err == ""
    assert out.startswith("Usage: ctdc [OPTIONS] COMMAND [ARGS]...\n\n  Check and generate")
    # one line per command, none cut off with "..."
    commands = out.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in commands] == [
        "generate", "validate", "diff", "changelog", "rules", "overlap", "profile", "scaffold", "transform", "schema", "stats",
        "deidentify", "synthesize", "publish",
        "docs", "export"]
    assert not any(line.endswith("...") for line in commands), commands
    assert "--install-completion" in out
    code, bare_out, bare_err = run(capsys)
    assert code == 2  # no command is a usage error, shown as the help, on several lines
    assert (bare_out or bare_err) == out


@pytest.mark.parametrize("command", ["validate", "transform", "overlap", "rules", "generate",
                                     "export sssom"])
def test_help_shows_choices_not_python_types(capsys: pytest.CaptureFixture[str],
                                             command: str) -> None:
    code, out, _ = run(capsys, *command.split(), "--help")
    assert code == 0
    assert "<list" not in out and "<str>" not in out and "<path>" not in out, out
    if command == "validate":
        assert "-f, --format <text|json|github|junit|sarif>" in out
        assert "--color <auto|always|never>" in out


def test_color_always_colours_a_pipe_and_never_does_not() -> None:
    piped = ctdc("validate", str(ROOT / "crosswalks" / "iom"), "--color", "always")
    assert "\x1b[33mwarning\x1b[0m" in piped.stdout
    plain = ctdc("validate", str(ROOT / "crosswalks" / "iom"))
    assert "\x1b[" not in plain.stdout and "warning" in plain.stdout


def test_dash_o_dash_is_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(ROOT / "crosswalks" / "iom"), "-f", "json", "-o", "-")
    assert code == 0 and out.startswith("{")
    code, out, _ = run(capsys, "export", "sssom", str(ROOT / "crosswalks" / "iom"), "-o", "-")
    assert code == 0 and out.startswith("#")


def test_shell_completion_completes_commands_and_choices() -> None:
    def complete(words: str, cword: int) -> list[str]:
        env = {**os.environ, "_CTDC_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(cword)}
        result = subprocess.run([sys.executable, "-m", "ctdc_schema"], env=env,
                                capture_output=True, text=True, check=True)
        return result.stdout.split()

    assert complete("ctdc val", 1) == ["validate"]
    assert complete("ctdc validate --format ", 3) == ["text", "json", "github", "junit",
                                                         "sarif"]
    script = ctdc("--show-completion", "bash")
    assert script.returncode == 0 and "_CTDC_COMPLETE=complete_bash" in script.stdout


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
