"""CW11x: the validity windows of one source's versions tile time without overlap; a
version that supersedes another takes all of its dates."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from packaging.version import Version

from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.crosswalk.registry import by_source, in_force
from ctdc_schema.crosswalk.semantics import axis
from ctdc_schema.findings import Finding, Rule, Severity, register
from ctdc_schema.rules import set_check
from ctdc_schema.vocabulary import Vocabulary

INVERTED = register(Rule(
    code="CW111", name="window-inverted", severity=Severity.ERROR,
    summary="`valid_to` is not after `valid_from`.",
    explanation="A validity window is half-open, [valid_from, valid_to): it must not be empty.",
    bad="valid_from: '2019-01-01'\nvalid_to: '2019-01-01'\n",
    good="valid_from: '2019-01-01'\nvalid_to: '2020-01-01'\n",
))

OVERLAP = register(Rule(
    code="CW112", name="window-overlap", severity=Severity.ERROR,
    summary="Two versions of one source claim the same registration dates.",
    explanation=(
        "Every record is harmonised with exactly one crosswalk version: the one whose window "
        "contains its registration date. Overlapping windows make that choice ambiguous. End the "
        "older version where the newer begins (`valid_to` is exclusive)."
    ),
    bad="# 1.0.0.yaml\nvalid_from: '2015-01-01'\nvalid_to: null\n"
        "# 1.1.0.yaml\nvalid_from: '2017-03-01'\n",
    good="# 1.0.0.yaml\nvalid_from: '2015-01-01'\nvalid_to: '2017-03-01'\n"
         "# 1.1.0.yaml\nvalid_from: '2017-03-01'\n",
))

GAP = register(Rule(
    code="CW113", name="window-gap", severity=Severity.WARNING,
    summary="Registration dates between two versions of one source have no crosswalk.",
    explanation=(
        "Records registered in the gap cannot be harmonised. If the source sent no data then, "
        "say so in the description; otherwise extend one of the windows."
    ),
    bad="# 1.0.0.yaml\nvalid_to: '2017-01-01'\n# 1.1.0.yaml\nvalid_from: '2017-03-01'\n",
    good="# 1.0.0.yaml\nvalid_to: '2017-03-01'\n# 1.1.0.yaml\nvalid_from: '2017-03-01'\n",
))

VERSION_ORDER = register(Rule(
    code="CW114", name="version-order", severity=Severity.WARNING,
    summary="A later validity window has a lower version number.",
    explanation="Versions should increase with time so that the newest window is the highest.",
    bad="# 2.0.0.yaml\nvalid_from: '2015-01-01'\n# 1.0.0.yaml\nvalid_from: '2017-03-01'\n",
    good="# 1.0.0.yaml\nvalid_from: '2015-01-01'\n# 2.0.0.yaml\nvalid_from: '2017-03-01'\n",
))


@set_check
def check_windows(crosswalks: list[LoadedCrosswalk], vocab: Vocabulary) -> Iterator[Finding]:
    for versions in by_source(in_force(crosswalks)):  # a superseded version serves no date
        ordered = sorted(versions, key=lambda c: (c.model.valid_from, Version(c.model.version)))
        for cw in ordered:
            start, end = cw.model.valid_from, cw.model.valid_to
            if end is not None and end <= start:
                yield cw.at(INVERTED, f"valid_to {end} is not after valid_from {start}",
                            ["valid_to"])
        for before, after in pairwise(ordered):
            end, start = before.model.valid_to, after.model.valid_from
            end_key = "valid_to" if "valid_to" in before.raw else "valid_from"
            if end is None or end > start:
                shown = "open-ended" if end is None else f"until {end}"
                yield after.at(OVERLAP, f"window from {start} overlaps {before.label} "
                                        f"({before.model.valid_from}, {shown})", ["valid_from"],
                               [before.related(f"{before.label} window", [end_key])])
                yield before.at(OVERLAP, f"window ({shown}) overlaps {after.label} "
                                         f"(from {start})", [end_key],
                                [after.related(f"{after.label} window", ["valid_from"])])
            elif end < start:
                yield after.at(GAP, f"no crosswalk of this source covers records registered "
                                    f"from {end} to {start} (after {before.label})",
                               ["valid_from"], [before.related(before.label, ["valid_to"])])
            if Version(after.model.version) < Version(before.model.version):
                yield after.at(VERSION_ORDER, f"version {after.model.version} starts after "
                                              f"{before.label} but has a lower number",
                               ["version"])


AXIS_MISMATCH = register(Rule(
    code="CW115", name="window-axis-mismatch", severity=Severity.ERROR,
    summary="Versions of one source choose their windows by different dates.",
    explanation=(
        "`window_axis` says whether a record's version follows its registration date or the "
        "date of the delivery it came in. The windows of one source tile one time line, so "
        "every version of the source must use the same axis; change them together."
    ),
    bad="# 1.0.0.yaml\nwindow_axis: delivery_date\n# 1.1.0.yaml\n(window_axis left out: "
        "registration_date)\n",
    good="# 1.0.0.yaml\nwindow_axis: delivery_date\n# 1.1.0.yaml\nwindow_axis: delivery_date\n",
))


@set_check
def check_axes(crosswalks: list[LoadedCrosswalk], vocab: Vocabulary) -> Iterator[Finding]:
    for versions in by_source(crosswalks):
        ordered = sorted(versions, key=lambda c: Version(c.model.version))
        first = ordered[0]
        for cw in ordered[1:]:
            if axis(cw.model) != axis(first.model):
                where = ["window_axis"] if "window_axis" in cw.raw else ["valid_from"]
                yield cw.at(AXIS_MISMATCH, f"{cw.label} chooses versions by "
                                           f"{axis(cw.model)} but {first.label} by "
                                           f"{axis(first.model)}", where,
                            [first.related(first.label, ["window_axis"])])


SUPERSEDES_UNKNOWN = register(Rule(
    code="CW116", name="supersedes-unknown", severity=Severity.ERROR,
    summary="`supersedes` names no lower version of the same source.",
    explanation=(
        "A version that `supersedes` another replaces it for that version's dates: the "
        "replaced file must exist in the same source folder and have a lower number."
    ),
    bad="# crosswalks/iom/3.0.0.yaml\nsupersedes: 2.1.0   # there is no iom/2.1.0.yaml\n",
    good="# crosswalks/iom/3.0.0.yaml\nsupersedes: 2.0.0\n",
))

SUPERSEDED_TWICE = register(Rule(
    code="CW117", name="superseded-twice", severity=Severity.ERROR,
    summary="Two versions supersede the same version.",
    explanation=(
        "Only one version can take a superseded version's dates. Supersede the newer "
        "replacement instead (a chain: 3.0.0 supersedes 2.1.0, which superseded 2.0.0)."
    ),
    bad="# 2.1.0.yaml\nsupersedes: 2.0.0\n# 3.0.0.yaml\nsupersedes: 2.0.0\n",
    good="# 2.1.0.yaml\nsupersedes: 2.0.0\n# 3.0.0.yaml\nsupersedes: 2.1.0\n",
))

SUPERSEDES_SHRINKS = register(Rule(
    code="CW118", name="supersedes-shrinks", severity=Severity.ERROR,
    summary="A version's window does not cover the window of the version it supersedes.",
    explanation=(
        "The superseded version no longer serves any date, so the dates of its window that "
        "the new version leaves out would have no crosswalk. Cover them, or continue the old "
        "version from a later date instead of superseding it."
    ),
    bad="# 2.0.0: [2015-01-01, 2017-03-29)\n# 3.0.0: supersedes: 2.0.0, valid_from: "
        "'2016-01-01'\n",
    good="# 3.0.0: supersedes: 2.0.0, valid_from: '2015-01-01', valid_to: '2017-03-29'\n",
))


@set_check
def check_supersedes(crosswalks: list[LoadedCrosswalk], vocab: Vocabulary) -> Iterator[Finding]:
    for versions in by_source(crosswalks):
        by_version = {cw.model.version: cw for cw in versions}
        claimed: dict[str, LoadedCrosswalk] = {}
        for cw in sorted(versions, key=lambda c: Version(c.model.version)):
            target = cw.model.supersedes
            if not target:
                continue
            old = by_version.get(target)
            if old is None or Version(target) >= Version(cw.model.version):
                why = "no such version" if old is None else "not a lower version"
                yield cw.at(SUPERSEDES_UNKNOWN, f"supersedes {target}: {why} of "
                                                f"{cw.model.source}", ["supersedes"])
                continue
            if target in claimed:
                first = claimed[target]
                yield cw.at(SUPERSEDED_TWICE, f"{first.label} already supersedes {old.label}",
                            ["supersedes"], [first.related(first.label, ["supersedes"])])
                continue
            claimed[target] = cw
            o, n = old.model, cw.model
            if n.valid_from > o.valid_from or (n.valid_to is not None and (
                    o.valid_to is None or n.valid_to < o.valid_to)):
                yield cw.at(SUPERSEDES_SHRINKS, f"window [{n.valid_from}, {n.valid_to or 'open'}) "
                                                f"leaves out dates of {old.label} "
                                                f"[{o.valid_from}, {o.valid_to or 'open'})",
                            ["valid_from"], [old.related(old.label, ["valid_from"])])
