"""Which findings a project wants: ``--select``/``--ignore``, a ``[tool.ctdc]`` table in
``pyproject.toml`` or a ``ctdc.toml``, and ``# ctdc: ignore[CODE]`` on a line.

The habits of a linter (ruff, flake8): a partner silences a warning it has reviewed where it
stands, or a whole rule for its repository, and says so in a file the reviewers see. Codes are
prefixes: ``CW5`` selects CW501 and any later CW5xx; ``CW`` every crosswalk rule.

    # ctdc.toml                      # pyproject.toml
    select = ["CW", "VC"]            [tool.ctdc]
    ignore = ["CW104"]               ignore = ["CW501"]
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdc_schema.errors import UsageError
from ctdc_schema.findings import RULES, Finding, Report

CONFIG_FILE = "ctdc.toml"
KEYS = ("select", "ignore")
#: ``# ctdc: ignore[CW501, CW104]`` (listed codes, then any text) or ``# ctdc: ignore`` alone
#: at the end of the line (every code); a YAML comment starts a line or follows a space.
#: Linear on any line: no nested repetition, and the list is bounded.
INLINE = re.compile(r"(?:^|\s)#\s*ctdc:\s*ignore(?:\[([^\]\n]{0,200})\]|\s*$)")
CODE = re.compile(r"[A-Z]{2}[0-9]{0,3}")
#: quoted YAML scalars on one line, removed before looking for a comment (a `#` inside them
#: is text, not a comment)
QUOTED = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\n]|'')*'")


@dataclass(frozen=True)
class Selection:
    """The codes a run reports: those matching ``select`` (all when empty) and no ``ignore``."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: the configuration file the codes came from, if any (shown in errors)
    origin: Path | None = None

    def wants(self, code: str) -> bool:
        chosen = not self.select or code.startswith(self.select)
        return chosen and not code.startswith(self.ignore) if self.ignore else chosen

    def override(self, select: Sequence[str] | None, ignore: Sequence[str] | None) -> Selection:
        """Command-line codes replace the configured ones, key by key."""
        return Selection(
            _codes(select, "--select") if select is not None else self.select,
            _codes(ignore, "--ignore") if ignore is not None else self.ignore,
            self.origin,
        )


def _codes(values: Iterable[Any], where: str) -> tuple[str, ...]:
    """Codes from a list of strings that may hold comma-separated codes; each must be the
    prefix of at least one rule, so that a typo (``CW5O1``) is an error, not a silent no-op."""
    from ctdc_schema import rules

    rules.load_all()
    codes: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise UsageError(f"{where}: rule codes are strings such as \"CW501\", not {value!r}")
        listed = [c.strip().upper() for c in value.split(",") if c.strip()]
        if not listed:
            raise UsageError(f"{where}: no rule code in {value!r}")
        codes.extend(listed)
    for code in codes:
        if not any(known.startswith(code) for known in RULES):
            raise UsageError(f"{where}: '{code}' is no rule code nor the start of one; "
                             "`ctdc rules` lists them")
    return tuple(dict.fromkeys(codes))


def _table(path: Path) -> Mapping[str, Any] | None:
    """The ``ctdc`` settings in ``path``, or ``None`` when the file has none."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the ctdc settings: {exc}") from None
    if path.name != CONFIG_FILE and "[tool.ctdc]" not in text:
        return None  # another tool's pyproject.toml: not ours to judge
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: cannot read the ctdc settings: {exc}") from None
    if path.name == CONFIG_FILE:
        return document
    tool = document.get("tool")
    table = tool.get("ctdc") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _search(folder: Path) -> Iterator[Path]:
    """The folders searched for settings: ``folder`` and its parents, up to the root of the
    repository it is in (the first with ``.git``), never beyond."""
    for candidate in (folder, *folder.parents):
        yield candidate
        if (candidate / ".git").exists():
            return


def find(start: Path | None = None) -> Selection:
    """The settings of the project the command runs in: the nearest ``ctdc.toml``, or
    ``pyproject.toml`` with a ``[tool.ctdc]`` table, from ``start`` (the working directory)
    up to the repository's root; none found means every rule."""
    folder = (start or Path.cwd()).resolve()
    for candidate in _search(folder):
        for name in (CONFIG_FILE, "pyproject.toml"):
            path = candidate / name
            if not path.is_file():
                continue
            table = _table(path)
            if table is None:
                continue
            unknown = sorted(set(table) - set(KEYS))
            if unknown:
                raise UsageError(f"{path}: unknown ctdc setting '{unknown[0]}'; the settings "
                                 f"are {', '.join(KEYS)}")
            lists = {}
            for key in KEYS:
                value = table.get(key, [])
                if not isinstance(value, list):
                    raise UsageError(f"{path}: '{key}' must be a list of rule codes")
                lists[key] = _codes(value, f"{path}: {key}")
            return Selection(lists["select"], lists["ignore"], path)
    return Selection()


def inline_ignored(text: str) -> dict[int, frozenset[str] | None]:
    """Per line number (1-based), the codes silenced on it (``None``: every code)."""
    found: dict[int, frozenset[str] | None] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if "ctdc:" not in line:
            continue
        match = INLINE.search(QUOTED.sub("''", line))
        if match is None:
            continue
        listed = match.group(1)
        if listed is None:
            found[number] = None
            continue
        codes = [c.upper() for c in re.split(r"[,\s]+", listed.strip()) if c]
        if codes and all(CODE.fullmatch(c) for c in codes):  # a malformed list silences nothing
            found[number] = frozenset(codes)
    return found


def apply(report: Report, selection: Selection,
          texts: Mapping[str, str] | None = None) -> Report:
    """``report`` without the findings the selection leaves out, nor those silenced inline in
    ``texts`` (file as shown -> its text)."""
    silenced = {file: inline_ignored(text) for file, text in (texts or {}).items()}

    def kept(finding: Finding) -> bool:
        if not selection.wants(finding.code):
            return False
        codes = silenced.get(finding.file, {}).get(finding.line or 0, frozenset())
        return not (codes is None or any(finding.code.startswith(c) for c in codes))

    return Report([f for f in report.findings if kept(f)], report.files, report.exports)
