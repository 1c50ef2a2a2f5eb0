"""Editor completion for crosswalks, for real: yaml-language-server (the server behind VS Code's
YAML extension) driven over LSP stdio, reading the `# yaml-language-server: $schema=...` modeline
that every crosswalk starts with and the current generated/jsonschema/crosswalk.schema.json.

The server is the exact version pinned in tests/editor/package-lock.json, installed on first use
with `npm ci` into build/editor (git-ignored, outside the source tree). Node and npm are required:
without them these tests fail, unless CTDC_SKIP_EDITOR_TESTS=1 says to skip them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT
from editor.lsp import LspClient
from ruamel.yaml import YAML

pytestmark = pytest.mark.slow

SCHEMA = ROOT / "generated" / "jsonschema" / "crosswalk.schema.json"
EDITOR = ROOT / "tests" / "editor"
#: the install cache: npm ci writes node_modules here, never into the source tree
CACHE = ROOT / "build" / "editor"
SERVER = CACHE / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
STAMP = CACHE / ".installed"
INSTALL_TIMEOUT = 600
#: the cursor in a test document; each document holds exactly one
CURSOR = "|"

#: what the test client answers to the server's workspace/configuration requests. No schema
#: associations (only the modeline counts) and no SchemaStore catalog, which would be fetched
#: from the network and could associate other schemas with *.yaml files.
SETTINGS: dict[str, Any] = {
    "yaml": {
        "schemas": {},
        "completion": True,
        "validate": True,
        "hover": True,
        "format": {"enable": False},
        "schemaStore": {"enable": False},
        "kubernetesCRDStore": {"enable": False},
    },
    "http": {"proxy": "", "proxyStrictSSL": False},
    "[yaml]": {},
    "editor": {},
}


# --- the server -------------------------------------------------------------------------------


def _install_server() -> Path:
    """The server's entry script, installed with `npm ci` into build/editor when missing."""
    if os.environ.get("CTDC_SKIP_EDITOR_TESTS") == "1":
        pytest.skip("CTDC_SKIP_EDITOR_TESTS=1")
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if not path)
        pytest.fail(
            f"{missing} not found on PATH: the editor-completion tests run yaml-language-server "
            "on Node.js (20 or newer, with npm). Install Node.js, or set "
            "CTDC_SKIP_EDITOR_TESTS=1 to skip these tests.",
            pytrace=False,
        )
    manifest = (EDITOR / "package.json").read_bytes()
    lock = (EDITOR / "package-lock.json").read_bytes()
    digest = hashlib.sha256(manifest + b"\0" + lock).hexdigest()
    if SERVER.is_file() and STAMP.is_file() and STAMP.read_text(encoding="utf-8") == digest:
        return SERVER
    CACHE.mkdir(parents=True, exist_ok=True)
    STAMP.unlink(missing_ok=True)
    (CACHE / "package.json").write_bytes(manifest)
    (CACHE / "package-lock.json").write_bytes(lock)
    command = [npm, "ci", "--prefix", str(CACHE), "--ignore-scripts", "--no-audit", "--no-fund"]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(command)}` took longer than {INSTALL_TIMEOUT} s", pytrace=False)
    if done.returncode != 0 or not SERVER.is_file():
        pytest.fail(
            f"`{' '.join(command)}` failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}",
            pytrace=False,
        )
    STAMP.write_text(digest, encoding="utf-8")
    return SERVER


@pytest.fixture(scope="module")
def server() -> Iterator[LspClient]:
    entry = _install_server()
    node = shutil.which("node")
    assert node is not None
    client = LspClient([node, str(entry), "--stdio"], settings=SETTINGS, cwd=CACHE)
    try:
        client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "clientInfo": {"name": "ctdc-schema tests"},
                "locale": "en",
                "rootUri": None,
                "workspaceFolders": None,
                "capabilities": {
                    "workspace": {"configuration": True, "workspaceFolders": True},
                    "textDocument": {
                        "synchronization": {"dynamicRegistration": False},
                        "completion": {
                            "completionItem": {
                                "snippetSupport": True,
                                "documentationFormat": ["markdown", "plaintext"],
                            }
                        },
                    },
                },
            },
        )
        client.notify("initialized", {})
        # the server pulls its settings once initialised; wait until it has them
        client.wait_for("workspace/configuration")
        yield client
    finally:
        client.close()


# --- documents and completion -----------------------------------------------------------------


def modeline() -> str:
    return f"# yaml-language-server: $schema={SCHEMA.as_uri()}\n"


#: the required keys of a crosswalk, after the top of crosswalks/iom/2.0.0.yaml
HEADER = """\
source: acme
version: 1.0.0
schema_version: ">=1.1.0,<2.0.0"
title: ACME case records to CTDC vocabulary 1.x
organisation: ACME
data_source_type: case_management
unit_of_record: victim
legal_definition: palermo
valid_from: 2020-01-01
valid_to: null
missing_codes: ["-99", ""]
"""


@dataclass(frozen=True)
class Case:
    """A crosswalk with one cursor, and the text that completes it into a valid crosswalk."""

    text: str
    fill: str

    def completed(self) -> str:
        return self.text.replace(CURSOR, self.fill)


def position_of(text: str) -> tuple[str, dict[str, int]]:
    """The text without its cursor, and the cursor's LSP position (UTF-16 code units)."""
    assert text.count(CURSOR) == 1, "a test document holds exactly one cursor"
    before = text[: text.index(CURSOR)]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1 :]
    return text.replace(CURSOR, ""), {
        "line": line,
        "character": len(column.encode("utf-16-le")) // 2,
    }


def complete(server: LspClient, folder: Path, text: str) -> list[str]:
    """The labels the server offers at the cursor of `text`, opened as a real crosswalk file."""
    content, position = position_of(text)
    path = folder / "crosswalks" / "acme" / "1.0.0.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": content}},
    )
    try:
        result = server.request(
            "textDocument/completion",
            {
                "textDocument": {"uri": uri},
                "position": position,
                "context": {"triggerKind": 1},
            },
        )
    finally:
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    items = result.get("items", []) if isinstance(result, dict) else result or []
    return [item["label"] for item in items]


def schema_errors(text: str) -> list[str]:
    """Errors of a crosswalk text against the generated schema (dates read as text)."""
    data = YAML(typ="safe", pure=True).load(io.StringIO(text))
    data = json.loads(json.dumps(data, default=str))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(data)
    ]


def check(server: LspClient, tmp_path: Path, case: Case, expected: set[str]) -> list[str]:
    assert schema_errors(case.completed()) == [], "the test document is not a valid crosswalk"
    labels = complete(server, tmp_path, case.text)
    missing = expected - set(labels)
    assert not missing, f"completion lacks {sorted(missing)}; offered {labels}"
    return labels


# --- the cases --------------------------------------------------------------------------------

VARIABLES = """\
variables:
  - column: case_id
    slot: case_id
    predicate: exactMatch
"""

TOP_LEVEL_EMPTY = Case(
    modeline() + CURSOR + "\n",
    fill=HEADER + VARIABLES,
)

TOP_LEVEL_AFTER_HEADER = Case(
    modeline() + HEADER + CURSOR + "\n" + VARIABLES,
    fill="window_axis: registration_date",
)

VARIABLE_KEY = Case(
    modeline()
    + HEADER
    + VARIABLES
    + """\
  - column: gender
    |
""",
    fill="slot: gender\n    predicate: exactMatch",
)

PREDICATE_VALUE = Case(
    modeline()
    + HEADER
    + VARIABLES
    + """\
  - column: gender
    slot: gender
    predicate: |
""",
    fill="exactMatch",
)

SLOT_VALUE = Case(
    modeline()
    + HEADER
    + VARIABLES
    + """\
  - column: gender
    slot: |
    predicate: exactMatch
    values:
      "F": female
""",
    fill="gender",
)

TARGET_VALUE = Case(
    modeline()
    + HEADER
    + VARIABLES
    + """\
  - column: gender
    slot: gender
    predicate: exactMatch
    values:
      "M": male
      "F": |
""",
    fill="female",
)

TARGET_VALUE_IN_OBJECT = Case(
    modeline()
    + HEADER
    + VARIABLES
    + """\
  - column: gender
    slot: gender
    predicate: exactMatch
    values:
      "M": male
      "F": {value: |, predicate: exactMatch}
""",
    fill="female",
)


def schema_rejects(case: Case, fill: str) -> bool:
    return bool(schema_errors(Case(case.text, fill).completed()))


def test_the_editor_schema_underlines_what_it_completes() -> None:
    # the completion lists are also the editor's checks: a wrong slot or value is underlined
    assert schema_rejects(SLOT_VALUE, "not_a_slot")
    assert schema_rejects(TARGET_VALUE, "not_a_gender")
    assert not schema_rejects(TARGET_VALUE, "female")


def test_top_level_keys_of_an_empty_crosswalk(server, tmp_path):
    labels = check(
        server,
        tmp_path,
        TOP_LEVEL_EMPTY,
        {"source", "version", "schema_version", "organisation", "legal_definition", "variables"},
    )
    assert "slot" not in labels


def test_top_level_keys_offered_are_the_absent_ones(server, tmp_path):
    labels = check(server, tmp_path, TOP_LEVEL_AFTER_HEADER, {"window_axis", "export"})
    assert not {"source", "version", "variables"} & set(labels), labels


def test_keys_of_a_variable(server, tmp_path):
    labels = check(server, tmp_path, VARIABLE_KEY, {"slot", "predicate", "values", "transform"})
    assert "column" not in labels and "source" not in labels, labels


def test_predicate_values(server, tmp_path):
    predicates = {"exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"}
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert set(schema["$defs"]["MatchPredicate"]["enum"]) == predicates
    check(server, tmp_path, PREDICATE_VALUE, predicates)


def test_slot_names(server, tmp_path):
    check(server, tmp_path, SLOT_VALUE, {"gender", "citizenship", "case_id"})


@pytest.mark.parametrize("case", [TARGET_VALUE, TARGET_VALUE_IN_OBJECT], ids=["bare", "object"])
def test_target_values_of_the_slot(server, tmp_path, case):
    labels = check(server, tmp_path, case, {"female", "male"})
    assert "citizenship" not in labels
