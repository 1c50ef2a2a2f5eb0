"""Output formats of a Report. One module per format, all registered by name.

``ctdc validate --format NAME`` picks one; every reporter reads the same Report and nothing
else, so adding a format never touches the rules.
"""

from __future__ import annotations

from ctdc_schema.reporters.base import REPORTERS, RenderOptions, Reporter, get
from ctdc_schema.reporters.github import GithubReporter
from ctdc_schema.reporters.json import JsonReporter
from ctdc_schema.reporters.junit import JunitReporter
from ctdc_schema.reporters.sarif import SarifReporter
from ctdc_schema.reporters.text import TextReporter

__all__ = [
    "REPORTERS", "GithubReporter", "JsonReporter", "JunitReporter", "RenderOptions",
    "Reporter", "SarifReporter", "TextReporter", "get",
]
