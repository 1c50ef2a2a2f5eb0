"""The rule catalogue. One module per family; each rule's code, docs and check live together.

| codes | module | what |
|---|---|---|
| CW0xx | :mod:`.parsing` | unreadable file, YAML syntax, duplicate keys, format structure |
| CW10x | :mod:`.identity` | source/version naming, vocabulary version range |
| CW11x | :mod:`.windows` | validity windows of one source's versions, their date axis |
| CW12x | :mod:`.columns` | collection windows and ignored columns name real columns |
| CW2xx | :mod:`.variables` | slots, targets, transforms, unknown codes |
| CW30x | :mod:`.codes` | source codes: duplicates after folding, missing codes |
| CW31x | :mod:`.conditions` | conditions: real single-valued columns, reachable, no overlap |
| CW4xx | :mod:`.definitions` | definitional conflicts (legal definition, unit of record) |
| CW5xx | :mod:`.crosssource` | the same target reached differently by different sources |
| VC1xx | :mod:`.vocabulary` | the vocabulary itself |
| CH1xx-3xx | :mod:`.changes` | one change between two versions: breaking, additive, patch |
| SV1xx | :mod:`.versions` | version numbers against their changes (``--against REF``) |
| DXxxx | :mod:`.data` | a partner's export read through its crosswalk (``ctdc validate EXPORT``) |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the loader imports rules.parsing: keep this package import-light
    from ctdc_schema.crosswalk.loader import LoadedCrosswalk
    from ctdc_schema.findings import Finding
    from ctdc_schema.vocabulary import Vocabulary

FileCheck = Callable[["LoadedCrosswalk", "Vocabulary"], Iterator["Finding"]]
SetCheck = Callable[[list["LoadedCrosswalk"], "Vocabulary"], Iterator["Finding"]]

#: checks of one crosswalk against the vocabulary
FILE_CHECKS: list[FileCheck] = []
#: checks across all crosswalks in context (windows, cross-source)
SET_CHECKS: list[SetCheck] = []


def file_check(func: FileCheck) -> FileCheck:
    FILE_CHECKS.append(func)
    return func


def set_check(func: SetCheck) -> SetCheck:
    SET_CHECKS.append(func)
    return func


def load_all() -> None:
    """Import every rule module so that the registry and the check lists are complete."""
    from ctdc_schema.rules import (  # noqa: F401
        changes,
        codes,
        columns,
        conditions,
        crosssource,
        data,
        definitions,
        drafts,
        identity,
        parsing,
        variables,
        versions,
        vocabulary,
        windows,
    )
