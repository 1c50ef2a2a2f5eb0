"""ctdc-schema: the CTDC shared vocabulary, its crosswalks, and the tools that check them.

The library is usable without the CLI; ``ctdc`` is a thin skin over these functions.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("ctdc-schema")
except PackageNotFoundError:  # pragma: no cover - running from an unpacked source tree
    __version__ = "0+unknown"

__all__ = ["__version__", "transform", "validate", "validate_export", "validate_exports",
           "vocabulary_version"]

#: the library's entry points, imported on first use (``ctdc --version`` stays light)
_ENTRY_POINTS = {
    "validate": ("ctdc_schema.checker", "validate"),
    "validate_export": ("ctdc_schema.harmonise", "validate_export"),
    "validate_exports": ("ctdc_schema.harmonise", "validate_exports"),
    "transform": ("ctdc_schema.harmonise", "transform"),
}


def __getattr__(name: str) -> Any:
    """``ctdc_schema.validate(paths)``, ``validate_export(path, source)``, ``transform(
    deliveries, output)``: each returns a :class:`~ctdc_schema.findings.Report`."""
    if name in _ENTRY_POINTS:
        from importlib import import_module

        module, attribute = _ENTRY_POINTS[name]
        return getattr(import_module(module), attribute)
    raise AttributeError(f"module 'ctdc_schema' has no attribute '{name}'")


def vocabulary_version() -> str:
    """Version of the bundled (or ``CTDC_SCHEMA``-selected) vocabulary, read cheaply."""
    from ctdc_schema import resources, yamlsource

    header = yamlsource.load(resources.schema_path())
    return str(header.get("version", "unknown")) if isinstance(header, dict) else "unknown"
