"""VC1xx: the vocabulary itself keeps its conventions (see schema/ctdc.yaml, "Conventions")."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

from ctdc_schema import yamlsource
from ctdc_schema.crosswalk.loader import Positions, to_data
from ctdc_schema.findings import Finding, Rule, Severity, format_path, register
from ctdc_schema.resources import MAIN_SCHEMA_FILE
from ctdc_schema.vocabulary import CTDC_PREFIX, Vocabulary

UNLOADABLE = register(Rule(
    code="VC001", name="vocabulary-unloadable", severity=Severity.ERROR,
    summary="The vocabulary cannot be loaded.",
    explanation=(
        "A schema file has a YAML error, a duplicate key, or LinkML cannot resolve it (an "
        "unknown import, range or prefix). Nothing that depends on the vocabulary can be checked "
        "until it loads."
    ),
    bad="slots:\n  gender:\n    range: Gendr\n",
    good="slots:\n  gender:\n    range: Gender\n",
))

UNDEFINED = register(Rule(
    code="VC101", name="definition-missing", severity=Severity.ERROR,
    summary="A slot or value has no definition ending with its source in [brackets].",
    explanation=(
        "Partners map their data by definition, not by name. Every slot and permissible value "
        "states what it means, written for this vocabulary, and ends with the citation of its "
        "source (codebook version and section, HTCDS field, ISIC section, legal text)."
    ),
    bad="female:\n  description: Female.\n",
    good="female:\n  description: >-\n    The person identifies as female. "
         "[CTDC codebook v6 (2017) §3 var. 3]\n",
))

DUPLICATE_CTDC_CODE = register(Rule(
    code="VC102", name="duplicate-ctdc-code", severity=Severity.ERROR,
    summary="Two values of one enum claim the same CTDC code.",
    explanation=(
        "`ctdc_code` is how the CTDC public layout is read and written; two values with one "
        "code (ignoring case) make reading ambiguous."
    ),
    bad="male: {annotations: {ctdc_code: Male}}\nman: {annotations: {ctdc_code: male}}\n",
    good="male: {annotations: {ctdc_code: Male}, aliases: [Man]}\n",
))

UNDECLARED_PREFIX = register(Rule(
    code="VC103", name="undeclared-prefix", severity=Severity.ERROR,
    summary="A meaning or mapping uses a CURIE prefix the schema does not declare.",
    explanation="Every CURIE must expand to a URI through the schema's `prefixes`.",
    bad="meaning: htcd:Feminine\n",
    good="meaning: htcds:Feminine\n",
))

AMBIGUOUS_COLUMN = register(Rule(
    code="VC104", name="ambiguous-ctdc-column", severity=Severity.ERROR,
    summary="One CTDC column is an exact mapping of two vocabulary elements.",
    explanation=(
        "A CTDC column must resolve to one slot or one value of a grouped slot; partial "
        "correspondences use close, broad, narrow or related mappings."
    ),
    bad="gender: {exact_mappings: [ctdc:gender]}\nsex: {exact_mappings: [ctdc:gender]}\n",
    good="gender: {exact_mappings: [ctdc:gender]}\n",
))

BROADER_VALUE = register(Rule(
    code="VC105", name="broader-value-unknown", severity=Severity.ERROR,
    summary="A value's `is_a` does not name another value of the same enum, or forms a cycle.",
    explanation=(
        "A broader value (a composite a source cannot split, such as the synthetic data's "
        "`debt_bondage_or_earnings`) is named by its finer values with `is_a`. Roll-ups follow "
        "that chain, so it must stay inside one enum and end."
    ),
    bad="debt_bondage:\n  is_a: debt_bondage_or_wages  # no such value\n",
    good="debt_bondage:\n  is_a: debt_bondage_or_earnings\n",
))

RELEASE_UNLISTED = register(Rule(
    code="VC106", name="release-unlisted", severity=Severity.ERROR,
    summary="The vocabulary's version has no entry in its changelog, or the changelog does not "
            "read.",
    explanation=(
        "Every version of the vocabulary says what it changed, in schema/changes/ctdc.yaml "
        "(format: schema/changes.yaml), newest first. `ctdc changelog` and the docs site's "
        "changelog are made from it; `ctdc validate --against REF` checks that the version "
        "stepped up as far as the changes ask (SV101)."
    ),
    bad="# ctdc.yaml\nversion: 1.4.0\n# changes/ctdc.yaml\nreleases:\n  - version: 1.3.0\n",
    good="releases:\n  - version: 1.4.0\n    changes:\n      - kind: additive\n        "
         "summary: New value woman_or_girl in Gender.\n  - version: 1.3.0\n",
))

HTCDS_UNDECLARED = register(Rule(
    code="VC107", name="htcds-undeclared", severity=Severity.ERROR,
    summary="A slot or value has no declared place in HTCDS 2.0, or names one the standard "
            "does not have.",
    explanation=(
        "`ctdc transform --layout htcds` writes records in HTCDS 2.0 terms, and every value "
        "of a slot written there either reaches a value of its field or is declared to have "
        "none, so that nothing falls out silently. A slot with an HTCDS mapping names its "
        "field with the annotation `htcds_field` (or `none`). A value reaches the field "
        "through its `htcds_value` annotation, its `meaning`, its one exact, close or broad "
        "HTCDS mapping among the field's values, or its broader value (`is_a`); otherwise "
        "declare `htcds_value` (a value of the field, or `none`) with the reason in "
        "`htcds_note`. Names are checked against the standard's field sheet shipped in "
        "`standards/`."
    ),
    bad="restricts_movement:\n  is_a: denies_basic_needs  # a composite with no HTCDS value\n",
    good="restricts_movement:\n  is_a: denies_basic_needs\n  annotations:\n"
         "    htcds_value: Other\n    htcds_note: HTCDS's picklist has no RestrictsMovement.\n",
))

CITATION = re.compile(r"\[[^\[\]]+\]\s*$")


class SchemaLocator:
    """Finds where a schema element is defined among the YAML files of the schema folder: the
    main module first (every module has a `version`), then the others (the vocabulary imports
    provenance and countries, so an enum may live in any of them)."""

    def __init__(self, folder: Path, display: dict[Path, str]) -> None:
        self.folder = folder
        self.display = display

    @functools.cached_property
    def files(self) -> list[tuple[str, Positions]]:
        """Positions of every schema file, read only when a finding needs a location."""
        found = []
        for path in sorted(self.folder.glob("*.yaml"),
                           key=lambda p: (p.name != MAIN_SCHEMA_FILE, p.name)):
            positions = Positions()
            to_data(yamlsource.compose(path), positions)
            found.append((self.display.get(path, str(path)), positions))
        return found

    @property
    def main(self) -> str:
        return self.files[0][0]

    def find(self, parts: Sequence[str | int]) -> tuple[str, int, int]:
        """The file, line and column of ``parts`` (or of its nearest ancestor in the main
        module)."""
        key = tuple(parts)
        for file, positions in self.files:
            if key in positions.marks:
                line, column = positions.marks[key]
                return file, line, column
        file, positions = self.files[0]
        return (file, *positions.find(parts))

    def at(self, rule: Rule, message: str, parts: Sequence[str | int]) -> Finding:
        return rule.at(message, *self.find(parts), format_path(parts))


def check_changelog(vocab: Vocabulary, locator: SchemaLocator) -> Iterator[Finding]:
    from ctdc_schema import changelog
    from ctdc_schema.errors import InputError

    path = changelog.changelog_path(vocab.path.parent)
    shown = (Path(locator.main).parent / changelog.VOCABULARY_CHANGELOG).as_posix()
    try:
        releases = changelog.vocabulary_releases(vocab.path.parent)
    except InputError as exc:
        yield RELEASE_UNLISTED.at(exc.detail, shown, exc.line, exc.column)
        return
    if vocab.version not in {r.version for r in releases}:
        where = "it has no entry" if path.is_file() else "there is no such file"
        yield locator.at(RELEASE_UNLISTED, f"version {vocab.version} is not listed in {shown} "
                                           f"({where})", ["version"])


def check_vocabulary(vocab: Vocabulary, display: dict[Path, str]) -> Iterator[Finding]:
    locator = SchemaLocator(vocab.path.parent, display)
    yield from check_changelog(vocab, locator)
    prefixes = set(vocab.view.schema.prefixes or {}) | {"linkml", "skos", "xsd", "schema"}
    for imported in vocab.view.imports_closure():
        prefixes |= set(getattr(vocab.view.schema_map.get(imported), "prefixes", None) or {})
    exact_columns: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    where: tuple[str, ...]
    for slot in vocab.slots.values():
        where = ("slots", slot.name)
        if not CITATION.search(slot.description):
            yield locator.at(UNDEFINED, f"slot {slot.name} has no definition ending with a "
                                        "[citation]", where)
        for mapping in slot.mappings:
            if mapping.curie.split(":", 1)[0] not in prefixes:
                yield locator.at(UNDECLARED_PREFIX, f"undeclared prefix in {mapping.curie}",
                                 where)
            if mapping.predicate == "exactMatch" and mapping.curie.startswith(f"{CTDC_PREFIX}:"):
                exact_columns[mapping.curie.lower()].append(where)
    for enum in vocab.enum_names:
        codes: dict[str, str] = {}
        for value in vocab.enum_values(enum).values():
            where = ("enums", enum, "permissible_values", value.name)
            if not CITATION.search(value.description):
                yield locator.at(UNDEFINED, f"value {enum}.{value.name} has no definition ending "
                                            "with a [citation]", where)
            if value.parent is not None:
                values = vocab.enum_values(enum)
                chain = vocab.broader(enum, value.name)
                if value.parent not in values or value.name in chain or (
                        chain and values[chain[-1]].parent is not None):
                    yield locator.at(BROADER_VALUE, f"{enum}.{value.name} has is_a "
                                                    f"'{value.parent}', which is not a value of "
                                                    f"{enum} or leads back to it", where)
            if value.ctdc_code is not None:
                folded = value.ctdc_code.casefold()
                if folded in codes:
                    yield locator.at(DUPLICATE_CTDC_CODE,
                                     f"{enum}.{value.name} repeats ctdc_code "
                                     f"'{value.ctdc_code}' of {enum}.{codes[folded]}", where)
                codes.setdefault(folded, value.name)
            curies = [m.curie for m in value.mappings] + ([value.meaning] if value.meaning else [])
            for curie in curies:
                if curie.split(":", 1)[0] not in prefixes:
                    yield locator.at(UNDECLARED_PREFIX, f"undeclared prefix in {curie}", where)
            for mapping in value.mappings:
                if mapping.predicate == "exactMatch" and mapping.curie.startswith(
                        f"{CTDC_PREFIX}:"):
                    exact_columns[mapping.curie.lower()].append(where)
    yield from check_htcds(vocab, locator)
    for curie, places in sorted(exact_columns.items()):
        if len(places) > 1:
            shown = ", ".join(format_path(p) for p in places)
            yield locator.at(AMBIGUOUS_COLUMN, f"{curie} is an exact mapping of {shown}",
                             places[1])


def check_htcds(vocab: Vocabulary, locator: SchemaLocator) -> Iterator[Finding]:
    from ctdc_schema import htcds

    for problem in htcds.plan(vocab).problems:
        where: tuple[str, ...] = ("slots", problem.slot)
        if problem.enum is not None and problem.value is not None:
            where = ("enums", problem.enum, "permissible_values", problem.value)
        yield locator.at(HTCDS_UNDECLARED, problem.message, where)
