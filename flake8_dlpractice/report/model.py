"""What every output format is given, and the positions and rule facts they all need.

A :class:`FileReport` is one checked file as the command hands it over: the path to show, its
findings, how its lines are named (a notebook's :class:`~flake8_dlpractice.findings.LineMap`
maps them to cells) and the source lines, which convert columns to the unit each format expects.
Nothing here reads files or analyses code.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

from ..engine import char_col
from ..findings import FILE_LINES, Finding, Fix, LineMap, Step, render_refs


@dataclass(frozen=True)
class Location:
    """A position as the user sees it: the notebook cell (None in a file), lines within the cell
    (1-based), and the start and end columns both in characters and in UTF-16 code units (0-based,
    end exclusive)."""

    cell: int | None
    line: int
    col: int
    end_line: int
    end_col: int
    col16: int
    end_col16: int


@dataclass(frozen=True)
class FileReport:
    """One checked file.

    ``path`` is shown as given (relative to the project root, ``/`` or ``os.sep`` separated).
    ``findings`` carry 0-based *character* columns, as ``check_tree(..., lines=...)`` gives them
    (trace steps too); fix spans stay in ``ast`` coordinates (UTF-8 bytes). ``where`` names lines
    (cells of a notebook); ``lines`` are the checked source's lines (a notebook's joined code cells),
    used to convert columns to UTF-16 and fix spans to characters, and to fingerprint findings;
    a mapping from line numbers holds only the lines the findings cite (see :func:`cited_lines`).
    Without ``lines`` columns are passed through unchanged.
    """

    path: str
    findings: Sequence[Finding] = ()
    where: LineMap = FILE_LINES
    lines: Sequence[str] | Mapping[int, str] | None = None

    @property
    def ordered(self) -> list[Finding]:
        """The findings by position, then code (then message: the same order in every run)."""
        return sorted(self.findings, key=lambda f: (f.line, f.col, f.code, f.headline))

    @property
    def display_path(self) -> str:
        """The path, printable in any UTF-8 output (undecodable bytes shown as escapes)."""
        return printable(self.path)

    # -- positions --------------------------------------------------------------------------------
    def _line_text(self, line: int) -> str | None:
        lines = self.lines
        if isinstance(lines, Mapping):
            return lines.get(line)
        if lines is not None and 0 < line <= len(lines):
            return lines[line - 1]
        return None

    def _utf16(self, line: int, col: int) -> int:
        text = self._line_text(line)
        if text is None or text.isascii():
            return col
        return col + sum(1 for char in text[:col] if ord(char) > 0xFFFF)

    def locate(self, line: int, col: int, end_line: int | None = None, end_col: int | None = None) -> Location:
        """The user-facing location of a character span of the checked source. A span without an
        end ends where it starts."""
        if end_line is None or end_col is None:
            end_line, end_col = line, col
        cell, cell_line = self.where.locate(line)
        end_cell, cell_end_line = self.where.locate(end_line)
        if end_cell != cell:  # a span never crosses cells; keep the location inside the cell
            cell_end_line, end_col = cell_line, col
            end_line = line
        return Location(cell, cell_line, col, cell_end_line, end_col,
                        self._utf16(line, col), self._utf16(end_line, end_col))

    def location(self, finding: Finding) -> Location:
        return self.locate(finding.line, finding.col, finding.end_line, finding.end_col)

    def step_location(self, step: Step) -> Location:
        return self.locate(step.line, step.col, step.end_line, step.end_col)

    def fix_location(self, fix: Fix) -> Location:
        """Where a fix's edit anchors, its ``ast`` byte columns turned into characters."""
        line, col, end_line, end_col = fix.span
        start, end = self._line_text(line), self._line_text(end_line)
        return self.locate(line, char_col(start, col) if start is not None else col,
                           end_line, char_col(end, end_col) if end is not None else end_col)

    # -- messages ---------------------------------------------------------------------------------
    def headline(self, finding: Finding) -> str:
        """What the finding says (at most 100 characters), line references named by ``where``."""
        return printable(finding.render_headline(self.where))

    def one_line(self, finding: Finding) -> str:
        """The headline and a compact data path: flake8's and the text format's message."""
        return printable(finding.render(self.where))

    def step_text(self, step: Step) -> str:
        return printable(render_refs(step.what, self.where))

    def path_lines(self, finding: Finding) -> list[str]:
        """The data path, a line per step: ``  source: split of train_test_split (line 3)``."""
        return [f"  {step.kind}: {self.step_text(step)} ({self.where.line(step.line)})" for step in finding.trace]

    def fingerprints(self) -> Iterator[tuple[Finding, str | None]]:
        """Each finding (by position) with a fingerprint that survives edits elsewhere in the file:
        a hash of the code and the finding's source line (whitespace collapsed), ``:`` the
        occurrence of that pair in the file. None without the source lines."""
        seen: dict[str, int] = {}
        for finding in self.ordered:
            text = self._line_text(finding.line)
            if text is None:
                yield finding, None
                continue
            key = hashlib.sha256(f"{finding.code}\0{' '.join(text.split())}".encode("utf-8", "surrogatepass"))
            digest = key.hexdigest()[:16]
            seen[digest] = seen.get(digest, 0) + 1
            yield finding, f"{digest}:{seen[digest]}"


def cited_lines(findings: Sequence[Finding], lines: Sequence[str]) -> dict[int, str]:
    """The lines (by 1-based number) a report of ``findings`` reads: where each finding, each step
    of its data path and its fix's span start and end. A run keeps these instead of every line of
    every file with a finding until it prints."""
    numbers: set[int] = set()
    for finding in findings:
        numbers.update((finding.line, finding.end_line or finding.line))
        for step in finding.trace:
            numbers.update((step.line, step.end_line or step.line))
        if finding.fix is not None:
            numbers.update((finding.fix.span[0], finding.fix.span[2]))
    return {n: lines[n - 1] for n in numbers if 0 < n <= len(lines)}


def printable(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes of a file name) as escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def posix_path(path: str) -> str:
    return path.replace(os.sep, "/") if os.sep != "/" else path


def project_path(path: str, root: str | None) -> str | None:
    """``path`` (as shown: relative to the current folder, or absolute) relative to ``root``, ``/``
    separated and normalised; None when the file is outside ``root``. Without a root: ``path``
    normalised, or None when it is absolute."""
    if root is not None:
        path = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    elif os.path.isabs(path):
        return None
    path = os.path.normpath(path)
    if path == os.pardir or path.startswith(os.pardir + os.sep):
        return None
    return posix_path(path)


def repository_root(folder: str) -> str:
    """The root of the git repository ``folder`` is in (the nearest folder with a ``.git``), else
    ``folder``: what code scanning and GitLab take paths to be relative to."""
    here = os.path.abspath(folder)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(folder)
        here = parent


def sorted_reports(reports: Sequence[FileReport]) -> list[FileReport]:
    return sorted(reports, key=lambda report: report.path)
