"""Positions of a later fix round, told in the input's lines.

A round's findings are found in the text the previous rounds produced; what ``dlp-fix`` prints
(``--show-fixes``, the findings ``--check`` would leave) must point at the file the user has. A
:class:`LinesBack` maps a line of an edited text to the line of the text before the edit: lines
the edit kept map exactly; a line it inserted or rewrote maps to the next kept line (the statement
the fix was anchored on), with column 0.
"""
from __future__ import annotations

import dataclasses
from difflib import SequenceMatcher
from typing import Sequence

from ..findings import LineMap, Step, line_ref, render_refs
from ..rules.base import Finding
from .text import lines_with_ends

MAX_DIFF_CELLS = 4_000_000  # beyond this the changed middle is mapped coarsely (no line diff)


class LinesBack(LineMap):
    """Line ``n`` of ``new`` -> its line in ``old`` (1-based). As a ``LineMap`` it renders the
    line markers of a message as markers of the old lines."""

    def __init__(self, old: str, new: str) -> None:
        before, after = lines_with_ends(old), lines_with_ends(new)
        head = 0
        limit = min(len(before), len(after))
        while head < limit and before[head] == after[head]:
            head += 1
        tail = 0
        while tail < limit - head and before[-1 - tail] == after[-1 - tail]:
            tail += 1
        self.head, self.tail, self.old_count, self.new_count = head, tail, len(before), len(after)
        self.kept: dict[int, int] = {}  # 0-based line of the changed middle of new -> of old
        middle_old, middle_new = before[head:len(before) - tail], after[head:len(after) - tail]
        if len(middle_old) * len(middle_new) <= MAX_DIFF_CELLS:
            matcher = SequenceMatcher(None, middle_old, middle_new, autojunk=False)
            for block in matcher.get_matching_blocks():
                for k in range(block.size):
                    self.kept[head + block.b + k] = head + block.a + k

    def exact(self, line: int) -> int | None:
        """The old line of a kept line, None for a line the edit inserted or rewrote."""
        index = line - 1
        if index < self.head:
            return line
        if index >= self.new_count - self.tail:
            return index - self.new_count + self.old_count + 1
        found = self.kept.get(index)
        return None if found is None else found + 1

    def back(self, line: int) -> int:
        for later in range(line, self.new_count + 1):
            found = self.exact(later)
            if found is not None:
                return found
        return max(self.old_count, 1)

    # LineMap: messages keep their markers, now for old lines
    def line(self, line: int) -> str:
        return line_ref(self.back(line))

    def lines(self, start: int, end: int) -> str:
        return line_ref(self.back(start), end=self.back(end))


def relocate(finding: Finding, maps: Sequence[LinesBack]) -> Finding:
    """``finding`` of the text the last of ``maps`` produced, told in the first one's input."""
    line, col = finding.line, finding.col
    end_line, end_col = finding.end_line, finding.end_col
    headline, trace = finding.headline, finding.trace
    for lines in reversed(maps):
        exact = lines.exact(line)
        line, col = (exact, col) if exact is not None else (lines.back(line), 0)
        if end_line is not None:
            exact_end = lines.exact(end_line)
            end_line, end_col = (exact_end, end_col) if exact_end is not None else (line, col)
            if (end_line, end_col or 0) < (line, col):
                end_line, end_col = line, col
        headline = render_refs(headline, lines)
        trace = tuple(dataclasses.replace(step, line=lines.back(step.line), end_line=None, end_col=None)
                      if isinstance(step, Step) else step for step in trace)
    return dataclasses.replace(finding, line=line, col=col, end_line=end_line, end_col=end_col,
                               headline=headline, trace=trace)
