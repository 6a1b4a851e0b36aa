"""The gitlab format: a GitLab Code Quality report (``artifacts: reports: codequality``).

One issue per finding: the code and headline as description, the rule name as ``check_name``,
the severity mapped to GitLab's scale (error: major, warning: minor, info: info), the path and
lines, and a fingerprint unique in the report that survives edits elsewhere in the file (the path,
the code, the finding's source line and its occurrence there). A notebook's positions count within
a cell, not within the file's JSON: its issues are on the notebook's first line (GitLab requires a
line) and the description names the cell and line.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

from .model import FileReport, posix_path, printable, project_path
from .rules import rule_info

SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def _issues(report: FileReport, root: str | None) -> list[dict[str, Any]]:
    issues = []
    path = printable(project_path(report.path, root) or posix_path(report.path))
    for finding, line_hash in report.fingerprints():
        info = rule_info(finding.code)
        where = report.location(finding)
        key = line_hash or f"{where.cell}:{where.line}:{where.col}"
        fingerprint = hashlib.sha256(f"{path}\0{finding.code}\0{key}".encode("utf-8")).hexdigest()[:32]
        cell = f"{report.where.line(finding.line)}: " if where.cell is not None else ""
        issues.append({
            "description": f"{finding.code} {cell}{report.headline(finding)}",
            "check_name": info.name,
            "fingerprint": fingerprint,
            "severity": SEVERITY[info.severity],
            "location": {"path": path, "lines": {"begin": where.line, "end": where.end_line} if where.cell is None
                         else {"begin": 1, "end": 1}},
        })
    return issues


def render_gitlab(reports: Sequence[FileReport], root: str | None = None) -> str:
    """The report; paths relative to ``root`` (the repository's root) when given."""
    issues = [issue for report in reports for issue in _issues(report, root)]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
