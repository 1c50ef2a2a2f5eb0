"""JSON: ``{version, summary: {errors, warnings, infos, files}, files, findings: [...]}``.

Each finding: ``code, name, severity, message, file, line, column, path, url, related``.
The shape is documented in README.md and versioned by ``version``.
"""

from __future__ import annotations

from ctdc_schema.findings import Report
from ctdc_schema.reporters.base import Reporter, register


@register
class JsonReporter(Reporter):
    name = "json"

    def render(self, report: Report) -> str:
        return report.to_json()
