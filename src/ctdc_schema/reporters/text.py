"""Human-readable findings grouped by file, coloured on a terminal."""

from __future__ import annotations

from itertools import groupby

import click

from ctdc_schema.findings import Report, Severity
from ctdc_schema.reporters.base import Reporter, register

COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


@register
class TextReporter(Reporter):
    name = "text"

    def _style(self, text: str, **style: object) -> str:
        return click.style(text, **style) if self.options.color else text  # type: ignore[arg-type]

    def render(self, report: Report) -> str:
        lines: list[str] = []
        for file, group in groupby(report.sorted_findings(), key=lambda f: f.file):
            lines.append(self._style(file, bold=True, underline=True))
            for finding in group:
                where = finding.where
                severity = self._style(f"{finding.severity.value:<7}",
                                       fg=COLOURS[finding.severity])
                path = self._style(f"  {finding.path}", dim=True) if finding.path else ""
                lines.append(f"  {where:>8}  {severity}  {self._style(finding.code, bold=True)}"
                             f"  {finding.message}{path}")
                for related in finding.related:
                    at = f"{related.file}:{related.line or 0}:{related.column or 0}"
                    lines.append(self._style(f"{'':>12}see {at}: {related.message}", dim=True))
            lines.append("")
        summary = report.summary()
        if summary["errors"] or summary["warnings"] or summary["infos"]:
            text = (f"{summary['errors']} error(s), {summary['warnings']} warning(s), "
                    f"{summary['infos']} info(s) in {summary['files']} file(s)")
            lines.append(self._style(f"✖ {text}", fg="red" if summary["errors"] else "yellow",
                                     bold=True))
        else:
            lines.append(self._style(f"✓ no problems in {summary['files']} file(s)", fg="green",
                                     bold=True))
        return "\n".join(lines) + "\n"
