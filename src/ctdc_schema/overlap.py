"""Which sources cover which vocabulary slots, and how exactly: the "shared variables".

CTDC's data norming started from the variables Polaris and IOM had in common ("20 shared
variables"). This module computes that overlap from the crosswalks: a source covers a slot
*exactly* when every variable feeding it is an exactMatch with only exact value mappings,
*partially* otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from ctdc_schema import vocabulary
from ctdc_schema.crosswalk import loader, registry
from ctdc_schema.crosswalk.semantics import HEADER_SLOTS

EXACT, PARTIAL, DECLARED = "exact", "partial", "declared"



@dataclass
class Overlap:
    """Coverage matrix: ``cells[slot][source]`` is ``exact`` or ``partial`` (absent = none)."""

    slots: list[str]
    sources: list[str]  # "source@version"
    cells: dict[str, dict[str, str]] = field(default_factory=dict)

    def covered(self, source: str) -> set[str]:
        return {slot for slot, row in self.cells.items() if source in row}

    def shared(self, sources: Sequence[str] | None = None) -> list[str]:
        """Data slots (not header-declared) covered by every one of ``sources`` (default: all)."""
        chosen = list(sources or self.sources)
        return [s for s in self.slots
                if all(self.cells.get(s, {}).get(src, DECLARED) != DECLARED for src in chosen)]

    def pairs(self) -> dict[str, int]:
        return {f"{a} & {b}": len(self.shared([a, b]))
                for a, b in combinations(self.sources, 2)}

    def to_dict(self) -> dict[str, object]:
        return {
            "sources": self.sources,
            "slots": {slot: self.cells.get(slot, {}) for slot in self.slots},
            "shared_by_all": self.shared(),
            "shared_by_pair": self.pairs(),
        }

    def render_text(self) -> str:
        names = [s.split("@")[0] for s in self.sources]
        width = max(len(s) for s in self.slots) if self.slots else 4
        # wide enough for the name and for every word a cell can hold ("declared")
        columns = [max(len(n), *(len(k) for k in (EXACT, PARTIAL, DECLARED))) for n in names]
        lines = ["  ".join([f"{'slot':<{width}}", *(f"{n:<{w}}" for n, w in zip(
            names, columns, strict=True))]).rstrip()]
        lines.append("  ".join(["-" * width, *("-" * w for w in columns)]))
        for slot in self.slots:
            row = self.cells.get(slot, {})
            cells = [f"{row.get(src, '.'):<{w}}" for src, w in zip(self.sources, columns,
                                                                   strict=True)]
            lines.append("  ".join([f"{slot:<{width}}", *cells]).rstrip())
        lines.append("")
        lines.append(f"sources: {', '.join(self.sources)}")
        for source in self.sources:
            kinds = [self.cells[s][source] for s in self.covered(source)]
            lines.append(f"{source}: {kinds.count(EXACT) + kinds.count(PARTIAL)} data slots "
                         f"({kinds.count(EXACT)} exact, {kinds.count(PARTIAL)} partial), "
                         f"{kinds.count(DECLARED)} declared in the crosswalk header")
        for pair, count in self.pairs().items():
            lines.append(f"shared by {pair}: {count}")
        if len(self.sources) == 1:
            lines.append("one source only: nothing to compare it with (name more crosswalks, "
                         "or none for every bundled one)")
        else:
            lines.append(f"shared by all {len(self.sources)} sources: {len(self.shared())} "
                         "data slots")
        return "\n".join(lines) + "\n"

    def render_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _kind(variables: list[object]) -> str:
    for variable in variables:
        if str(getattr(variable, "predicate", "")) != "exactMatch":
            return PARTIAL
        for mapping in (getattr(variable, "values", None) or {}).values():
            if mapping.predicate and str(mapping.predicate) != "exactMatch":
                return PARTIAL
    return EXACT


def compute(paths: Sequence[Path] | None = None, schema: Path | str | None = None) -> Overlap:
    """The overlap of the current version of every source (bundled, or under ``paths``)."""
    vocab = vocabulary.load(schema)
    loaded = loader.load_valid(paths)
    current = registry.current_versions(loaded)
    result = Overlap(slots=list(vocab.slots), sources=[c.label for c in current])
    for crosswalk in current:
        by_slot: dict[str, list[object]] = {}
        for variable in crosswalk.model.variables:
            if variable.slot in vocab.slots:
                by_slot.setdefault(variable.slot, []).append(variable)
        for slot, variables in by_slot.items():
            result.cells.setdefault(slot, {})[crosswalk.label] = _kind(variables)
        for slot, key in HEADER_SLOTS.items():
            if slot in vocab.slots and getattr(crosswalk.model, key, None) is not None:
                result.cells.setdefault(slot, {}).setdefault(crosswalk.label, DECLARED)
    return result
