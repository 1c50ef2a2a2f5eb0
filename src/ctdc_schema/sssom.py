"""Export the value mappings of the crosswalks as an SSSOM mapping set (TSV).

SSSOM carries the 1:1 and n:1 part of a crosswalk: which source code lands on which
vocabulary value, with which SKOS predicate. Missing codes, and codes that add nothing or say
"unknown", have ``object_id: sssom:NoTermFound``; a conditional target (``cases``) is a row of
its own whose comment states the condition. Transforms (age bands, country lookups) do not fit
SSSOM and are left out, except their explicit overrides.

Subjects are identified source codes, not SSSOM literals. The literal form (empty
``subject_id``, ``subject_type: rdfs literal``) is valid SSSOM 1.1, but sssom-py 0.4.21 loses it:
its JSON writer condenses the constant ``subject_type`` into the mapping set, after which every
row lacks a subject_id and is dropped as not well-formed (0 rows kept); OWL and RDF axioms get
no ``owl:annotatedSource``; the FHIR and OntoPortal writers crash on the missing column. So
every code gets a CURIE that is stable across runs and unique per (source, column, code), see
:func:`subject_id`; the code as the source writes it stays in ``subject_label``, and the
crosswalk and its version stay in ``subject_source`` and ``subject_source_version``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from ctdc_schema import vocabulary
from ctdc_schema.crosswalk import loader
from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.crosswalk.semantics import effective_predicate, is_flags, targets
from ctdc_schema.datamodel.crosswalk import ValueCase, ValueMapping, Variable

VOCAB_PREFIX = "https://w3id.org/ctdc-schema/"
SOURCE_PREFIX = "https://w3id.org/ctdc-schema/crosswalks/"
NO_TERM = "sssom:NoTermFound"
JUSTIFICATION = "semapv:ManualMappingCuration"
#: column segment of a missing code's id: the code is missing in every column of the source.
#: ``*`` is an RFC 3986 sub-delimiter, which :func:`_segment` always percent-encodes in a column
#: name (``%2A`` is not equivalent to ``*``), so no real column can take this id.
ANY_COLUMN = "*"
#: No subject_type: with an id a code needs none, and a constant one (e.g. ``skos concept``) is
#: condensed by sssom-py's JSON writer into the mapping set, from where its JSON reader (0.4.21)
#: fails to propagate the enum value back onto the rows (pandas length mismatch).
COLUMNS = (
    "subject_id", "subject_label", "subject_source", "subject_source_version",
    "predicate_id", "object_id", "object_label", "object_source", "object_source_version",
    "mapping_justification", "comment",
)


#: literals that SSSOM readers built on pandas (sssom-py) read as a missing value
PANDAS_NA = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})


def _representable(code: str) -> bool:
    """Whether a source code survives as an SSSOM label (not empty, not read as missing)."""
    return bool(code.strip()) and code.strip() not in PANDAS_NA


def source_prefix(source: str) -> str:
    """The CURIE prefix of one source's codes: ``ctdcsrc.<source id>``.

    Not the bare source id: ids may start with a digit (pattern ``[a-z0-9][a-z0-9-]*``), which
    is no NCName, and a bare id could shadow a prefix sssom-py builds in (``owl``, ``skos``...).
    Under ``ctdcsrc.`` every id is an NCName (letters, digits, ``-`` and ``.``, as curies and
    Turtle require), maps one to one (no lossy ``-`` to ``_``), and expands below the same
    namespace as ``ctdcsrc:<source>``, the ``subject_source``.
    """
    return f"ctdcsrc.{source}"


def source_namespace(source: str) -> str:
    """The IRI that :func:`source_prefix` stands for."""
    return f"{SOURCE_PREFIX}{source}/"


def _segment(text: str) -> str:
    """One path segment of a local id: ``text`` percent-encoded (UTF-8) except for RFC 3986
    unreserved characters, so spaces, ``/``, ``:``, ``#``, ``|``, ``%``, ``*`` and non-ASCII never
    appear raw and the segment splits back unambiguously. A segment of dots only (``.``, ``..``)
    has its dots encoded too, since IRI resolution would otherwise remove it as a dot segment."""
    encoded = quote(text, safe="")
    return encoded.replace(".", "%2E") if not encoded.strip(".") else encoded


def subject_id(source: str, column: str | None, code: str | None) -> str:
    """The stable CURIE of a source term: ``code`` as written in ``column`` of ``source``.

    ``<prefix>:<column>/<code>`` for a code of a column; ``<prefix>:*/<code>`` for a missing
    code (``column`` None), which means missing in every column; ``<prefix>:<column>`` for a
    flag column (``code`` None): there the crosswalk's key is the column name and the term is
    the column itself (its true codes say yes). The three forms cannot meet, since encoded
    segments hold neither ``/`` nor ``*``, and the id decodes back to (column, code). It is
    text-exact, like the label: two spellings of one code (``Case Management``, ``Case
    management``) are two ids.
    """
    prefix = source_prefix(source)
    if code is None:
        if column is None:
            raise ValueError("a subject needs a column, a code or both")
        return f"{prefix}:{_segment(column)}"
    return f"{prefix}:{ANY_COLUMN if column is None else _segment(column)}/{_segment(code)}"


def _subjects(variable: Variable, code: str) -> list[tuple[str, str | None, str]]:
    """(column, code) for :func:`subject_id` and the column as the comment names it, for each
    source term that ``code`` of ``variable`` stands for: one per column, since every column of
    a non-flag variable is read with the same codes; for flags, the flag column the key names."""
    if is_flags(variable):
        return [(code, None, f"flag column {code}")]
    return [(column, code, f"column {column}") for column in variable.column or []]


def _rows(crosswalk: LoadedCrosswalk, vocab: vocabulary.Vocabulary) -> Iterator[dict[str, str]]:
    model = crosswalk.model
    common = {
        "subject_source": f"ctdcsrc:{model.source}",
        "subject_source_version": model.version,
        "object_source": "ctdcv:ctdc",
        "object_source_version": vocab.version,
        "mapping_justification": JUSTIFICATION,
    }
    for code in model.missing_codes or []:
        if not _representable(code):
            continue  # see mapping_set_description
        yield {**common, "subject_id": subject_id(model.source, None, code),
               "subject_label": code, "predicate_id": "skos:exactMatch",
               "object_id": NO_TERM, "object_label": "",
               "comment": "missing code: unknown for every variable"}
    for variable in model.variables:
        slot = vocab.slots.get(variable.slot)
        if slot is None:
            continue
        for code, mapping in (variable.values or {}).items():
            if not _representable(code):
                continue
            items: list[tuple[ValueMapping | ValueCase, str]] = [(mapping, "")]
            items += [(case, f"; only when {case.when.column} is one of "
                             f"{', '.join(case.when.in_)}") for case in mapping.cases or []]
            for column, term, named in _subjects(variable, code):
                subject = {"subject_id": subject_id(model.source, column, term),
                           "subject_label": code}
                for item, condition in items:
                    predicate = f"skos:{effective_predicate(variable, item)}"
                    note = f"; {item.note}" if item.note else ""
                    comment = f"{named} -> slot {slot.name}{condition}{note}"
                    reached = targets(item)
                    if not reached:
                        meaning = "unknown for the slot (absent)" if item.unknown else \
                            "adds nothing to the slot"
                        yield {**common, **subject, "predicate_id": predicate,
                               "object_id": NO_TERM, "object_label": "",
                               "comment": f"{comment}; {meaning}"}
                    for target in reached:
                        enum = slot.enum or slot.range
                        yield {**common, **subject, "predicate_id": predicate,
                               "object_id": f"ctdcv:{enum}/{target}", "object_label": target,
                               "comment": comment}


def export(paths: Sequence[Path] | None = None, schema: Path | str | None = None) -> str:
    """The SSSOM TSV text for the bundled crosswalks, or those under ``paths``.

    Deterministic (no dates; crosswalks, variables and codes in file order; prefixes sorted), so
    that the same crosswalks always give the same bytes. The curie_map declares every prefix the
    rows use: sssom-py drops or refuses CURIEs with an undeclared prefix.
    """
    vocab = vocabulary.load(schema)
    crosswalks = loader.load_valid(paths)
    sources = sorted({crosswalk.model.source for crosswalk in crosswalks})
    buffer = io.StringIO()
    buffer.write(
        "#curie_map:\n"
        f"#  ctdcv: {VOCAB_PREFIX}\n"
        f"#  ctdcsrc: {SOURCE_PREFIX}\n"
        + "".join(f"#  {source_prefix(source)}: {source_namespace(source)}\n"
                  for source in sources)
        + f"#mapping_set_id: {VOCAB_PREFIX}mappings/crosswalks.sssom.tsv\n"
        "#mapping_set_title: ctdc-schema crosswalks, value mappings\n"
        "#mapping_set_description: Source codes of every crosswalk mapped to values of the CTDC "
        "vocabulary. A code is identified per source and column (ctdcsrc.<source>:<column>/"
        "<code>, percent-encoded; <column> is * for a missing code of every column, and a flag "
        "column is ctdcsrc.<source>:<column>); its text is the subject_label. An empty cell is "
        "always a missing code and is not listed, and neither are codes that SSSOM readers read "
        "as missing (NULL, NA, N/A, None ...); transforms are not represented.\n"
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
