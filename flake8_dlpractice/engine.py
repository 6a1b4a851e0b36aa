"""The one engine both front ends and ``dlp-fix`` call: parse once, build facts once, run rules.

An exception inside the analysis or one rule never reaches the host tool: it is reported on
stderr, once per rule and file, with what a bug report needs, and the other rules still run.
"""
from __future__ import annotations

import ast
import gc
import sys
import traceback
from contextlib import contextmanager
from dataclasses import replace
from typing import Iterable, Iterator, Sequence

from .analysis.facts import build_facts
from .analysis.names import use_extra_tokens
from .findings import MAX_HEADLINE, UNANALYSABLE, Finding, Step
from .rules import ALL_RULES, OPT_IN_CODES
from .settings import DEFAULT_SETTINGS, RuleSet, RuleSettings


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
               rules=None, *, lines: Sequence[str] | None = None,
               settings: RuleSettings = DEFAULT_SETTINGS) -> list[Finding]:
    """Findings for an already parsed module, sorted by position.

    ``rules`` (default: the default rules plus the opt-in codes named in ``opt_in``) are run with
    the project's ``settings`` (a :class:`RuleSet` brings its own). Given the module's source
    ``lines``, columns are character offsets (what editors, pylint and flake8's own checks count);
    without them they stay UTF-8 byte offsets, as ``ast`` has them. Fix spans always stay in ``ast`` coordinates.

    The facts of a module are many small linked objects that die together when the check ends:
    the cyclic garbage collector is paused meanwhile (its passes over every live object would
    otherwise cost as much as the analysis) and runs as usual afterwards. Its first pass then
    visits the tree once more: a caller that frees the tree soon pauses the collector until it
    has (:func:`check_source` and ``dlp check`` do).
    """
    if isinstance(rules, RuleSet):
        settings = rules.settings
    with collector_paused():
        found = _check_tree(tree, filename, opt_in, rules, settings)
    return character_columns(found, lines) if lines is not None and found else found


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it runs) for the block. Parsing and checking a file
    allocate objects by the hundred thousand, nearly all acyclic (a syntax tree, the facts, which
    :meth:`ModuleFacts.release` unlinks); collections triggered meanwhile find nothing to free
    but visit every one of them."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def character_columns(findings: list[Finding], lines: Sequence[str]) -> list[Finding]:
    """Findings (and their data-path steps) with UTF-8 byte columns turned into character columns
    on non-ASCII lines."""
    out = []
    for finding in findings:
        col, end_col = _char_cols(lines, finding.line, finding.col, finding.end_line, finding.end_col)
        trace = tuple(_step_in_characters(step, lines) for step in finding.trace)
        if (col, end_col) == (finding.col, finding.end_col) and trace == finding.trace:
            out.append(finding)
        else:
            out.append(replace(finding, col=col, end_col=end_col, trace=trace))
    return out


def _step_in_characters(step: Step, lines: Sequence[str]) -> Step:
    col, end_col = _char_cols(lines, step.line, step.col, step.end_line, step.end_col)
    return step if (col, end_col) == (step.col, step.end_col) else replace(step, col=col, end_col=end_col)


def _char_cols(lines: Sequence[str], line: int, col: int, end_line: int | None,
               end_col: int | None) -> tuple[int, int | None]:
    if 0 < line <= len(lines) and not lines[line - 1].isascii():
        col = char_col(lines[line - 1], col)
    if end_col is not None and end_line and 0 < end_line <= len(lines) and not lines[end_line - 1].isascii():
        end_col = char_col(lines[end_line - 1], end_col)
    return col, end_col


def char_col(line: str, byte_col: int) -> int:
    """The character offset of UTF-8 byte offset ``byte_col`` in ``line``."""
    return len(line.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "replace"))


def _check_tree(tree: ast.Module, filename: str, opt_in: Iterable[str], rules,
                settings: RuleSettings) -> list[Finding]:
    use_extra_tokens({**{w: "test" for w in settings.test_names},
                      **{w: "val" for w in settings.validation_names},
                      **{w: "train" for w in settings.train_names}})
    try:
        facts = build_facts(tree, settings)
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
    facts.release()  # freed by reference counting, not by the cyclic collector
    return sorted(findings, key=lambda f: (f.line, f.col, f.code, f.headline))  # the same order in every run


def check_source(source: str | bytes, filename: str = "<unknown>", opt_in: Iterable[str] = (),
                 rules=None, *, settings: RuleSettings = DEFAULT_SETTINGS) -> list[Finding]:
    """Parse and check source text; a file that does not parse has no DLP findings."""
    with collector_paused():  # until the tree is freed (see check_tree)
        found = _parse_and_check(source, filename, opt_in, rules, settings)
    if not found:
        return found  # most files: their lines are never needed
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    return character_columns(found, text.splitlines())


def _parse_and_check(source: str | bytes, filename: str, opt_in: Iterable[str], rules,
                     settings: RuleSettings) -> list[Finding]:
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    return check_tree(tree, filename, opt_in, rules, settings=settings)


# -- files that cannot be analysed (DLP000) ---------------------------------------------------------

def unanalysable(line: int, col: int, reason: str) -> Finding:
    """The ``DLP000`` finding of a file (or notebook cell) that cannot be analysed, at ``line``
    (1-based) and ``col`` (0-based characters), saying why. ``dlp check`` reports it; the
    flake8 and pylint plugins never do (their hosts report such files themselves)."""
    headline = reason
    if len(headline) > MAX_HEADLINE:
        headline = headline[:MAX_HEADLINE - 1] + "…"
    return Finding(line, col, UNANALYSABLE, headline, end_line=line, end_col=col)


def parse_failure(exc: BaseException) -> Finding:
    """The ``DLP000`` finding for an exception ``ast.parse`` raised."""
    if isinstance(exc, SyntaxError):
        kind = "indentation error" if isinstance(exc, IndentationError) else "syntax error"
        line, col = max(1, exc.lineno or 1), max(0, (exc.offset or 1) - 1)
        return unanalysable(line, col, f"{kind}: {exc.msg}")
    if isinstance(exc, (RecursionError, MemoryError)):
        return unanalysable(1, 0, "too deeply nested for the Python parser")
    return unanalysable(1, 0, f"{type(exc).__name__}: {exc}")
