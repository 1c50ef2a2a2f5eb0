"""CW119: a draft is not a finished crosswalk (the TODOs `ctdc scaffold` leaves for the steward)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.errors import excerpt
from ctdc_schema.findings import Finding, Rule, Severity, register
from ctdc_schema.rules import file_check
from ctdc_schema.vocabulary import Vocabulary

#: the marker, as a word (so that "TODOS" or "mastodon" are not one)
MARKER = re.compile(r"\bTODO\b")

TODO_LEFT = register(Rule(
    code="CW119", name="todo-left", severity=Severity.WARNING,
    summary="A TODO is left in the crosswalk: a decision only the steward can make.",
    explanation=(
        "`ctdc scaffold` drafts a crosswalk from an export and marks with TODO what it could "
        "not know (the unit of record, the legal definition, the validity window) and what "
        "it only guessed (a fuzzy match, a code with no candidate value). The draft validates, "
        "so CI could not tell it from a finished crosswalk without this warning: resolve each "
        "TODO and remove the marker (`--fail-on warning` keeps drafts out of a release)."
    ),
    bad=('legal_definition: palermo  # TODO: the definition that decides who is counted\n'
         '      "Escort Services": {value: prostitution, predicate: closeMatch, '
         'note: "TODO: confirm this fuzzy match"}\n'),
    good=('legal_definition: us_tvpa\n'
          '      "Escort Services": {value: prostitution, predicate: narrowMatch}\n'),
))


@file_check
def check_todos(cw: LoadedCrosswalk, vocab: Vocabulary) -> Iterator[Finding]:
    for number, line in enumerate(cw.text.splitlines(), start=1):
        found = MARKER.search(line)
        if found is not None:
            rest = line[found.start():].strip().strip('"}').strip()
            yield TODO_LEFT.at(f"left to decide: {excerpt(rest, 80)}", cw.file, number,
                               found.start() + 1)
