"""Rule and finding types shared by every rule module."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import ClassVar, Iterator

from ..analysis.facts import ModuleFacts


@dataclass(frozen=True)
class Fix:
    """An edit a finding carries for ``dlp-fix``: what to change, not how (libcst does the how).

    ``span`` is the (line, col, end_line, end_col) of the node the edit anchors on, in ``ast``
    coordinates (1-based lines, UTF-8 byte columns). ``data`` holds what the action needs.
    Actions (the vocabulary shared by rules and ``flake8_dlpractice/fixes``):

    - ``replace-expression``: replace the expression at span by ``replacement`` (code), or by
      ``template`` where ``{}`` stands for the original expression's source text;
    - ``replace-with-argument``: replace the call at span by its positional ``argument`` (index);
    - ``insert-before`` / ``insert-after``: insert the statement(s) ``code`` (lines separated by
      newlines) before/after the statement at span, at its indentation;
    - ``wrap-with``: wrap the statement at span in ``with <context>:``;
    - ``remove-statement``: remove the statement at span;
    - ``add-keyword``: add ``keyword=value`` to the call at span;
    - ``move-after``: move the statement at span to just after the statement whose span is
      given as ``after`` ("line,col,end_line,end_col").

    Every action may name ``imports``: comma-separated ``import x`` modules the edited code
    needs (added once, after the existing imports, when missing).
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
