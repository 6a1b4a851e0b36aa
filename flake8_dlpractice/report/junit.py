"""The junit format: one test suite; a failing test case per finding, a passing one per clean file.

CI systems that read JUnit XML (GitLab test reports, Jenkins, Azure) list each finding as a failed
test named by its code, rule and position, with the full message and data path in the failure.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Sequence

from ..findings import Finding
from .model import FileReport
from .rules import rule_info
from .text import position

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _case(report: FileReport, finding: Finding) -> ET.Element:
    where = report.location(finding)
    place = (f"cell {where.cell}:" if where.cell is not None else "") + f"{where.line}:{where.col + 1}"
    attrs = {"classname": xml_text(report.display_path),
             "name": f"{finding.code} {rule_info(finding.code).name} ({place})",
             "file": xml_text(report.display_path)}
    if where.cell is None:
        attrs["line"] = str(where.line)
    case = ET.Element("testcase", attrs)
    failure = ET.SubElement(case, "failure", {"type": finding.code, "message": xml_text(report.headline(finding))})
    body = [f"{position(report, finding)}: {finding.code} {report.headline(finding)}", *report.path_lines(finding)]
    failure.text = xml_text("\n".join(body))
    return case


def render_junit(reports: Sequence[FileReport]) -> str:
    cases = []
    for report in reports:
        findings = report.ordered
        cases.extend(_case(report, finding) for finding in findings)
        if not findings:
            path = xml_text(report.display_path)
            cases.append(ET.Element("testcase", {"classname": path, "name": "no findings", "file": path}))
    failures = sum(len(report.findings) for report in reports)
    root = ET.Element("testsuites", {"name": "flake8-dlpractice", "tests": str(len(cases)),
                                     "failures": str(failures), "errors": "0"})
    suite = ET.SubElement(root, "testsuite", {"name": "flake8-dlpractice", "tests": str(len(cases)),
                                              "failures": str(failures), "errors": "0", "skipped": "0"})
    suite.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
