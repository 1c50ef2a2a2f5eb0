"""Which codes of real data a crosswalk does not map: one crosswalk version checked against
an export, whatever the rows' dates.

A thin view of the reference mapper (:mod:`ctdc_schema.crosswalk.mapper`): every cell is read
exactly as harmonisation reads it, and whatever does not map (a code no variable of its column
knows, a value a transform rejects, a flag code that is neither yes nor no) is counted per
column. Tests use it to prove that the bundled crosswalks account for every value of the real
CTDC samples and of the example exports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ctdc_schema import vocabulary
from ctdc_schema.crosswalk.mapper import MappingResult, ReferenceMapper, map_file
from ctdc_schema.datamodel.crosswalk import Crosswalk


@dataclass
class Coverage:
    """Per column, the distinct codes that do not map, with their counts; plus absent columns."""

    unmapped: dict[str, Counter[str]] = field(default_factory=dict)
    absent_columns: set[str] = field(default_factory=set)
    rows: int = 0

    @property
    def complete(self) -> bool:
        return not self.unmapped and not self.absent_columns

    @classmethod
    def of(cls, result: MappingResult) -> Coverage:
        return cls(result.unmapped(), set(result.absent_columns), result.rows)


def _mapper(crosswalk: Crosswalk, vocab: vocabulary.Vocabulary | None) -> ReferenceMapper:
    return ReferenceMapper.for_version(crosswalk, vocab or vocabulary.load())


def check_rows(crosswalk: Crosswalk, rows: Iterable[Mapping[str, str]],
               vocab: vocabulary.Vocabulary | None = None) -> Coverage:
    """Codes of ``rows`` (dicts keyed by the export's column names) that do not map."""
    listed = list(rows)
    header = list(listed[0]) if listed else []
    table = ([row.get(column, "") for column in header] for row in listed)
    return Coverage.of(_mapper(crosswalk, vocab).map_table(header, table))


def check_csv(crosswalk: Crosswalk, path: Path, delimiter: str | None = None,
              vocab: vocabulary.Vocabulary | None = None) -> Coverage:
    """:func:`check_rows` over a delimited export (delimiter from the crosswalk's contract)."""
    return Coverage.of(map_file(_mapper(crosswalk, vocab), path, delimiter))
