"""CW10x: is the file what its place says it is, and does it target this vocabulary?"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.errors import excerpt
from ctdc_schema.findings import Finding, Rule, Severity, register
from ctdc_schema.rules import file_check
from ctdc_schema.vocabulary import Vocabulary

SOURCE_FOLDER = register(Rule(
    code="CW101", name="source-folder-mismatch", severity=Severity.ERROR,
    summary="`source` differs from the name of the folder the file is in.",
    explanation=(
        "Crosswalks live at `crosswalks/<source>/<version>.yaml`. The folder groups the versions "
        "of one source (their validity windows are checked together), so the `source` key and "
        "the folder must agree."
    ),
    bad="# crosswalks/polaris/1.0.0.yaml\nsource: polaris-hotline\n",
    good="# crosswalks/polaris/1.0.0.yaml\nsource: polaris\n",
))

VERSION_FILE = register(Rule(
    code="CW102", name="version-filename-mismatch", severity=Severity.ERROR,
    summary="`version` differs from the file name.",
    explanation=(
        "A crosswalk version is immutable once published and is referred to by its file name; "
        "a file `1.1.0.yaml` that says `version: 1.2.0` makes every reference ambiguous."
    ),
    bad="# crosswalks/polaris/1.1.0.yaml\nversion: 1.2.0\n",
    good="# crosswalks/polaris/1.1.0.yaml\nversion: 1.1.0\n",
))

SCHEMA_VERSION = register(Rule(
    code="CW103", name="schema-version-unmet", severity=Severity.ERROR,
    summary="The vocabulary version is outside the crosswalk's `schema_version` range.",
    explanation=(
        "`schema_version` states which vocabulary versions the crosswalk was written against. "
        "When the vocabulary moves to a version outside that range (a new major version may "
        "rename slots or values), the crosswalk must be reviewed and its range widened or a new "
        "crosswalk version written."
    ),
    bad='schema_version: ">=2.0.0,<3.0.0"   # vocabulary is 1.0.0\n',
    good='schema_version: ">=1.0.0,<2.0.0"\n',
))


@file_check
def check_identity(cw: LoadedCrosswalk, vocab: Vocabulary) -> Iterator[Finding]:
    model = cw.model
    if model.source != cw.source_folder:
        yield cw.at(SOURCE_FOLDER, f"source '{model.source}' is in folder "
                                   f"'{cw.source_folder}'; they must be equal", ["source"])
    if model.version != cw.path.stem:
        yield cw.at(VERSION_FILE, f"version '{model.version}' is in file '{cw.path.name}'; "
                                  f"name the file '{model.version}{cw.path.suffix}'", ["version"])
    try:
        accepted = SpecifierSet(model.schema_version)
    except InvalidSpecifier:
        yield cw.at(SCHEMA_VERSION, f"schema_version '{model.schema_version}' is not a version "
                                    "range such as '>=1.0.0,<2.0.0'", ["schema_version"])
        return
    if Version(vocab.version) not in accepted:
        yield cw.at(SCHEMA_VERSION, f"the vocabulary is version {vocab.version}, outside "
                                    f"schema_version '{model.schema_version}'", ["schema_version"])


EDITOR_SCHEMA = register(Rule(
    code="CW104", name="editor-schema-missing", severity=Severity.WARNING,
    summary="The file does not start with a `# yaml-language-server: $schema=...` line pointing "
            "at the crosswalk schema.",
    explanation=(
        "Editors with the YAML language server (VS Code, Neovim, JetBrains) read this first "
        "line to offer completion of keys, slots and predicates and to underline structural "
        "errors while you type. It must name `crosswalk.schema.json`, by a relative path that "
        "exists or by URL."
    ),
    bad="source: polaris\n",
    good="# yaml-language-server: $schema=../../generated/jsonschema/crosswalk.schema.json\n"
         "source: polaris\n",
))

SCHEMA_LINE = "# yaml-language-server: $schema="


@file_check
def check_editor_schema(cw: LoadedCrosswalk, vocab: Vocabulary) -> Iterator[Finding]:
    first = cw.text.split("\n", 1)[0].strip()
    if not first.startswith(SCHEMA_LINE):
        yield EDITOR_SCHEMA.at("first line is not '# yaml-language-server: $schema=...'",
                               cw.file, 1, 1)
        return
    target = first[len(SCHEMA_LINE):].strip()
    local = "://" not in target
    # a local target is only looked for inside the working tree being checked (or the project
    # the crosswalk belongs to, for installed crosswalks): never anywhere else on the machine
    trees = (Path.cwd().resolve(), cw.root_key.parent)
    resolved = (cw.path.parent / target).resolve() if local else None
    if not target.endswith("crosswalk.schema.json") or (resolved is not None and (
            not any(resolved.is_relative_to(tree) for tree in trees)
            or not resolved.is_file())):
        yield EDITOR_SCHEMA.at(f"$schema={excerpt(target, 60)} is not an existing "
                               "crosswalk.schema.json in the tree being checked",
                               cw.file, 1, 1)
