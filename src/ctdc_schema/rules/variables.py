"""CW2xx: does every variable land on a real slot, with permissible targets, sensibly?"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from ctdc_schema.crosswalk import transforms
from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.crosswalk.semantics import is_constant, target_problem, targets
from ctdc_schema.datamodel.crosswalk import ValueCase, ValueMapping
from ctdc_schema.findings import Finding, Rule, Severity, register
from ctdc_schema.rules import file_check
from ctdc_schema.vocabulary import Vocabulary

UNKNOWN_SLOT = register(Rule(
    code="CW201", name="unknown-slot", severity=Severity.ERROR,
    summary="The variable maps onto a slot the vocabulary does not have.",
    explanation=(
        "`slot` must name a slot of the vocabulary's record class (`VictimRecord`); see the "
        "generated docs for the list. Slot names are snake_case and never the CTDC column name."
    ),
    bad="- column: Gender\n  slot: sex\n  predicate: exactMatch\n",
    good="- column: Gender\n  slot: gender\n  predicate: exactMatch\n",
))

VALUE_NOT_PERMISSIBLE = register(Rule(
    code="CW202", name="value-not-permissible", severity=Severity.ERROR,
    summary="A target value is not allowed for the slot.",
    explanation=(
        "Targets are vocabulary values, not the text CTDC files write: `female`, not `Female`; "
        "`age_9_17`, not `9--17`. For a boolean slot the target is `true` or `false`, for an "
        "integer slot a number within the slot's range."
    ),
    bad='slot: gender\nvalues:\n  "F": Female\n',
    good='slot: gender\nvalues:\n  "F": female\n',
))

LIST_INTO_SINGLE = register(Rule(
    code="CW203", name="list-into-single-valued", severity=Severity.ERROR,
    summary="Several targets (or a `split`) for a slot that holds one value.",
    explanation=(
        "Only multivalued slots (means_of_control, exploitation_types, labour_sectors, "
        "sex_exploitation_types, recruiter_relationships) take lists. Mapping one code to two "
        "values of a single-valued slot cannot be harmonised without picking one."
    ),
    bad='slot: gender\nvalues:\n  "Gender minority": [transgender_nonconforming, female]\n',
    good='slot: gender\nvalues:\n  "Gender minority": transgender_nonconforming\n',
))

INVALID_TRANSFORM = register(Rule(
    code="CW204", name="invalid-transform", severity=Severity.ERROR,
    summary="The declared transform does not fit the slot or lacks a parameter.",
    explanation=(
        "Transforms: `age_band` (exact age to an AgeBand slot), `majority_status` (exact age to "
        "minor/adult), `country` (names, alpha-3 or alpha-2 to a CountryCode slot; needs "
        "`country_format`), `year` (a date to an integer slot), `constant` (needs `constant`), "
        "`flags` (0/1 columns to a multivalued slot; `values` keyed by column, `true_codes`)."
    ),
    bad="column: Age\nslot: gender\ntransform: {type: age_band}\n",
    good="column: Age\nslot: age_broad\ntransform: {type: age_band}\n",
))

SLOT_FED_TWICE = register(Rule(
    code="CW205", name="single-valued-slot-fed-twice", severity=Severity.ERROR,
    summary="Two variables map onto the same single-valued slot.",
    explanation=(
        "A single-valued slot can take its value from one variable only; with two, the result "
        "would depend on which one is applied last. Multivalued slots may be fed by several "
        "variables (their values are combined)."
    ),
    bad="- {column: Citizenship, slot: citizenship, ...}\n"
        "- {column: Nationality, slot: citizenship, ...}\n",
    good="- {column: Citizenship, slot: citizenship, ...}\n",
))

UNMAPPED_ENUM = register(Rule(
    code="CW206", name="enum-slot-without-mapping", severity=Severity.ERROR,
    summary="A variable feeds an enum slot with neither `values` nor a `transform`.",
    explanation=(
        "Without a value map or a transform the source's codes would reach the slot unchecked, "
        "which is how silent nulls happen. Map every code, or declare the transform that "
        "derives the value (e.g. `country` with `country_format: alpha_2`)."
    ),
    bad="column: Citizenship\nslot: citizenship\npredicate: exactMatch\n",
    good="column: Citizenship\nslot: citizenship\npredicate: exactMatch\n"
         "transform: {type: country, country_format: alpha_2}\n",
))


UNKNOWN_WITH_TARGET = register(Rule(
    code="CW207", name="unknown-with-target", severity=Severity.ERROR,
    summary="A code says both that the slot is unknown and what its value is.",
    explanation=(
        "`unknown: true` says the code only records that the information is missing (\"not "
        "specified\", \"not provided\"), so the slot stays absent. A `value` or `values` on the "
        "same mapping contradicts that. If the source really says \"there was one, its type "
        "was not given\", map it to the value `not_specified` instead."
    ),
    bad='"Not specified": {unknown: true, value: not_specified}\n',
    good='"Not specified": {unknown: true, note: nothing was recorded}\n',
))

COLUMN_MISSING = register(Rule(
    code="CW208", name="variable-without-column", severity=Severity.ERROR,
    summary="A variable that is not a `constant` names no column.",
    explanation=(
        "Only a `constant` transform gives every record the same value without reading the "
        "export; every other variable must say which column (or columns) it reads."
    ),
    bad="- slot: gender\n  predicate: exactMatch\n  values: {F: female}\n",
    good="- column: Gender\n  slot: gender\n  predicate: exactMatch\n  values: {F: female}\n",
))


def _targets_with_paths(code: str, mapping: ValueMapping) -> Iterator[
        tuple[list[str | int], ValueMapping | ValueCase]]:
    """The mapping and each of its cases, with their paths below the variable's ``values``."""
    yield ["values", code], mapping
    for index, case in enumerate(mapping.cases or []):
        yield ["values", code, "cases", index], case


@file_check
def check_variables(cw: LoadedCrosswalk, vocab: Vocabulary) -> Iterator[Finding]:
    fed: dict[str, int] = {}
    for index, variable in enumerate(cw.model.variables):
        base: list[str | int] = ["variables", index]
        slot = vocab.slots.get(variable.slot)
        if slot is None:
            close = difflib.get_close_matches(variable.slot, list(vocab.slots), n=1)
            suggestion = f"; did you mean '{close[0]}'?" if close else ""
            yield cw.at(UNKNOWN_SLOT, f"the vocabulary has no slot '{variable.slot}'{suggestion}",
                        [*base, "slot"])
            continue
        if not slot.multivalued:
            if variable.slot in fed:
                first = fed[variable.slot]
                yield cw.at(SLOT_FED_TWICE,
                            f"slot {slot.name} is single-valued and already fed by "
                            f"variables[{first}]", [*base, "slot"],
                            [cw.related("first mapping", ["variables", first, "slot"])])
            fed.setdefault(variable.slot, index)
            if variable.split is not None:
                yield cw.at(LIST_INTO_SINGLE, f"split on single-valued slot {slot.name}",
                            [*base, "split"])
        if not variable.column and not is_constant(variable):
            yield cw.at(COLUMN_MISSING, f"the variable feeding {slot.name} names no column",
                        base)
        if variable.transform is not None:
            for reason in transforms.problems(variable.transform, variable, slot, vocab):
                yield cw.at(INVALID_TRANSFORM, reason, [*base, "transform"])
            constant = variable.transform.constant
            if str(variable.transform.type) == "constant" and constant is not None:
                bad_constant = target_problem(slot, constant, vocab)
                if bad_constant:
                    yield cw.at(VALUE_NOT_PERMISSIBLE, bad_constant,
                                [*base, "transform", "constant"])
        elif slot.enum and not variable.values:
            columns = ", ".join(variable.column or [])
            yield cw.at(UNMAPPED_ENUM, f"variable {columns} feeds enum slot {slot.name} "
                                       "without values or a transform", base)
        for code, mapping in (variable.values or {}).items():
            for parts, item in _targets_with_paths(code, mapping):
                where = [*base, *parts]
                if item.values is not None and not slot.multivalued:
                    yield cw.at(LIST_INTO_SINGLE, f"code '{code}' maps to a list but slot "
                                                  f"{slot.name} holds one value", where)
                if item.unknown and (item.value is not None or item.values is not None):
                    yield cw.at(UNKNOWN_WITH_TARGET, f"code '{code}' is declared unknown and "
                                                     "also given a target", where)
                for target in targets(item):
                    bad_target = target_problem(slot, target, vocab)
                    if bad_target:
                        yield cw.at(VALUE_NOT_PERMISSIBLE, bad_target, where)
