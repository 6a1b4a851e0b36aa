"""``dlp check``: lint files and folders without flake8 — the same engine and findings, in parallel.

Each file is read once; its configuration (``flake8_dlpractice.config``) decides the rules, their
settings and the suppression comments honoured (``flake8_dlpractice.noqa``). A file that cannot be
analysed (undecodable bytes, a syntax error) is a ``DLP000`` finding at the error's position and
the run goes on. Exit status: 0 no findings, 1 findings, 2 usage, configuration or I/O error.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from .. import noqa
from ..config import Config
from ..engine import character_columns, check_tree, collector_paused, parse_failure, unanalysable
from ..findings import FILE_LINES, UNANALYSABLE, Finding, LineMap
from ..report import FORMATS, FileReport, render
from ..report.model import cited_lines
from ..sources import Source, SourceError, load_source

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass
class Checked:
    """One checked file: the path to show, its findings (after suppressions), how its lines are
    named (notebook cells), the source lines its findings cite, and an I/O error that kept it from being
    checked."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    where: LineMap = FILE_LINES
    lines: list[str] | dict[int, str] | None = None  # all lines, or only those the findings cite
    error: str | None = None
    noqa_added: int = 0  # --add-noqa: comments written

    def report(self) -> FileReport:
        return FileReport(self.path, self.findings, self.where, self.lines)


def analyse(data: bytes, path: str, config: Config) -> tuple[list[Finding], Source | None]:
    """(findings after suppressions, the loaded source) of a file's bytes. What cannot be analysed
    (undecodable bytes, a syntax error, a notebook cell that does not parse) is a DLP000 finding."""
    try:
        source = load_source(data, path)
    except SourceError as exc:
        found = [unanalysable(exc.line, exc.col, str(exc))]
        return (found if config.reports(UNANALYSABLE, path) else []), None
    return source_findings(source, config), source


def source_findings(source: Source, config: Config) -> list[Finding]:
    """The findings of a loaded source (what ``dlp check`` and the language server report)."""
    path = source.path
    found = [unanalysable(p.line, p.col, p.message) for p in source.problems]
    try:
        tree = source.parse()
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        found, tree = [parse_failure(exc)], None
    else:
        in_tree = check_tree(tree, path, rules=config.rules_for(path))
        if in_tree:  # in character columns; most files have no finding and their lines are never split
            found.extend(character_columns(in_tree, source.lines))
    found = [f for f in found if f.code != UNANALYSABLE or config.reports(UNANALYSABLE, path)]
    if found:
        comments = noqa.suppressions(source.text, tree)
        if comments is not None:
            found = [f for f in found if not comments.silences(f.code, f.line)]
    return found


def check_file(path: str, config: Config, add_noqa: bool = False) -> Checked:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return Checked(path, error=f"cannot read: {exc.strerror or exc}")
    found, source = analyse(data, path, config)
    if source is None:
        return Checked(path, found)
    # a run holds every result until it prints them: of a file's lines only those its findings cite
    result = Checked(path, found, source.where, cited_lines(found, source.lines) if found else None)
    if add_noqa:
        result.error = _add_noqa(path, source, result, data)
    return result


def _add_noqa(path: str, source: Source, result: Checked, original: bytes) -> str | None:
    """Silence ``result``'s findings with ``# noqa`` comments written into ``path``; keeps the
    findings it could not silence (DLP000) and returns an I/O error message, if any."""
    from ..fixes.writing import ChangedOnDisk, save

    edits = noqa.noqa_edits(source.text, [(f.line, f.code) for f in result.findings if f.code != UNANALYSABLE])
    if not edits:
        return None
    new = noqa.apply_edits(source.text, edits)
    try:
        data = source.updated(new)
        save(path, data, os.stat(path), original)
    except ChangedOnDisk:
        return "cannot add noqa comments: the file changed on disk meanwhile; left alone"
    except (OSError, UnicodeEncodeError, SourceError) as exc:
        return f"cannot add noqa comments: {getattr(exc, 'strerror', None) or exc}"
    comments = noqa.suppressions(new)
    result.noqa_added = len(edits)
    result.findings = [f for f in result.findings if comments is None or not comments.silences(f.code, f.line)]
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
    return _check_paused(path, config_of(path), add_noqa)


def _check_paused(path: str, config: Config, add_noqa: bool) -> Checked:
    """``check_file`` with the garbage collector paused from the read until the file's tree and
    facts are freed: a collection meanwhile (the parse included) or right after (while the tree
    still lives) would visit every node and free nothing."""
    with collector_paused():
        return check_file(path, config, add_noqa)


def check_files(files: Sequence[str], config_of: Callable[[str], Config], jobs: int = 1,
                add_noqa: bool = False) -> Iterator[Checked]:
    """Check ``files`` (in order) with ``jobs`` worker processes (1: in this process)."""
    if jobs <= 1 or len(files) < 2 * jobs:
        for path in files:
            yield _check_paused(path, config_of(path), add_noqa)
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
    parser.add_argument("--output-format", choices=FORMATS, default="text",
                        help="text (default), json, sarif (GitHub code scanning), github (workflow "
                             "annotations), gitlab (code quality), junit")
    parser.add_argument("-o", "--output-file", metavar="FILE",
                        help="write the output to FILE instead of stdout (missing folders are created)")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="count unsafe fixes as fixable ([*], summary, JSON `applied`), as "
                             "`dlp fix --unsafe-fixes` applies them (also `unsafe-fixes = true`)")
    parser.add_argument("--statistics", action="store_true", help="print the number of findings per code")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                        help="files checked in parallel (default 0: one process per CPU)")
    parser.add_argument("-q", "--quiet", action="store_true", help="text format: the findings only, no summary")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def write_output(text: str, output_file: str | None) -> str | None:
    """Print ``text`` or write it to ``output_file`` (creating its missing folders, as ruff does);
    an error message when that fails."""
    if output_file is None:
        sys.stdout.write(text)
        return None
    folder = os.path.dirname(output_file)
    try:
        if folder:
            os.makedirs(folder, exist_ok=True)
    except FileExistsError:  # a file where a folder should be
        return f"{output_file}: cannot write: {folder} is not a folder"
    except OSError as exc:
        return f"{output_file}: cannot create the folder {folder}: {exc.strerror or exc}"
    try:
        with open(output_file, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        return f"{output_file}: cannot write: {exc.strerror or exc}"
    return None


def run(args: argparse.Namespace, files: Sequence[str], config_of: Callable[[str], Config],
        say: Callable[[str], None], root: str | None = None) -> int:
    """Check ``files``, print the findings in the chosen format, return the exit status."""
    jobs = args.jobs or os.cpu_count() or 1
    results = list(check_files(files, config_of, jobs, args.add_noqa))
    status = EXIT_CLEAN
    for result in results:
        if result.error is not None:
            say(f"{result.path}: {result.error}")
            status = EXIT_ERROR
    if args.add_noqa:
        added = sum(r.noqa_added for r in results)
        say(f"Added {_plural(added, 'noqa comment')} to {_plural(sum(1 for r in results if r.noqa_added), 'file')}.")
    checked = [r.report() for r in results if r.error is None or r.findings]
    configured = bool(files) and config_of(files[0]).unsafe_fixes
    unsafe = args.unsafe_fixes or configured
    fix_command = "dlp fix" if configured or not unsafe else "dlp fix --unsafe-fixes"
    text = render(args.output_format, checked, root=root, statistics=args.statistics, unsafe_fixes=unsafe,
                  summary=not args.quiet, fix_command=fix_command)
    problem = write_output(text, args.output_file)
    if problem is not None:
        say(problem)
        status = EXIT_ERROR
    if status == EXIT_CLEAN and any(r.findings for r in results) and not args.exit_zero:
        status = EXIT_FINDINGS
    return status
