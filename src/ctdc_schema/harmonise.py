"""Harmonise deliveries into vocabulary records (the library behind ``ctdc transform``).

Each delivery is read with the crosswalk versions of its source: the version is chosen per
record by its registration date, or once per delivery by the delivery's date, as the source's
``window_axis`` says. This module runs the row-at-a-time reference mapper
(:mod:`ctdc_schema.crosswalk.mapper`); it returns data and never prints.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ctdc_schema import atomic, vocabulary
from ctdc_schema.crosswalk import loader
from ctdc_schema.crosswalk.mapper import MappingResult, Record, ReferenceMapper, map_file
from ctdc_schema.datamodel.crosswalk import Crosswalk
from ctdc_schema.deliveries import Delivery
from ctdc_schema.errors import UsageError


@dataclass
class Harmonised:
    """The records of every delivery of one run, and what did not map, per delivery."""

    results: list[tuple[Delivery, MappingResult]] = field(default_factory=list)

    @property
    def records(self) -> list[Record]:
        return [record for _, result in self.results for record in result.records]

    @property
    def issues(self) -> int:
        return sum(len(result.issues) for _, result in self.results)


def crosswalks_by_source(paths: Sequence[Path] | None = None) -> dict[str, list[Crosswalk]]:
    """Every crosswalk version (bundled, or under ``paths``), grouped by source."""
    grouped: dict[str, list[Crosswalk]] = defaultdict(list)
    for loaded in loader.load_valid(paths):
        grouped[loaded.source_folder].append(loaded.model)
    return dict(grouped)


def harmonise(deliveries: Sequence[Delivery], schema: Path | str | None = None,
              crosswalks: Sequence[Path] | None = None) -> Harmonised:
    """Map every delivery with its source's crosswalks."""
    vocab = vocabulary.load(schema)
    by_source = crosswalks_by_source(crosswalks)
    run = Harmonised()
    for delivery in deliveries:
        versions = by_source.get(delivery.source)
        if not versions:
            known = ", ".join(sorted(by_source))
            raise UsageError(f"no crosswalk for source '{delivery.source}' (known: {known})")
        mapper = ReferenceMapper(versions, vocab, delivery.delivered)
        run.results.append((delivery, map_file(mapper, delivery.path, delivery.delimiter)))
    return run


def write_jsonl(records: Sequence[Record], output: Path) -> None:
    """One JSON object per line, written atomically."""
    text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    atomic.write_text(output, text)
