"""Check the specification: the vocabulary and crosswalks, collected into one Report.

This is the library behind ``ctdc validate``: ``validate()`` returns a
:class:`~ctdc_schema.findings.Report` and never prints. Findings are reported for the files the
caller asked about; the other crosswalks of the same roots are read as context (validity
windows of sibling versions, cross-source conflicts).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ctdc_schema import resources, rules, vocabulary
from ctdc_schema.crosswalk import loader, registry
from ctdc_schema.errors import InputError, UsageError
from ctdc_schema.findings import RULES, Report
from ctdc_schema.rules.vocabulary import UNLOADABLE, check_vocabulary


def display_path(path: Path) -> str:
    """A path as users should see it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path.as_posix()
    return Path(relative).as_posix() if not relative.startswith("..") else path.resolve().as_posix()


def _bundled_crosswalks(problems: list[registry.PathProblem]) -> list[Path]:
    try:
        return registry.crosswalk_files(resources.data_dir("crosswalks"), problems)
    except UsageError:
        return []


def validate(paths: Sequence[Path] | None = None, schema: Path | str | None = None) -> Report:
    """Check the vocabulary and every crosswalk (no ``paths``), or the given files/folders."""
    rules.load_all()
    report = Report()
    schema_file = resources.schema_path(schema)
    check_schema = not paths
    problems: list[registry.PathProblem] = []
    requested = _bundled_crosswalks(problems) if not paths else registry.expand(paths, problems)
    vocab: vocabulary.Vocabulary | None = None
    try:
        vocab = vocabulary.load(schema_file, full=check_schema)
    except InputError as exc:
        shown = display_path(Path(exc.path)) if exc.path else display_path(schema_file)
        report.findings.append(UNLOADABLE.at(exc.detail, shown, exc.line, exc.column))
    if check_schema:
        schema_files = sorted(schema_file.parent.glob("*.yaml"))
        report.files.extend(display_path(p) for p in schema_files)
        if vocab is not None:
            report.extend(check_vocabulary(vocab, {p: display_path(p) for p in schema_files}))

    wanted = {display_path(p) for p in requested}
    report.files.extend(sorted(wanted))
    loaded: list[loader.LoadedCrosswalk] = []
    context = registry.context_files(requested, problems)
    for problem in dict.fromkeys(problems):
        shown = display_path(problem.path)
        report.findings.append(RULES[problem.code].at(problem.message, shown))
        if shown not in report.files:
            report.files.append(shown)
    for path in context:
        shown = display_path(path)
        crosswalk, findings = loader.load(path, shown)
        if shown in wanted:
            report.extend(findings)
        if crosswalk is not None:
            loaded.append(crosswalk)
    if vocab is None:
        return report
    for crosswalk in loaded:
        if crosswalk.file in wanted:
            for file_check in rules.FILE_CHECKS:
                report.extend(file_check(crosswalk, vocab))
    for set_check in rules.SET_CHECKS:
        for finding in set_check(loaded, vocab):
            if finding.file in wanted or any(r.file in wanted for r in finding.related):
                report.findings.append(finding)
    return report
