"""CW12x: the statements a crosswalk makes about its source's columns are about real columns."""

from __future__ import annotations

from collections.abc import Iterator

from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.crosswalk.semantics import fold, read_columns
from ctdc_schema.findings import Finding, Rule, Severity, register
from ctdc_schema.rules import file_check
from ctdc_schema.vocabulary import Vocabulary

COLLECTION_COLUMN = register(Rule(
    code="CW121", name="collection-unknown-column", severity=Severity.ERROR,
    summary="A `collection` statement names a column that no variable of the crosswalk reads.",
    explanation=(
        "A collection window turns a column's cells into missing values outside the window. "
        "A column the crosswalk never reads (often a typo) would make the window silently do "
        "nothing."
    ),
    bad="collection:\n  - columns: [isAbducted]   # the column is isAbduction\n"
        "    collected_from: '2017-01-01'\n",
    good="collection:\n  - columns: [isAbduction]\n    collected_from: '2017-01-01'\n",
))

COLLECTION_WINDOW = register(Rule(
    code="CW122", name="collection-window-inverted", severity=Severity.ERROR,
    summary="`collected_to` is not after `collected_from`.",
    explanation="A collection window is half-open, [collected_from, collected_to): it must not "
                "be empty, or no record could ever read the column.",
    bad="collected_from: '2017-01-01'\ncollected_to: '2016-01-01'\n",
    good="collected_from: '2017-01-01'\n",
))

IGNORED_READ = register(Rule(
    code="CW123", name="ignored-column-read", severity=Severity.ERROR,
    summary="A column listed in `ignored_columns` is read by a variable or a condition.",
    explanation=(
        "`ignored_columns` documents the columns a crosswalk deliberately does not read. A "
        "column that is both ignored and read makes one of the two statements false; remove "
        "it from the list or remove the variable."
    ),
    bad="ignored_columns:\n  - {column: State, note: no sub-national slot}\nvariables:\n"
        "  - column: State\n    ...\n",
    good="ignored_columns:\n  - {column: State, note: no sub-national slot}\n",
))


@file_check
def check_columns(cw: LoadedCrosswalk, vocab: Vocabulary) -> Iterator[Finding]:
    read = {fold(column) for column in read_columns(cw.model)}
    for index, statement in enumerate(cw.model.collection or []):
        base: list[str | int] = ["collection", index]
        for position, column in enumerate(statement.columns):
            if fold(column) not in read:
                yield cw.at(COLLECTION_COLUMN, f"collection names column '{column}', which no "
                                               "variable reads", [*base, "columns", position])
        start, end = statement.collected_from, statement.collected_to
        if start is not None and end is not None and end <= start:
            yield cw.at(COLLECTION_WINDOW, f"collected_to {end} is not after collected_from "
                                           f"{start}", [*base, "collected_to"])
    for index, ignored in enumerate(cw.model.ignored_columns or []):
        if fold(ignored.column) in read:
            yield cw.at(IGNORED_READ, f"column '{ignored.column}' is listed as ignored but a "
                                      "variable or condition reads it",
                        ["ignored_columns", index, "column"])
