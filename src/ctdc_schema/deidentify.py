"""``ctdc deidentify``: a k-anonymous release of a harmonised dataset with as little loss as
the vocabulary's generalisation hierarchies allow.

What is generalised and how is data, declared in the vocabulary: slots annotated
``disclosure: quasi_identifier`` are the quasi-identifiers (QIs), ``direct_identifier`` slots
are dropped, and a QI's ``generalisation`` lists the levels above its values (an age band's
``majority_status``, a country's ``un_subregion`` and ``un_region``, ``period_5`` for years);
the level above the last is "any" (the cell blanked). A blank (absent) cell is a value of its
own: it matches only other blank cells, so it can never single a person out.

The method, the one the collaborative uses (generalise, then blank single cells, and drop a
record only as the last resort), made optimal over the hierarchies:

1. the records are counted once per combination of QI values (DuckDB: one scan); every later
   step works on these counts, not on the records;
2. every full-domain generalisation (one level per QI: the lattice) is scored by the records
   in classes smaller than k; the most promising nodes are then finished by **local cell
   suppression** (the records of a small class lose the QI cell that merges most of them into
   classes of k or more, repeated) and **record suppression** of what is still below k;
3. the node with the least information loss wins: loss = generalisation loss (per cell, its
   level over its hierarchy's height, summed; the Loss Metric) + cells blanked + the cells of
   records dropped. The discernibility metric is reported too.

The records are then written once, generalised and suppressed through a join with the
decisions; a risk report (JSON and text) says what was done and what k the output has.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdc_schema import atomic, vocabulary
from ctdc_schema.errors import UsageError
from ctdc_schema.sqltext import ident
from ctdc_schema.vocabulary import Vocabulary

#: CTDC's practice: no query may return fewer than 10 records [CTDC codebook v6 (2017) §2]
DEFAULT_K = 11
#: at most this many lattice nodes are finished by local suppression (bounds the time)
MAX_FINISHED = 200
ANY = "any"

Key = tuple[str | None, ...]


@dataclass(frozen=True)
class Hierarchy:
    """The levels of one quasi-identifier: 0 = its values, then the vocabulary's levels, then
    "any" (blank)."""

    slot: str
    levels: tuple[str, ...]
    #: per named level, value -> generalised value (annotation levels)
    maps: tuple[dict[str, str], ...] = ()

    @property
    def height(self) -> int:
        return len(self.levels) + 1

    def name(self, level: int) -> str:
        if level == 0:
            return "value"
        return ANY if level == self.height else self.levels[level - 1]

    def generalise(self, value: str | None, level: int) -> str | None:
        if value is None or level == self.height:
            return None
        if level == 0:
            return value
        spec = self.levels[level - 1]
        if spec.startswith("period_"):
            size = int(spec.removeprefix("period_"))
            try:
                start = int(value) // size * size
            except ValueError:
                return None
            return f"{start}-{start + size - 1}"
        return self.maps[level - 1].get(value)


def hierarchies(vocab: Vocabulary, slots: Sequence[str]) -> list[Hierarchy]:
    """The hierarchy of each slot, from its ``generalisation`` annotation."""
    found = []
    for slot in slots:
        info = vocab.slots[slot]
        levels = tuple(str(info.annotations.get("generalisation", "")).split())
        maps: list[dict[str, str]] = []
        for level in levels:
            if level.startswith("period_"):
                if not level.removeprefix("period_").isdigit():
                    raise UsageError(f"slot {slot}: generalisation level '{level}' is not "
                                     "period_N")
                maps.append({})
                continue
            if info.enum is None:
                raise UsageError(f"slot {slot}: generalisation level '{level}' needs an enum")
            maps.append({name: str(value.annotations[level])
                         for name, value in vocab.enum_values(info.enum).items()
                         if level in value.annotations})
        found.append(Hierarchy(slot, levels, tuple(maps)))
    return found


def slots_marked(vocab: Vocabulary, disclosure: str) -> list[str]:
    return [name for name, info in vocab.slots.items()
            if info.annotations.get("disclosure") == disclosure]


@dataclass
class Outcome:
    """One lattice node, finished: what it generalises, blanks and drops, and what it costs."""

    node: tuple[int, ...]
    #: original key (level-0 values) -> released key, or None for a dropped record
    decisions: dict[Key, Key | None]
    classes: Counter[Key]
    cells: Counter[str] = field(default_factory=Counter)  # blanked cells per QI slot
    dropped: int = 0
    generalisation_loss: float = 0.0

    @property
    def loss(self) -> float:
        width = len(self.node)
        return self.generalisation_loss + sum(self.cells.values()) + self.dropped * width


def _finish(counts: Counter[Key], tree: list[Hierarchy], node: tuple[int, ...],
            k: int) -> Outcome:
    """Generalise ``counts`` to ``node``, then blank cells and drop records until every class
    holds at least ``k`` records."""
    released: dict[Key, Key] = {}
    classes: Counter[Key] = Counter()
    for key, n in counts.items():
        out = tuple(h.generalise(v, level) for h, v, level in zip(tree, key, node, strict=True))
        released[key] = out
        classes[out] += n
    total = sum(counts.values())
    outcome = Outcome(node, {}, classes)
    outcome.generalisation_loss = total * sum(level / h.height
                                              for h, level in zip(tree, node, strict=True))
    moved: dict[Key, Key] = {}  # a small class's key -> where its records went
    while True:  # each round blanks, in the small classes, the QI that merges them best
        small = {key: n for key, n in classes.items() if n < k}
        open_positions = [p for p in range(len(tree)) if any(key[p] is not None
                                                              for key in small)]
        if not small or not open_positions:
            break  # what is left is dropped (blank in every QI and still too small)
        best: tuple[int, int, Counter[Key]] | None = None
        for position in open_positions:
            merged: Counter[Key] = Counter()
            for key, n in small.items():
                merged[key if key[position] is None else _blank(key, position)] += n
            left = 0
            for target, add in merged.items():
                size = add + (0 if target in small else classes.get(target, 0))
                left += size if size < k else 0
            if best is None or left < best[0]:
                best = (left, position, merged)
        assert best is not None
        _, position, merged = best
        for key, n in small.items():
            if key[position] is not None:
                moved[key] = _blank(key, position)
                outcome.cells[tree[position].slot] += n
                del classes[key]
        for target, add in merged.items():
            classes[target] = add + (0 if target in small else classes.get(target, 0))
    outcome.classes = Counter({key: n for key, n in classes.items() if n >= k})
    outcome.dropped = sum(n for n in classes.values() if n < k)

    def final(key: Key) -> Key | None:
        while key in moved:
            key = moved[key]
        return key if key in outcome.classes else None

    outcome.decisions = {original: final(out) for original, out in released.items()}
    return outcome


def _table(con: Any, name: str, columns: dict[str, list[Any]]) -> None:
    """A temporary DuckDB table from Python columns, loaded in bulk through Arrow (text
    columns typed as text even when all their values are null)."""
    import pyarrow as pa

    arrays = {column: pa.array(values, type=pa.int64() if column == "n" else
                               pa.bool_() if column == "kept" else pa.string())
              for column, values in columns.items()}
    con.from_arrow(pa.table(arrays)).create(name)


def _blank(key: Key, position: int) -> Key:
    return (*key[:position], None, *key[position + 1:])


def _records_lost_naively(counts: Counter[Key], k: int) -> int:
    """The naive practice: drop every record whose combination of values is rarer than k."""
    return sum(n for n in counts.values() if n < k)


def choose(con: Any, counts: Counter[Key], tree: list[Hierarchy], k: int) -> Outcome:
    """The node of least loss: every node of the lattice scored in DuckDB by its records in
    classes smaller than k and its generalisation loss, the best few finished by local
    suppression in Python (both on the counts, never on the records)."""
    total = sum(counts.values())
    width = len(tree)
    keys = list(counts)
    _table(con, "agg", {**{f"q{i}": [key[i] for key in keys] for i in range(width)},
                        "n": [counts[key] for key in keys]})
    joins, extra = [], []
    for i, h in enumerate(tree):
        values = sorted({v for key in counts if (v := key[i]) is not None})
        for level in range(1, h.height):
            table = f"m{i}_{level}"
            _table(con, table, {"v": values, "g": [h.generalise(v, level) for v in values]})
            joins.append(f"LEFT JOIN {table} ON agg.q{i} = {table}.v")
            extra.append(f"{table}.g AS q{i}_{level}")
    con.execute(f"CREATE TEMP TABLE lattice AS SELECT agg.*{''.join(', ' + e for e in extra)} "
                f"FROM agg {' '.join(joins)}")
    scored = []
    for node in itertools.product(*(range(h.height + 1) for h in tree)):
        group = [f"q{i}" if level == 0 else f"q{i}_{level}"
                 for i, (h, level) in enumerate(zip(tree, node, strict=True))
                 if level < h.height]
        by = f" GROUP BY {', '.join(group)}" if group else ""
        ((small,),) = con.execute(f"SELECT coalesce(sum(c) FILTER (WHERE c < {int(k)}), 0) "
                                  f"FROM (SELECT sum(n) AS c FROM lattice{by})").fetchall()
        generalised = total * sum(level / h.height for h, level in zip(tree, node, strict=True))
        scored.append((generalised + int(small), node))
    # branch and bound: a record in a class below k loses at least one cell, so a node's loss
    # is at least its generalisation loss plus those records; finish nodes in that order and
    # stop when no unfinished node can beat the best finished one
    scored.sort()
    finished: list[Outcome] = []
    for bound, node in scored[:MAX_FINISHED]:
        if finished and bound >= min(o.loss for o in finished):
            break
        finished.append(_finish(counts, tree, node, k))
    return min(finished, key=lambda o: (o.loss, o.node))


@dataclass
class Release:
    """What ``ctdc deidentify`` did, as plain data (the risk report)."""

    source: str
    k: int
    records_in: int
    records_out: int
    quasi_identifiers: list[str]
    generalisation: dict[str, str]
    cells_suppressed: dict[str, int]
    records_suppressed: int
    dropped_columns: list[str]
    class_sizes: dict[str, int]
    k_achieved: int
    loss: dict[str, float]
    naive_records_suppressed: int
    l_diversity: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def text(self) -> str:
        lines = [
            f"de-identified {self.source}: k = {self.k} asked, k = {self.k_achieved} achieved",
            f"records: {self.records_in:,} in, {self.records_out:,} out, "
            f"{self.records_suppressed:,} suppressed (whole-record suppression alone would "
            f"drop {self.naive_records_suppressed:,})",
            "quasi-identifiers and their generalisation: " + ", ".join(
                f"{slot} -> {self.generalisation[slot]}" for slot in self.quasi_identifiers),
            "cells blanked: " + (", ".join(f"{slot} {n:,}" for slot, n in
                                           self.cells_suppressed.items() if n) or "none"),
            "dropped columns (direct identifiers): " + (", ".join(self.dropped_columns)
                                                        or "none"),
            "equivalence classes by size: " + ", ".join(f"{size}: {n:,}" for size, n in
                                                        self.class_sizes.items()),
            f"information loss: generalisation {self.loss['generalisation']:,.1f} + cells "
            f"{self.loss['cells']:,.0f} + dropped records {self.loss['records']:,.0f} = "
            f"{self.loss['total']:,.1f} cell equivalents; discernibility "
            f"{self.loss['discernibility']:,.0f}",
        ]
        if self.l_diversity is not None:
            lines.append(f"l-diversity of {self.l_diversity['sensitive']}: l = "
                         f"{self.l_diversity['l']} asked, {self.l_diversity['achieved']} "
                         f"achieved, {self.l_diversity['records_suppressed']:,} records "
                         "suppressed for it")
        return "\n".join(lines) + "\n"


def _size_bins(classes: Counter[Key], k: int) -> dict[str, int]:
    bins: Counter[str] = Counter()
    for n in classes.values():
        if n < 2 * k:
            bins[f"{k}-{2 * k - 1}"] += 1
        elif n < 5 * k:
            bins[f"{2 * k}-{5 * k - 1}"] += 1
        elif n < 20 * k:
            bins[f"{5 * k}-{20 * k - 1}"] += 1
        else:
            bins[f"{20 * k}+"] += 1
    order = [f"{k}-{2 * k - 1}", f"{2 * k}-{5 * k - 1}", f"{5 * k}-{20 * k - 1}", f"{20 * k}+"]
    return {b: bins[b] for b in order if bins[b]}


def deidentify(data: Path, output: Path, k: int = DEFAULT_K,
               quasi_identifiers: Sequence[str] | None = None,
               sensitive: str | None = None, l_diversity: int | None = None,
               schema: Path | str | None = None) -> Release:
    """Write a k-anonymous copy of the harmonised ``data`` to ``output`` (Parquet) and return
    the risk report."""
    from ctdc_schema.engine.duckdb_engine import connect
    from ctdc_schema.stats import read_records

    if k < 2:
        raise UsageError("--k must be at least 2")
    if l_diversity is not None and l_diversity < 2:
        raise UsageError("--l must be at least 2")
    atomic.refuse_overwrite(output, [data])
    vocab = vocabulary.load(schema)
    con = connect()
    try:
        relation = read_records(con, data)
        columns = list(relation.columns)
        qis = list(quasi_identifiers) if quasi_identifiers else [
            s for s in slots_marked(vocab, "quasi_identifier") if s in columns]
        for slot in qis:
            if slot not in columns or slot not in vocab.slots:
                raise UsageError(f"--quasi-identifiers: '{slot}' is not a column of {data} "
                                 "and a slot of the vocabulary")
            if vocab.slots[slot].multivalued:
                raise UsageError(f"--quasi-identifiers: '{slot}' holds several values per "
                                 "record; choose single-valued slots")
        tree = hierarchies(vocab, qis)
        sensitive = sensitive or next(iter(slots_marked(vocab, "sensitive")), None)
        if l_diversity is not None and (sensitive is None or sensitive not in columns):
            raise UsageError(f"--l needs a sensitive slot in the data (--sensitive), not "
                             f"'{sensitive}'")
        relation.create_view("records")
        keys = ", ".join(f"CAST({ident(s)} AS VARCHAR)" for s in qis)
        rows = con.execute(f"SELECT {keys}, count(*) FROM records GROUP BY ALL").fetchall()
        counts: Counter[Key] = Counter({tuple(r[:-1]): int(r[-1]) for r in rows})
        outcome = choose(con, counts, tree, k)
        types = dict(zip(columns, map(str, relation.types), strict=True))
        report = _write(con, data, output, vocab, types, qis, tree, outcome, sensitive,
                        l_diversity, k)
    finally:
        con.close()
    report.naive_records_suppressed = _records_lost_naively(counts, k)
    return report


def _write(con: Any, data: Path, output: Path, vocab: Vocabulary, types: dict[str, str],
           qis: list[str], tree: list[Hierarchy], outcome: Outcome, sensitive: str | None,
           l_diversity: int | None, k: int) -> Release:
    """The records through the decisions: generalised, blanked, dropped; written atomically.
    A QI released at its own level keeps its type; a generalised one is text."""
    import tempfile

    columns = list(types)
    width = len(qis)
    originals = list(outcome.decisions)
    finals = [outcome.decisions[o] or (None,) * width for o in originals]
    _table(con, "decisions", {**{f"o{i}": [o[i] for o in originals] for i in range(width)},
                              **{f"r{i}": [f[i] for f in finals] for i in range(width)},
                              "kept": [outcome.decisions[o] is not None for o in originals]})
    join = " AND ".join(f"CAST(rec.{ident(s)} AS VARCHAR) IS NOT DISTINCT FROM d.o{i}"
                        for i, s in enumerate(qis))
    direct = [c for c in columns if vocab.slots.get(c) is not None
              and vocab.slots[c].annotations.get("disclosure") == "direct_identifier"]
    selects = []
    for column in columns:
        if column in direct:
            continue
        if column in qis:
            position = qis.index(column)
            value = f"d.r{position}" if outcome.node[position] else \
                f"TRY_CAST(d.r{position} AS {types[column]})"
            selects.append(f"{value} AS {ident(column)}")
        elif column == "deidentification_method":
            selects.append(f"'k_anonymity' AS {ident(column)}")
        else:
            selects.append(f"rec.{ident(column)}")
    released = (f"SELECT {', '.join(selects)} FROM records rec JOIN decisions d ON {join} "
                "WHERE d.kept")
    l_report = None
    if l_diversity is not None and sensitive is not None:
        released, l_report = _l_diverse(con, released, qis, sensitive, l_diversity)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".ctdc-") as tmp:
        part = Path(tmp) / "release.parquet"
        con.sql(released).write_parquet(str(part))  # the path is an argument, never SQL
        written = con.read_parquet(str(part))
        group = ", ".join(ident(s) for s in qis)
        sizes = written.aggregate("count(*)", group).fetchall() if qis else \
            written.aggregate("count(*)").fetchall()
        part.replace(output)
    classes = Counter({i: int(n) for i, (n,) in enumerate(sizes)})
    records_out = sum(classes.values())
    total = sum(outcome.classes.values()) + outcome.dropped
    cells = {slot: outcome.cells.get(slot, 0) for slot in qis}
    dropped_records = total - records_out
    loss = {"generalisation": round(outcome.generalisation_loss, 3),
            "cells": float(sum(cells.values())),
            "records": float(dropped_records * width),
            "total": round(outcome.generalisation_loss + sum(cells.values())
                           + dropped_records * width, 3),
            "discernibility": float(sum(n * n for n in classes.values())
                                    + dropped_records * total)}
    return Release(
        source=data.name, k=k, records_in=total, records_out=records_out,
        quasi_identifiers=qis,
        generalisation={h.slot: h.name(level) for h, level in zip(tree, outcome.node,
                                                                   strict=True)},
        cells_suppressed=cells, records_suppressed=dropped_records, dropped_columns=direct,
        class_sizes=_size_bins(Counter({(str(i),): n for i, n in classes.items()}), k),
        k_achieved=min(classes.values(), default=0), loss=loss,
        naive_records_suppressed=0, l_diversity=l_report)


def _l_diverse(con: Any, released: str, qis: list[str], sensitive: str,
               l_value: int) -> tuple[str, dict[str, Any]]:
    """Drop the classes whose sensitive values are fewer than ``l_value`` distinct ones."""
    group = ", ".join(ident(s) for s in qis)
    value = f"CAST({ident(sensitive)} AS VARCHAR)"
    con.execute(f"CREATE TEMP TABLE released AS {released}")
    con.execute(f"CREATE TEMP TABLE diverse AS SELECT {group}, count(DISTINCT {value}) AS l, "
                f"count(*) AS n FROM released GROUP BY {group}")
    ((dropped, achieved),) = con.execute(
        f"SELECT coalesce(sum(n) FILTER (WHERE l < {int(l_value)}), 0), "
        f"min(l) FILTER (WHERE l >= {int(l_value)}) FROM diverse").fetchall()
    join = " AND ".join(f"r.{ident(s)} IS NOT DISTINCT FROM v.{ident(s)}" for s in qis)
    kept = (f"SELECT r.* FROM released r JOIN diverse v ON {join} "
            f"WHERE v.l >= {int(l_value)}")
    return kept, {"sensitive": sensitive, "l": l_value, "achieved": achieved or 0,
                  "records_suppressed": int(dropped)}


def write_report(report: Release, folder: Path) -> list[Path]:
    """The risk report beside the release: ``risk-report.json`` and ``risk-report.txt``."""
    written = []
    for name, text in (("risk-report.json", json.dumps(report.to_dict(), indent=1) + "\n"),
                       ("risk-report.txt", report.text())):
        atomic.write_text(folder / name, text)
        written.append(folder / name)
    return written


