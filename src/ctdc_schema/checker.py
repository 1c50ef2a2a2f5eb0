"""Check the specification: the vocabulary and crosswalks, collected into one Report.

This is the library behind ``ctdc validate``: ``validate()`` returns a
:class:`~ctdc_schema.findings.Report` and never prints. Findings are reported for the files the
caller asked about; the other crosswalks of the same roots are read as context (validity
windows of sibling versions), and so are the crosswalks bundled with the package: a partner's
``crosswalks/acme/1.0.0.yaml`` in its own repository is compared with every other source, as
it would be among the bundled ones. A partner source whose id is already a bundled source's
replaces it in that comparison, and is a finding (CW105).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ctdc_schema import resources, rules, settings, vocabulary
from ctdc_schema.crosswalk import loader, registry
from ctdc_schema.errors import InputError, UsageError
from ctdc_schema.findings import RULES, Finding, Report
from ctdc_schema.rules.identity import SOURCE_TAKEN
from ctdc_schema.rules.vocabulary import UNLOADABLE, check_vocabulary

#: how a bundled crosswalk outside the working directory is shown: named by the package, the
#: same for a wheel in site-packages and for a checkout, never an absolute path; a URI scheme,
#: so that no file of a partner's tree (a vendored `ctdc-schema/` folder) can be shown the same
BUNDLED_PREFIX = "ctdc-schema:"


def display_path(path: Path) -> str:
    """A path as users should see it: relative to the working directory when inside it; a
    bundled file outside it as ``ctdc-schema:crosswalks/<source>/<version>.yaml``."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        relative = ".."
    if not relative.startswith(".."):
        return Path(relative).as_posix()
    bundled = _bundled_root()
    if bundled is not None and path.resolve().is_relative_to(bundled):
        return f"{BUNDLED_PREFIX}crosswalks/{path.resolve().relative_to(bundled).as_posix()}"
    return path.resolve().as_posix()


def _bundled_root() -> Path | None:
    try:
        return resources.data_dir("crosswalks").resolve()
    except UsageError:
        return None


def _bundled_crosswalks(problems: list[registry.PathProblem]) -> list[Path]:
    root = _bundled_root()
    return registry.crosswalk_files(root, problems) if root is not None else []


def validate(paths: Sequence[Path] | None = None, schema: Path | str | None = None,
             *, bundled: bool = True, selection: settings.Selection | None = None) -> Report:
    """Check the vocabulary and every bundled crosswalk (no ``paths``), or the given files and
    folders with the bundled crosswalks as context (unless ``bundled`` is false). Findings
    outside ``selection`` (default: every rule) or silenced by a ``# ctdc: ignore[CODE]``
    comment on their line are left out."""
    report, texts = _validate(paths, schema, bundled)
    return settings.apply(report, selection or settings.Selection(), texts)


def _validate(paths: Sequence[Path] | None, schema: Path | str | None,
              bundled: bool) -> tuple[Report, dict[str, str]]:
    """The report of every rule, and the text of each crosswalk checked (file as shown)."""
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
    extra = _bundled_context(context) if paths and bundled else []
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
    texts = {cw.file: cw.text for cw in loaded if cw.file in wanted}
    if vocab is None:
        return report, texts
    for crosswalk in loaded:
        if crosswalk.file in wanted:
            for file_check in rules.FILE_CHECKS:
                report.extend(file_check(crosswalk, vocab))
    kept: dict[Finding, None] = {}
    for group in _groups(loaded, [_load_context(p) for p in extra], report, wanted):
        for set_check in rules.SET_CHECKS:
            for finding in set_check(group, vocab):
                if finding.file in wanted or any(r.file in wanted for r in finding.related):
                    kept.setdefault(finding)
    report.findings.extend(kept)
    return report, texts


def _bundled_context(context: list[Path]) -> list[Path]:
    """The bundled crosswalks that are not already among the files read."""
    have = {p.resolve() for p in context}
    return [p for p in _bundled_crosswalks([]) if p.resolve() not in have]


def _load_context(path: Path) -> loader.LoadedCrosswalk | None:
    crosswalk = loader.load(path, display_path(path))[0]
    if crosswalk is not None:
        crosswalk.context = True
    return crosswalk


def _groups(loaded: list[loader.LoadedCrosswalk],
            bundled: list[loader.LoadedCrosswalk | None], report: Report,
            wanted: set[str]) -> list[list[loader.LoadedCrosswalk]]:
    """The sets of crosswalks judged together: each root (folder of source folders) read,
    plus the bundled sources it does not define itself. A source of the root that is also a
    bundled source replaces it, and is reported (CW105)."""
    extra = [cw for cw in bundled if cw is not None]
    taken = {cw.source_folder for cw in extra}
    roots: dict[Path, list[loader.LoadedCrosswalk]] = {}
    for crosswalk in loaded:
        roots.setdefault(crosswalk.root_key, []).append(crosswalk)
    for crosswalk in loaded:
        if crosswalk.file in wanted and crosswalk.source_folder in taken:
            report.findings.append(crosswalk.at(
                SOURCE_TAKEN, f"source '{crosswalk.source_folder}' is already a bundled source "
                              f"of ctdc-schema; choose another id (--no-bundled checks a "
                              f"change to the bundled crosswalk itself)", ["source"]))
    groups = []
    for members in roots.values():
        own = {cw.source_folder for cw in members}
        groups.append([*members, *(cw for cw in extra if cw.source_folder not in own)])
    return groups
