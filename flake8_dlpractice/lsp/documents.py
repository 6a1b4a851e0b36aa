"""What the language server checks and fixes, without any protocol: an open ``.py`` document or
the code cells of an open notebook, as a :class:`~flake8_dlpractice.sources.Source`.

An :class:`Analysis` is one version of one document checked: its findings (``# noqa`` and the
project's selection applied) and, for a notebook, which cell each line of the joined program
belongs to. Edits are computed here too, as new document texts keyed by URI (a notebook fix may
change the cell that holds the imports as well): one finding's fix, every fix, or a ``# noqa``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Sequence

from .. import noqa
from ..cli.check import source_findings
from ..config import Config
from ..findings import UNANALYSABLE, Finding, Fix
from ..fixes import TooLarge, allowed, findings_of, fix_text
from ..settings import RuleSet
from ..sources import CodeCell, Source, SourceError, cells_source


@dataclass(frozen=True)
class Cell:
    """A notebook document's code cell as the client names it."""

    uri: str
    index: int  # position among all the notebook's cells (0-based)
    text: str


@dataclass
class Analysis:
    """One version of a document, checked."""

    uri: str  # the text document, or the notebook document
    version: int | None
    source: Source
    findings: list[Finding]
    texts: dict[str, str]  # the text of each document the findings are in (a notebook: its cells)
    cell_uris: dict[int, str] = field(default_factory=dict)  # cell number -> cell uri
    _lines: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def lines(self, uri: str) -> list[str]:
        """The lines of the document ``uri`` (split once, however many positions are converted)."""
        if uri not in self._lines:
            self._lines[uri] = self.texts[uri].split("\n")
        return self._lines[uri]

    def place(self, line: int) -> tuple[str, int]:
        """(document uri, 0-based line in it) of a 1-based line of the checked program."""
        cell, row = self.source.locate(line)
        return (self.cell_uris[cell] if cell is not None else self.uri), row - 1

    def program_line(self, uri: str, row: int) -> int | None:
        """The program's 1-based line for a 0-based line of the document ``uri``."""
        if not self.cell_uris:
            return row + 1 if uri == self.uri else None
        for number, cell_uri in self.cell_uris.items():
            if cell_uri == uri:
                return self.source.where.program_line(number, row + 1)  # type: ignore[attr-defined]
        return None

    def findings_at(self, uri: str, first: int, last: int) -> list[Finding]:
        """Findings whose lines meet the 0-based lines ``first``..``last`` of ``uri``."""
        out = []
        for finding in self.findings:
            doc, row = self.place(finding.line)
            end_doc, end_row = self.place(finding.end_line or finding.line)
            end_row = end_row if end_doc == doc else row
            if doc == uri and row <= last and end_row >= first:
                out.append(finding)
        return out


def analyse_text(uri: str, path: str, text: str, version: int | None, config: Config) -> Analysis:
    """Check a Python document; ``SyntaxError`` (and the like) when it does not parse."""
    source = Source(path, text)
    source.parse()
    return Analysis(uri, version, source, _findings(source, config), {uri: text})


def analyse_cells(uri: str, path: str, cells: Sequence[Cell], version: int | None, config: Config) -> Analysis:
    """Check a notebook document's code cells as one program, in order (a cell that does not
    parse is left out: the server keeps what it showed)."""
    source = cells_source([CodeCell(cell.index, cell.text) for cell in cells], path)
    return Analysis(uri, version, source, _findings(source, config), {cell.uri: cell.text for cell in cells},
                    {cell.index + 1: cell.uri for cell in cells})


def _findings(source: Source, config: Config) -> list[Finding]:
    """What ``dlp check`` reports for the source (configuration and suppressions applied), less
    DLP000: an editor shows syntax errors itself."""
    if config.excludes_file(source.path):
        return []
    found = [f for f in source_findings(source, config) if f.code != UNANALYSABLE]
    source.drop_tree()  # kept until the next version: its nodes would slow every garbage collection
    return found


# --- edits -----------------------------------------------------------------------------------------

def new_texts(analysis: Analysis, program: str) -> dict[str, str]:
    """{document uri: new text} for the documents a fixed ``program`` changes."""
    if not analysis.cell_uris:
        return {analysis.uri: program} if program != analysis.source.text else {}
    changes = analysis.source.changed_cells(program)
    return {analysis.cell_uris[index + 1]: text for index, text in changes.items()}


def fix_one(analysis: Analysis, finding: Finding, config: Config) -> dict[str, str] | str:
    """The new texts that fix ``finding`` alone, or why it cannot be fixed here.

    The fixer applies this one fix; the result must parse and have one finding of the code fewer.
    """
    from ..fixes import apply

    source = analysis.source
    try:
        tree = source.parse()
        result = apply.apply_round(source.text, [finding], apply.parse_module(source.text), tree)
    except apply.CstParseError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - an editing bug must not take the server down
        return f"internal error in the fixer ({type(exc).__name__}: {exc})"
    if not result.applied:
        return result.errors[0][1] if result.errors else "the fix could not be applied"
    problem = _not_fixed(tree, result.text, source.path, finding.code, config)
    if problem:
        return problem
    try:
        return new_texts(analysis, result.text)
    except SourceError as exc:
        return str(exc)


def _not_fixed(tree: ast.Module, text: str, path: str, code: str, config: Config) -> str | None:
    try:
        new_tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError) as exc:
        return f"the fixed code would not parse ({getattr(exc, 'msg', exc)})"
    rules = config.rules_for(path)
    rules = RuleSet(tuple(rule for rule in rules if rule.code == code), rules.settings)
    if len(findings_of(new_tree, "", path, rules)) >= len(findings_of(tree, "", path, rules)):
        return f"the fix would not remove the {code} finding"
    return None


def fix_all(analysis: Analysis, config: Config) -> dict[str, str]:
    """The new texts with every fix the configuration allows applied (safe ones; unsafe ones too
    with ``unsafe-fixes = true``)."""
    source = analysis.source
    if not any(allowed(f, config.unsafe_fixes) for f in analysis.findings):
        return {}
    try:
        outcome = fix_text(source.text, source.path, config.rules_for(source.path), config.unsafe_fixes)
    except TooLarge:  # over dlp-fix's budget per file: no "fix all" for it
        return {}
    try:
        return new_texts(analysis, outcome.text) if outcome.changed else {}
    except SourceError:
        return {}


def add_noqa(analysis: Analysis, finding: Finding) -> dict[str, str]:
    """The new text of the finding's document with ``# noqa: CODE`` on the finding's line (on
    the last line of its statement, merged into a ``# noqa`` comment already there)."""
    out: dict[str, str] = {}
    for edit in noqa.noqa_edits(analysis.source.text, [(finding.line, finding.code)]):
        uri, row = analysis.place(edit.line)
        lines = out.get(uri, analysis.texts[uri]).split("\n")
        ending = lines[row][len(lines[row].rstrip("\r")):]
        lines[row] = edit.new + ending
        out[uri] = "\n".join(lines)
    return out


# --- titles ----------------------------------------------------------------------------------------

def fix_title(fix: Fix) -> str:
    """What a fix does, in a few words, for a quick-fix menu: the rule's title, else the action."""
    if fix.title:
        return fix.title
    get = fix.get
    described = {
        "wrap-with": f"wrap the statement in `with {get('context')}:`",
        "add-keyword": f"add {get('keyword')}={get('value')}",
        "insert-before": f"insert `{(get('code') or '').splitlines()[0] if get('code') else ''}`",
        "insert-after": f"insert `{(get('code') or '').splitlines()[0] if get('code') else ''}`",
        "remove-statement": "remove the statement",
        "move-after": "move the statement after the step it must follow",
        "replace-with-argument": "replace the call by its argument",
    }
    if fix.action in described:
        return described[fix.action]
    replacement = get("replacement") or (get("template") or "").replace("{}", "…")
    return f"replace with `{replacement}`" if replacement else "apply the fix"
