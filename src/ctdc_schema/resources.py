"""Where the vocabulary, crosswalks and generated files live.

Two layouts must both work:

* a **checkout** (editable install, CI, a steward's working copy): the folders sit at the
  repository root next to ``src/``;
* an **installed wheel**: the build copies them into ``ctdc_schema/_data/`` so that
  ``pip install ctdc-schema`` gives a working ``ctdc`` offline.

An explicit path (``--schema``) or the ``CTDC_SCHEMA`` environment variable always wins, so a
steward can point an installed tool at a working copy.
"""

from __future__ import annotations

import os
from pathlib import Path

from ctdc_schema.errors import UsageError

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_DATA = PACKAGE_DIR / "_data"
CHECKOUT_ROOT = PACKAGE_DIR.parents[1]

#: file name of the main vocabulary module inside a schema folder
MAIN_SCHEMA_FILE = "ctdc.yaml"

#: where the crosswalk format's JSON Schema is published (the same w3id base as the rule pages),
#: for the `# yaml-language-server: $schema=` line of crosswalks outside this repository
CROSSWALK_SCHEMA_URL = "https://w3id.org/ctdc-schema/crosswalk.schema.json"
EDITOR_SCHEMA_LINE = "# yaml-language-server: $schema="


def checkout_root() -> Path | None:
    """The repository root when running from a checkout, else ``None``."""
    if (CHECKOUT_ROOT / "pyproject.toml").is_file() and (CHECKOUT_ROOT / "schema").is_dir():
        return CHECKOUT_ROOT
    return None


def data_dir(name: str) -> Path:
    """Locate a shipped folder (``schema``, ``crosswalks``, ``generated/jsonschema``)."""
    root = checkout_root()
    if root is not None and (root / name).is_dir():
        return root / name
    packaged = PACKAGED_DATA / name
    if packaged.is_dir():
        return packaged
    raise UsageError(f"cannot find the '{name}' folder of ctdc-schema; reinstall the package")


def schema_path(override: Path | str | None = None) -> Path:
    """Path of the main vocabulary YAML, honouring ``--schema`` and ``CTDC_SCHEMA``.

    An override may name the main YAML file or the folder that holds it.
    """
    chosen = override if override is not None else os.environ.get("CTDC_SCHEMA") or None
    if chosen is None:
        return data_dir("schema") / MAIN_SCHEMA_FILE
    path = Path(chosen)
    if path.is_dir():
        path = path / MAIN_SCHEMA_FILE
    if not path.is_file():
        raise UsageError(f"schema not found: {chosen}")
    return path


def crosswalk_schema() -> Path:
    """The bundled copy of the crosswalk format's JSON Schema (``ctdc schema --path``)."""
    return data_dir("generated/jsonschema") / "crosswalk.schema.json"
