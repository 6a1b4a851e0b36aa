"""``dlp-fix``'s engine: check a module, apply the fixes its findings carry, verify, repeat.

The rules decide *what* to fix (a finding's ``Fix``, see ``rules.base.Fix``); ``apply.py`` does the
editing with libcst. This module imports libcst only when a file has a fixable finding, so a clean
tree costs one ``ast`` pass per file.

A round applies every fix that does not overlap another (overlapping ones wait for the next round,
after the edited source is checked again). A round is kept only if the result parses, each fixed
finding is gone (the count of its code drops) and no finding of another code appears that this run
could not fix too; otherwise the round's fixes are retried one by one and the bad ones are left
alone, reported with the reason. So every written file parses, and a second run changes nothing.
"""
from __future__ import annotations

import ast
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

from ..engine import check_tree
from ..rules.base import Finding
from ..noqa import suppressions
from .text import Lines

MAX_ROUNDS = 8


@dataclass(frozen=True)
class Budget:
    """The most ``dlp-fix`` spends on one file. Beyond ``max_bytes``, ``max_nodes``, ``max_fixes``
    or ``max_seconds`` the file is "too large to fix" and skipped (:class:`TooLarge`); after
    ``max_rounds`` rounds the fixes made are kept and the findings still fixable are reported.

    Why: libcst holds every syntax node as Python objects (a few KB and tens of microseconds per
    ``ast`` node), so a generated 10 MB literal needs more memory than a workstation has; its
    parser takes 11 s on one chain of 2,000 ``+`` operators (a real notebook has three). The largest hand-written
    file of the real-code corpus has 44,000 syntax nodes and fewer than 100 fixable findings.
    """

    max_bytes: int = 2 * 1024 * 1024  # source size
    max_nodes: int = 200_000  # ast nodes: what libcst's memory and time grow with
    max_depth: int = 300  # ast nesting: libcst's parse time grows with the square of an operator chain
    max_fixes: int = 1_000  # fixable findings in the input
    max_rounds: int = MAX_ROUNDS  # check-fix-verify rounds
    max_seconds: float = 60.0  # checking and fixing one file, wall time


class TooLarge(BaseException):
    """A file over its :class:`Budget`; the message says which limit. A ``BaseException``, like
    ``KeyboardInterrupt``, so that the guards that keep one rule's crash or one bad edit from
    stopping the run (``except Exception``) do not swallow it when a timer raises it."""


def check_size(tree: ast.Module, fixable: int, budget: Budget) -> None:
    """Raise :class:`TooLarge` if libcst would have to work on more than ``budget`` allows."""
    if fixable > budget.max_fixes:
        raise TooLarge(f"{fixable:,} fixable findings (the limit is {budget.max_fixes:,})")
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > budget.max_nodes:
            raise TooLarge(f"more than {budget.max_nodes:,} syntax nodes (the limit)")
        if depth > budget.max_depth:
            raise TooLarge(f"code nested more than {budget.max_depth} deep (the limit), e.g. a long chain of operators")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


@dataclass
class FixOutcome:
    text: str  # the fixed source (the input when nothing changed)
    fixed: list[Finding] = field(default_factory=list)  # at their positions in the input text
    remaining: list[Finding] = field(default_factory=list)  # findings of the final text
    original: list[Finding] = field(default_factory=list)  # findings of the input text
    not_fixed: dict[Finding, str] = field(default_factory=dict)  # fixable but refused: reason
    note: str | None = None  # the file as a whole could not be fixed (e.g. libcst cannot parse it)
    rounds: int = 0
    texts: list[str] = field(default_factory=list, repr=False)  # the input, then each round's result
    _maps: list = field(default_factory=list, repr=False)

    @property
    def changed(self) -> bool:
        return bool(self.fixed)

    def in_input(self, findings: Iterable[Finding], rounds: int | None = None) -> list[Finding]:
        """``findings`` of the text after ``rounds`` rounds (default: the final text), moved to
        the lines of the input text (see ``positions.py``)."""
        from .positions import LinesBack, relocate

        rounds = len(self.texts) - 1 if rounds is None else rounds
        while len(self._maps) < rounds:
            done = len(self._maps)
            self._maps.append(LinesBack(self.texts[done], self.texts[done + 1]))
        maps = self._maps[:rounds]
        return [relocate(f, maps) for f in findings] if maps else list(findings)


def allowed(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    return fix is not None and (fix.safety == "safe" or (unsafe and fix.safety == "unsafe"))


def findings_of(tree: ast.Module, text: str, filename: str, rules: Sequence) -> list[Finding]:
    """The enabled rules' findings, minus those silenced by comments (``# noqa``, ``# pylint:
    disable=``, ``# dlp: noqa``; see ``flake8_dlpractice.noqa``): every front end honours the same."""
    found = check_tree(tree, filename, rules=rules)
    if not found:
        return found
    comments = suppressions(text, tree)
    return [f for f in found if not comments.silences(f.code, f.line)] if comments is not None else found


@lru_cache(maxsize=4)
def _lines(text: str) -> Lines:
    return Lines(text)


def _key(finding: Finding, text: str) -> tuple:
    """Identity of a fix across rounds: what it does to which source text (positions shift)."""
    fix = finding.fix
    assert fix is not None
    try:
        lines = _lines(text)
        snippet = lines.text_of(lines.char_span(fix.span))
    except (ValueError, IndexError):
        snippet = ""
    return finding.code, fix.action, fix.data, snippet


def _verify(before: list[Finding], applied: list[Finding], after: list[Finding], unsafe: bool,
            applied_keys: set[tuple], new_text: str) -> str | None:
    """Why the edited text is not acceptable, or None.

    Each fixed finding must be gone: the count of its code drops by the number fixed, unless the
    surplus are findings this run can fix next with a *different* fix (a cascade: flipping
    ``benchmark = True`` reveals the missing ``deterministic`` setting). Findings of other codes
    may only appear if they are fixable too (DLP200's seed insertion reveals DLP201).
    """
    old = Counter(f.code for f in before)
    new = Counter(f.code for f in after)
    done = Counter(f.code for f in applied)
    for code, count in new.items():
        limit = old[code] - done[code]
        if count <= limit:
            continue
        extra = [f for f in after if f.code == code]
        if not all(allowed(f, unsafe) for f in extra):
            if code in done:
                return f"the fix would not remove the {code} finding"
            return f"the fix would introduce a {code} finding"
        if code in done and any(_key(f, new_text) in applied_keys for f in extra):
            return f"the fix would not remove the {code} finding"
    return None


def fix_text(text: str, filename: str, rules: Sequence, unsafe: bool = False,
             tree: ast.Module | None = None, findings: list[Finding] | None = None,
             budget: Budget = Budget()) -> FixOutcome:
    """Fix ``text``; ``tree``/``findings`` may be passed when already computed for ``text``.

    Raises :class:`TooLarge` when the file is over ``budget`` (its time is checked between the
    steps of the fix; a caller that must stop a single long step sets a timer, as dlp-fix does).
    """
    deadline = time.monotonic() + budget.max_seconds
    if tree is None:
        tree = ast.parse(text, filename=filename)
    if findings is None:
        findings = findings_of(tree, text, filename, rules)
    outcome = FixOutcome(text, original=list(findings), remaining=list(findings))
    fixable = sum(1 for f in findings if allowed(f, unsafe))
    if not fixable:
        return outcome
    check_size(tree, fixable, budget)
    from . import apply  # libcst only for files with something to fix

    failed: dict[tuple, str] = {}
    current, current_findings, current_tree = text, list(findings), tree
    outcome.texts.append(text)
    attempts = 0
    while attempts < budget.max_rounds:
        candidates = [f for f in current_findings if allowed(f, unsafe) and _key(f, current) not in failed]
        if not candidates:
            break
        _on_time(deadline, budget)
        attempts += 1
        try:
            module = apply.parse_module(current)
            accepted = _round(apply, module, current, current_tree, filename, rules, unsafe, candidates,
                              current_findings, failed, lambda: _on_time(deadline, budget))
        except apply.CstParseError as exc:
            outcome.note = f"not fixable: {exc}"
            break
        if accepted is None:
            continue  # errors recorded in failed; the next round tries the others
        current, current_findings, applied, current_tree = accepted
        outcome.fixed.extend(outcome.in_input(applied, outcome.rounds))  # found in the last round's text
        outcome.texts.append(current)
        outcome.rounds += 1
    outcome.text = current
    outcome.remaining = current_findings
    for finding in current_findings:
        if allowed(finding, unsafe):
            reason = outcome.note or failed.get(_key(finding, current))
            outcome.not_fixed[finding] = reason or f"still fixable after {budget.max_rounds} rounds"
    return outcome


def _on_time(deadline: float, budget: Budget) -> None:
    if time.monotonic() > deadline:
        raise TooLarge(f"took longer than {budget.max_seconds:g} s (the limit)")


def _round(apply, module, text: str, tree: ast.Module, filename: str, rules: Sequence, unsafe: bool,
           candidates: list[Finding], findings: list[Finding], failed: dict[tuple, str], on_time):
    """One round; (new text, its findings, applied findings, new tree) or None when nothing was kept."""
    try:
        result = apply.apply_round(text, candidates, module, tree)
    except apply.CstParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - an editing bug must not lose the file
        for finding in candidates:
            failed[_key(finding, text)] = f"internal error in dlp-fix ({type(exc).__name__}: {exc})"
        return None
    for finding, reason in result.errors:
        failed[_key(finding, text)] = reason
    if not result.applied:
        return None
    checked = _check(result.text, filename, rules, findings, result.applied, unsafe, text)
    if isinstance(checked, tuple):
        return result.text, checked[0], result.applied, checked[1]
    if len(result.applied) == 1:
        failed[_key(result.applied[0], text)] = checked
        return None
    # several fixes together went wrong: find the ones that work alone
    for finding in result.applied:
        on_time()
        try:
            single = apply.apply_round(text, [finding], module, tree)
        except apply.CstParseError:
            raise
        except Exception as exc:  # noqa: BLE001
            failed[_key(finding, text)] = f"internal error in dlp-fix ({type(exc).__name__}: {exc})"
            continue
        if not single.applied:
            failed[_key(finding, text)] = single.errors[0][1] if single.errors else "could not be applied"
            continue
        checked = _check(single.text, filename, rules, findings, single.applied, unsafe, text)
        if isinstance(checked, tuple):
            return single.text, checked[0], single.applied, checked[1]
        failed[_key(finding, text)] = checked
    return None


def _check(new_text: str, filename: str, rules: Sequence, before: list[Finding], applied: list[Finding],
           unsafe: bool, old_text: str) -> tuple[list[Finding], ast.Module] | str:
    """The new text's findings and tree, or why the edit is refused."""
    try:
        tree = ast.parse(new_text, filename=filename)
    except (SyntaxError, ValueError) as exc:
        return f"the fixed code would not parse ({getattr(exc, 'msg', exc)})"
    after = findings_of(tree, new_text, filename, rules)
    problem = _verify(before, applied, after, unsafe, {_key(f, old_text) for f in applied}, new_text)
    return problem if problem is not None else (after, tree)


def select_rules(select: Iterable[str] | None, ignore: Iterable[str] | None):
    """Rules enabled by flake8-style selectors: codes or prefixes; the more specific one wins.

    Opt-in rules run only when ``select`` names their full code.
    """
    from ..rules import ALL_RULES

    select = [s.strip().upper() for s in (select or ("DLP",)) if s.strip()]
    ignore = [s.strip().upper() for s in (ignore or ()) if s.strip()]
    chosen = []
    for rule in ALL_RULES:
        sel = max((len(s) for s in select if rule.code.startswith(s)), default=-1)
        ign = max((len(s) for s in ignore if rule.code.startswith(s)), default=-1)
        if sel < 0 or ign >= sel:
            continue
        if not rule.default and rule.code not in select:
            continue
        chosen.append(rule)
    return chosen
