"""CW0xx: a file that cannot be read as a crosswalk at all.

The checks themselves run in the loader (:mod:`ctdc_schema.crosswalk.loader`), which turns
every parse problem into one of these findings instead of an exception.
"""

from __future__ import annotations

from ctdc_schema.findings import Rule, Severity, register

YAML_SYNTAX = register(Rule(
    code="CW001", name="yaml-syntax", severity=Severity.ERROR,
    summary="The file is not valid YAML.",
    explanation=(
        "The YAML parser stopped at the reported line and column. Nothing else in the file is "
        "checked until it parses. Typical causes: a tab used for indentation, an unclosed quote, "
        "a `:` inside an unquoted value."
    ),
    bad='variables:\n  - column: "Gender\n    slot: gender\n',
    good='variables:\n  - column: "Gender"\n    slot: gender\n',
))

DUPLICATE_KEY = register(Rule(
    code="CW002", name="duplicate-key", severity=Severity.ERROR,
    summary="A key appears twice in one mapping.",
    explanation=(
        "Most YAML loaders silently keep the last of two equal keys, so one of the two mappings "
        "would be lost without a word. ctdc never guesses: both lines must be merged into one."
    ),
    bad='values:\n  "F": female\n  "M": male\n  "F": male\n',
    good='values:\n  "F": female\n  "M": male\n',
))

STRUCTURE = register(Rule(
    code="CW003", name="structure", severity=Severity.ERROR,
    summary="The file does not follow the crosswalk format.",
    explanation=(
        "The crosswalk format is specified in `schema/crosswalk.yaml` and generated to "
        "`generated/jsonschema/crosswalk.schema.json`: a required key is missing, a key is "
        "unknown (often a typo), or a value has the wrong type or shape. Editors that read the "
        "`# yaml-language-server: $schema=...` line show these problems while you type."
    ),
    bad="source: polaris\nversion: 1.0.0\nvariabels: []\n",
    good=(
        "source: polaris\nversion: 1.0.0\nschema_version: '>=1.0.0,<2.0.0'\n"
        "organisation: Polaris\nunit_of_record: potential_victim\nlegal_definition: us_tvpa\n"
        "valid_from: 2015-01-01\nvariables: []\n"
    ),
))

UNREADABLE = register(Rule(
    code="CW004", name="unreadable-file", severity=Severity.ERROR,
    summary="The file is empty, not UTF-8, or not a text file.",
    explanation=(
        "Crosswalks are UTF-8 text so that they diff and review well. Save the file as UTF-8 "
        "(without the legacy code page a spreadsheet tool may have chosen) and make sure it is "
        "not empty."
    ),
    bad="(a file saved as Windows-1252 containing `Côte d'Ivoire` as byte 0xF4)",
    good="(the same file saved as UTF-8)",
))
