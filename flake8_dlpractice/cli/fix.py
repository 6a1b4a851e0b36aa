"""``dlp-fix``: apply the fixes flake8-dlpractice findings carry, the way ``ruff check --fix`` does.

    dlp-fix [PATHS...]          fix files in place (directories recursively; default: .)
    dlp-fix --diff PATHS        print a unified diff, write nothing
    dlp-fix --check PATHS       write nothing; exit 1 if anything would change
    dlp-fix - < in.py > out.py  stdin to stdout (editor "fix on save")

Exit codes: 0 nothing left to report; 1 findings remain (or, with --check/--diff, a file would
change); 2 usage or I/O error, or a file was skipped (syntax error, undecodable, null bytes) or
left alone because it changed on disk. A file libcst cannot parse (CPython accepts it) is not an
error: its findings are reported as remaining, with the reason, and the run goes on.
"""
from __future__ import annotations

import argparse
import ast
import difflib
import os
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from typing import Iterator, Sequence

from .. import __version__
from ..config import DEFAULT_EXCLUDE, ConfigError
from ..fixes import FixOutcome, allowed, findings_of, fix_text
from ..fixes.text import Decoded, SourceError, decode_source, encode_source, lines_with_ends
from ..rules.base import Finding
from .files import Project


@dataclass(frozen=True)
class Options:
    unsafe: bool
    write: bool
    diff: bool
    verbose: bool


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


# --- files ---------------------------------------------------------------------------------------

def write_atomic(path: str, data: bytes, before: os.stat_result) -> None:
    """Write through a temporary file in the same directory and ``os.replace`` (keeps the mode)."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(real)}.", suffix=".dlp-fix.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(before.st_mode))
        if hasattr(os, "chown"):
            try:
                current = os.stat(tmp)
                if (current.st_uid, current.st_gid) != (before.st_uid, before.st_gid):
                    os.chown(tmp, before.st_uid, before.st_gid)
            except OSError:
                pass
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def unified_diff(path: str, old: str, new: str) -> str:
    out = []
    for line in difflib.unified_diff(lines_with_ends(old), lines_with_ends(new), fromfile=path, tofile=path):
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


# --- one file ---------------------------------------------------------------------------------------

def _syntax_reason(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return f"syntax error: {exc.msg}{where}"
    return f"cannot be parsed: {type(exc).__name__}: {exc}"


def fix_bytes(data: bytes, path: str, options: Options,
              rules: Sequence) -> tuple[FileResult, Decoded | None, FixOutcome | None]:
    result = FileResult(path, "unchanged")
    try:
        decoded = decode_source(data)
    except SourceError as exc:
        result.status, result.message = "skipped", str(exc)
        return result, None, None
    try:
        tree = ast.parse(decoded.text, filename=path)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        result.status, result.message = "skipped", _syntax_reason(exc)
        return result, decoded, None
    findings = findings_of(tree, decoded.text, path, rules)
    outcome = fix_text(decoded.text, path, rules, options.unsafe, tree=tree, findings=findings)
    result.fixed = outcome.fixed
    result.message = outcome.note
    result.not_fixed = [(f, reason) for f, reason in outcome.not_fixed.items()]
    if outcome.changed and not options.write:
        # nothing is written: list the input's findings that the fix would leave
        left = {(f.code, f.message) for f in outcome.remaining}
        result.remaining = [f for f in outcome.original
                            if not allowed(f, options.unsafe) or (f.code, f.message) in left]
    else:
        result.remaining = outcome.remaining
    result.unsafe_available = sum(1 for f in result.remaining
                                  if f.fix is not None and f.fix.safety == "unsafe" and not options.unsafe)
    return result, decoded, outcome


def _internal(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if "flake8_dlpractice" in f.filename] or frames
    where = f" ({ours[-1].filename.rsplit('/', 1)[-1]}:{ours[-1].lineno})" if ours else ""
    return f"internal error in dlp-fix: {type(exc).__name__}: {exc}{where}; please report it with this file"


def process_file(path: str, options: Options, rules: Sequence) -> FileResult:
    started = time.perf_counter()
    try:
        before = os.stat(path)
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileResult(path, "error", f"cannot read: {exc.strerror or exc}")
    try:
        result, decoded, outcome = fix_bytes(data, path, options, rules)
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop the run
        return FileResult(path, "error", _internal(exc))
    if outcome is not None and outcome.changed:
        assert decoded is not None
        try:
            new = encode_source(outcome.text, decoded)
        except UnicodeEncodeError as exc:
            result.status = "error"
            result.message = f"the fixed code cannot be encoded as {decoded.encoding}: {exc}"
            result.remaining = outcome.original
            result.fixed = []
            return result
        if options.diff:
            result.diff = unified_diff(path, decoded.text, outcome.text)
        if options.write:
            try:
                now = os.stat(path)
                with open(path, "rb") as handle:
                    current = handle.read()
                if (now.st_mtime_ns, now.st_size) != (before.st_mtime_ns, before.st_size) or current != data:
                    result.status = "conflict"
                    result.message = "changed on disk while being fixed; left alone"
                    result.remaining, result.fixed = outcome.original, []
                    return result
                write_atomic(path, new, before)
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
        result, decoded, outcome = fix_bytes(data, name, options, rules)
    except Exception as exc:  # noqa: BLE001
        result, decoded, outcome = FileResult(name, "error", _internal(exc)), None, None
    result.output = data
    if outcome is not None and outcome.changed and decoded is not None:
        result.status = "fixed" if options.write else "would-fix"
        if options.diff:
            result.diff = unified_diff(name, decoded.text, outcome.text)
        if options.write:
            result.output = encode_source(outcome.text, decoded)
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
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            yield process_file(path, *configured(path, options, project))
        return
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(min(jobs, len(files)), initializer=_init_worker, initargs=(options, project)) as pool:
        yield from pool.imap(_work, files, chunksize=max(1, min(16, len(files) // (jobs * 8) or 1)))


# --- command line -----------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlp-fix",
        description="Apply the fixes of flake8-dlpractice findings (safe fixes by default).",
        epilog="Exit status: 0 nothing left to report, 1 findings remain (or files would change with "
               "--check/--diff), 2 usage or I/O error or skipped files.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (recursive); '-' reads stdin and writes stdout "
                             "(default: .)")
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


def _line(path: str, finding: Finding) -> str:
    return f"{path}:{finding.line}:{finding.col + 1}: {finding.code} {finding.message}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        project = Project.from_options(args.select, None, args.ignore, args.exclude,
                                       True if args.unsafe_fixes else None)
    except ConfigError as exc:
        parser.error(str(exc))
    if args.jobs < 0:
        parser.error("-j must be 0 (one per CPU) or more")
    jobs = args.jobs or os.cpu_count() or 1
    try:
        paths = args.paths or project.default_paths()
    except ConfigError as exc:
        parser.error(str(exc))
    if "-" in paths and len(paths) > 1:
        parser.error("'-' (stdin) cannot be combined with other paths")
    options = Options(args.unsafe_fixes, write=not (args.diff or args.check), diff=args.diff, verbose=args.verbose)
    out, err = sys.stdout, sys.stderr

    def say(message: str) -> None:
        err.write(f"dlp-fix: {message}\n")

    if paths == ["-"]:
        name = args.stdin_filename or "-"
        try:
            stdin_options, rules = configured(name if name != "-" else "<stdin>", options, project)
        except ConfigError as exc:
            say(str(exc))
            return 2
        result = process_stdin(sys.stdin.buffer.read(), name, stdin_options, rules)
        results = iter([result])
        listing = err  # stdout carries the code
    else:
        try:
            files, errors = project.files(paths)
        except ConfigError as exc:
            say(str(exc))
            return 2
        for message in errors:
            say(message)
        if errors and not files:
            return 2
        results = run_files(files, options, project, jobs)
        listing = err if args.diff else out
        result = None

    status = 0
    n_files = n_fixed = n_remaining = n_unsafe = n_skipped = 0
    for result in results:
        if result.status in ("skipped", "error", "conflict"):
            status = 2
            n_skipped += 1
            label = {"skipped": "skipped", "error": "error"}.get(result.status, "not written")
            say(f"{result.path}: {label}: {result.message}")
        elif result.message:
            say(f"{result.path}: {result.message}; its findings are reported as remaining")
        if result.fixed:
            n_files += 1
            n_fixed += len(result.fixed)
            if args.check and not args.diff:
                codes = ", ".join(sorted({f.code for f in result.fixed}))
                count = len(result.fixed)
                out.write(f"Would fix {result.path} ({count} fix{'es' if count != 1 else ''}: {codes})\n")
        if args.show_fixes:
            verb = "Fixed" if options.write else "Would fix"
            for finding in result.fixed:
                listing.write(f"{verb} {_line(result.path, finding)}\n")
        if result.diff:
            out.write(result.diff)
        for finding in result.remaining:
            listing.write(_line(result.path, finding) + "\n")
        n_remaining += len(result.remaining)
        n_unsafe += result.unsafe_available
        if args.verbose:
            for finding, reason in result.not_fixed:
                say(f"{result.path}:{finding.line}: {finding.code} not fixed: {reason}")
            say(f"{result.path}: {result.status} ({len(result.fixed)} fixed, "
                f"{len(result.remaining)} remaining, "
                f"{result.seconds * 1000:.0f} ms)")
    stdin_output = paths == ["-"] and result is not None and result.output is not None
    if stdin_output and not args.check and not args.diff:
        sys.stdout.flush()
        sys.stdout.buffer.write(result.output)
        sys.stdout.buffer.flush()

    if not args.quiet:
        verb = "Fixed" if options.write else "Would fix"
        parts = [f"{verb} {_plural(n_fixed, 'finding')} in {_plural(n_files, 'file')}."]
        if n_remaining:
            extra = f" ({n_unsafe} fixable with --unsafe-fixes)" if n_unsafe else ""
            verb_s = "remains" if n_remaining == 1 else "remain"
            parts.append(f"{_plural(n_remaining, 'finding')} {verb_s}{extra}.")
        if n_skipped:
            parts.append(f"{_plural(n_skipped, 'file')} skipped or not written.")
        say(" ".join(parts))
    if status == 2:
        return 2
    if n_remaining or (not options.write and n_fixed):
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
