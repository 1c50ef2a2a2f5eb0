"""CW4xx: definitional conflicts, where "the same variable" does not mean the same thing."""

from __future__ import annotations

from collections.abc import Iterator

from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.findings import Finding, Rule, Severity, register
from ctdc_schema.rules import file_check
from ctdc_schema.vocabulary import Vocabulary

#: provenance keys of a crosswalk whose difference from the vocabulary's reference matters
PROVENANCE = ("legal_definition", "unit_of_record")

DEFINITIONAL_CONFLICT = register(Rule(
    code="CW401", name="definitional-conflict", severity=Severity.ERROR,
    summary="exactMatch is claimed for a slot whose meaning depends on a legal definition or "
            "unit of record that differs from the vocabulary's, without a note.",
    explanation=(
        "The vocabulary's reference is the Palermo Protocol and the assisted victim as unit "
        "(annotations on `schema/ctdc.yaml`). Slots annotated `definition_depends_on` change "
        "meaning with those: under the US TVPA a minor in forced labour without force, fraud or "
        "coercion is not trafficked, under Palermo they are; a Polaris *case* may involve "
        "several people, so its gender or age is not one victim's. Such a mapping is at best a "
        "closeMatch; if you keep exactMatch, a `note` must say why it is safe."
    ),
    bad="legal_definition: us_tvpa\nvariables:\n  - column: Trafficking Type\n"
        "    slot: exploitation_types\n    predicate: exactMatch\n",
    good="legal_definition: us_tvpa\nvariables:\n  - column: Trafficking Type\n"
         "    slot: exploitation_types\n    predicate: closeMatch\n"
         "    note: TVPA scope; minors in commercial sex need no force, fraud or coercion.\n",
))


@file_check
def check_definitions(cw: LoadedCrosswalk, vocab: Vocabulary) -> Iterator[Finding]:
    for index, variable in enumerate(cw.model.variables):
        slot = vocab.slots.get(variable.slot)
        if slot is None or str(variable.predicate) != "exactMatch" or variable.note:
            continue
        depends = slot.annotations.get("definition_depends_on", "").split()
        for key in PROVENANCE:
            reference = vocab.annotations.get(f"reference_{key}")
            ours = str(getattr(cw.model, key))
            if key in depends and reference and ours != reference:
                yield cw.at(
                    DEFINITIONAL_CONFLICT,
                    f"exactMatch on {slot.name}, whose meaning depends on {key}, but this "
                    f"source's {key} is {ours} and the vocabulary's is {reference}; use "
                    "closeMatch or add a note", ["variables", index, "predicate"],
                )
