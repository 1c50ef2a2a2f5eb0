"""The semver gate, `ctdc validate --against REF`: small git repositories built from the real
vocabulary and crosswalks, released (tagged), then edited the way stewards edit them."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, drop_value

from ctdc_schema import harmonise, rules, versioning, vocabulary_version
from ctdc_schema.cli import run

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}


class Repo:
    """A released copy of the project's vocabulary and two sources' crosswalks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(ROOT / "schema", root / "schema")
        for source in ("iom", "polaris"):
            shutil.copytree(ROOT / "crosswalks" / source, root / "crosswalks" / source)
        self.git("init", "-q")
        self.git("add", ".")
        self.git("commit", "-q", "-m", "release")
        self.git("tag", "v1")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True,
                              text=True, env={**ENV, "HOME": str(self.root)}).stdout

    def edit(self, name: str, *replacements: tuple[str, str]) -> Path:
        path = self.root / name
        text = path.read_text(encoding="utf-8")
        for before, after in replacements:
            assert before in text, before
            text = text.replace(before, after, 1)
        path.write_text(text, encoding="utf-8")
        return path

    def copy(self, name: str, to: str, *replacements: tuple[str, str]) -> Path:
        shutil.copyfile(self.root / name, self.root / to)
        return self.edit(to, *replacements)

    def gate(self) -> list[tuple[str, str, str]]:
        return [(f.code, f.file, f.message) for f in versioning.gate("v1", self.root).findings]

    def line(self, name: str, text: str) -> int:
        lines = (self.root / name).read_text(encoding="utf-8").splitlines()
        return next(n for n, line in enumerate(lines, 1) if text in line)


@pytest.fixture()
def repo(tmp_path: Path) -> Repo:
    rules.load_all()
    return Repo(tmp_path / "repo")


VOCAB = "schema/ctdc.yaml"
#: the vocabulary's version as released in the repository copied (the tests step up from it)
CURRENT = vocabulary_version()
RELEASED = f"version: {CURRENT}\n"
PATCH = versioning.next_version(CURRENT, versioning.Bump.PATCH)
MINOR = versioning.next_version(CURRENT, versioning.Bump.MINOR)
MAJOR = versioning.next_version(CURRENT, versioning.Bump.MAJOR)
LOWER = "1.0.0"
CHANGELOG = "schema/changes/ctdc.yaml"
IOM = "crosswalks/iom/2.0.0.yaml"


def bump(repo: Repo, version: str, kind: str = "additive") -> None:
    repo.edit(VOCAB, (RELEASED, f"version: {version}\n"))
    repo.edit(CHANGELOG, ("releases:\n", f"releases:\n  - version: {version}\n    changes:\n"
                                         f"      - kind: {kind}\n        summary: A change.\n"))


def remove_value(repo: Repo) -> None:
    """Gender loses transgender_nonconforming (its whole block): a breaking change."""
    drop_value(repo.root / VOCAB, "transgender_nonconforming")


ADD_VALUE = ("    permissible_values:\n      female:\n",
             "    permissible_values:\n      woman_or_girl:\n        description: A new value.\n"
             "      female:\n")


def test_nothing_changed_passes(repo: Repo) -> None:
    assert repo.gate() == []


def test_a_removed_value_without_a_major_version_fails(repo: Repo) -> None:
    remove_value(repo)
    bump(repo, MINOR)
    (finding,) = versioning.gate("v1", repo.root).findings
    assert (finding.code, finding.file, finding.line) == ("SV101", VOCAB, 4)
    assert finding.message.startswith("the vocabulary changed since v1 (1 breaking change(s), "
                                      "e.g. CH102 Gender: value transgender_nonconforming "
                                      f"removed) but its version went from {CURRENT} to "
                                      f"{MINOR}: it needs {MAJOR} or later")
    assert finding.related[0].file == "v1:schema/ctdc.yaml"  # removals: the old side


def test_a_major_version_passes_the_gate_and_each_crosswalk_range_fails_alone(
        repo: Repo, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    remove_value(repo)
    bump(repo, MAJOR, "breaking")
    assert repo.gate() == []
    # the crosswalks' schema_version ranges (<2.0.0) no longer admit the vocabulary: CW103
    monkeypatch.chdir(repo.root)
    code = run(["validate", "crosswalks", "--schema", VOCAB, "--no-bundled", "--against", "v1",
                "-f", "json", "--select", "CW103,SV"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert sorted((f["code"], Path(f["file"]).name) for f in report["findings"]) == [
        ("CW103", "2.0.0.yaml"), ("CW103", "2.0.0.yaml"), ("CW103", "2.1.0.yaml")]


@pytest.mark.parametrize(("version", "passes"), [
    (CURRENT, False), (PATCH, False), (MINOR, True), (MAJOR, True), (LOWER, False)])
def test_an_added_value_needs_a_minor_version(repo: Repo, version: str, passes: bool) -> None:
    repo.edit(VOCAB, ADD_VALUE)
    if f"version: {version}\n" != RELEASED:
        bump(repo, version)
    found = repo.gate()
    assert (found == []) is passes, found
    if not passes:
        assert [code for code, _, _ in found] == ["SV101"]
        assert ("down to" in found[0][2]) is (version == LOWER)


def test_wording_needs_a_patch_version(repo: Repo) -> None:
    repo.edit(VOCAB, ("Gender categories used by CTDC.", "Gender categories CTDC uses."))
    (finding,) = repo.gate()
    assert "(1 patch change(s), e.g. CH301 description of Gender reworded)" in finding[2]
    assert finding[2].endswith(f"its version stayed at {CURRENT}: it needs {PATCH} or later")
    bump(repo, PATCH, "patch")
    assert repo.gate() == []


def test_a_new_vocabulary_version_needs_a_changelog_entry(repo: Repo) -> None:
    repo.edit(VOCAB, ADD_VALUE, (RELEASED, f"version: {MINOR}\n"))
    assert repo.gate() == [("SV105", VOCAB, f"vocabulary {MINOR} is new since v1 but "
                                            "schema/changes/ctdc.yaml has no entry for it")]


def test_a_released_crosswalk_changes_in_place_only_in_wording(repo: Repo) -> None:
    repo.edit(IOM, ('"Feminine": female', '"Feminine": male'))
    (finding,) = versioning.gate("v1", repo.root).findings
    assert (finding.code, finding.file, finding.line) == (
        "SV102", IOM, repo.line(IOM, '"Feminine": male'))
    assert "CH105 code 'Feminine' of gender -> gender now reaches male, not female" in \
        finding.message
    repo.edit(IOM, ('"Feminine": male', '"Feminine": female'),
              ("changes:\n", "changes:\n  - kind: patch\n    summary: Clearer.\n"),
              ("title: ", "title: (reworded) "))
    assert repo.gate() == []


def test_a_successor_window_is_numbered_against_its_predecessor(repo: Repo) -> None:
    """iom 2.1.0 continues 2.0.0 from 2020: the released file may close its open window
    there (a hand-over, in place); a code the source stopped writing is additive, a code
    both versions map that now reaches another target needs a major version."""
    repo.edit(IOM, ('valid_to: null', 'valid_to: "2020-01-01"'))
    new = "crosswalks/iom/2.1.0.yaml"
    repo.copy(IOM, new, ("version: 2.0.0", "version: 2.1.0"),
              ('valid_from: "2002-01-01"', 'valid_from: "2020-01-01"'),
              ('valid_to: "2020-01-01"', "valid_to: null"),
              ('      "Masculine": male\n', ""))
    assert repo.gate() == []
    repo.edit(new, ('"Feminine": female', '"Feminine": male'))
    (finding,) = repo.gate()
    assert finding[:2] == ("SV104", new)
    assert finding[2] == "iom@2.1.0 changed from iom@2.0.0 (1 breaking change(s), e.g. CH105 code " \
           "'Feminine' of gender -> gender now reaches male, not female) but its version " \
           "went from 2.0.0 to 2.1.0: it needs 3.0.0 or later"
    shutil.move(repo.root / new, repo.root / "crosswalks/iom/3.0.0.yaml")
    repo.edit("crosswalks/iom/3.0.0.yaml", ("version: 2.1.0", "version: 3.0.0"))
    assert repo.gate() == []


def test_closing_a_window_with_no_successor_is_breaking(repo: Repo) -> None:
    repo.edit(IOM, ('valid_to: null', 'valid_to: "2020-01-01"'))
    assert [code for code, _, _ in repo.gate()] == ["SV102"]


def test_a_version_that_supersedes_another_takes_its_dates(repo: Repo) -> None:
    new = "crosswalks/iom/2.1.0.yaml"
    repo.copy(IOM, new, ("version: 2.0.0", "version: 2.1.0\nsupersedes: 2.0.0"),
              ('"Feminine": female', '"Feminine": male'))
    codes = [code for code, _, _ in repo.gate()]
    assert codes == ["SV104"]  # a re-mapping of the same dates: major
    shutil.move(repo.root / new, repo.root / "crosswalks/iom/3.0.0.yaml")
    repo.edit("crosswalks/iom/3.0.0.yaml", ("version: 2.1.0", "version: 3.0.0"))
    assert repo.gate() == []
    # the engine serves iom's dates with 3.0.0 only; 2.0.0 stays for provenance
    versions = harmonise.crosswalks_by_source([repo.root / "crosswalks"])["iom"]
    assert [cw.version for cw in versions] == ["3.0.0"]
    assert run(["validate", str(repo.root / "crosswalks"), "--no-bundled", "--select",
                "CW11"]) == 0  # no overlap between 2.0.0 and 3.0.0


def test_removing_a_released_version_fails(repo: Repo) -> None:
    (repo.root / "crosswalks/polaris/2.0.0.yaml").unlink()
    assert ("SV103", "v1:crosswalks/polaris/2.0.0.yaml") in [f[:2] for f in repo.gate()]


def test_a_new_version_needs_its_changes_listed(repo: Repo) -> None:
    new = "crosswalks/iom/3.0.0.yaml"
    text = (repo.root / IOM).read_text(encoding="utf-8")
    start = text.index("changes:\n")
    end = text.index("\n", text.index("summary:", start)) + 1
    while text[end:].startswith("      "):  # the folded summary's lines
        end = text.index("\n", end) + 1
    (repo.root / new).write_text(text[:start] + text[end:], encoding="utf-8")
    repo.edit(new, ("version: 2.0.0", "version: 3.0.0\nsupersedes: 2.0.0"))
    assert repo.gate() == [("SV105", new, "iom@3.0.0 is new since v1 but has no `changes` "
                                          "list")]


def test_the_cli_gate_and_its_usage_errors(repo: Repo, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo.root)
    repo.edit(IOM, ('"Feminine": female', '"Feminine": male'))
    args = ["validate", "crosswalks", "--no-bundled", "--schema", VOCAB, "--against"]
    assert run([*args, "v1", "-f", "github", "--select", "SV"]) == 1
    out = capsys.readouterr().out
    line = repo.line(IOM, '"Feminine": male')
    assert out.startswith(f"::error file={IOM},line={line},")
    assert "SV102" in out
    assert run([*args, "v1", "--ignore", "SV102", "--select", "SV"]) == 0
    capsys.readouterr()
    assert run([*args, "no-such-ref"]) == 2
    assert "git rev-parse" in capsys.readouterr().err
    assert run([*args, "--upload-pack=x"]) == 2
    assert "not a git revision" in capsys.readouterr().err
    assert run(["validate", "x.csv", "--source", "iom", "--against", "v1"]) == 2
    assert "not exports" in capsys.readouterr().err


def _releases(git: Callable[..., str]) -> list[str]:
    """The release commits of this repository, oldest first.

    A release is a `v*` tag, or, for clones that carry no tags (CI pushes `main` alone), the last
    commit of each package version: the state shipped before the version number moved on. Both
    are checked when both exist, so the two definitions cannot drift apart unnoticed.
    """
    order = git("rev-list", "--first-parent", "--reverse", "HEAD").split()
    position = {commit: index for index, commit in enumerate(order)}
    releases = {git("rev-list", "-n1", tag).strip()
                for tag in git("tag", "--list", "v*", "--merged", "HEAD").split()}
    shipped: str | None = None
    previous: str | None = None
    for commit in order:
        text = git("show", f"{commit}:pyproject.toml")
        version = tomllib.loads(text).get("project", {}).get("version")
        if previous is not None and version != shipped:
            releases.add(previous)
        shipped, previous = version, commit
    return sorted((commit for commit in releases if commit in position), key=position.__getitem__)


def test_the_repository_history_passes_its_own_gate(tmp_path: Path) -> None:
    """Every release against the one before, and the working tree against the last."""
    rules.load_all()

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout

    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an sdist): there is no history to check")
    if git("rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("a shallow clone has no history to check: clone without --depth")
    releases = _releases(git)
    assert releases, "the first release, 0.1.0, is in the history"
    for before, after in itertools.pairwise(releases):
        tree = tmp_path / after
        git("worktree", "add", "--detach", str(tree), after)
        try:
            assert versioning.gate(before, tree).findings == [], (before, after)
        finally:
            git("worktree", "remove", "--force", str(tree))
    assert versioning.gate(releases[-1], ROOT).findings == [], releases[-1]


# -- what a review of the gate found: each case it got wrong, now right -----------------------

def test_a_superseding_version_with_only_additions_is_a_minor_step(repo: Repo) -> None:
    new = "crosswalks/iom/2.1.0.yaml"
    repo.copy(IOM, new, ("version: 2.0.0", "version: 2.1.0\nsupersedes: 2.0.0"),
              ('"Feminine": female', '"Feminine": female\n      "Fem": female'))
    assert repo.gate() == []


def test_moving_a_released_window_in_place_is_no_continuation(repo: Repo) -> None:
    repo.edit(IOM, ('valid_from: "2002-01-01"', 'valid_from: "2030-01-01"'))
    assert [code for code, _, _ in repo.gate()] == ["SV102"]


def test_closing_an_already_closed_window_earlier_is_no_hand_over(repo: Repo) -> None:
    polaris = "crosswalks/polaris/2.0.0.yaml"
    repo.edit(polaris, ('valid_to: "2017-03-29"', 'valid_to: "2016-01-01"'))
    assert "SV102" in [code for code, _, _ in repo.gate()]


def test_the_predecessor_is_a_version_in_force(repo: Repo) -> None:
    """2.0.0 is superseded by 3.0.0 (a re-mapping); 3.1.0 continues 3.0.0 and maps the code
    back: against 3.0.0, the version it continues, that is breaking."""
    repo.edit(IOM, ('valid_to: null', 'valid_to: "2020-01-01"'))
    repo.git("commit", "-q", "-am", "2.0.0 ends in 2020")
    repo.git("tag", "-f", "v1")
    repo.copy(IOM, "crosswalks/iom/3.0.0.yaml",
              ("version: 2.0.0", "version: 3.0.0\nsupersedes: 2.0.0"),
              ('"Feminine": female', '"Feminine": male'))
    repo.copy(IOM, "crosswalks/iom/3.1.0.yaml", ("version: 2.0.0", "version: 3.1.0"),
              ('valid_from: "2002-01-01"', 'valid_from: "2020-01-01"'),
              ('valid_to: "2020-01-01"', "valid_to: null"))
    found = [(code, file) for code, file, _ in repo.gate()]
    assert ("SV104", "crosswalks/iom/3.1.0.yaml") in found, found


def test_a_release_that_no_longer_loads_is_reported_not_passed(repo: Repo) -> None:
    repo.edit(IOM, ("source: iom\n", "source: iom\nbogus_key: 1\n"))
    repo.git("commit", "-q", "-am", "broken")
    repo.git("tag", "-f", "v1")
    repo.edit(IOM, ("bogus_key: 1\n", ""), ('"Feminine": female', '"Feminine": male'))
    (finding,) = versioning.gate("v1", repo.root).findings
    assert (finding.code, finding.severity.value, finding.file) == ("SV106", "warning", IOM)
    assert "does not load with this ctdc (CW003" in finding.message


def test_a_link_out_of_the_tree_is_not_read(repo: Repo) -> None:
    (repo.root / "crosswalks" / "iom" / "9.9.9.yaml").symlink_to("/etc/passwd")
    from ctdc_schema import diff

    report = diff.against("v1", repo.root)
    assert [f.code for f in report.findings] == ["CW010"]
    assert "root:" not in " ".join(f.message for f in report.findings)


def test_the_gate_follows_the_paths_checked(repo: Repo, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    repo.git("mv", "crosswalks", "mappings")
    repo.git("commit", "-q", "-m", "crosswalks kept in mappings/")
    repo.git("tag", "-f", "v1")
    repo.edit("mappings/iom/2.0.0.yaml", ('"Feminine": female', '"Feminine": male'))
    monkeypatch.chdir(repo.root)
    assert run(["validate", "mappings", "--no-bundled", "--schema", VOCAB, "--against", "v1",
                "--select", "SV"]) == 1
    assert "SV102" in capsys.readouterr().out
    assert run(["diff", "--against", "v1"]) == 0  # crosswalks/ is gone: only the vocabulary


def test_a_broken_vocabulary_at_the_revision_is_named_as_the_user_knows_it(
        repo: Repo, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit(VOCAB, ("enums:\n", "enums: [\n"))
    repo.git("commit", "-q", "-am", "broken vocabulary")
    repo.git("tag", "-f", "v1")
    repo.edit(VOCAB, ("enums: [\n", "enums:\n"))
    monkeypatch.chdir(repo.root)
    assert run(["diff", "--against", "v1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ctdc: error: v1:schema/ctdc.yaml:") and "/tmp" not in err
