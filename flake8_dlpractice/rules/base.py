"""Rule and finding types shared by every rule module."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import ClassVar, Iterator

from ..analysis.facts import ModuleFacts


@dataclass(frozen=True)
class Fix:
    """An edit a finding carries for ``dlp-fix``: what to change, not how (libcst does the how).

    ``action`` names the codemod; ``span`` is the (line, col, end_line, end_col) of the node the
    edit anchors on, in ``ast`` coordinates; ``data`` holds what the codemod needs (names, seed
    expression, ...).
    """

    safety: str  # "safe" or "unsafe"
    action: str
    span: tuple[int, int, int, int]
    data: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, default: str | None = None) -> str | None:
        return dict(self.data).get(key, default)


@dataclass(frozen=True)
class Finding:
    line: int
    col: int
    code: str
    message: str  # without the code
    fix: Fix | None = field(default=None, compare=False)

    @property
    def text(self) -> str:
        return f"{self.code} {self.message}"


def span_of(node: ast.AST) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset, getattr(node, "end_lineno", node.lineno) or node.lineno,
            getattr(node, "end_col_offset", node.col_offset) or node.col_offset)


class Rule:
    """One catalog rule: metadata, documentation (the class docstring) and a query over facts.

    The docstring is the rule's page in docs/rules.md, in markdown, with the sections
    ``What it does``, ``Why is this bad?``, ``Example``, ``Use instead`` and ``Known limits``.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]  # one line, for tables and pylint's message description
    section: ClassVar[str]  # the best-practices guide section it protects
    default: ClassVar[bool] = True  # False: opt-in
    fix: ClassVar[str] = "none"  # "safe", "unsafe", "safe/unsafe" or "none"
    fix_note: ClassVar[str] = ""

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

    def finding(self, node: ast.AST, message: str, fix: Fix | None = None) -> Finding:
        return Finding(node.lineno, node.col_offset, self.code, message, fix)
