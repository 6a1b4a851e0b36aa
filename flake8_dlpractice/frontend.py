"""What the flake8 and pylint plugins share: a file's configuration, rules and suppressions.

Each host hands over one parsed file and applies its own selection on top (``host_selects``);
the plugin runs the rules that the file's ``[tool.dlpractice]`` configuration and the host both
select, and drops the findings silenced by the comments the host does not read itself (flake8
reads ``# noqa``, pylint its ``# pylint:`` pragmas; both miss ``# dlp: noqa``).
"""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import Callable, Iterable, Sequence

from . import noqa as comments
from .config import DEFAULT_CONFIG, Resolver, rules_of
from .engine import check_tree
from .findings import Finding
from .rules import OPT_IN_CODES
from .settings import RuleSet


def plugin_findings(tree: ast.Module, filename: str, lines: Sequence[str], resolver: Resolver | None,
                    named: Iterable[str], host_selects: Callable[[str], bool], *, noqa: bool) -> list[Finding]:
    """The findings a plugin reports for one file.

    ``named`` are the selectors the host's own options name (an opt-in rule named there by full
    code runs, as on the command line); ``noqa``: whether ``# noqa`` must be applied here (pylint)
    rather than by the host (flake8, which then leaves ``# pylint:`` pragmas to us).
    """
    config = resolver.for_file(filename) if resolver is not None else DEFAULT_CONFIG
    if config.excludes_file(filename):
        return []
    selection = config.selection_for(filename)
    opt_in = tuple(code for code in named if code in OPT_IN_CODES)
    if opt_in:
        selection = replace(selection, extend_select=(*selection.extend_select, *opt_in))
    rules = [rule for rule in rules_of(selection) if host_selects(rule.code)]
    if not rules:
        return []
    found = check_tree(tree, filename, rules=RuleSet(tuple(rules), config.settings), lines=lines)
    if not found:
        return found
    joined = "".join(lines) if lines and lines[0].endswith(("\n", "\r")) else "\n".join(lines)
    suppressed = comments.suppressions(joined, tree)
    if suppressed is None:
        return found
    return [f for f in found if not suppressed.silences(f.code, f.line, noqa=noqa, pylint=not noqa)]
