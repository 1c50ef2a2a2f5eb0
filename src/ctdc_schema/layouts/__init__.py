"""Release layouts: harmonised records written the way an existing release writes them.

A layout turns vocabulary records back into a published file format, so that the users of that
release keep their scripts. ``ctdc transform --layout NAME`` picks one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ctdc_schema.errors import UsageError

NAMES = ("ctdc-public",)


class Layout(Protocol):
    """Writes the records of ``source`` (a SQL relation, read with ``parameters``) to
    ``target``."""

    name: str

    def write(self, con: Any, source: str, parameters: Sequence[Any], target: Path) -> None:
        ...


def get(name: str) -> Layout:
    """The layout called ``name``."""
    if name == "ctdc-public":
        from ctdc_schema.layouts.ctdc_public import LAYOUT

        return LAYOUT
    raise UsageError(f"--layout must be one of {', '.join(NAMES)}, not '{name}'")
