"""The README's partner workflow, end to end, as a partner's engineer runs it: the built wheel
installed alone into a fresh virtual environment outside the checkout, a partner repository
in a temporary folder, then `ctdc validate`, the pre-commit hook and the GitHub Action's check
step, asserting the exact messages they print.

Slow (two installs from the package index, which CI reaches; pip's cache makes them quick).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from ruamel.yaml import YAML

pytestmark = pytest.mark.slow

IOM = (ROOT / "crosswalks" / "iom" / "2.0.0.yaml").read_text(encoding="utf-8")
MODELINE = "# yaml-language-server: $schema=https://w3id.org/ctdc-schema/crosswalk.schema.json"


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


#: where the partner's copy of IOM maps "Feminine", and where ctdc-public maps "Female"
FEMININE = line_of(IOM, '"Feminine": female')
FEMALE = line_of((ROOT / "crosswalks" / "ctdc-public" / "2.0.0.yaml").read_text("utf-8"),
                 '"Female": female')


def sh(*args: str | Path, cwd: Path, env: dict[str, str] | None = None,
       code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            check=False, env={**os.environ, **(env or {})}, timeout=900)
    assert result.returncode == code, (result.stdout[-3000:], result.stderr[-3000:])
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the checkout holding the wheel and what it declares, nothing else."""
    work = tmp_path_factory.mktemp("install")
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work, ROOT, cwd=work)
    (wheel,) = work.glob("ctdc_schema-*.whl")
    sh(sys.executable, "-m", "venv", work / "venv", cwd=work)
    python = work / "venv" / "bin" / "python"
    sh(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=work)
    return work / "venv" / "bin"


@pytest.fixture()
def partner(tmp_path: Path) -> Path:
    repo = tmp_path / "acme-data"
    folder = repo / "crosswalks" / "acme"
    folder.mkdir(parents=True)
    lines = IOM.replace("source: iom\n", "source: acme\n").replace(
        "version: 2.0.0\n", "version: 1.0.0\n").split("\n")
    lines[0] = MODELINE
    (folder / "1.0.0.yaml").write_text("\n".join(lines), encoding="utf-8")
    (repo / "mkdocs.yml").write_text("site_name: Acme\n")
    return repo


def test_the_wheel_alone_installs_a_light_ctdc(venv: Path, partner: Path) -> None:
    installed = sh(venv / "python", "-m", "pip", "list", "--format=freeze", cwd=partner).stdout
    names = {line.split("==")[0].lower() for line in installed.split()}
    assert "ctdc-schema" in names and "linkml-runtime" in names
    assert not {"linkml", "sphinx", "sqlalchemy"} & names, names
    assert sh(venv / "ctdc", "schema", "--modeline", cwd=partner).stdout == MODELINE + "\n"
    generate = sh(venv / "ctdc", "generate", "--check", cwd=partner, code=2)
    assert generate.stderr == ("ctdc: error: `ctdc generate` needs its generators (linkml, "
                               "country_converter): pip install 'ctdc-schema[generate]'\n")
    bogus = sh(venv / "ctdc", "--bogus", cwd=partner, code=2)
    assert bogus.stderr == ("Usage: ctdc [OPTIONS] COMMAND [ARGS]...\nTry 'ctdc -h' for "
                            "help.\n\nError: No such option: --bogus\n")


def test_validate_compares_the_partner_crosswalk_with_everyone(venv: Path,
                                                              partner: Path) -> None:
    result = sh(venv / "ctdc", "validate", "crosswalks/acme", cwd=partner)
    lines = result.stdout.splitlines()
    assert lines[0] == "crosswalks/acme/1.0.0.yaml"
    assert lines[1] == (
        f"     {FEMININE}:7  warning  CW501  gender=female is reached under different meanings: "
        "acme@1.0.0 (closeMatch, victim); ctdc-public@2.0.0 (closeMatch, victim); "
        "ctdc-public-2017@1.0.0 (exactMatch, victim); ctdc-synthetic@1.0.0 (exactMatch, "
        "victim); iom@2.0.0 (closeMatch, victim); polaris@2.1.0 (exactMatch, "
        "potential_victim)  variables[5].values[\"Feminine\"]")
    assert lines[2] == (f"            see ctdc-schema:crosswalks/ctdc-public/2.0.0.yaml:{FEMALE}:7: "
                        "ctdc-public@2.0.0 (closeMatch, victim)")
    assert lines[-1] == "✖ 0 error(s), 28 warning(s), 0 info(s) in 1 file(s)"
    assert "site-packages" not in result.stdout
    # `ctdc validate .` reads the crosswalk, not mkdocs.yml
    assert sh(venv / "ctdc", "validate", ".", cwd=partner).stdout.splitlines()[-1] == lines[-1]


def test_the_actions_check_step(venv: Path, partner: Path, tmp_path: Path) -> None:
    script = ROOT / "action" / "validate.sh"
    env = {"PATH": f"{venv}{os.pathsep}{os.environ['PATH']}", "CTDC_PATHS": "",
           "CTDC_FAIL_ON": "error"}
    result = sh("bash", script, cwd=partner, env=env)
    annotations = result.stdout.splitlines()
    assert len(annotations) == 28 + 1  # 28 warnings and the summary notice
    assert annotations[0].startswith(
        f"::warning file=crosswalks/acme/1.0.0.yaml,line={FEMININE},col=7,title=CW501 "
        "cross-source-conflict::gender=female is reached under different meanings")
    sh("bash", script, cwd=partner, env={**env, "CTDC_FAIL_ON": "warning"}, code=1)
    empty = tmp_path / "no-crosswalks"
    empty.mkdir()
    none = sh("bash", script, cwd=empty, env=env, code=2)
    assert none.stdout == (f"::error title=ctdc validate::no crosswalks/ folder in {empty}; "
                           "set the action's 'paths' input to your crosswalk files or folders\n")


GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


def released(partner: Path) -> None:
    """The partner's crosswalk committed, and that commit known as origin/main."""
    if shutil.which("git") is None:
        pytest.fail("git is needed for this test")
    sh("git", "init", "-q", cwd=partner)
    sh("git", "add", ".", cwd=partner)
    sh("git", "commit", "-q", "-m", "acme crosswalk", cwd=partner, env=GIT_ENV)
    sh("git", "update-ref", "refs/remotes/origin/main", "HEAD", cwd=partner)


def remap_feminine(partner: Path) -> int:
    """Re-map a code of the released crosswalk in place (breaking); returns its line."""
    path = partner / "crosswalks" / "acme" / "1.0.0.yaml"
    path.write_text(path.read_text("utf-8").replace('"Feminine": female', '"Feminine": male'),
                    encoding="utf-8")
    return FEMININE


def test_the_actions_semver_gate(venv: Path, partner: Path) -> None:
    released(partner)
    env = {"PATH": f"{venv}{os.pathsep}{os.environ['PATH']}", "CTDC_PATHS": "",
           "CTDC_FAIL_ON": "error", "CTDC_AGAINST": "origin/main"}
    script = ROOT / "action" / "validate.sh"
    assert "SV" not in sh("bash", script, cwd=partner, env=env).stdout
    line = remap_feminine(partner)
    result = sh("bash", script, cwd=partner, env=env, code=1)
    assert (f"::error file=crosswalks/acme/1.0.0.yaml,line={line},col=7,title=SV102 "
            "released-crosswalk-edited::acme@1.0.0 was released at origin/main; only wording "
            "may change in place") in result.stdout
    sh("bash", script, cwd=partner, env={**env, "CTDC_AGAINST": ""})  # opt-in: off by default
    refused = sh("bash", script, cwd=partner, env={**env, "CTDC_AGAINST": "--output=x"}, code=2)
    assert "not a git revision" in refused.stderr


def test_the_pre_commit_hook(venv: Path, partner: Path) -> None:
    git_env = GIT_ENV
    released(partner)
    pre_commit = Path(sys.executable).parent / "pre-commit"
    home = partner.parent / "pre-commit-home"
    result = sh(pre_commit, "try-repo", ROOT, "ctdc-validate", "--all-files", "--verbose",
                cwd=partner, env={"PRE_COMMIT_HOME": str(home), **git_env})
    assert "ctdc validate" in result.stdout and "Passed" in result.stdout
    assert "✖ 0 error(s), 28 warning(s), 0 info(s) in 1 file(s)" in result.stdout
    hook = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
    assert hook["id"] == "ctdc-validate"
    # the opt-in semver gate: passes on the released file, fails on an in-place re-mapping
    semver = ["try-repo", ROOT, "ctdc-semver", "--all-files", "--verbose"]
    env = {"PRE_COMMIT_HOME": str(home), **git_env}
    assert "Passed" in sh(pre_commit, *semver, cwd=partner, env=env).stdout
    remap_feminine(partner)
    failed = sh(pre_commit, *semver, cwd=partner, env=env, code=1).stdout
    assert "SV102" in failed and "Failed" in failed
