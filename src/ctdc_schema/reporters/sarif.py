"""SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards."""

from __future__ import annotations

import json
from typing import Any

from ctdc_schema import __version__
from ctdc_schema.findings import RULE_DOCS_URL, RULES, Finding, Report, Severity
from ctdc_schema.reporters.base import Reporter, register

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _location(file: str, line: int | None, column: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": file}}
    if line:
        physical["region"] = {"startLine": line, **({"startColumn": column} if column else {})}
    return {"physicalLocation": physical}


@register
class SarifReporter(Reporter):
    name = "sarif"

    def render(self, report: Report) -> str:
        rules = sorted(RULES.values(), key=lambda r: r.code)
        index = {rule.code: i for i, rule in enumerate(rules)}
        document = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "ctdc",
                    "fullName": "ctdc-schema validator",
                    "version": __version__,
                    "informationUri": "https://w3id.org/ctdc-schema",
                    "rules": [{
                        "id": rule.code,
                        "name": "".join(p.title() for p in rule.name.split("-")),
                        "shortDescription": {"text": rule.summary},
                        "fullDescription": {"text": rule.explanation},
                        "helpUri": RULE_DOCS_URL.format(code=rule.code),
                        "defaultConfiguration": {"level": LEVELS[rule.severity]},
                    } for rule in rules],
                }},
                "columnKind": "unicodeCodePoints",
                "results": [self._result(f, index) for f in report.sorted_findings()],
            }],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @staticmethod
    def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
        location = _location(finding.file, finding.line, finding.column)
        if finding.path:
            location["logicalLocations"] = [{"fullyQualifiedName": finding.path}]
        elif finding.field is not None:  # a data file: the row is the line, the column a name
            location["logicalLocations"] = [{"name": finding.field, "kind": "member"}]
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [location],
        }
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        if finding.related:
            result["relatedLocations"] = [
                {"id": i, "message": {"text": r.message}, **_location(r.file, r.line, r.column)}
                for i, r in enumerate(finding.related)
            ]
        return result
