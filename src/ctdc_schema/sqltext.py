"""SQL text the toolkit builds itself: identifiers quoted, never values.

Values always reach DuckDB as parameters or variables; only names the toolkit already checked
(slot and column names) are written into SQL, and always through :func:`ident`.
"""

from __future__ import annotations


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier (a double quote inside is doubled)."""
    return '"' + name.replace('"', '""') + '"'
