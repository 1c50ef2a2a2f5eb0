"""Deliveries: which export files make up a harmonisation run, and when each was delivered.

A delivery is one export of one source. Its date matters for sources whose crosswalk versions
follow the delivery rather than the record (``window_axis: delivery_date``): Polaris recoded its
whole history when it adopted its typology, so a 2018 export of 2015 cases carries the new
coding. The date comes from ``--delivered`` on the command line or from the ``delivered`` field
of a manifest (format: ``schema/manifest.yaml``), a YAML file listing the deliveries of one run.

Manifests are input like any other: read line-accurately, checked against their generated
schema, and their paths may not lead out of the manifest's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ctdc_schema.crosswalk.loader import load_format
from ctdc_schema.datamodel.manifest import Manifest
from ctdc_schema.errors import InputError, UsageError


@dataclass(frozen=True)
class Delivery:
    """One export file of one source, with the date it was delivered when known."""

    path: Path
    source: str
    delivered: date | None = None
    delimiter: str | None = None


def parse_date(text: str, option: str = "--delivered") -> date:
    """An ISO 8601 date given on the command line."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} must be a date such as 2018-07-01, not '{text}'") from None


def load_manifest(path: Path) -> list[Delivery]:
    """The deliveries a manifest lists, with paths resolved against its folder."""
    manifest, positions = load_format(path, "manifest", Manifest)
    base = path.resolve().parent
    found = []
    for index, item in enumerate(manifest.deliveries):
        target = (base / item.path).resolve()
        if not target.is_relative_to(base):
            line, column = positions.find(("deliveries", index, "path"))
            raise InputError(f"path '{item.path}' leads out of the manifest's folder", path,
                             line, column)
        found.append(Delivery(target, item.source, item.delivered, item.delimiter))
    return found
