"""pylint front end: ``pylint --load-plugins=flake8_dlpractice.pylint_plugin``.

The checker reads the module's source from astroid and runs the same engine, so both front ends
report identical findings. Message symbols are the catalog names; ids use checker id 87 (pylint
reserves 51-99 for external plugins). Opt-in rules are disabled by default:
``--enable=unmonitored-gradients`` turns one on.
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from pylint.checkers import BaseRawFileChecker

from .engine import check_tree
from .rules import ALL_RULES, RULES_BY_CODE

if TYPE_CHECKING:  # pragma: no cover
    from astroid import nodes
    from pylint.lint import PyLinter

CHECKER_ID = "87"


def message_id(code: str) -> str:
    """DLP100 -> W8700, DLP204 -> W8714, DLP309 -> W8729: unique while units stay below 10."""
    number = int(code[3:])
    return f"W{CHECKER_ID}{(number // 100 - 1) * 10 + number % 100:02d}"


def _msgs() -> dict:
    msgs = {}
    for rule in ALL_RULES:
        options = {} if rule.default else {"default_enabled": False}
        msgs[message_id(rule.code)] = ("%s", rule.name, f"{rule.code}: {rule.summary}", options)
    return msgs


class DLPChecker(BaseRawFileChecker):
    name = "dlpractice"
    msgs = _msgs()

    def process_module(self, node: nodes.Module) -> None:
        try:
            with node.stream() as stream:
                source = stream.read()
        except (OSError, AttributeError):
            return
        try:
            tree = ast.parse(source, filename=node.file or "<unknown>")
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return
        rules = [r for r in ALL_RULES if self.linter.is_message_enabled(r.name)]
        for finding in check_tree(tree, node.file or node.name, rules=rules,
                                  lines=source.decode("utf-8", "replace").splitlines()):
            rule = RULES_BY_CODE[finding.code]
            self.add_message(rule.name, line=finding.line, col_offset=finding.col,
                             args=(finding.text,))


def register(linter: PyLinter) -> None:
    linter.register_checker(DLPChecker(linter))
