"""The github format: GitHub Actions workflow commands that annotate the checked files.

    ::error file=src/train.py,line=12,endLine=12,col=5,endColumn=30,title=DLP100 test-data-in-fitting::test split …

The command is the rule's severity (error, warning, notice); the file its path from the repository's
root (GitHub resolves annotation paths from there, whatever the step's working directory); the
title the code and rule name;
the message the headline, then the data path on the next lines. Columns are 1-based characters
and are given only for single-line spans (GitHub accepts them only there). A notebook's positions
count within a cell, not within the file's JSON, so its annotations are on the file and the
message starts with the cell and line. Data is escaped as the runner expects (``%``, CR, LF;
``:`` and ``,`` too in properties).
"""
from __future__ import annotations

from typing import Sequence

from ..findings import Finding
from .model import FileReport, posix_path, printable, project_path
from .rules import rule_info

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _properties(report: FileReport, finding: Finding, root: str | None) -> list[tuple[str, object]]:
    where = report.location(finding)
    path = printable(project_path(report.path, root) or posix_path(report.path))
    props: list[tuple[str, object]] = [("file", path)]
    if where.cell is None:
        props += [("line", where.line), ("endLine", where.end_line)]
        if where.line == where.end_line:
            props += [("col", where.col + 1), ("endColumn", where.end_col + 1)]
    info = rule_info(finding.code)
    props.append(("title", f"{finding.code} {info.name}"))
    return props


def _message(report: FileReport, finding: Finding) -> str:
    where = report.location(finding)
    text = report.headline(finding)
    if where.cell is not None:
        text = f"{report.where.line(finding.line)}, column {where.col + 1}: {text}"
    return "\n".join([text, *report.path_lines(finding)])


def annotation(report: FileReport, finding: Finding, root: str | None = None) -> str:
    command = COMMAND[rule_info(finding.code).severity]
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in _properties(report, finding, root))
    return f"::{command} {props}::{escape_data(_message(report, finding))}"


def render_github(reports: Sequence[FileReport], root: str | None = None) -> str:
    """The annotations; paths relative to ``root`` (the repository's root, where GitHub resolves
    them from, whatever the step's working directory) when given."""
    return "".join(annotation(report, finding, root) + "\n" for report in reports for finding in report.ordered)
