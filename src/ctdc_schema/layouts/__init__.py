"""Release layouts: harmonised records written the way an existing release writes them.

A layout turns vocabulary records back into a published file format, so that the users of that
release keep their scripts. ``ctdc transform --layout NAME`` picks one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ctdc_schema.errors import UsageError

if TYPE_CHECKING:
    from ctdc_schema.datamodel.crosswalk import Crosswalk

NAMES = ("ctdc-public", "ctdc-synthetic", "htcds")


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
    if name == "ctdc-synthetic":
        from ctdc_schema.layouts.ctdc_synthetic import LAYOUT as SYNTHETIC

        return SYNTHETIC
    if name == "htcds":
        from ctdc_schema.layouts.htcds import LAYOUT as HTCDS

        return HTCDS
    raise UsageError(f"--layout must be one of {', '.join(NAMES)}, not '{name}'")


@cache
def bundled(source: str) -> Crosswalk:
    """The latest bundled crosswalk of ``source``, which a layout reads backwards."""
    from ctdc_schema.harmonise import crosswalks_by_source

    versions = crosswalks_by_source(None, {source}).get(source)
    if not versions:
        raise UsageError(f"the {source} crosswalk is not installed")
    return max(versions, key=lambda cw: cw.valid_from)


class CrosswalkLayout:
    """A layout whose codes come from a crosswalk: the bundled one of :attr:`source` unless
    one is given."""

    name = ""
    source = ""

    def __init__(self, crosswalk: Crosswalk | None = None) -> None:
        self._crosswalk = crosswalk

    @property
    def crosswalk(self) -> Crosswalk:
        if self._crosswalk is None:
            self._crosswalk = bundled(self.source)
        return self._crosswalk


def write_csv(con: Any, select: str, source: str, parameters: Sequence[Any], target: Path,
              header: Sequence[str], delimiter: str = ",") -> None:
    """A release file: its header row written by Python's csv module (column names are
    text, never SQL), then the rows ``SELECT {select} FROM {source} r`` written by DuckDB's
    COPY, the two joined into ``target``."""
    import csv
    import io

    if delimiter not in (",", ";"):
        raise ValueError(f"unsupported release delimiter {delimiter!r}")
    head = io.StringIO()
    csv.writer(head, delimiter=delimiter, lineterminator="\n").writerow(list(header))
    body = target.with_name(target.name + ".body")
    con.execute(f"COPY (SELECT {select} FROM {source} r) TO ? "
                f"(FORMAT csv, DELIMITER '{delimiter}', HEADER false)",
                [*parameters, str(body)])
    with target.open("w", encoding="utf-8", newline="") as out:
        out.write(head.getvalue())
    with target.open("ab") as out, body.open("rb") as part:
        while chunk := part.read(1 << 24):
            out.write(chunk)
    body.unlink()


def write_columns(con: Any, source: str, parameters: Sequence[Any], target: Path,
                  columns: Callable[[list[str]], list[tuple[str, str]]]) -> None:
    """A release file whose columns are (name, SQL over record ``r``) pairs, made by
    ``columns`` from the slots the records hold; written by :func:`write_csv`."""
    present = [d[0] for d in con.execute(f"SELECT * FROM {source} LIMIT 0",
                                         list(parameters)).description]
    made = columns(present)
    select = ", ".join(f"{sql} AS c{i}" for i, (_, sql) in enumerate(made))
    write_csv(con, select, source, parameters, target, [name for name, _ in made])
