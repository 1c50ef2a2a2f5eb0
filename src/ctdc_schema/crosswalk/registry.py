"""Find crosswalk files and group them by source.

Layout: ``<root>/<source-id>/<semver>.yaml``. A crosswalk is always judged together with its
siblings (validity windows) and with the other sources of its root (cross-source conflicts),
even when only one file was named on the command line.
"""

from __future__ import annotations

import os
import re
import stat
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ctdc_schema.errors import InputError, UsageError

if TYPE_CHECKING:
    from ctdc_schema.crosswalk.loader import LoadedCrosswalk

#: crosswalk files end in .yaml or .yml, in any case (1.0.0.YAML is a crosswalk)
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class PathProblem:
    """Something in a folder being checked that is not read: where, why, and its rule."""

    path: Path
    message: str
    code: str  # "CW010" (not a file that may be read) | "CW011" (a source without versions)


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and not path.name.startswith(".")


def _readable(path: Path, root: Path, problems: list[PathProblem]) -> bool:
    """Whether ``path`` (found under ``root``) may be read: a regular file, or a symbolic
    link that stays inside ``root`` and leads to one. Nothing outside the tree is read, and
    only the link is named."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            problems.append(PathProblem(path, "a symbolic link that cannot be followed (a "
                                              "loop, or its target is missing)", "CW010"))
            return False
        if not target.is_relative_to(root.resolve()):
            problems.append(PathProblem(path, "a symbolic link that leads out of the folder "
                                              "being checked: it is not read", "CW010"))
            return False
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        problems.append(PathProblem(path, f"cannot be read ({exc.strerror})", "CW010"))
        return False
    if not stat.S_ISREG(mode):
        problems.append(PathProblem(path, "not a regular file (a device, pipe or socket)",
                                    "CW010"))
        return False
    return True


def _walk(root: Path, problems: list[PathProblem], depth: int | None = None) -> list[Path]:
    """The YAML files under ``root`` that may be read (see :func:`_readable`), sorted; hidden
    entries are skipped, symbolic links to folders are not followed (no loops), and a folder
    with nothing in it is reported when it is a source folder (``depth`` 1 below a root)."""
    found: list[Path] = []
    base = len(root.parts)
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        level = len(here.parts) - base
        if depth is not None and level >= depth:
            dirs[:] = []
        files = [here / n for n in sorted(names) if _is_yaml(here / n)]
        found.extend(f for f in files if _readable(f, root, problems))
        if not files and not dirs and (depth is None or level == depth) and here != root:
            problems.append(PathProblem(here, "a source folder with no crosswalk version "
                                              "(<version>.yaml) in it", "CW011"))
    return sorted(found)


def _report(problems: list[PathProblem], collected: list[PathProblem] | None) -> None:
    """Collect the problems, or, for a caller that cannot report findings, raise the first."""
    if collected is not None:
        collected.extend(problems)
    elif problems:
        first = problems[0]
        raise InputError(f"{first.code} {first.message}", first.path)


def crosswalk_files(root: Path, problems: list[PathProblem] | None = None) -> list[Path]:
    """Every ``<source>/<version>.yaml`` below ``root``, sorted."""
    if not root.is_dir():
        return []
    found: list[PathProblem] = []
    files = [f for f in _walk(root, found, depth=1) if f.parent != root]
    _report(found, problems)
    return files


#: the file name of a crosswalk version, ``1.0.0.yaml`` (a mistaken version is CW102's to say)
VERSION_NAME = re.compile(r"\d+\.\d+")
#: the folder name that marks a root of source folders inside any tree (a partner repository)
CROSSWALKS_DIR = "crosswalks"
#: folders never searched for crosswalk roots (besides hidden ones): installs and build output
NOT_SEARCHED = frozenset({"node_modules", "site-packages", "build", "dist", "venv"})


def _roots_below(folder: Path) -> list[Path]:
    """The ``crosswalks/`` folders in a tree, without following links."""
    roots = []
    inside = folder.resolve()
    for here, dirs, _ in os.walk(folder, followlinks=False):
        if Path(here).name == CROSSWALKS_DIR:
            roots.append(Path(here))
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in NOT_SEARCHED)
        # a `crosswalks` link to a folder of the same tree is followed (os.walk does not)
        link = Path(here) / CROSSWALKS_DIR
        if link.is_symlink() and link.is_dir() and link.resolve().is_relative_to(inside):
            roots.append(link)
    return roots


def _in_folder(folder: Path, problems: list[PathProblem]) -> list[Path]:
    """The crosswalk files of a named folder. A folder inside ``crosswalks/`` is a source
    folder (its ``<version>.yaml`` files); a tree that holds ``crosswalks/`` folders (``ctdc
    validate .``) gives their ``<source>/<version>.yaml`` files; any other folder is taken as
    a root of source folders, unless it holds ``<version>.yaml`` files itself (a source
    folder). Other YAML files (``mkdocs.yml``, CI files) are not crosswalks."""
    try:
        children = list(folder.iterdir())
    except OSError as exc:
        problems.append(PathProblem(folder, f"cannot be read ({exc.strerror})", "CW010"))
        return []
    if folder.resolve().parent.name == CROSSWALKS_DIR or any(
            _is_yaml(child) and VERSION_NAME.match(child.stem) for child in children):
        return _walk(folder, problems, depth=0)
    if folder.resolve().name == CROSSWALKS_DIR:
        roots = [folder]
    else:
        roots = _roots_below(folder)
        if not roots:  # a root of source folders: only <source>/<version>.yaml files
            return [f for f in _walk(folder, problems, depth=1)
                    if f.parent != folder and VERSION_NAME.match(f.stem)]
    return [f for root in roots for f in _walk(root, problems, depth=1) if f.parent != root]


def expand(paths: Iterable[Path], problems: list[PathProblem] | None = None) -> list[Path]:
    """Files named directly, plus the crosswalk files of named folders (:func:`_in_folder`)."""
    files: list[Path] = []
    found: list[PathProblem] = []
    for path in paths:
        if path.is_dir():
            walked = _in_folder(path, found)
            if not walked and not any(p.path == path for p in found) \
                    and not any(p.path.is_relative_to(path) for p in found):
                found.append(PathProblem(path, "holds no crosswalk files (<source>/"
                                               "<version>.yaml)", "CW011"))
            files.extend(walked)
        elif path.exists() or path.is_symlink():
            # a file named on the command line may be a link, but not out of the project
            if _readable(path, Path.cwd(), found):
                files.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    _report(found, problems)
    unique: dict[Path, Path] = {}  # a file reached twice (through a link) is read once
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values())


def context_files(files: Iterable[Path],
                  problems: list[PathProblem] | None = None) -> list[Path]:
    """The named files plus every crosswalk in the roots they belong to."""
    context = {f.resolve(): f for f in files}
    for file in list(context.values()):
        for sibling in crosswalk_files(file.resolve().parent.parent, problems):
            context.setdefault(sibling.resolve(), sibling)
    return sorted(context.values(), key=lambda p: str(p.resolve()))


def in_force(crosswalks: list[LoadedCrosswalk]) -> list[LoadedCrosswalk]:
    """The crosswalks that no other version of their source supersedes."""
    from ctdc_schema.crosswalk import semantics

    kept: list[LoadedCrosswalk] = []
    for versions in by_source(crosswalks):
        models = {id(m) for m in semantics.in_force([cw.model for cw in versions])}
        kept += [cw for cw in versions if id(cw.model) in models]
    return kept


def current_versions(crosswalks: list[LoadedCrosswalk]) -> list[LoadedCrosswalk]:
    """Per source, the version in use now: the open-ended or latest window in force."""
    latest: dict[str, LoadedCrosswalk] = {}
    for cw in in_force(crosswalks):
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
