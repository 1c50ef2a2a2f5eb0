"""CW3xx: source codes that are ambiguous or contradict the missing codes."""

from __future__ import annotations

from collections.abc import Iterator

from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.crosswalk.semantics import all_targets, fold
from ctdc_schema.findings import Finding, Rule, Severity, register
from ctdc_schema.rules import file_check
from ctdc_schema.vocabulary import Vocabulary

CONFLICTING_CODE = register(Rule(
    code="CW301", name="conflicting-duplicate-code", severity=Severity.ERROR,
    summary="One source code is mapped twice, after case and whitespace folding, to different "
            "targets.",
    explanation=(
        "Exports drift in casing and spacing (`Female`, `female `, `FEMALE`). When two spellings "
        "of one code map to different targets, which one applies depends on how the export "
        "happened to spell it that day. Spellings that map to the same target are fine."
    ),
    bad='values:\n  "Other": other\n  "other ": not_specified\n',
    good='values:\n  "Other": other\n  "other ": other\n',
))

MISSING_AND_MAPPED = register(Rule(
    code="CW302", name="code-missing-and-mapped", severity=Severity.ERROR,
    summary="A code is listed in `missing_codes` and also mapped to a value.",
    explanation=(
        "`missing_codes` say a code means unknown for every variable; a value mapping says it "
        "means something. Both cannot be true: remove the code from `missing_codes`, or remove "
        "the mapping."
    ),
    bad='missing_codes: ["-99", "Unknown"]\n...\n    values:\n      "Unknown": not_specified\n',
    good='missing_codes: ["-99"]\n...\n    values:\n      "Unknown": not_specified\n',
))


@file_check
def check_codes(cw: LoadedCrosswalk, vocab: Vocabulary) -> Iterator[Finding]:
    missing = {fold(code): code for code in cw.model.missing_codes or []}
    for index, variable in enumerate(cw.model.variables):
        first_by_fold: dict[str, tuple[str, tuple[str, ...]]] = {}
        for code, mapping in (variable.values or {}).items():
            where: list[str | int] = ["variables", index, "values", code]
            target = tuple(sorted(all_targets(mapping)))
            key = fold(code)
            if key in first_by_fold and first_by_fold[key][1] != target:
                other, other_target = first_by_fold[key]
                shown = ", ".join(target) or "nothing"
                yield cw.at(CONFLICTING_CODE,
                            f"code '{code}' maps to {shown} but '{other}' maps to "
                            f"{', '.join(other_target) or 'nothing'}; they differ only in case "
                            "or spacing",
                            where, [cw.related(f"'{other}' mapped here",
                                               ["variables", index, "values", other])])
            first_by_fold.setdefault(key, (code, target))
            if key in missing and str(variable.transform.type if variable.transform else "") \
                    != "flags":
                yield cw.at(MISSING_AND_MAPPED,
                            f"code '{code}' is mapped here but '{missing[key]}' is in "
                            "missing_codes", where,
                            [cw.related("listed as missing here", ["missing_codes"])])
