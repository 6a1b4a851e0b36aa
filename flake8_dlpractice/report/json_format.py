"""The json format: a list with one object per finding, for scripts and other tools.

Lines are 1-based, columns 1-based characters, ends exclusive; in a notebook lines count within
the cell named by ``cell`` (null in a ``.py`` file). ``message`` is the headline (at most 100
characters), ``text`` the one-line form flake8 shows (headline and compact data path). ``fix`` is
null or says its safety, whether ``dlp fix`` applies it (``applicable``; unsafe fixes only with
``--unsafe-fixes``), its title (null when the rule gives none) and its edit: the action at a span
with its arguments (``dlp fix`` turns it into text, checking the result). ``trace`` is the data
path of a leakage finding, from the source through each step to the sink.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

from ..findings import Finding, Fix
from ..fixes import allowed
from .model import FileReport, Location
from .rules import rule_info


def _point(line: int, col: int) -> dict[str, int]:
    return {"line": line, "column": col + 1}


def _span(where: Location) -> dict[str, Any]:
    return {"cell": where.cell, "start": _point(where.line, where.col), "end": _point(where.end_line, where.end_col)}


def _fix(report: FileReport, finding: Finding, fix: Fix, unsafe_fixes: bool) -> dict[str, Any]:
    edit = {"action": fix.action, **_span(report.fix_location(fix)), "arguments": dict(fix.data)}
    return {"safety": fix.safety, "applicable": allowed(finding, unsafe_fixes), "title": fix.title or None,
            "edits": [edit]}


def finding_record(report: FileReport, finding: Finding, unsafe_fixes: bool = False) -> dict[str, Any]:
    info = rule_info(finding.code)
    record: dict[str, Any] = {
        "code": finding.code,
        "name": info.name,
        "severity": info.severity,
        "message": report.headline(finding),
        "text": report.one_line(finding),
        "file": report.display_path,
        **_span(report.location(finding)),
        "fix": _fix(report, finding, finding.fix, unsafe_fixes) if finding.fix else None,
        "trace": [{"kind": step.kind, "message": report.step_text(step), **_span(report.step_location(step))}
                  for step in finding.trace],
        "url": info.help_uri(),
    }
    return record


def render_json(reports: Sequence[FileReport], unsafe_fixes: bool = False) -> str:
    records = [finding_record(report, finding, unsafe_fixes) for report in reports for finding in report.ordered]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
