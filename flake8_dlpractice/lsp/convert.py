"""Findings and edits in the protocol's terms: diagnostics, text edits, hover text.

Columns: findings carry 0-based *character* columns of the checked program; the client counts in
the position encoding it negotiated (UTF-16 unless it asked for another), converted here from
the line's text with ``units(text)`` (the number of client code units of a string).
"""
from __future__ import annotations

import difflib
import re
from typing import Callable

from lsprotocol import types as lsp

from ..findings import Finding, render_refs
from ..report.rules import rule_info
from .documents import Analysis

SOURCE = "dlpractice"
SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning,
            "info": lsp.DiagnosticSeverity.Information}
Units = Callable[[str], int]
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def _position(analysis: Analysis, units: Units, line: int, col: int) -> tuple[str, lsp.Position]:
    uri, row = analysis.place(line)
    lines = analysis.lines(uri)
    text = lines[row] if 0 <= row < len(lines) else ""
    return uri, lsp.Position(row, units(text[:col]))


def finding_range(analysis: Analysis, units: Units, line: int, col: int, end_line: int | None,
                  end_col: int | None) -> tuple[str, lsp.Range]:
    """(document uri, range) of a character span of the program; a span that would leave its
    cell ends where it starts."""
    uri, start = _position(analysis, units, line, col)
    if end_line is None or end_col is None:
        return uri, lsp.Range(start, start)
    end_uri, end = _position(analysis, units, end_line, end_col)
    return uri, lsp.Range(start, end if end_uri == uri else start)


def diagnostic(analysis: Analysis, finding: Finding, units: Units) -> tuple[str, lsp.Diagnostic]:
    """The finding's document uri and its diagnostic: the headline as the message, the data path
    as related information, severity per rule, the code linked to the rule's page on the web when
    the package metadata names one."""
    info = rule_info(finding.code)
    uri, span = finding_range(analysis, units, finding.line, finding.col, finding.end_line, finding.end_col)
    where = analysis.source.where
    related = []
    for step in finding.trace:
        step_uri, step_span = finding_range(analysis, units, step.line, step.col, step.end_line, step.end_col)
        related.append(lsp.DiagnosticRelatedInformation(
            lsp.Location(step_uri, step_span), f"{step.kind}: {render_refs(step.what, where)}"))
    fixable = finding.fix is not None
    href = rule_href(finding.code)
    return uri, lsp.Diagnostic(
        range=span, message=finding.render_headline(where), severity=SEVERITY[info.severity],
        code=finding.code, code_description=lsp.CodeDescription(href=href) if href else None, source=SOURCE,
        related_information=related or None,
        data={"fix": finding.fix.safety if fixable else None})  # type: ignore[union-attr]


def rule_href(code: str) -> str | None:
    """The rule's page on the web: the documentation URL the package metadata names (``Rules`` or
    ``Documentation`` in ``[project.urls]``) with the rule's anchor; None without one (the page is
    on hover, and ``dlp rule CODE`` prints it)."""
    return rule_info(code).help_uri()


def hover_text(codes: list[str]) -> str:
    return "\n\n---\n\n".join(rule_info(code).page() for code in codes)


def text_edits(old: str, new: str, units: Units) -> list[lsp.TextEdit]:
    """The line ranges of ``old`` that ``new`` replaces, as edits (whole lines, so columns are 0
    except at the end of a last line without a line break)."""
    old_lines = _LINE.findall(old)
    new_lines = _LINE.findall(new)
    edits = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(lsp.TextEdit(lsp.Range(_line_start(old_lines, i1, units), _line_start(old_lines, i2, units)),
                                  "".join(new_lines[j1:j2])))
    return edits


def _line_start(lines: list[str], index: int, units: Units) -> lsp.Position:
    """Where line ``index`` starts; past a last line without a line break, that line's end."""
    if index < len(lines) or not lines or lines[-1].endswith("\n"):
        return lsp.Position(index, 0)
    return lsp.Position(len(lines) - 1, units(lines[-1]))


def workspace_edit(analysis: Analysis, texts: dict[str, str], units: Units) -> lsp.WorkspaceEdit:
    return lsp.WorkspaceEdit(changes={uri: text_edits(analysis.texts[uri], text, units)
                                      for uri, text in texts.items()})
