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

# -- what a specification file has no use for, and a hostile one would abuse ------------------
# The checks live in ctdc_schema.yamlsource, which refuses these before building a node tree.

ANCHOR_ALIAS = register(Rule(
    code="CW005", name="yaml-anchor-or-alias", severity=Severity.ERROR,
    summary="The file uses a YAML anchor (`&name`) or alias (`*name`).",
    explanation=(
        "Anchors and aliases let a value be reused elsewhere in a file. A crosswalk gains "
        "nothing from them (each variable and code is read and reviewed where it stands), and a "
        "few hundred bytes of nested aliases expand to billions of values, or to a list that "
        "contains itself, which would hang any tool that reads the data. Write the value out "
        "where it is used."
    ),
    bad="defaults: &sex {Female: female, Male: male}\nvariables:\n"
        "  - column: Gender\n    values: *sex\n",
    good="variables:\n  - column: Gender\n    values: {Female: female, Male: male}\n",
))

TAG = register(Rule(
    code="CW006", name="yaml-tag", severity=Severity.ERROR,
    summary="The file uses a YAML tag (`!!python/object`, `!custom`, `!!str`).",
    explanation=(
        "Tags ask a loader to build a particular object, which is how YAML files run code in "
        "unsafe loaders. Every value of the crosswalk format is text, a list or a mapping; quote "
        "a value to make sure it stays text."
    ),
    bad="source: !!python/object/apply:os.system ['echo hi']\nversion: !!str 1.0.0\n",
    good='source: polaris\nversion: "1.0.0"\n',
))

LIMIT = register(Rule(
    code="CW007", name="yaml-too-large", severity=Severity.ERROR,
    summary="The file is larger than 1 MiB, nested more than 32 levels, or holds more than "
            "100,000 values.",
    explanation=(
        "The limits are many times what the specification needs (its largest file is 67 KB, "
        "8 levels deep, about 3,100 values) and keep every run quick and small whatever a pull "
        "request contains. A crosswalk that outgrows them is almost certainly a mistake, such as "
        "a pasted data file; split a very large code list into separate variables."
    ),
    bad="values: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
    good="values:\n  Female: female\n",
))

NON_TEXT_KEY = register(Rule(
    code="CW008", name="yaml-key-not-text", severity=Severity.ERROR,
    summary="A list or a mapping is used as a key.",
    explanation=(
        "YAML allows complex keys (`? [a, b]: value`); the crosswalk format does not. Every "
        "key is a name of the format or a source code, and a source code is text: quote it."
    ),
    bad="values:\n  ? [No, N]\n  : false\n",
    good='values:\n  "No": false\n  "N": false\n',
))

FORBIDDEN_CHARACTER = register(Rule(
    code="CW009", name="forbidden-character", severity=Severity.ERROR,
    summary="The file holds a control character, a NUL byte, U+0085, U+2028 or U+2029.",
    explanation=(
        "YAML forbids control characters, and counts U+0085, U+2028 and U+2029 as line breaks "
        "where git and editors do not, which would shift every line number after them. Write "
        "such a character as an escape in a double-quoted string (`\"\\u2028\"`), or remove it; "
        "it is usually pasted by accident."
    ),
    bad='note: "first line\u2028second line"   # a raw U+2028 between the two\n',
    good='note: "first line\\u2028second line"\n',
))

AMBIGUOUS_SCALAR = register(Rule(
    code="CW012", name="yaml-11-reads-not-text", severity=Severity.ERROR,
    summary="An unquoted value that YAML 1.1 readers (PyYAML, linkml-validate) take for a "
            "date, number or boolean where the format wants text.",
    explanation=(
        "`ctdc` reads every value the format wants as text exactly as written, but other tools "
        "do not: PyYAML, and so linkml-validate and most scripts, read `valid_from: "
        "2015-01-01` as a date object, `-99` and `01` as integers and `No` as false, and then "
        "reject the file or change its codes. Quote such values, so that the file means the "
        "same to every reader and `linkml-validate` against `schema/crosswalk.yaml` accepts "
        "what `ctdc validate` accepts."
    ),
    bad="valid_from: 2015-01-01\nmissing_codes: [-99]\n",
    good='valid_from: "2015-01-01"\nmissing_codes: ["-99"]\n',
))

UNSAFE_PATH = register(Rule(
    code="CW010", name="unreadable-path", severity=Severity.ERROR,
    summary="A file in the folder being checked is not read: a symbolic link that leads out of "
            "the folder or cannot be followed, or not a regular file.",
    explanation=(
        "ctdc runs in CI on the files of pull requests, and its findings are published. It "
        "therefore reads only regular files inside the folder it checks: a link to a file "
        "elsewhere (`/etc/passwd`, a secret in the CI runner's home) is named, never read or "
        "quoted; a link loop, a device such as `/dev/zero` or a pipe is named too. Replace the "
        "link by the file itself."
    ),
    bad="crosswalks/acme/1.0.0.yaml -> /home/runner/.ssh/id_rsa\n",
    good="crosswalks/acme/1.0.0.yaml   (a regular file)\n",
))

EMPTY_SOURCE = register(Rule(
    code="CW011", name="source-without-versions", severity=Severity.ERROR,
    summary="A source folder (or a folder named for checking) holds no crosswalk version.",
    explanation=(
        "A source's crosswalks live in `crosswalks/<source>/<version>.yaml`. A folder with no "
        "such file usually means a misspelt file name or extension (`1.0.0.yml.txt`), or a "
        "version deleted by mistake; checking it would otherwise pass with \"0 files\". Files "
        "ending in `.yaml` or `.yml`, in any case, are crosswalks."
    ),
    bad="crosswalks/acme/1.0.0.yaml.txt\n",
    good="crosswalks/acme/1.0.0.yaml\n",
))
