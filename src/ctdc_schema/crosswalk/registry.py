"""Find crosswalk files and group them by source.

Layout: ``<root>/<source-id>/<semver>.yaml``. A crosswalk is always judged together with its
siblings (validity windows) and with the other sources of its root (cross-source conflicts),
even when only one file was named on the command line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ctdc_schema.errors import UsageError

if TYPE_CHECKING:
    from ctdc_schema.crosswalk.loader import LoadedCrosswalk

SUFFIXES = (".yaml", ".yml")


def crosswalk_files(root: Path) -> list[Path]:
    """Every ``<source>/<version>.yaml`` below ``root``, sorted."""
    if not root.is_dir():
        return []
    return sorted(
        p for p in root.glob("*/*") if p.suffix in SUFFIXES and not p.name.startswith(".")
    )


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus YAML files found in named folders."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(
                p for p in path.rglob("*")
                if p.suffix in SUFFIXES and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ))
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return list(dict.fromkeys(files))


def context_files(files: Iterable[Path]) -> list[Path]:
    """The named files plus every crosswalk in the roots they belong to."""
    context = {f.resolve(): f for f in files}
    for file in list(context.values()):
        for sibling in crosswalk_files(file.resolve().parent.parent):
            context.setdefault(sibling.resolve(), sibling)
    return sorted(context.values(), key=lambda p: str(p.resolve()))


def current_versions(crosswalks: list[LoadedCrosswalk]) -> list[LoadedCrosswalk]:
    """Per source, the version in use now: the open-ended or latest window."""
    latest: dict[str, LoadedCrosswalk] = {}
    for cw in crosswalks:
        best = latest.get(cw.source_folder)
        if best is None or (cw.model.valid_from, cw.model.valid_to is None) > (
                best.model.valid_from, best.model.valid_to is None):
            latest[cw.source_folder] = cw
    return [latest[s] for s in sorted(latest)]


def by_source(crosswalks: Iterable[LoadedCrosswalk]) -> list[list[LoadedCrosswalk]]:
    """The versions of each source (grouped by their folder)."""
    groups: dict[Path, list[LoadedCrosswalk]] = defaultdict(list)
    for cw in crosswalks:
        groups[cw.source_key].append(cw)
    return list(groups.values())


def by_root(crosswalks: Iterable[LoadedCrosswalk]) -> list[list[LoadedCrosswalk]]:
    """The crosswalks of each root (folder of source folders), judged together."""
    groups: dict[Path, list[LoadedCrosswalk]] = defaultdict(list)
    for cw in crosswalks:
        groups[cw.root_key].append(cw)
    return list(groups.values())
