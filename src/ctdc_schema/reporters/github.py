"""GitHub Actions workflow commands: one annotation per finding, on the file and line."""

from __future__ import annotations

from ctdc_schema.findings import Report, Severity
from ctdc_schema.reporters.base import Reporter, register

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


@register
class GithubReporter(Reporter):
    name = "github"

    def render(self, report: Report) -> str:
        lines = []
        for f in report.sorted_findings():
            props = [f"file={_property(f.file)}"]
            if f.line:
                props.append(f"line={f.line}")
            if f.column:
                props.append(f"col={f.column}")
            props.append(f"title={_property(f'{f.code} {f.name}')}")
            where = f" ({f.path})" if f.path else ""
            column = f"column '{f.field}': " if f.field is not None else ""
            lines.append(f"::{LEVELS[f.severity]} {','.join(props)}::"
                         f"{_data(column + f.message + where)}")
        s = report.summary()
        lines.append(f"ctdc validate: {s['errors']} error(s), {s['warnings']} warning(s), "
                     f"{s['infos']} info(s) in {s['files']} file(s)")
        return "\n".join(lines) + "\n"
