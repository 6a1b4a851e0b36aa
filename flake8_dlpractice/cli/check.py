"""``dlp check``: lint files and folders without flake8 — the same engine and findings, in parallel.

Each file is read once; its configuration (``flake8_dlpractice.config``) decides the rules, their
settings and the suppression comments honoured (``flake8_dlpractice.noqa``). A file that cannot be
analysed (undecodable bytes, a syntax error) is a ``DLP000`` finding at the error's position and
the run goes on. Exit status: 0 no findings, 1 findings, 2 usage, configuration or I/O error.
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from .. import noqa
from ..config import Config
from ..engine import check_tree, parse_failure, unanalysable
from ..findings import FILE_LINES, UNANALYSABLE, Finding, LineMap
from ..fixes.text import SourceError, decode_source, encode_source

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass
class Checked:
    """One checked file: the path to show, its findings (after suppressions), how its lines are
    named, its source lines, and an I/O error that kept it from being checked."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    where: LineMap = FILE_LINES
    lines: list[str] | None = None
    error: str | None = None
    noqa_added: int = 0  # --add-noqa: comments written


def _rule_names(findings: Sequence[Finding]) -> dict[str, str]:
    from ..rules import RULES_BY_CODE

    return {f.code: RULES_BY_CODE[f.code].name for f in findings if f.code in RULES_BY_CODE}


def analyse(data: bytes, path: str, config: Config) -> tuple[list[Finding], str | None, list[str] | None]:
    """(findings after suppressions, the decoded text, its lines) of a file's bytes."""
    try:
        text = decode_source(data).text
    except SourceError as exc:
        problem = unanalysable(exc.line, exc.col, str(exc))
        return ([problem] if config.reports(UNANALYSABLE, path) else []), None, None
    lines = text.splitlines()
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        found, tree = [parse_failure(exc)], None
    else:
        found = check_tree(tree, path, rules=config.rules_for(path), lines=lines)
    found = [f for f in found if f.code != UNANALYSABLE or config.reports(UNANALYSABLE, path)]
    if found:
        comments = noqa.suppressions(text, tree)
        if comments is not None:
            names = _rule_names(found)
            found = [f for f in found if not comments.silences(f.code, f.line, (names.get(f.code, ""),))]
    return found, text, lines


def check_file(path: str, config: Config, add_noqa: bool = False) -> Checked:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return Checked(path, error=f"cannot read: {exc.strerror or exc}")
    found, text, lines = analyse(data, path, config)
    result = Checked(path, found, lines=lines)
    if add_noqa and text is not None:
        result.error = _add_noqa(path, data, text, result)
    return result


def _add_noqa(path: str, data: bytes, text: str, result: Checked) -> str | None:
    """Silence ``result``'s findings with ``# noqa`` comments written into ``path``; keeps the
    findings it could not silence (DLP000) and returns an I/O error message, if any."""
    from .fix import write_atomic

    edits = noqa.noqa_edits(text, [(f.line, f.code) for f in result.findings if f.code != UNANALYSABLE])
    if not edits:
        return None
    silenced = {(f.line, f.code) for f in result.findings}
    new = noqa.apply_edits(text, edits)
    try:
        write_atomic(path, encode_source(new, decode_source(data)), os.stat(path))
    except (OSError, UnicodeEncodeError) as exc:
        return f"cannot write: {getattr(exc, 'strerror', None) or exc}"
    result.noqa_added = len(edits)
    result.findings = [f for f in result.findings if (f.line, f.code) not in silenced or f.code == UNANALYSABLE]
    result.lines = new.splitlines()
    return None


# -- running over many files -----------------------------------------------------------------------

_JOB: tuple[Callable[[str], Config], bool] | None = None


def _init_worker(job: tuple[Callable[[str], Config], bool]) -> None:
    global _JOB
    _JOB = job


def _work(path: str) -> Checked:
    assert _JOB is not None
    config_of, add_noqa = _JOB
    return check_file(path, config_of(path), add_noqa)


def check_files(files: Sequence[str], config_of: Callable[[str], Config], jobs: int = 1,
                add_noqa: bool = False) -> Iterator[Checked]:
    """Check ``files`` (in order) with ``jobs`` worker processes (1: in this process)."""
    if jobs <= 1 or len(files) < 2 * jobs:
        for path in files:
            yield check_file(path, config_of(path), add_noqa)
        return
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(jobs, initializer=_init_worker, initargs=((config_of, add_noqa),)) as pool:
        yield from pool.imap(_work, files, chunksize=max(1, min(16, len(files) // (jobs * 8))))


# -- command line -----------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or folders (recursive); default: the project the configuration "
                             "belongs to (the folder of the pyproject.toml with [tool.dlpractice])")
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="comma-separated codes or prefixes to report, instead of the configuration's "
                             "`select` (opt-in rules only by full code)")
    parser.add_argument("--extend-select", action="append", metavar="CODES",
                        help="codes or prefixes to report in addition")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="codes or prefixes not to report")
    parser.add_argument("--exclude", action="append", metavar="GLOBS",
                        help="comma-separated globs of files/folders to skip, added to the configuration's")
    parser.add_argument("--force-exclude", action="store_true",
                        help="apply the excludes to files named on the command line too (pre-commit)")
    parser.add_argument("--add-noqa", action="store_true",
                        help="silence every current finding with a `# noqa: DLPnnn` comment on its line "
                             "(adopting the gate on existing code), then report what is left")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                        help="files checked in parallel (default 0: one process per CPU)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print the findings only, no summary")


def render_text(results: Sequence[Checked]) -> str:
    lines = []
    for result in results:
        for finding in result.findings:
            lines.append(f"{result.path}:{finding.line}:{finding.col + 1}: {finding.code} "
                         f"{finding.render(result.where)}")
    return "".join(line + "\n" for line in lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(results: Sequence[Checked]) -> str:
    checked = [r for r in results if r.error is None]
    findings = sum(len(r.findings) for r in results)
    if not findings:
        return f"All checks passed ({_plural(len(checked), 'file')})."
    with_findings = sum(1 for r in results if r.findings)
    return f"Found {_plural(findings, 'finding')} in {_plural(with_findings, 'file')}."


def run(args: argparse.Namespace, files: Sequence[str], config_of: Callable[[str], Config],
        say: Callable[[str], None]) -> int:
    """Check ``files``, print the findings, return the exit status."""
    jobs = args.jobs or os.cpu_count() or 1
    results = list(check_files(files, config_of, jobs, args.add_noqa))
    status = EXIT_CLEAN
    for result in results:
        if result.error is not None:
            say(f"{result.path}: {result.error}")
            status = EXIT_ERROR
    sys.stdout.write(render_text(results))
    if args.add_noqa:
        added = sum(r.noqa_added for r in results)
        say(f"Added {_plural(added, 'noqa comment')} to "
            f"{_plural(sum(1 for r in results if r.noqa_added), 'file')}.")
    if not args.quiet:
        say(summary(results))
    if status == EXIT_CLEAN and any(r.findings for r in results) and not args.exit_zero:
        status = EXIT_FINDINGS
    return status
