"""Exceptions for problems a *user* caused (bad input, bad arguments).

Anything the user did wrong is reported as one line with a location and exits with status 2;
anything else is a bug. Keeping the two apart lets the CLI print a clean message for the first
kind without ever swallowing the second silently.
"""

from __future__ import annotations

import re
from pathlib import Path


class CtdcError(Exception):
    """Base class: a user-facing problem with a one-line message."""

    exit_code = 2


class InputError(CtdcError):
    """A file could not be read or parsed (syntax error, duplicate key, wrong encoding...)."""

    def __init__(
        self, message: str, path: Path | str | None = None, line: int | None = None,
        column: int | None = None, code: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.detail = message
        #: the rule the problem is a finding of, when a checker reports it as one
        self.code = code
        super().__init__(self.format())

    def format(self) -> str:
        """`file:line:col: message`, the shape editors and CI logs recognise."""
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.detail}"


class UsageError(CtdcError):
    """The command was called with arguments that cannot work."""


def excerpt(text: str, limit: int = 40) -> str:
    """A short, escaped excerpt of input text for a message: what :func:`printable` escapes
    (controls, terminal escapes, line separators, bidirectional marks) shown as escapes, and
    never more than ``limit`` characters of a cell of unknown size."""
    shown = printable(text)
    return shown if len(shown) <= limit else shown[:limit] + "..."


#: characters that must not reach a terminal, a log line or an XML report raw: C0 and C1
#: controls (tab and line breaks included: a report line must stay one line), DEL, the
#: Unicode line and paragraph separators, the bidirectional controls (which can make a line
#: read differently from what it holds), lone surrogates and the non-characters U+FFFE/FFFF
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e"
                          "\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` with every character of :data:`_UNPRINTABLE` written as an escape
    (``\\x1b``, ``\\u2028``): what a report shows can neither forge a second line, nor
    colour a terminal, nor break the format it is written in."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


#: `ctdc generate` outside the ``generate`` extra (its generators are not installed)
GENERATE_EXTRA = ("`ctdc generate` needs its generators (linkml, country_converter): "
                  "pip install 'ctdc-schema[generate]'")
