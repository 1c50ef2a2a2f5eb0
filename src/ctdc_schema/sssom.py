"""Export the value mappings of the crosswalks as an SSSOM mapping set (TSV).

SSSOM carries the 1:1 and n:1 part of a crosswalk: which source code lands on which
vocabulary value, with which SKOS predicate. Source codes are *literals* (SSSOM 1.1 literal
mappings: ``subject_type: rdfs literal``, the code in ``subject_label``) because they are text
a source writes, not terms with identifiers; the crosswalk and version they belong to are
``subject_source`` and ``subject_source_version``. Missing codes, and codes that add nothing
or say "unknown", have ``object_id: sssom:NoTermFound``; a conditional target (``cases``) is a
row of its own whose comment states the condition. Transforms (age bands, country lookups) do
not fit SSSOM and are left out, except their explicit overrides.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from ctdc_schema import vocabulary
from ctdc_schema.crosswalk import loader
from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.crosswalk.semantics import effective_predicate, targets
from ctdc_schema.datamodel.crosswalk import ValueCase, ValueMapping

VOCAB_PREFIX = "https://w3id.org/ctdc-schema/"
SOURCE_PREFIX = "https://w3id.org/ctdc-schema/crosswalks/"
NO_TERM = "sssom:NoTermFound"
JUSTIFICATION = "semapv:ManualMappingCuration"
COLUMNS = (
    "subject_id", "subject_label", "subject_type", "subject_source", "subject_source_version",
    "predicate_id", "object_id", "object_label", "object_source", "object_source_version",
    "mapping_justification", "comment",
)


#: literals that SSSOM readers built on pandas (sssom-py) read as a missing value
PANDAS_NA = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})


def _representable(code: str) -> bool:
    """Whether a source code survives as an SSSOM literal (not empty, not read as missing)."""
    return bool(code.strip()) and code.strip() not in PANDAS_NA


def _rows(crosswalk: LoadedCrosswalk, vocab: vocabulary.Vocabulary) -> Iterator[dict[str, str]]:
    model = crosswalk.model
    common = {
        "subject_type": "rdfs literal",
        "subject_source": f"ctdcsrc:{model.source}",
        "subject_source_version": model.version,
        "object_source": "ctdcv:ctdc",
        "object_source_version": vocab.version,
        "mapping_justification": JUSTIFICATION,
    }
    for code in model.missing_codes or []:
        if not _representable(code):
            continue  # see mapping_set_description
        yield {**common, "subject_id": "", "subject_label": code, "predicate_id": "skos:exactMatch",
               "object_id": NO_TERM, "object_label": "",
               "comment": "missing code: unknown for every variable"}
    for variable in model.variables:
        slot = vocab.slots.get(variable.slot)
        if slot is None:
            continue
        columns = ", ".join(variable.column or [])
        for code, mapping in (variable.values or {}).items():
            if not _representable(code):
                continue
            items: list[tuple[ValueMapping | ValueCase, str]] = [(mapping, "")]
            items += [(case, f"; only when {case.when.column} is one of "
                             f"{', '.join(case.when.in_)}") for case in mapping.cases or []]
            for item, condition in items:
                predicate = f"skos:{effective_predicate(variable, item)}"
                note = f"; {item.note}" if item.note else ""
                comment = f"column {columns} -> slot {slot.name}{condition}{note}"
                reached = targets(item)
                if not reached:
                    meaning = "unknown for the slot (absent)" if item.unknown else \
                        "adds nothing to the slot"
                    yield {**common, "subject_id": "", "subject_label": code,
                           "predicate_id": predicate, "object_id": NO_TERM, "object_label": "",
                           "comment": f"{comment}; {meaning}"}
                for target in reached:
                    enum = slot.enum or slot.range
                    yield {**common, "subject_id": "", "subject_label": code,
                           "predicate_id": predicate, "object_id": f"ctdcv:{enum}/{target}",
                           "object_label": target, "comment": comment}


def export(paths: Sequence[Path] | None = None, schema: Path | str | None = None) -> str:
    """The SSSOM TSV text for the bundled crosswalks, or those under ``paths``."""
    vocab = vocabulary.load(schema)
    crosswalks = loader.load_valid(paths)
    buffer = io.StringIO()
    buffer.write(
        "#curie_map:\n"
        f"#  ctdcv: {VOCAB_PREFIX}\n"
        f"#  ctdcsrc: {SOURCE_PREFIX}\n"
        f"#mapping_set_id: {VOCAB_PREFIX}mappings/crosswalks.sssom.tsv\n"
        "#mapping_set_title: ctdc-schema crosswalks, value mappings\n"
        "#mapping_set_description: Source codes (literals) of every crosswalk mapped to values "
        "of the CTDC vocabulary. An empty cell is always a missing code and is not listed, "
        "since SSSOM cannot carry an empty literal, and neither are codes that SSSOM readers "
        "read as missing (NULL, NA, N/A, None ...); transforms are not represented.\n"
        f"#mapping_set_version: {vocab.version}\n"
        "#license: https://creativecommons.org/licenses/by/4.0/\n"
    )
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n",
                            quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for crosswalk in crosswalks:
        for row in _rows(crosswalk, vocab):
            writer.writerow(row)
    return buffer.getvalue()
