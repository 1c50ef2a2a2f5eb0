"""CW10x: is the file what its place says it is, and does it target this vocabulary?"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from ctdc_schema import resources
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

SOURCE_TAKEN = register(Rule(
    code="CW105", name="source-id-taken", severity=Severity.ERROR,
    summary="A partner crosswalk uses the source id of a crosswalk bundled with ctdc-schema.",
    explanation=(
        "Every crosswalk is compared with the bundled ones (the sources of the collaborative). "
        "A source id names one organisation's data everywhere: in harmonised records "
        "(`data_source`), in cross-source findings, in the portal. A second `iom` would be "
        "read in place of the real one, so a partner chooses its own id. (To check a change "
        "to a bundled crosswalk outside this repository, use `ctdc validate --no-bundled`.)"
    ),
    bad="# crosswalks/iom/1.0.0.yaml in the repository of the NGO Acme\nsource: iom\n",
    good="# crosswalks/acme/1.0.0.yaml\nsource: acme\n",
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
        "line to offer completion of keys, slot names and each slot's values, and to underline "
        "structural errors while you type. It names the crosswalk format's JSON Schema in one "
        f"of three ways: the published URL ({resources.CROSSWALK_SCHEMA_URL}, what "
        "`ctdc schema --modeline` prints), the copy installed with ctdc-schema (`ctdc schema "
        "--path`), or a relative path to a `crosswalk.schema.json` inside the repository."
    ),
    bad="source: polaris\n",
    good=f"{resources.EDITOR_SCHEMA_LINE}{resources.CROSSWALK_SCHEMA_URL}\nsource: polaris\n",
))


def _editor_schema_found(cw: LoadedCrosswalk, target: str) -> bool:
    """Whether ``target`` names the crosswalk schema: the published URL, the installed copy,
    or a ``crosswalk.schema.json`` inside the working tree (or the project the crosswalk
    belongs to). A local target is never looked for anywhere else on the machine."""
    if "://" in target:
        return target == resources.CROSSWALK_SCHEMA_URL
    if not target.endswith("crosswalk.schema.json"):
        return False
    resolved = (cw.path.parent / target).resolve()
    if resolved == resources.crosswalk_schema().resolve():
        return True
    trees = (Path.cwd().resolve(), cw.root_key.parent)
    return any(resolved.is_relative_to(tree) for tree in trees) and resolved.is_file()


@file_check
def check_editor_schema(cw: LoadedCrosswalk, vocab: Vocabulary) -> Iterator[Finding]:
    first = cw.text.split("\n", 1)[0].strip()
    hint = f"; use '{resources.EDITOR_SCHEMA_LINE}{resources.CROSSWALK_SCHEMA_URL}'"
    if not first.startswith(resources.EDITOR_SCHEMA_LINE):
        yield EDITOR_SCHEMA.at("first line is not '# yaml-language-server: $schema=...'" + hint,
                               cw.file, 1, 1)
        return
    target = first[len(resources.EDITOR_SCHEMA_LINE):].strip()
    if not _editor_schema_found(cw, target):
        yield EDITOR_SCHEMA.at(f"$schema={excerpt(target, 60)} is neither the published "
                               "crosswalk schema nor an existing crosswalk.schema.json in the "
                               "tree being checked" + hint, cw.file, 1, 1)
