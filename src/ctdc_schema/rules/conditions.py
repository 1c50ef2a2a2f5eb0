"""CW31x: conditional mappings (`cases` with `when`) test real columns, can hold, and do not
overlap."""

from __future__ import annotations

from collections.abc import Iterator

from ctdc_schema.crosswalk import transforms
from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.crosswalk.semantics import Lookup, fold, is_constant, is_flags, missing_codes
from ctdc_schema.datamodel.crosswalk import Variable
from ctdc_schema.findings import Finding, Rule, Severity, register
from ctdc_schema.rules import file_check
from ctdc_schema.vocabulary import Vocabulary

CONDITION_COLUMN = register(Rule(
    code="CW311", name="condition-unknown-column", severity=Severity.ERROR,
    summary="A condition tests a column that no variable of the crosswalk maps.",
    explanation=(
        "`when: {column: ..., in: [...]}` compares another cell of the same row with codes of "
        "that column. The column must be one a variable maps (with `values`), so that its "
        "codes are known and a misspelt code can be caught."
    ),
    bad="when: {column: Trafficking Kind, in: [Labor]}   # the column is Trafficking Type\n",
    good="when: {column: Trafficking Type, in: [Labor]}\n",
))

UNREACHABLE = register(Rule(
    code="CW312", name="condition-unreachable", severity=Severity.ERROR,
    summary="A condition names a code its column never has, so the case can never apply.",
    explanation=(
        "The codes in `in` are compared (after case and whitespace folding) with the codes the "
        "crosswalk maps for that column. A code it does not map, or a missing code (a missing "
        "cell never satisfies a condition), makes the case dead: usually a typo such as "
        "`Labour` for `Labor`."
    ),
    bad="when: {column: Trafficking Type, in: [Labour]}\n",
    good="when: {column: Trafficking Type, in: [Labor]}\n",
))

OVERLAP = register(Rule(
    code="CW313", name="condition-overlap", severity=Severity.ERROR,
    summary="Two cases of one code hold for the same cell of the same column.",
    explanation=(
        "The cases of a code must say different things about different rows. When two cases "
        "test the same column and share a code, which target a row gets depends on the order "
        "of the cases: merge them, or split their codes."
    ),
    bad="cases:\n  - {when: {column: Trafficking Type, in: [Labor, Sex and Labor]}, value: a}\n"
        "  - {when: {column: Trafficking Type, in: [Sex and Labor]}, value: b}\n",
    good="cases:\n  - {when: {column: Trafficking Type, in: [Labor]}, value: a}\n"
         "  - {when: {column: Trafficking Type, in: [Sex and Labor]}, value: b}\n",
))


MULTI_SELECT = register(Rule(
    code="CW314", name="condition-on-multi-select", severity=Severity.ERROR,
    summary="A condition tests a multi-select column (one its variables `split`).",
    explanation=(
        "A condition compares the whole cell with its codes. A multi-select cell such as "
        "`Labor; Other` never equals `Labor`, so the case would hold only for single-item "
        "cells and silently fail for the others. Conditions may test single-valued columns "
        "only."
    ),
    bad="- {column: Means, split: \"; \", ...}\n...\nwhen: {column: Means, in: [Threats]}\n",
    good="when: {column: Trafficking Type, in: [Labor]}\n",
))

SEVERAL_COLUMNS = register(Rule(
    code="CW315", name="cases-test-several-columns", severity=Severity.WARNING,
    summary="The cases of one code test different columns, so more than one may hold.",
    explanation=(
        "Cases that test the same column cannot both hold (CW313 checks it). Cases that test "
        "different columns can, and then the first in the file wins. Prefer one column per "
        "code; if two are needed, order the cases deliberately and say why in their notes."
    ),
    bad="cases:\n  - {when: {column: Trafficking Type, in: [Labor]}, value: a}\n"
        "  - {when: {column: Gender, in: [Male]}, value: b}\n",
    good="cases:\n  - {when: {column: Trafficking Type, in: [Labor]}, value: a}\n",
))


def _readers(cw: LoadedCrosswalk) -> dict[str, list[Variable]]:
    """Folded column -> the variables that map its codes (not flags, not constants)."""
    found: dict[str, list[Variable]] = {}
    for variable in cw.model.variables:
        if is_flags(variable) or is_constant(variable) or variable.values is None:
            continue
        for column in variable.column or []:
            found.setdefault(fold(column), []).append(variable)
    return found


def _known(code: str, readers: list[Variable], vocab: Vocabulary) -> bool:
    for variable in readers:
        if Lookup(variable).find(code) is not None:
            return True
        slot = vocab.slots.get(variable.slot)
        if variable.transform is not None and slot is not None and \
                transforms.apply(variable.transform, code, slot, vocab)[0] is not None:
            return True
    return False


@file_check
def check_conditions(cw: LoadedCrosswalk, vocab: Vocabulary) -> Iterator[Finding]:
    readers = _readers(cw)
    missing = missing_codes(cw.model)
    for index, variable in enumerate(cw.model.variables):
        for code, mapping in (variable.values or {}).items():
            seen: dict[tuple[str, str], int] = {}
            for position, case in enumerate(mapping.cases or []):
                where: list[str | int] = ["variables", index, "values", code, "cases", position,
                                          "when"]
                column = case.when.column
                tested = readers.get(fold(column))
                if tested is None:
                    yield cw.at(CONDITION_COLUMN, f"condition on column '{column}', which no "
                                                  "variable maps", [*where, "column"])
                    continue
                if any(variable.split for variable in tested):
                    yield cw.at(MULTI_SELECT, f"condition on column '{column}', which is "
                                              "multi-select (split); conditions compare whole "
                                              "cells", [*where, "column"])
                if not case.when.in_:
                    yield cw.at(UNREACHABLE, "condition lists no codes, so it never holds",
                                [*where, "in"])
                for number, tested_code in enumerate(case.when.in_):
                    if fold(tested_code) in missing or not _known(tested_code, tested, vocab):
                        yield cw.at(UNREACHABLE, f"column '{column}' has no mapped code "
                                                 f"'{tested_code}', so this never holds",
                                    [*where, "in", number])
                    key = (fold(column), fold(tested_code))
                    if key in seen:
                        yield cw.at(OVERLAP, f"code '{tested_code}' of '{column}' is tested by "
                                             f"cases {seen[key]} and {position} of '{code}'",
                                    [*where, "in", number],
                                    [cw.related("the other case", ["variables", index, "values",
                                                                   code, "cases", seen[key]])])
                    seen.setdefault(key, position)
            columns = dict.fromkeys(fold(case.when.column) for case in mapping.cases or [])
            if len(columns) > 1:
                yield cw.at(SEVERAL_COLUMNS, f"the cases of '{code}' test {len(columns)} "
                                             "columns; where more than one holds, the first "
                                             "case wins", ["variables", index, "values", code,
                                                           "cases"])
