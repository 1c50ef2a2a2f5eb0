"""Findings, the report that collects them, and the registry of rules that produce them.

Every problem the checker reports is a :class:`Finding` with a stable rule code (``CW202``),
a severity, a one-line message, a location (file, line, column) and a path inside the file
(``variables[3].values["Sex"]``). A rule's code, name, default severity and documentation
(explanation, a bad and a good example) live together in one :class:`Rule` object, registered
once in :data:`RULES`; reporters, ``ctdc rules`` and the generated rule pages all read that
registry, so the three can never disagree.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from ctdc_schema.errors import printable


class Severity(StrEnum):
    """How bad a finding is; ordered error > warning > info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


FailOn = Literal["error", "warning", "never"]

#: where rule pages are published: the docs site (`ctdc docs build`) has each at rules/CODE.html
RULE_DOCS_URL = "https://w3id.org/ctdc-schema/rules/{code}.html"


@dataclass(frozen=True)
class Related:
    """Another place that takes part in a finding (e.g. the other crosswalk of a conflict)."""

    message: str
    file: str
    line: int | None = None
    column: int | None = None

    def __post_init__(self) -> None:
        _printable(self, "message", "file")


#: the longest a message (or a path inside a file) may be: input text reaches a report only
#: as a short excerpt, whatever a rule quotes
MAX_TEXT = 400


def _printable(item: Any, *names: str) -> None:
    """Escape what a report must not show raw, and cut what is too long, once, where findings
    are made: every reporter (text, GitHub, JUnit, JSON, SARIF) then gets text it cannot be
    forged by, of a bounded size."""
    for name in names:
        value = getattr(item, name)
        if isinstance(value, str):
            shown = printable(value)
            if len(shown) > MAX_TEXT:
                shown = shown[:MAX_TEXT] + "..."
            object.__setattr__(item, name, shown)


@dataclass(frozen=True)
class Finding:
    """One located problem. Plain data: reporters only read it."""

    code: str
    name: str
    severity: Severity
    message: str
    file: str
    line: int | None = None
    column: int | None = None
    path: str = ""
    related: tuple[Related, ...] = ()
    #: in a data file, the name of the column (``line`` is then the row number a spreadsheet
    #: shows, the header being row 1)
    field: str | None = None

    def __post_init__(self) -> None:
        _printable(self, "message", "file", "path", "field")

    @property
    def where(self) -> str:
        """``line:column`` in a specification file, ``row:column-name`` in a data file."""
        return f"{self.line or 0}:{self.field if self.field is not None else self.column or 0}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "path": self.path,
            "url": RULE_DOCS_URL.format(code=self.code),
            "related": [
                {"message": r.message, "file": r.file, "line": r.line, "column": r.column}
                for r in self.related
            ],
        }

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line or 0, self.column or 0, self.field or "", self.code)


@dataclass(frozen=True)
class Rule:
    """A check's identity and documentation; :meth:`at` makes its findings."""

    code: str
    name: str
    severity: Severity
    summary: str
    explanation: str
    bad: str
    good: str

    def at(
        self, message: str, file: str, line: int | None = None, column: int | None = None,
        path: str = "", related: Iterable[Related] = (), severity: Severity | None = None,
        field: str | None = None,
    ) -> Finding:
        return Finding(self.code, self.name, severity or self.severity, message, file, line,
                       column, path, tuple(related), field)


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the registry; codes and names are unique forever."""
    if rule.code in RULES:
        raise ValueError(f"rule code {rule.code} registered twice")
    if any(r.name == rule.name for r in RULES.values()):
        raise ValueError(f"rule name {rule.name} registered twice")
    RULES[rule.code] = rule
    return rule


@dataclass
class Report:
    """All findings of one run, plus what was checked. Reporters render it."""

    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    #: per data file checked or transformed: plain figures (rows, records per version ...)
    exports: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def sorted_findings(self) -> list[Finding]:
        unique = {(f.sort_key, f.message): f for f in self.findings}
        return [unique[k] for k in sorted(unique)]

    def counts(self) -> Counter[Severity]:
        return Counter(f.severity for f in self.sorted_findings())

    def summary(self) -> dict[str, int]:
        counts = self.counts()
        return {
            "errors": counts[Severity.ERROR],
            "warnings": counts[Severity.WARNING],
            "infos": counts[Severity.INFO],
            "files": len(self.files),
        }

    def exit_code(self, fail_on: FailOn = "error") -> int:
        """0 clean, 1 when a finding is at or above ``fail_on``."""
        if fail_on == "never":
            return 0
        threshold = Severity(fail_on).rank
        return 1 if any(f.severity.rank >= threshold for f in self.findings) else 0

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "version": 1,
            "summary": self.summary(),
            "files": sorted(self.files),
            "findings": [f.to_dict() for f in self.sorted_findings()],
        }
        if self.exports:
            document["exports"] = self.exports
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def format_path(parts: Sequence[str | int]) -> str:
    """``("variables", 3, "values", "Sex")`` -> ``variables[3].values["Sex"]``.

    Keys of a ``values`` mapping are source codes and always render quoted, so that ``"01"``
    and ``"1"`` never look alike; other keys render as attributes when they are identifiers.
    """
    out = ""
    previous: str | int | None = None
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif previous == "values" or not part.isidentifier():
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
        else:
            out += f".{part}" if out else part
        previous = part
    return out
