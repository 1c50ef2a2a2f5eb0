"""Which codes of real data a crosswalk does not map: the crosswalk checked against an export.

This is the row-at-a-time reference of the lookup semantics the data engine compiles to SQL:
missing codes first (case/whitespace folded), then the explicit ``values`` (exact, then
folded), then the declared transform. Tests use it to prove that the bundled crosswalks cover
every value of the real CTDC extract and of the example exports.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ctdc_schema.crosswalk import transforms
from ctdc_schema.datamodel.crosswalk import Crosswalk, Variable
from ctdc_schema.rules.codes import fold


@dataclass
class Coverage:
    """Per column, the distinct unmapped codes with their counts; plus absent columns."""

    unmapped: dict[str, Counter[str]] = field(default_factory=dict)
    absent_columns: set[str] = field(default_factory=set)
    rows: int = 0

    @property
    def complete(self) -> bool:
        return not self.unmapped and not self.absent_columns


def _transform_accepts(variable: Variable, code: str) -> bool:
    transform = variable.transform
    if transform is None:
        return False
    kind = str(transform.type)
    if kind == "country":
        return transforms.country_alpha2(code, str(transform.country_format)) is not None
    if kind in ("age_band", "majority_status"):
        try:
            return 0 <= int(code) < 130
        except ValueError:
            return False
    if kind == "year":
        try:
            datetime.strptime(code.strip(), transform.date_format or "%Y-%m-%d")
        except ValueError:
            return False
        return True
    if kind == "flags":
        return code in (transform.true_codes or []) + (transform.false_codes or [])
    return kind == "constant"


def _accepts(variable: Variable, code: str, folded_codes: set[str]) -> bool:
    if variable.transform is not None and str(variable.transform.type) == "flags":
        return _transform_accepts(variable, code)
    return (code in (variable.values or {}) or fold(code) in folded_codes
            or _transform_accepts(variable, code))


def _items(variable: Variable, cell: str) -> list[str]:
    if variable.split:
        return [item.strip() for item in cell.split(variable.split.strip() or variable.split)
                if item.strip()]
    return [cell]


def check_rows(crosswalk: Crosswalk, rows: Iterable[Mapping[str, str]]) -> Coverage:
    """Unmapped codes of ``rows`` (dicts keyed by the export's column names)."""
    result = Coverage()
    missing = {fold(code) for code in crosswalk.missing_codes or []}
    folded = {
        id(v): {fold(code) for code in (v.values or {})} for v in crosswalk.variables
    }
    readers: dict[str, list[Variable]] = {}
    for variable in crosswalk.variables:
        if variable.values is None and variable.transform is None:
            continue  # passed through as is; the slot's type checks it
        for column in variable.column:
            readers.setdefault(column, []).append(variable)
    header_checked = False
    for row in rows:
        result.rows += 1
        if not header_checked:
            header_checked = True
            for variable in crosswalk.variables:
                constant = variable.transform is not None and str(
                    variable.transform.type) == "constant"
                if not constant:
                    result.absent_columns |= {c for c in variable.column if c not in row}
        for column, variables in readers.items():
            cell = row.get(column)
            if cell is None or fold(cell) in missing:
                continue
            # A column read by several variables (one venue column feeding labour sectors and
            # sex types) is covered when any of them maps the code: each variable takes the
            # codes it lists, and the rest add nothing to its slot.
            unmapped: set[str] | None = None
            for variable in variables:
                rejected = {code for code in _items(variable, cell)
                            if fold(code) not in missing and not _accepts(variable, code,
                                                                          folded[id(variable)])}
                unmapped = rejected if unmapped is None else unmapped & rejected
            for code in sorted(unmapped or ()):
                result.unmapped.setdefault(column, Counter())[code] += 1
    return result


def check_csv(crosswalk: Crosswalk, path: Path, delimiter: str | None = None) -> Coverage:
    """:func:`check_rows` over a delimited export (delimiter from the crosswalk's contract)."""
    chosen = delimiter or (crosswalk.export.delimiter if crosswalk.export else None) or ","
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return check_rows(crosswalk, csv.DictReader(handle, delimiter=chosen))
