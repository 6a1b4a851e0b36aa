"""Rule type shared by every rule module (findings and fixes live in ``flake8_dlpractice.findings``)."""
from __future__ import annotations

import ast
from typing import ClassVar, Iterator

from ..analysis.facts import ModuleFacts
from ..findings import MAX_HEADLINE, Finding, Fix, Severity, Step, line_ref, render_refs

__all__ = ["Finding", "Fix", "Rule", "Severity", "Step", "fitting", "line_ref", "span_of"]

# Severity by family, as editors and code scanning show it: leakage and training-loop bugs are
# errors, reproducibility gaps warnings, monitoring and model-choice advice information.
FAMILY_SEVERITY: dict[str, Severity] = {"1": "error", "2": "warning", "3": "error", "4": "info", "5": "info"}


def span_of(node: ast.AST) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset, getattr(node, "end_lineno", node.lineno) or node.lineno,
            getattr(node, "end_col_offset", node.col_offset) or node.col_offset)


def fitting(*headlines: str) -> str:
    """The first of ``headlines`` (most to least detailed) that renders within ``MAX_HEADLINE``
    characters; the last one otherwise."""
    for headline in headlines:
        if len(render_refs(headline)) <= MAX_HEADLINE:
            return headline
    return headlines[-1]


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

    @property
    def severity(self) -> Severity:
        return FAMILY_SEVERITY[self.code[3]]

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

    def finding(self, node: ast.AST, message: str, fix: Fix | None = None,
                trace: tuple[Step, ...] = ()) -> Finding:
        """A finding on ``node`` (its start and end), with ``message`` as the headline."""
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        if end_line is None or end_col is None:
            end_line, end_col = node.lineno, node.col_offset
        return Finding(node.lineno, node.col_offset, self.code, message, fix, end_line, end_col, trace)
