"""``ctdc changelog``: what every version of the vocabulary and of each crosswalk changed, as
CHANGELOG-style Markdown made from the `changes` lists (nothing is written twice: the docs
site's changelog page is this text).

The vocabulary's releases are listed in ``schema/changes/ctdc.yaml`` (format: the LinkML model
``schema/changes.yaml``); each crosswalk version carries its own ``changes``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from ctdc_schema import resources
from ctdc_schema.crosswalk import registry
from ctdc_schema.crosswalk.loader import LoadedCrosswalk, load_format
from ctdc_schema.datamodel.changes import Change, Changelog, Release
from ctdc_schema.datamodel.crosswalk import Change as CrosswalkChange  # the same class, imported

#: the vocabulary's changelog, relative to the schema folder
VOCABULARY_CHANGELOG = Path("changes") / resources.MAIN_SCHEMA_FILE

KIND_TITLES = {"breaking": "Breaking", "additive": "Added", "patch": "Wording"}


def changelog_path(schema_dir: Path) -> Path:
    return schema_dir / VOCABULARY_CHANGELOG


def vocabulary_releases(schema_dir: Path) -> list[Release]:
    """The vocabulary's releases, newest first (none when there is no changelog file, which
    VC106 reports)."""
    path = changelog_path(schema_dir)
    if not path.is_file():
        return []
    changelog, _ = load_format(path, "changes", Changelog)
    return list(changelog.releases or [])


def kind(change: Change | CrosswalkChange) -> str:
    """The change's kind as written (breaking, additive, patch)."""
    return str(getattr(change.kind, "value", change.kind))


def items(changes: Iterable[Change | CrosswalkChange]) -> list[str]:
    lines = []
    for change in sorted(changes, key=lambda c: list(KIND_TITLES).index(kind(c))):
        summary = html.escape(" ".join(change.summary.split()), quote=False)
        lines.append(f"- **{KIND_TITLES[kind(change)]}:** {summary}")
    return lines or ["- (no changes listed)"]


def _window(cw: LoadedCrosswalk) -> str:
    from ctdc_schema.crosswalk.semantics import DELIVERY_AXIS, axis

    m = cw.model
    what = "deliveries made" if axis(m) == DELIVERY_AXIS else "records registered"
    return f"for {what} from {m.valid_from}" + (f" to {m.valid_to}" if m.valid_to else "")


def render(crosswalks: Sequence[LoadedCrosswalk], releases: Sequence[Release] | None,
           sources: set[str] | None = None, heading: int = 1) -> str:
    """CHANGELOG-style Markdown (summaries HTML-escaped: they come from pull requests and end
    up on the docs site): the vocabulary's releases (unless ``releases`` is None), then
    every source's versions, newest first; only ``sources`` when given."""
    from packaging.version import Version

    h = "#" * heading
    lines = [f"{h} Changelog", "",
             "What each version of the vocabulary and of each crosswalk changed, newest first. "
             "A **breaking** change asks for a new major version, an **added** feature for a "
             "new minor version, a change of **wording** a new patch version "
             "(`ctdc validate --against REF` checks it).", ""]
    if releases is not None:
        lines += [f"{h}# Vocabulary", ""]
        for release in releases:
            day = f" ({release.released})" if release.released else ""
            lines += [f"{h}## {release.version}{day}", "", *items(release.changes), ""]
    in_force = {id(cw) for cw in registry.in_force(list(crosswalks))}
    for versions in sorted(registry.by_source(crosswalks), key=lambda v: v[0].source_folder):
        source = versions[0].source_folder
        if sources is not None and source not in sources:
            continue
        lines += [f"{h}# Crosswalk {source}", ""]
        for cw in sorted(versions, key=lambda c: Version(c.model.version), reverse=True):
            notes = [_window(cw)]
            if cw.model.supersedes:
                notes.append(f"supersedes {cw.model.supersedes}")
            if id(cw) not in in_force:
                notes.append("superseded")
            lines += [f"{h}## {cw.model.version} ({'; '.join(notes)})", "",
                      *items(cw.model.changes or []), ""]
    return "\n".join(lines).rstrip() + "\n"
