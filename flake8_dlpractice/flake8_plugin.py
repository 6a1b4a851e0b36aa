"""flake8 front end: ``flake8 --select DLP``.

flake8 hands us the tree it already parsed. The rules that run on a file are those of its
``[tool.dlpractice]`` configuration (``flake8_dlpractice.config``) that flake8's own selection can
report; flake8 then applies its own ``select``/``ignore``/``per-file-ignores`` and ``# noqa`` on top.
Opt-in rules run only when a selector names their full code (``--select DLP,DLP402`` or
``--extend-select DLP402``, or ``extend-select`` in ``[tool.dlpractice]``). ``# pylint: disable=``
and a file-level ``# dlp: noqa`` are honoured here (flake8 reads ``# noqa`` itself).

When the run's selection cannot report any DLP code (``flake8 --select E9``) the plugin does no
work at all: the engine is not even imported. When an ``ignore`` prefix shorter than ``DLP``
(``extend-ignore = D`` for docstring checks) silences every DLP rule, one warning line says so.
"""
from __future__ import annotations

import ast
import sys
from typing import Iterator

from . import __version__
from .config import DEFAULT_SELECT, Resolver, Selection

# Every code the catalog's families (DLP1xx-DLP5xx) can hold: enough to decide whether flake8's
# selection can report any DLP code without importing the rules (`flake8 --select E9` costs nothing).
POSSIBLE_CODES = tuple(f"DLP{family}{unit:02d}" for family in range(1, 6) for unit in range(100))

WARNING = "flake8-dlpractice: warning:"
NOTEBOOK = "DLP000 a Jupyter notebook: the flake8 plugin cannot read notebooks; check it with `dlp check`"


def flake8_selection(options) -> Selection:
    """flake8's own decision for DLP codes, from its parsed options."""
    def listed(*names: str) -> tuple[str, ...]:
        return tuple(code.strip().upper() for name in names for code in getattr(options, name, None) or ()
                     if code.strip())

    select = getattr(options, "select", None)
    return Selection(None if select is None else listed("select"),
                     listed("extend_select", "enable_extensions"), listed("ignore", "extend_ignore"))


def short_prefix_warning(selection: Selection, codes) -> str | None:
    """The warning for an ignore list that silences every DLP rule through ``D`` or ``DL``."""
    shorter = [s for s in selection.ignore if s and DEFAULT_SELECT[0].startswith(s) and s != DEFAULT_SELECT[0]]
    if not shorter or any(selection.decides(code) for code in codes):
        return None
    without = Selection(selection.select, selection.extend_select,
                        tuple(s for s in selection.ignore if s not in shorter))
    if not any(without.decides(code) for code in codes):
        return None
    return (f"{WARNING} ignore {shorter[0]!r} also silences every DLP rule (flake8 matches code prefixes); "
            f"add 'extend-select = DLP' to the flake8 configuration to keep them")


def _isolated(options) -> bool:
    """``flake8 --isolated``: no configuration file at all, ``[tool.dlpractice]`` included. flake8
    reads that option before it parses the others, so plugins' options always say False: the
    command line tells."""
    return bool(getattr(options, "isolated", False)) or "--isolated" in sys.argv[1:]


class Flake8Plugin:
    name = "flake8-dlpractice"
    version = __version__
    active = True  # False when flake8's selection cannot report any DLP code
    selection = Selection()
    resolver: Resolver | None = Resolver(strict=False, flake8_config=False)

    def __init__(self, tree: ast.Module, filename: str = "<stdin>", lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def parse_options(cls, options) -> None:
        cls.selection = flake8_selection(options)
        cls.active = any(cls.selection.decides(code) for code in POSSIBLE_CODES)
        warning = short_prefix_warning(cls.selection, POSSIBLE_CODES)
        if warning:
            sys.stderr.write(warning + "\n")
        cls.resolver = None if _isolated(options) else Resolver(strict=False, flake8_config=False)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        if not self.active:
            return
        if self.filename.lower().endswith(".ipynb"):
            # flake8 would read the notebook's JSON as a Python dict literal: never report it clean
            yield 1, 0, NOTEBOOK, type(self)
            return
        from .frontend import plugin_findings

        lines = self.lines if self.lines is not None else []
        found = plugin_findings(self.tree, self.filename, lines, self.resolver, self.selection.explicit,
                                self.selection.decides, noqa=False)
        for finding in found:
            yield finding.line, finding.col, finding.text, type(self)
