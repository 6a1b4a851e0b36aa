"""``dlp-fix``: apply the fixes flake8-dlpractice findings carry, the way ``ruff check --fix`` does.

    dlp-fix [PATHS...]          fix files in place (directories recursively; default: .)
    dlp-fix --diff PATHS        print a unified diff, write nothing
    dlp-fix --check PATHS       write nothing; exit 1 if anything would change
    dlp-fix - < in.py > out.py  stdin to stdout (editor "fix on save")

Exit codes: 0 nothing left to report; 1 findings remain (or, with --check/--diff, a file would
change); 2 usage or I/O error, or a file was skipped (syntax error, undecodable, null bytes), refused
(read-only), left alone because it changed on disk, or lost with its worker process; 130/143 when
stopped by Ctrl-C/SIGTERM. A file libcst cannot parse (CPython accepts it) is not an error: its
findings are reported as remaining, with the reason, and the run goes on. Writing is done by
``fixes/writing.py`` (atomic, re-checked just before the rename, hard links kept).
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Iterator, Sequence

from .. import __version__
from ..config import DEFAULT_EXCLUDE, ConfigError
from ..fixes import Budget, FixOutcome, TooLarge, allowed, findings_of, fix_text
from ..findings import FILE_LINES, LineMap
from ..fixes.text import lines_with_ends
from ..fixes.workers import Lost, run_in_workers
from ..fixes.writing import ChangedOnDisk, check_interrupted, exit_status, raise_on_termination, save
from ..rules.base import Finding
from ..sources import Source, SourceError, load_source
from .files import Project


@dataclass(frozen=True)
class Options:
    unsafe: bool
    write: bool
    diff: bool
    verbose: bool
    budget: Budget = Budget()  # beyond it a file is "too large to fix" and skipped


@dataclass
class FileResult:
    path: str
    status: str  # unchanged | fixed | would-fix | skipped | conflict | error
    message: str | None = None
    fixed: list[Finding] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)
    not_fixed: list[tuple[Finding, str]] = field(default_factory=list)
    unsafe_available: int = 0
    diff: str | None = None
    output: bytes | None = None  # stdin mode: the bytes to print
    seconds: float = 0.0
    where: LineMap = FILE_LINES  # how lines are named (a notebook's cells)


# --- files ---------------------------------------------------------------------------------------

def unified_diff(path: str, old: str, new: str) -> str:
    out = []
    for line in difflib.unified_diff(lines_with_ends(old), lines_with_ends(new), fromfile=path, tofile=path):
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def source_diff(path: str, source: Source, fixed: str) -> str:
    """The diff of a fix: of the file, or of each changed notebook cell (``path:cell N``)."""
    if not source.is_notebook:
        return unified_diff(path, source.text, fixed)
    old = {cell.index: cell.text for cell in source.cells}
    return "".join(unified_diff(f"{path}:cell {index + 1}", old[index], new)
                   for index, new in sorted(source.changed_cells(fixed).items()))


# --- one file ---------------------------------------------------------------------------------------

def _syntax_reason(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return f"syntax error: {exc.msg}{where}"
    return f"cannot be parsed: {type(exc).__name__}: {exc}"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _too_large(path: str, size: int, budget: Budget, what: str = "") -> FileResult:
    return FileResult(path, "skipped", f"too large to fix: {_megabytes(size)}{what} "
                                       f"(the limit is {_megabytes(budget.max_bytes)})")


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise ``TooLarge`` when the block runs past ``seconds`` (a timer signal: the main thread of
    a POSIX process only; elsewhere ``fix_text`` checks its time between steps)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TooLarge(f"took longer than {seconds:g} s (the limit)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fix_bytes(data: bytes, path: str, options: Options,
              rules: Sequence) -> tuple[FileResult, Source | None, FixOutcome | None]:
    """Fix a file's bytes (a ``.py`` file, or a notebook's code cells as one program); nothing is
    written. A file over ``options.budget`` is skipped as "too large to fix"."""
    budget = options.budget
    if len(data) > budget.max_bytes and not path.endswith(".ipynb"):  # a notebook's outputs do not count
        return _too_large(path, len(data), budget), None, None
    try:
        with _time_limit(budget.max_seconds):
            return _fix_loaded(data, path, options, rules)
    except TooLarge as exc:
        return FileResult(path, "skipped", f"too large to fix: {exc}"), None, None


def _fix_loaded(data: bytes, path: str, options: Options,
                rules: Sequence) -> tuple[FileResult, Source | None, FixOutcome | None]:
    result = FileResult(path, "unchanged")
    try:
        source = load_source(data, path)
    except SourceError as exc:
        result.status, result.message = "skipped", str(exc)
        return result, None, None
    result.where = source.where
    if source.is_notebook and len(source.text) > options.budget.max_bytes:
        code = len(source.text.encode("utf-8", "surrogatepass"))
        if code > options.budget.max_bytes:
            return _too_large(path, code, options.budget, " of code"), source, None
    try:
        tree = source.parse()
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        result.status, result.message = "skipped", _syntax_reason(exc)
        return result, source, None
    findings = findings_of(tree, source.text, path, rules)
    outcome = fix_text(source.text, path, rules, options.unsafe, tree=tree, findings=findings,
                       budget=options.budget)
    result.fixed = outcome.fixed
    result.message = outcome.note
    result.not_fixed = [(f, reason) for f, reason in outcome.not_fixed.items()]
    if outcome.changed and not options.write:
        # nothing is written: list the input's findings that the fix would leave
        left = {(f.code, f.message) for f in outcome.in_input(outcome.remaining)}
        result.remaining = [f for f in outcome.original
                            if not allowed(f, options.unsafe) or (f.code, f.message) in left]
    else:
        result.remaining = outcome.remaining
    result.unsafe_available = sum(1 for f in result.remaining
                                  if f.fix is not None and f.fix.safety == "unsafe" and not options.unsafe)
    return result, source, outcome


def _internal(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if "flake8_dlpractice" in f.filename] or frames
    where = f" ({ours[-1].filename.rsplit('/', 1)[-1]}:{ours[-1].lineno})" if ours else ""
    return f"internal error in the fixer: {type(exc).__name__}: {exc}{where}; please report it with this file"


def process_file(path: str, options: Options, rules: Sequence) -> FileResult:
    started = time.perf_counter()
    try:
        before = os.stat(path)
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileResult(path, "error", f"cannot read: {exc.strerror or exc}")
    try:
        result, source, outcome = fix_bytes(data, path, options, rules)
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop the run
        return FileResult(path, "error", _internal(exc))
    if outcome is not None and outcome.changed:
        assert source is not None
        try:
            new = source.updated(outcome.text)
        except (UnicodeEncodeError, SourceError) as exc:
            result.status = "error"
            result.message = (f"the fixed code cannot be encoded as {source.decoded.encoding}: {exc}"
                              if isinstance(exc, UnicodeEncodeError) and source.decoded else f"not fixed: {exc}")
            result.remaining = outcome.original
            result.fixed = []
            return result
        if options.diff:
            result.diff = source_diff(path, source, outcome.text)
        if options.write:
            try:
                save(path, new, before, data)
            except ChangedOnDisk:
                result.status = "conflict"
                result.message = "changed on disk while being fixed; left alone"
                result.remaining, result.fixed = outcome.original, []
                return result
            except OSError as exc:
                result.status, result.message = "error", f"cannot write: {exc.strerror or exc}"
                result.remaining, result.fixed = outcome.original, []
                return result
            result.status = "fixed"
        else:
            result.status = "would-fix"
    result.seconds = time.perf_counter() - started
    return result


def process_stdin(data: bytes, name: str, options: Options, rules: Sequence) -> FileResult:
    try:
        result, source, outcome = fix_bytes(data, name, options, rules)
    except Exception as exc:  # noqa: BLE001
        result, source, outcome = FileResult(name, "error", _internal(exc)), None, None
    result.output = data
    if outcome is not None and outcome.changed and source is not None:
        try:
            new = source.updated(outcome.text)
        except (UnicodeEncodeError, SourceError) as exc:
            result.status, result.message = "error", f"not fixed: {exc}"
            result.remaining, result.fixed = outcome.original, []
            return result
        result.status = "fixed" if options.write else "would-fix"
        if options.diff:
            result.diff = source_diff(name, source, outcome.text)
        if options.write:
            result.output = new
    return result


# --- parallel workers -------------------------------------------------------------------------------

_WORKER: tuple[Options, Project] | None = None


def configured(path: str, options: Options, project: Project) -> tuple[Options, Sequence]:
    """The options and rules for ``path`` under its configuration ([tool.dlpractice] or flake8's)."""
    config = project.config_of(path)
    return replace(options, unsafe=config.unsafe_fixes), config.rules_for(path)


def _init_worker(options: Options, project: Project) -> None:
    global _WORKER
    _WORKER = (options, project)


def _work(path: str) -> FileResult:
    assert _WORKER is not None
    return process_file(path, *configured(path, *_WORKER))


def run_files(files: Sequence[str], options: Options, project: Project, jobs: int) -> Iterator[FileResult]:
    """Results in the order of ``files``; with ``jobs`` > 1 in worker processes, where a worker
    that dies (out-of-memory killer, native crash) is an error for the file it held."""
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            check_interrupted()
            yield process_file(path, *configured(path, options, project))
        return
    stuck = options.budget.max_seconds * 2 + 10  # a worker stuck in native code is stopped
    for path, result in run_in_workers(files, _work, jobs, initializer=_init_worker, initargs=(options, project),
                                       timeout=stuck):
        yield FileResult(path, "error", f"not fixed: {result.reason}") if isinstance(result, Lost) else result


# --- command line -----------------------------------------------------------------------------------

def build_parser(prog: str = "dlp-fix") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Apply the fixes of flake8-dlpractice findings (safe fixes by default).",
        epilog="Exit status: 0 nothing left to report, 1 findings remain (or files would change with "
               "--check/--diff), 2 usage or I/O error or skipped files.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (recursive); '-' reads stdin and writes stdout "
                             "(default: the project the configuration belongs to, the folder of the "
                             "pyproject.toml with [tool.dlpractice], else .)")
    parser.add_argument("--diff", action="store_true",
                        help="print a unified diff of the fixes, write nothing")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="comma-separated codes or prefixes to fix and report (default: DLP); "
                             "opt-in rules only when named by full code")
    parser.add_argument("--ignore", action="append", metavar="CODES",
                        help="comma-separated codes or prefixes to skip")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="also apply fixes that may change behaviour")
    parser.add_argument("--show-fixes", action="store_true",
                        help="list each fix applied (or that would be applied)")
    parser.add_argument("--exclude", action="append", metavar="GLOBS",
                        help="comma-separated globs of files/directories to skip, added to the defaults "
                             f"({', '.join(DEFAULT_EXCLUDE)})")
    parser.add_argument("--force-exclude", action="store_true",
                        help="apply the excludes to files named on the command line too (pre-commit)")
    parser.add_argument("--stdin-filename", metavar="NAME", help="name used in messages for '-'")
    parser.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                        help="files processed in parallel (0: one per CPU; default 1)")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only findings and errors, no summary")
    verbosity.add_argument("-v", "--verbose", action="store_true",
                           help="say what happens to each file and why a fix was not applied")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _at(path: str, finding: Finding, where: LineMap) -> str:
    cell, line = where.locate(finding.line)
    return f"{path}:cell {cell}:{line}:{finding.col + 1}" if cell is not None else \
        f"{path}:{line}:{finding.col + 1}"


def _line(path: str, finding: Finding, where: LineMap = FILE_LINES) -> str:
    return f"{_at(path, finding, where)}: {finding.code} {finding.render(where)}"


def _fix_line(path: str, finding: Finding, where: LineMap = FILE_LINES) -> str:
    """A fix as ``--show-fixes`` lists it: its title for editors when the rule gives one."""
    title = finding.fix.title if finding.fix is not None else ""
    return f"{_at(path, finding, where)}: {finding.code} {title or finding.render(where)}"


@dataclass
class _Summary:
    """What the run prints per file and the totals of its last line."""

    args: argparse.Namespace
    write: bool
    prog: str = "dlp-fix"  # the command as the user typed it: messages are prefixed with it
    files: int = 0
    fixed: int = 0
    remaining: int = 0
    unsafe: int = 0
    skipped: int = 0

    def say(self, message: str) -> None:
        sys.stderr.write(f"{self.prog}: {message}\n")

    def add(self, result: FileResult, listing) -> None:
        args, out = self.args, sys.stdout
        if result.status in ("skipped", "error", "conflict"):
            self.skipped += 1
            label = {"skipped": "skipped", "error": "error"}.get(result.status, "not written")
            self.say(f"{result.path}: {label}: {result.message}")
        elif result.message:
            self.say(f"{result.path}: {result.message}; its findings are reported as remaining")
        if result.fixed:
            self.files += 1
            self.fixed += len(result.fixed)
            if args.check and not args.diff:
                codes = ", ".join(sorted({f.code for f in result.fixed}))
                count = len(result.fixed)
                out.write(f"Would fix {result.path} ({count} fix{'es' if count != 1 else ''}: {codes})\n")
        if args.show_fixes:
            verb = "Fixed" if self.write else "Would fix"
            for finding in result.fixed:
                listing.write(f"{verb} {_fix_line(result.path, finding, result.where)}\n")
        if result.diff:
            out.write(result.diff)
        for finding in result.remaining:
            listing.write(_line(result.path, finding, result.where) + "\n")
        self.remaining += len(result.remaining)
        self.unsafe += result.unsafe_available
        if args.verbose:
            self.explain(result)

    def explain(self, result: FileResult) -> None:
        for finding, reason in result.not_fixed:
            title = f" ({finding.fix.title})" if finding.fix is not None and finding.fix.title else ""
            self.say(f"{result.path}:{finding.line}: {finding.code} not fixed{title}: {reason}")
        self.say(f"{result.path}: {result.status} ({len(result.fixed)} fixed, {len(result.remaining)} remaining, "
                 f"{result.seconds * 1000:.0f} ms)")

    def finish(self) -> int:
        if not self.args.quiet:
            verb = "Fixed" if self.write else "Would fix"
            parts = [f"{verb} {_plural(self.fixed, 'finding')} in {_plural(self.files, 'file')}."]
            if self.remaining:
                extra = f" ({self.unsafe} fixable with --unsafe-fixes)" if self.unsafe else ""
                verb_s = "remains" if self.remaining == 1 else "remain"
                parts.append(f"{_plural(self.remaining, 'finding')} {verb_s}{extra}.")
            if self.skipped:
                parts.append(f"{_plural(self.skipped, 'file')} skipped or not written.")
            self.say(" ".join(parts))
        if self.skipped:
            return 2
        return 1 if self.remaining or (not self.write and self.fixed) else 0


def main(argv: Sequence[str] | None = None, prog: str = "dlp-fix") -> int:
    """Run ``dlp-fix`` (``prog``: ``dlp fix`` when run as that, for its usage and messages); the exit
    status. Ctrl-C or SIGTERM stop it with 130/143 and no traceback."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        project = Project.from_options(args.select, None, args.ignore, args.exclude,
                                       True if args.unsafe_fixes else None)
        paths = args.paths or project.default_paths()
    except ConfigError as exc:
        parser.error(str(exc))
    if args.jobs < 0:
        parser.error("-j must be 0 (one per CPU) or more")
    if "-" in paths and len(paths) > 1:
        parser.error("'-' (stdin) cannot be combined with other paths")
    options = Options(args.unsafe_fixes, write=not (args.diff or args.check), diff=args.diff, verbose=args.verbose)
    with raise_on_termination():
        try:
            return _run(args, paths, options, project, prog)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM through raise_on_termination
            sys.stderr.write(f"{prog}: interrupted; files not yet written are unchanged\n")
            return exit_status(exc)


def _run(args: argparse.Namespace, paths: list[str], options: Options, project: Project, prog: str) -> int:
    summary = _Summary(args, options.write, prog)
    if paths == ["-"]:
        name = args.stdin_filename or "-"
        try:
            stdin_options, rules = configured(name if name != "-" else "<stdin>", options, project)
        except ConfigError as exc:
            summary.say(str(exc))
            return 2
        result = process_stdin(sys.stdin.buffer.read(), name, stdin_options, rules)
        summary.add(result, sys.stderr)  # stdout carries the code
        if result.output is not None and not args.check and not args.diff:
            sys.stdout.flush()
            sys.stdout.buffer.write(result.output)
            sys.stdout.buffer.flush()
        return summary.finish()
    try:
        files, errors = project.files(paths, args.force_exclude)
    except ConfigError as exc:
        summary.say(str(exc))
        return 2
    for message in errors:
        summary.say(message)
    if errors and not files:
        return 2
    listing = sys.stderr if args.diff else sys.stdout
    with contextlib.closing(run_files(files, options, project, args.jobs or os.cpu_count() or 1)) as results:
        for result in results:
            summary.add(result, listing)
    return max(summary.finish(), 2 if errors else 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
