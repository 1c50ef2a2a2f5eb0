"""ctdc-schema: the CTDC shared vocabulary, its crosswalks, and the tools that check them.

The library is usable without the CLI; ``ctdc`` is a thin skin over these functions.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ctdc-schema")
except PackageNotFoundError:  # pragma: no cover - running from an unpacked source tree
    __version__ = "0+unknown"

__all__ = ["__version__", "vocabulary_version"]


def vocabulary_version() -> str:
    """Version of the bundled (or ``CTDC_SCHEMA``-selected) vocabulary, read cheaply."""
    from ctdc_schema import resources, yamlsource

    header = yamlsource.load(resources.schema_path())
    return str(header.get("version", "unknown")) if isinstance(header, dict) else "unknown"
