"""CW5xx: the same vocabulary value reached by different sources with different meanings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.crosswalk.registry import current_versions
from ctdc_schema.crosswalk.semantics import effective_predicate, targets
from ctdc_schema.datamodel.crosswalk import ValueCase, ValueMapping
from ctdc_schema.findings import Finding, Rule, Severity, register
from ctdc_schema.rules import set_check
from ctdc_schema.vocabulary import Vocabulary

CROSS_SOURCE = register(Rule(
    code="CW501", name="cross-source-conflict", severity=Severity.WARNING,
    summary="Different sources reach the same vocabulary value under different predicates, or "
            "under different legal definitions or units where the slot's meaning depends on them.",
    explanation=(
        "Harmonised counts add records from every source. When Polaris reaches "
        "`exploitation_types: sexual_exploitation` as a closeMatch under the US TVPA and IOM as "
        "an exactMatch under Palermo, the sum mixes two definitions. The legal definition and the "
        "unit of record count only for slots whose meaning depends on them (annotation "
        "`definition_depends_on`); the predicate always counts. This is often unavoidable "
        "and then documented, which is why it is a warning: it names every source involved, "
        "once per target value, so that analysts can stratify by source or definition."
    ),
    bad="# polaris: legal_definition us_tvpa, predicate closeMatch -> sexual_exploitation\n"
        "# iom:     legal_definition palermo,  predicate exactMatch -> sexual_exploitation\n",
    good="(the same, stated in both crosswalks' notes; analyses stratify by legal_definition)\n",
))


@dataclass(frozen=True)
class Reach:
    """How one source reaches one target value."""

    cw: LoadedCrosswalk
    variable: int
    code: str
    predicate: str
    context: tuple[str, ...]  # the provenance values the slot's meaning depends on

    @property
    def label(self) -> str:
        return f"{self.cw.label} ({', '.join((self.predicate, *self.context))})"


@set_check
def check_cross_source(crosswalks: list[LoadedCrosswalk], vocab: Vocabulary) -> Iterator[Finding]:
    yield from _conflicts(crosswalks, vocab)


def _conflicts(crosswalks: list[LoadedCrosswalk], vocab: Vocabulary) -> Iterator[Finding]:
    reached: dict[tuple[str, str], list[Reach]] = defaultdict(list)
    for cw in current_versions(crosswalks):
        for index, variable in enumerate(cw.model.variables):
            if variable.slot not in vocab.slots:
                continue
            depends = vocab.slots[variable.slot].annotations.get("definition_depends_on", "")
            context = tuple(str(getattr(cw.model, key)) for key in depends.split())
            seen: set[str] = set()
            for code, mapping in (variable.values or {}).items():
                items: list[ValueMapping | ValueCase] = [mapping, *(mapping.cases or [])]
                for item in items:
                    for target in targets(item):
                        if target not in seen:
                            seen.add(target)
                            reached[(variable.slot, target)].append(Reach(
                                cw, index, code, effective_predicate(variable, item), context))
    for (slot, target), reaches in sorted(reached.items()):
        sources = {r.cw.source_folder for r in reaches}
        meanings = {(r.predicate, *r.context) for r in reaches}
        if len(sources) < 2 or len(meanings) < 2:
            continue
        # placed at a crosswalk being checked, not at one read only for comparison
        first = next((r for r in reaches if not r.cw.context), reaches[0])
        others = [r for r in reaches if r is not first]
        # each source once, with every meaning under which it reaches the value
        per_source: dict[str, dict[str, None]] = defaultdict(dict)
        for reach in reaches:
            per_source[reach.cw.label][", ".join((reach.predicate, *reach.context))] = None
        labels = [f"{source} ({'; '.join(meanings)})" for source, meanings in per_source.items()]
        yield first.cw.at(
            CROSS_SOURCE,
            f"{slot}={target} is reached under different meanings: " + "; ".join(labels),
            ["variables", first.variable, "values", first.code],
            [r.cw.related(r.label, ["variables", r.variable, "values", r.code]) for r in others],
        )
