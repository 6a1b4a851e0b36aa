"""The one engine both front ends and ``dlp-fix`` call: parse once, build facts once, run rules.

An exception inside the analysis or one rule never reaches the host tool: it is reported on
stderr, once per rule and file, with what a bug report needs, and the other rules still run.
"""
from __future__ import annotations

import ast
import gc
import sys
import traceback
from typing import Iterable

from .analysis.facts import build_facts
from .rules import ALL_RULES, OPT_IN_CODES
from .rules.base import Finding


def enabled_rules(opt_in: Iterable[str] = ()):
    chosen = set(opt_in) & OPT_IN_CODES
    return [rule for rule in ALL_RULES if rule.default or rule.code in chosen]


def report_internal_error(where: str, filename: str, exc: BaseException) -> None:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    sys.stderr.write(
        f"flake8-dlpractice: internal error in {where} while checking {filename}: "
        f"{type(exc).__name__}: {exc}{at}. The other rules still ran; please report this "
        f"with the file that triggers it.\n")


def check_tree(tree: ast.Module, filename: str = "<unknown>", opt_in: Iterable[str] = (),
               rules=None) -> list[Finding]:
    """Findings for an already parsed module, sorted by position.

    The facts of a module are many small linked objects that die together when the check ends:
    the cyclic garbage collector is paused meanwhile (its passes over every live object would
    otherwise cost as much as the analysis) and runs as usual afterwards.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _check_tree(tree, filename, opt_in, rules)
    finally:
        if paused:
            gc.enable()


def _check_tree(tree: ast.Module, filename: str, opt_in: Iterable[str], rules) -> list[Finding]:
    try:
        facts = build_facts(tree)
    except RecursionError as exc:  # pragma: no cover - the engine avoids deep recursion
        report_internal_error("the analysis", filename, exc)
        return []
    except Exception as exc:  # noqa: BLE001 - never crash the host tool
        report_internal_error("the analysis", filename, exc)
        return []
    if not facts.relevant:
        return []
    findings: set[Finding] = set()
    for rule in rules if rules is not None else enabled_rules(opt_in):
        try:
            findings.update(rule.check(facts))
        except Exception as exc:  # noqa: BLE001 - never crash the host tool
            report_internal_error(f"rule {rule.code}", filename, exc)
    return sorted(findings, key=lambda f: (f.line, f.col, f.code))


def check_source(source: str | bytes, filename: str = "<unknown>", opt_in: Iterable[str] = (),
                 rules=None) -> list[Finding]:
    """Parse and check source text; a file that does not parse has no DLP findings."""
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    return check_tree(tree, filename, opt_in, rules)
