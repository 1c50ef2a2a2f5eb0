"""JUnit XML: a test suite per file; findings that fail the run are failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from ctdc_schema.findings import Report
from ctdc_schema.reporters.base import Reporter, register


@register
class JunitReporter(Reporter):
    name = "junit"

    def render(self, report: Report) -> str:
        suites = ET.Element("testsuites", name="ctdc validate")
        by_file = {file: list(group) for file, group in
                   groupby(report.sorted_findings(), key=lambda f: f.file)}
        total = failures = 0
        for file in sorted(set(report.files) | set(by_file)):
            findings = by_file.get(file, [])
            suite = ET.SubElement(suites, "testsuite", name=file)
            suite_failures = 0
            if not findings:
                ET.SubElement(suite, "testcase", classname=file, name="ctdc validate")
            for f in findings:
                case = ET.SubElement(suite, "testcase", classname=file,
                                     name=f"{f.code} {f.name} at {f.where}")
                text = f"{file}:{f.where}: {f.message}" + (
                    f" [{f.path}]" if f.path else "")
                if self.options.fails(f.severity):
                    suite_failures += 1
                    failure = ET.SubElement(case, "failure", message=f.message, type=f.code)
                    failure.text = text
                else:
                    ET.SubElement(case, "system-out").text = f"{f.severity.value}: {text}"
            tests = max(1, len(findings))
            suite.set("tests", str(tests))
            suite.set("failures", str(suite_failures))
            suite.set("errors", "0")
            total += tests
            failures += suite_failures
        suites.set("tests", str(total))
        suites.set("failures", str(failures))
        ET.indent(suites)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
            suites, encoding="unicode") + "\n"
