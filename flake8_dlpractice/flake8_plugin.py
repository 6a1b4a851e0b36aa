"""flake8 front end: ``flake8 --select DLP``.

flake8 hands us the tree it already parsed. Opt-in rules run only when a selector names their full
code (``--select DLP,DLP402`` or ``--extend-select DLP402``): flake8's own decision engine would
let ``--select DLP`` through for any DLP code, so the plugin decides which rules to run.
"""
from __future__ import annotations

import ast
from typing import Iterator

from . import __version__
from .engine import check_tree
from .rules import OPT_IN_CODES


class Flake8Plugin:
    name = "flake8-dlpractice"
    version = __version__
    opt_in: frozenset[str] = frozenset()

    def __init__(self, tree: ast.Module, filename: str = "<stdin>", lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def parse_options(cls, options) -> None:
        named: set[str] = set()
        for attr in ("select", "extend_select", "enable_extensions"):
            for code in getattr(options, attr, None) or ():
                named.add(code.strip().upper())
        cls.opt_in = frozenset(named & OPT_IN_CODES)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        for finding in check_tree(self.tree, self.filename, self.opt_in, lines=self.lines):
            yield finding.line, finding.col, finding.text, type(self)
