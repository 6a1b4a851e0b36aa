"""pylint front end: ``pylint --load-plugins=flake8_dlpractice.pylint_plugin``.

The checker reads the module's source from astroid and runs the same engine as the other front
ends, with the file's ``[tool.dlpractice]`` configuration; pylint's own enable/disable apply on
top. Message symbols are the catalog names; ids use checker id 87 (pylint reserves 51-99 for
external plugins).

Opt-in rules are disabled by default and belong to a checker of their own, ``dlpractice-opt-in``,
so ``--enable=dlpractice`` turns on the default rules only (as ``--select DLP`` does in flake8);
``--enable=unmonitored-gradients`` turns one opt-in rule on, and so does naming its code in
``[tool.dlpractice] extend-select`` (pylint's ``--disable`` still wins). ``# noqa: DLPnnn`` and
``# dlp: noqa`` are honoured like in flake8.
"""
from __future__ import annotations

import ast
import os
from typing import TYPE_CHECKING

from pylint.checkers import BaseRawFileChecker

from .config import Resolver
from .noqa import message_id
from .rules import ALL_RULES, RULES_BY_CODE

if TYPE_CHECKING:  # pragma: no cover
    from astroid import nodes
    from pylint.lint import PyLinter

RESOLVER = Resolver(strict=False, flake8_config=False)
# pylint would read a notebook's JSON as a Python dict literal: such a file is never reported clean
NOTEBOOK_ID, NOTEBOOK = "W8799", "notebook-not-checked"
NOTEBOOK_TEXT = "DLP000 a Jupyter notebook: the pylint plugin cannot read notebooks; check it with `dlp check`"


def _msgs(default: bool) -> dict:
    msgs = {}
    if default:
        msgs[NOTEBOOK_ID] = ("%s", NOTEBOOK, "DLP000: a Jupyter notebook, which pylint cannot read (use dlp check)", {})
    for rule in ALL_RULES:
        if rule.default == default:
            options = {} if rule.default else {"default_enabled": False}
            msgs[message_id(rule.code)] = ("%s", rule.name, f"{rule.code}: {rule.summary}", options)
    return msgs


class DLPChecker(BaseRawFileChecker):
    """The default rules' messages. Both checkers run the engine once per module for every enabled
    rule (pylint runs a checker only while one of its own messages is enabled)."""

    name = "dlpractice"
    msgs = _msgs(default=True)
    _last: list = [None]  # the module last checked, shared by both checkers

    def __init__(self, linter: PyLinter) -> None:
        super().__init__(linter)
        self.resolver = RESOLVER

    def _enabled(self, code: str) -> bool:
        return self.linter.is_message_enabled(RULES_BY_CODE[code].name)

    def process_module(self, node: nodes.Module) -> None:
        if DLPChecker._last[0] is node:
            return
        DLPChecker._last[0] = node
        from .frontend import plugin_findings

        try:
            with node.stream() as stream:
                source = stream.read()
        except (OSError, AttributeError):
            return
        filename = node.file or node.name
        if filename.lower().endswith(".ipynb"):
            if self.linter.is_message_enabled(NOTEBOOK):
                self.add_message(NOTEBOOK, line=1, col_offset=0, args=(NOTEBOOK_TEXT,))
            return
        try:
            tree = ast.parse(source, filename=filename)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return
        lines = source.decode("utf-8", "replace").splitlines()
        named = [rule.code for rule in ALL_RULES if not rule.default and self._enabled(rule.code)]
        for finding in plugin_findings(tree, filename, lines, self.resolver, named, self._enabled, noqa=True):
            rule = RULES_BY_CODE[finding.code]
            self.add_message(rule.name, line=finding.line, col_offset=finding.col, args=(finding.text,))


class OptInChecker(DLPChecker):
    """The opt-in rules' messages, off by default."""

    name = "dlpractice-opt-in"
    msgs = _msgs(default=False)


def register(linter: PyLinter) -> None:
    linter.register_checker(DLPChecker(linter))
    linter.register_checker(OptInChecker(linter))
    # opt-in rules the project's [tool.dlpractice] names start enabled; pylint's own options,
    # applied after the plugins are loaded, can still disable them
    config = RESOLVER.for_folder(os.getcwd())
    for rule in ALL_RULES:
        if not rule.default and rule.code in config.selection.explicit:
            linter.enable(rule.name)
