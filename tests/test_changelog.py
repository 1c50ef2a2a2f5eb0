"""`ctdc changelog` and the changes lists it is made from: the bundled files, a broken
changelog, and text from a pull request that must not become HTML on the docs site."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from ctdc_schema import changelog, vocabulary_version
from ctdc_schema.cli import run
from ctdc_schema.crosswalk.loader import load_valid


def test_the_bundled_changelog(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["changelog"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Changelog\n")
    # every vocabulary release and every crosswalk version, newest first
    releases = [r.version for r in changelog.vocabulary_releases(ROOT / "schema")]
    assert releases[0] == vocabulary_version() and releases[-1] == "1.0.0"
    assert text.index(f"### {releases[0]} (") < text.index("### 1.0.0 (")
    assert "## Crosswalk polaris\n\n### 2.1.0 (for deliveries made from 2017-03-29)\n\n" \
           "- **Added:** Continues 2.0.0 for deliveries made from 2017-03-29" in text
    assert text.index("### 2.1.0 (for deliveries made") < text.index(
        "### 2.0.0 (for deliveries made from 2015-01-01 to 2017-03-29)")
    assert "### 2.0.0 (for records registered from 2002-01-01)" in text  # iom
    assert "(no changes listed)" not in text  # every bundled version says what it changed


def test_one_source_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "CHANGELOG.md"
    assert run(["changelog", "--source", "iom", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## Crosswalk iom" in text and "polaris" not in text and "Vocabulary" not in text
    assert run(["changelog", "--source", "nobody"]) == 2
    assert "no crosswalk of source 'nobody'" in capsys.readouterr().err


def test_a_broken_vocabulary_changelog_is_one_located_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(ROOT / "schema", schema)
    log = schema / "changes" / "ctdc.yaml"
    log.write_text(log.read_text(encoding="utf-8").replace("kind: additive", "kind: big", 1),
                   encoding="utf-8")
    assert run(["changelog", "--schema", str(schema / "ctdc.yaml")]) == 2
    err = capsys.readouterr().err
    line = next(n for n, text in enumerate(log.read_text().splitlines(), 1)
                if "kind: big" in text)
    assert err == (f'ctdc: error: {log}:{line}:9: "big" is not one of: breaking, additive, '
                   "patch\n")
    assert len(err.strip().splitlines()) == 1


def test_summaries_are_text_not_html(tmp_path: Path) -> None:
    source = tmp_path / "crosswalks" / "iom"
    source.mkdir(parents=True)
    text = (ROOT / "crosswalks" / "iom" / "2.0.0.yaml").read_text(encoding="utf-8")
    start = text.index("changes:\n")
    end = text.index("\n", text.index("summary:", start))
    while text[end + 1:].startswith("      "):
        end = text.index("\n", end + 1)
    (source / "2.0.0.yaml").write_text(
        text[:start] + 'changes:\n  - kind: patch\n    summary: "<script>alert(1)</script> & co"'
        + text[end:], encoding="utf-8")
    rendered = changelog.render(load_valid([source.parent]), None)
    assert "- **Wording:** &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in rendered
    assert "<script>" not in rendered
