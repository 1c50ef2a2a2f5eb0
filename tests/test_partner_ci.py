"""The pre-commit hook and the GitHub Action call the real command with valid options."""

from __future__ import annotations

import re

from conftest import ROOT
from ruamel.yaml import YAML

from ctdc_schema.cli import ReportFormat, run


def test_pre_commit_hook_runs_ctdc_validate_on_crosswalks() -> None:
    hook, semver = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    # the opt-in semver gate: the repository's crosswalks against origin/main, not per file
    assert semver["id"] == "ctdc-semver" and semver["entry"] == "ctdc validate crosswalks"
    assert semver["args"] == ["--against", "origin/main"] and semver["pass_filenames"] is False
    assert re.compile(semver["files"]).search("schema/ctdc.yaml")
    assert hook["id"] == "ctdc-validate"
    assert hook["entry"] == "ctdc validate"
    assert hook["language"] == "python"
    pattern = re.compile(hook["files"])
    assert pattern.search("crosswalks/polaris/1.1.0.yaml")
    assert pattern.search("data/crosswalks/iom/1.0.0.yml")
    assert not pattern.search("schema/ctdc.yaml")


def test_action_installs_itself_and_annotates() -> None:
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    scripts = " ".join(step.get("run", "") for step in action["runs"]["steps"])
    assert '"${{ github.action_path }}"' in scripts
    assert 'bash "${{ github.action_path }}/action/validate.sh"' in scripts
    command = re.search(r"ctdc validate [^\n]*",
                        (ROOT / "action" / "validate.sh").read_text(encoding="utf-8"))
    assert command and "--format github" in command.group(0)
    assert "github" in {f.value for f in ReportFormat}
    assert set(action["inputs"]) == {"paths", "fail-on", "against", "python-version"}
    assert action["inputs"]["against"]["default"] == ""  # opt-in


def test_hook_style_invocation_with_file_arguments() -> None:
    # pre-commit passes the changed files as arguments
    files = sorted(str(p) for p in (ROOT / "crosswalks").glob("*/*.yaml"))
    assert files
    assert run(["validate", "--format", "github", *files]) == 0


def _readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_readme_snippets_are_whole_files_that_name_this_hook_and_action() -> None:
    blocks = [YAML(typ="safe").load(b) for b in _readme_blocks("yaml")]
    (workflow,) = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    assert {"name", "on", "jobs"} <= set(workflow)  # a workflow file, not a fragment
    steps = workflow["jobs"]["validate"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[1]["uses"].endswith("/ctdc-schema@v0.5.0")
    assert set(steps[1].get("with", {})) <= set(
        YAML(typ="safe").load((ROOT / "action.yml").read_text())["inputs"])
    (config,) = [b for b in blocks if isinstance(b, dict) and "repos" in b]
    (repo,) = config["repos"]
    assert repo["rev"] == "v0.5.0" and [h["id"] for h in repo["hooks"]] == [
        "ctdc-validate", "ctdc-semver"]
    # the release the snippets name is the version this checkout builds
    assert "version = \"0.5.0\"" in (ROOT / "pyproject.toml").read_text()
