"""SARIF 2.1.0, as GitHub code scanning reads it.

- ``tool.driver.rules`` lists every code (stable ids ``DLPnnn``, names, short and full
  descriptions, the docs page as help text and markdown, a ``helpUri`` when the package metadata
  names a documentation URL, the default level from the rule's severity); each result names its
  ``ruleId`` and ``ruleIndex`` into that list.
- Paths are relative to the root the command names (for code scanning: the repository's root),
  with ``uriBaseId`` ``%SRCROOT%``, whatever folder the command ran in; the run's
  ``originalUriBaseIds`` says where the root is. A file outside it has an absolute ``file:`` URI.
- Regions are 1-based with columns in UTF-16 code units (SARIF's default ``columnKind``), the end
  column exclusive. A notebook's positions count within a cell, not within the file's JSON, so a
  notebook location has no region (code scanning shows it on the file): its ``properties`` give
  the ``cell``, ``line`` and ``column`` (1-based, characters) and the message starts with them.
- A leakage finding's data path is a ``codeFlow``: one thread flow from the source through each
  step to the sink, so code scanning shows it step by step.
- ``partialFingerprints.primaryLocationLineHash`` is a hash of the code and the finding's source
  line (``:`` the occurrence in the file), so an alert survives edits elsewhere in the file.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import quote

from .model import FileReport, Location, project_path
from .rules import RuleInfo, catalog, home_url, rule_info

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
MAX_DESCRIPTION = 1024  # GitHub's limit for short and full descriptions
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def _cap(text: str, limit: int = MAX_DESCRIPTION) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def rule_descriptor(info: RuleInfo) -> dict[str, Any]:
    page = info.page()
    descriptor: dict[str, Any] = {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": _cap(info.summary)},
        "fullDescription": {"text": _cap(info.description)},
        "help": {"text": page, "markdown": page},
        "defaultConfiguration": {"level": LEVEL[info.severity]},
        "properties": {"tags": info.tags, "problem.severity": PROBLEM_SEVERITY[info.severity]},
    }
    uri = info.help_uri()
    if uri:
        descriptor["helpUri"] = uri
    return descriptor


def _artifact(path: str, root: str | None) -> dict[str, str]:
    """A percent-encoded URI relative to %SRCROOT% (the root, or the current folder without one);
    a file outside it as an absolute file: URI."""
    relative = project_path(path, root)
    if relative is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    try:
        raw = os.fsencode(relative)
    except UnicodeEncodeError:  # a lone surrogate that is no undecodable byte
        raw = relative.encode("utf-8", "backslashreplace")
    return {"uri": quote(raw, safe="/"), "uriBaseId": SRCROOT}


def _region(where: Location) -> dict[str, int]:
    return {"startLine": where.line, "startColumn": where.col16 + 1,
            "endLine": where.end_line, "endColumn": where.end_col16 + 1}


def _in_cell(where: Location) -> dict[str, int]:
    return {"cell": where.cell, "line": where.line, "column": where.col + 1}  # type: ignore[dict-item]


def _location(artifact: dict[str, str], where: Location, message: str | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if where.cell is None:  # a notebook's lines are not lines of the file
        physical["region"] = _region(where)
    location: dict[str, Any] = {"physicalLocation": physical}
    if message is not None:
        location["message"] = {"text": message}
    if where.cell is not None:
        location["properties"] = _in_cell(where)
    return location


def _results(report: FileReport, index: dict[str, int], infos: list[RuleInfo],
             root: str | None) -> list[dict[str, Any]]:
    artifact = _artifact(report.path, root)
    results = []
    for finding, fingerprint in report.fingerprints():
        rule = index[finding.code]
        where = report.location(finding)
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": rule,
            "level": LEVEL[infos[rule].severity],
            "message": {"text": report.headline(finding) if where.cell is None else
                        f"{report.where.line(finding.line)}, column {where.col + 1}: {report.headline(finding)}"},
            "locations": [_location(artifact, where)],
        }
        if fingerprint:
            result["partialFingerprints"] = {"primaryLocationLineHash": fingerprint}
        if finding.trace:
            steps = [{"location": _location(artifact, report.step_location(step), _step_text(report, step)),
                      "kinds": [step.kind]} for step in finding.trace]
            result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
        if where.cell is not None:
            result["properties"] = _in_cell(where)
        results.append(result)
    return results


def _step_text(report: FileReport, step) -> str:
    """A data path step's text; in a notebook with the cell and line it is at (no region says it)."""
    text = report.step_text(step)
    where = report.step_location(step)
    return text if where.cell is None else f"{text} ({report.where.line(step.line)})"


def _driver(infos: list[RuleInfo], tool_version: str) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": "flake8-dlpractice", "version": tool_version}
    if SEMVER.match(tool_version):
        driver["semanticVersion"] = tool_version
    home = home_url()
    if home:
        driver["informationUri"] = home
    driver["rules"] = [rule_descriptor(info) for info in infos]
    return driver


def render_sarif(reports: Sequence[FileReport], tool_version: str, root: str | None = None) -> str:
    infos = catalog()
    known = {info.code for info in infos}
    extra = {finding.code for report in reports for finding in report.findings} - known
    infos.extend(rule_info(code) for code in sorted(extra))  # never a result without its rule
    index = {info.code: number for number, info in enumerate(infos)}
    run: dict[str, Any] = {"tool": {"driver": _driver(infos, tool_version)}}
    if root is not None:
        base = Path(os.path.abspath(root)).as_uri().rstrip("/") + "/"
        run["originalUriBaseIds"] = {SRCROOT: {"uri": base}}
    run["results"] = [result for report in reports for result in _results(report, index, infos, root)]
    run["columnKind"] = "utf16CodeUnits"
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
