"""Exceptions for problems a *user* caused (bad input, bad arguments).

Anything the user did wrong is reported as one line with a location and exits with status 2;
anything else is a bug. Keeping the two apart lets the CLI print a clean message for the first
kind without ever swallowing the second silently.
"""

from __future__ import annotations

from pathlib import Path


class CtdcError(Exception):
    """Base class: a user-facing problem with a one-line message."""

    exit_code = 2


class InputError(CtdcError):
    """A file could not be read or parsed (syntax error, duplicate key, wrong encoding...)."""

    def __init__(
        self, message: str, path: Path | str | None = None, line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.detail = message
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
    """A short, escaped excerpt of input text for a message: control characters, quotes of
    other scripts and terminal escapes are shown as escapes, and never more than ``limit``
    characters of a cell of unknown size."""
    shown = text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= limit else shown[:limit] + "..."
