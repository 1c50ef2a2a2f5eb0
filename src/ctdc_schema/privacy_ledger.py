"""The privacy ledger: what differentially private releases of one dataset have spent.

Privacy loss adds up across releases of the same people (basic composition: the epsilons and
the deltas of the releases sum), so the steward declares a budget once, in the ledger, and
every release is recorded against it. ``ctdc synthesize --ledger FILE`` refuses a release that
would take the total past the budget, before any work is done. One ledger per sensitive
dataset: a later delivery of the same people is the same dataset, whatever its file is called,
which is why the ledger, not the file name or its hash, names what is protected (the hash of
each release's input is recorded for audit).

The file is JSON, written atomically::

    {"budget": 12.0, "releases": [{"epsilon": 4.0, "delta": 1e-06, "date": "...",
                                   "output": "...", "data_sha256": "...", "columns": [...]}]}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctdc_schema import atomic
from ctdc_schema.errors import InputError, UsageError

if TYPE_CHECKING:
    from ctdc_schema.synthesize import Statement

#: a ledger is a small file; anything larger is not one
MAX_BYTES = 1 << 20


@dataclass
class Ledger:
    """A budget and the releases recorded against it."""

    path: Path
    budget: float
    releases: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path, budget: float | None) -> Ledger:
        """The ledger at ``path``; a new one needs ``budget``, an existing one keeps its own."""
        if budget is not None and not (math.isfinite(budget) and budget > 0):
            raise UsageError("--budget must be a number above 0")
        if not path.exists():
            if budget is None:
                raise UsageError(f"{path} does not exist: declare the budget of a new ledger "
                                 "with --budget")
            return cls(path, float(budget))
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            raise InputError("not a privacy ledger (a JSON file under 1 MiB)", path)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            declared = float(document["budget"])
            releases = list(document.get("releases", []))
            spent = [float(r["epsilon"]) for r in releases]
            deltas = [float(r.get("delta", 0.0)) for r in releases]
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise InputError(f"not a privacy ledger: {type(exc).__name__}", path) from None
        if not (math.isfinite(declared) and declared > 0) or \
                not all(math.isfinite(e) and e > 0 for e in spent) or \
                not all(0 <= d < 1 for d in deltas):
            raise InputError("not a privacy ledger: the budget and each epsilon must be above "
                             "0, each delta in [0, 1)", path)
        if budget is not None and budget != declared:
            raise UsageError(f"{path} declares a budget of {declared:g}, not {budget:g}: the "
                             "budget is the ledger's, change it there if you must")
        return cls(path, declared, releases)

    @property
    def spent(self) -> float:
        return sum(float(r["epsilon"]) for r in self.releases)

    def check(self, epsilon: float) -> None:
        """Refuse a release of ``epsilon`` that the budget cannot pay for."""
        if self.spent + epsilon > self.budget + 1e-12:
            raise UsageError(
                f"refused: a release with epsilon {epsilon:g} would spend "
                f"{self.spent + epsilon:g} of the budget of {self.budget:g} declared in "
                f"{self.path} ({self.spent:g} spent by {len(self.releases)} release(s))")

    def record(self, epsilon: float, delta: float, statement: Statement, output: Path
               ) -> dict[str, Any]:
        """Add a release (saved by :meth:`save`); the summary the privacy statement quotes."""
        self.check(epsilon)
        self.releases.append({"epsilon": epsilon, "delta": delta, "date": statement.date,
                              "output": output.name, "data": statement.data,
                              "data_sha256": statement.data_sha256,
                              "columns": statement.columns,
                              "reporting_length": statement.reporting_length})
        return {"budget": self.budget, "spent": self.spent, "releases": len(self.releases),
                "delta_spent": sum(float(r.get("delta", 0)) for r in self.releases)}

    def save(self) -> None:
        document = {"budget": self.budget, "releases": self.releases}
        atomic.write_text(self.path, json.dumps(document, indent=1) + "\n")
