"""What a version number promises, enforced: ``ctdc validate --against REF`` (rules SV1xx).

``ctdc diff`` says what changed since REF and how much each change matters (CH1xx breaking,
CH2xx additive, CH3xx patch); this module holds the version numbers to it:

* the vocabulary's ``version`` steps up at least as far as its largest change asks, and a new
  version has an entry in ``schema/changes/ctdc.yaml``;
* a crosswalk file released at REF stays, and changes in place only at patch level (or closes
  its open window where a new version takes over);
* a new crosswalk version steps up from its predecessor as far as its changes against it ask,
  and says what changed in its ``changes`` list. Its predecessor is the version it
  ``supersedes`` (same dates, a corrected re-coding), else the one it continues (its window
  starts where the predecessor's ends: the source changed its own coding, and codes the source
  stopped writing are additive there), else the highest lower version of the source.

Each crosswalk's ``schema_version`` range admitting the vocabulary is the ordinary rule CW103,
which the same ``ctdc validate`` run applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from ctdc_schema import changelog, resources, vocabulary
from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.diff import (
    Snapshot,
    crosswalk_changes,
    in_force_siblings,
    load_tree,
    places,
    predecessor,
    siblings,
    snapshot,
    successor_of,
    vocabulary_of,
)
from ctdc_schema.errors import InputError
from ctdc_schema.findings import Finding, Related, Report
from ctdc_schema.rules import changes as ch
from ctdc_schema.rules import versions as sv
from ctdc_schema.rules.versions import UNREADABLE_AT_REF

Bump = ch.Bump

#: the policy for people (the docs site's "Versions and changes" page); the rules hold the
#: same promises, one each
POLICY = """\
A version number is a promise to the people who use the data. `ctdc diff` classifies every
change between two versions, and `ctdc validate --against REF` (in CI, against the branch a
pull request goes into) holds the version numbers to what it found.

## What each part of a version promises

- A new **patch** version (1.2.0 → 1.2.1) rewords descriptions, notes, citations and titles:
  every record means what it meant.
- A new **minor** version (1.2.0 → 1.3.0) adds slots, values, variables, source codes or
  missing codes, makes a match exact, or widens a window: every record harmonised before still
  means the same; new data may say more.
- Only a new **major** version (1.2.0 → 2.0.0) removes or renames slots and values, changes a
  range or pattern or narrows bounds, re-maps a source code, weakens a match, shortens a
  window, or changes what a source counts or when its columns were collected: read the
  changelog before comparing data across it.

## The vocabulary

`schema/ctdc.yaml`'s `version` steps up at least as far as its largest change since REF asks,
never down, and `schema/changes/ctdc.yaml` has an entry for the new version. A major version
leaves every crosswalk whose `schema_version` range stops below it failing with its own
finding (CW103) until its steward has checked it and widened the range.

## Crosswalks

Harmonised records name the crosswalk version that made them, so:

- **A released crosswalk file stays** (SV103) and changes in place only at patch level
  (SV102): wording, its `changes` list, its `schema_version` range; or closing its open window
  on the day a new version takes over (CH205), since no date loses its crosswalk.
- **Anything more is a new version file**, numbered against its *predecessor* (SV104) and
  saying what changed in its `changes` list (SV105). There are two kinds:
  - a **revision** re-codes the same dates (a correction): it names the old version in
    `supersedes`, takes all of its dates (CW118), and the old file is kept for provenance but no
    longer chosen for any date. Its number follows from every change against the old one.
  - a **successor** continues its predecessor from a later date, because the *source* changed
    its coding then: its window starts where the predecessor's ends. Records before that date
    keep the predecessor, so codes the source stopped writing are not breaking (CH204) and new
    codes are additive; but a code that both versions map and that now reaches another target
    or a weaker match (CH105, CH106), or a change of what the source counts (CH108), breaks every
    time series across the date and needs a new major version.

  The bundled Polaris pair is the example of a successor: 2.1.0 continues 2.0.0 from
  2017-03-29, when Polaris replaced its venue list with its Typology of Modern Slavery. The old
  venue codes are retired, 23 typology codes are added and no code both map changes target, so
  2.1.0 is a minor step from 2.0.0.
- A new source starts wherever it likes (usually 1.0.0).

## In CI

```bash
ctdc validate --against origin/main          # the GitHub Action: input against: origin/main
ctdc diff --against origin/main              # what changed, every change listed and located
ctdc changelog > CHANGELOG.md                # the changelog, from the changes lists
```
"""

#: how many of the changes behind a finding are listed with it
SHOWN_CHANGES = 10


def step(old: str, new: str) -> Bump | None:
    """How far ``new`` steps up from ``old``: NONE when equal, None when it goes down."""
    try:
        o, n = Version(old), Version(new)
    except InvalidVersion:
        return None
    if n == o:
        return Bump.NONE
    if n < o:
        return None
    if n.major != o.major:
        return Bump.MAJOR
    return Bump.MINOR if n.minor != o.minor else Bump.PATCH


def next_version(old: str, bump: Bump) -> str:
    """The smallest version after ``old`` that makes a ``bump``."""
    o = Version(old)
    if bump is Bump.MAJOR:
        return f"{o.major + 1}.0.0"
    if bump is Bump.MINOR:
        return f"{o.major}.{o.minor + 1}.0"
    return f"{o.major}.{o.minor}.{o.micro + 1}"


def required(changes: Iterable[Finding]) -> Bump:
    """What the largest of ``changes`` asks of the version number."""
    return max((ch.bump_of(c.code) for c in changes), default=Bump.NONE)


def _evidence(changes: Sequence[Finding], need: Bump) -> tuple[str, list[Related]]:
    """The changes that ask for ``need``: a count and the first few, as related locations."""
    asking = [c for c in changes if ch.bump_of(c.code) is need]
    related = [Related(f"{c.code} {c.message}", c.file, c.line, c.column)
               for c in asking[:SHOWN_CHANGES]]
    return f"{len(asking)} {need.kind} change(s), e.g. {asking[0].code} {asking[0].message}", \
        related


def _too_low(what: str, old: str, new: str, changes: Sequence[Finding], since: str
             ) -> tuple[str, list[Related]] | None:
    """Why ``new`` is too low a version after ``old`` for ``changes``, or None if it is not."""
    need, got = required(changes), step(old, new)
    if got is None:
        return f"{what} went from {old} down to {new}: a version never goes down", []
    if got >= need:
        return None
    evidence, related = _evidence(changes, need)
    stepped = "stayed at" if got is Bump.NONE else f"went from {old} to"
    return (f"{what} changed {since} ({evidence}) but its version {stepped} {new}: it needs "
            f"{next_version(old, need)} or later"), related


def gate(ref: str, root: Path | None = None, paths: Sequence[Path] | None = None) -> Report:
    """The SV findings of the working tree against revision ``ref``: the vocabulary, and the
    crosswalks under ``paths`` (default: the repository's ``crosswalks/``)."""
    report = Report()
    with snapshot(ref, root, paths) as snap:
        if snap.has_vocabulary:
            report.extend(_vocabulary(snap))
        report.extend(_crosswalks(snap))
    return report


def _vocabulary(snap: Snapshot) -> Iterator[Finding]:
    old_dir, new_dir = snap.old("schema"), snap.top / "schema"
    changes = list(vocabulary_of(snap))
    try:
        old_version = vocabulary.load(old_dir / resources.MAIN_SCHEMA_FILE, full=True).version
    except InputError as exc:
        raise InputError(exc.detail, snap.shown(exc.path), exc.line, exc.column) from None
    new_version = vocabulary.load(new_dir / resources.MAIN_SCHEMA_FILE, full=True).version
    file, line, column = places(new_dir, "schema").find(("version",))
    problem = _too_low("the vocabulary", old_version, new_version, changes, f"since {snap.ref}")
    if problem is not None:
        message, related = problem
        yield sv.VOCABULARY_VERSION.at(message, file, line, column, "version", related)
    if new_version != old_version:
        listed = {r.version for r in changelog.vocabulary_releases(new_dir)}
        if new_version not in listed:
            shown = f"schema/{changelog.VOCABULARY_CHANGELOG.as_posix()}"
            yield sv.CHANGES_MISSING.at(f"vocabulary {new_version} is new since {snap.ref} but "
                                        f"{shown} has no entry for it", file, line, column,
                                        "version")


def _crosswalks(snap: Snapshot) -> Iterator[Finding]:
    old_names, new_names = snap.crosswalk_names
    old_tree = load_tree(snap.old_root, old_names, f"{snap.ref}:")
    new_tree = load_tree(snap.top, new_names)
    for name in sorted(old_names - new_names):
        yield sv.RELEASED_REMOVED.at(f"{name} was released at {snap.ref} and is gone: records "
                                     "harmonised with it name it; supersede it or hand its "
                                     "window over instead", f"{snap.ref}:{name}")
    for name in sorted(new_names):
        new = new_tree[name]
        if not isinstance(new, LoadedCrosswalk):
            continue  # ctdc validate reports why it does not load
        old = old_tree.get(name)
        if isinstance(old, LoadedCrosswalk):
            yield from _released(snap, old, new, in_force_siblings(new_tree, name))
        elif isinstance(old, list):
            yield UNREADABLE_AT_REF.at(f"{name} at {snap.ref} does not load with this ctdc "
                                       f"({old[0].code} {old[0].message}): its changes are "
                                       "not checked", name, 1, 1)
        else:
            yield from _new_version(snap, new, siblings(new_tree, name),
                                    in_force_siblings(new_tree, name))


def _released(snap: Snapshot, old: LoadedCrosswalk, new: LoadedCrosswalk,
              serving: list[LoadedCrosswalk]) -> Iterator[Finding]:
    for change in crosswalk_changes(old, new, successor_of(new, serving)):
        if ch.bump_of(change.code) > Bump.PATCH and change.code != ch.WINDOW_HANDED_OVER.code:
            yield sv.RELEASED_EDITED.at(
                f"{new.label} was released at {snap.ref}; only wording may change in place, "
                f"not: {change.code} {change.message} (put it in a new version file)",
                change.file, change.line, change.column, change.path)


def _new_version(snap: Snapshot, new: LoadedCrosswalk, family: list[LoadedCrosswalk],
                 serving: list[LoadedCrosswalk]) -> Iterator[Finding]:
    before = predecessor(new, family)
    if before is not None:
        changes = list(crosswalk_changes(before, new, successor_of(new, serving)))
        problem = _too_low(new.label, before.model.version, new.model.version, changes,
                           f"from {before.label}")
        if problem is not None:
            message, related = problem
            yield new.at(sv.CROSSWALK_VERSION, message, ["version"], related)
    if not new.model.changes:
        yield new.at(sv.CHANGES_MISSING, f"{new.label} is new since {snap.ref} but has no "
                                         "`changes` list", ["version"])
