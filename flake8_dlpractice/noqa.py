"""Suppression comments, read the same way by every front end, and written by ``--add-noqa``.

Read (:func:`suppressions`):

- ``# noqa`` / ``# noqa: DLP100,DLP2`` as flake8 reads it: anywhere on any physical line of a
  multi-line logical line (a call over several lines, a triple-quoted string), codes or prefixes;
  only the first ``# noqa`` of a logical line counts;
- ``# pylint: disable=<rule-name or message id>[,...]`` as pylint reads it: at the end of a line it
  covers that statement (a whole block when written on a ``def``/``for``/``with``... line); on a
  line of its own it covers the rest of the enclosing block (up to a matching ``enable=``);
  ``disable-next=`` covers the next line; ``# pylint: skip-file`` the whole file;
- file-level: ``# dlp: noqa`` on a line of its own silences the whole file, ``# dlp: noqa: DLP2``
  the named codes in it; flake8's own ``# flake8: noqa`` is honoured as flake8 honours it.

Written (:func:`add_noqa`, :func:`noqa_edits`): ``# noqa: CODES`` on the last physical line of the
finding's logical line (never inside a string or after a line continuation), merged into an
existing ``# noqa: ...`` comment there, kept on its own line ending.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Iterable, Sequence

NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
CODE_SPLIT = re.compile(r"[,\s]+")
FILE_NOQA = re.compile(r"\s*#\s*(?P<tool>dlp|flake8)[:=]\s*noqa"
                       r"(?::\s?(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?\s*$", re.IGNORECASE)
PYLINT = re.compile(r"#\s*pylint:\s*(?P<what>disable-next|disable|enable|skip-file)\s*(?:=\s*(?P<names>[\w\-,\s]+))?")
# what every comment NOQA or FILE_NOQA matches contains: a file without it has no noqa comment (a bare
# "noqa" in a base64 blob or a word does not make the file worth tokenising)
NOQA_HINT = re.compile(r"#\s*(?:(?:dlp|flake8)[:=]\s*)?noqa", re.IGNORECASE)
LINE_BREAK = re.compile(r"\r\n|\r|\n")
EVERYTHING = None  # a suppression of every code


PYLINT_CHECKER_ID = "87"  # pylint reserves 51-99 for external plugins


def message_id(code: str) -> str:
    """pylint's message id of a rule: DLP100 -> W8700, DLP204 -> W8714, DLP309 -> W8729 (unique while
    units stay below 10)."""
    number = int(code[3:])
    return f"W{PYLINT_CHECKER_ID}{(number // 100 - 1) * 10 + number % 100:02d}"


def pylint_names(code: str) -> tuple[str, ...]:
    """The names a ``# pylint: disable=`` pragma can use for a rule: its symbol and message id."""
    from .rules import RULES_BY_CODE

    rule = RULES_BY_CODE.get(code)
    return (rule.name, message_id(code)) if rule is not None else ()


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return []


@dataclass(frozen=True)
class Span:
    """Physical lines flake8 reads one ``# noqa`` for: a line, or the lines a multi-line string or
    a backslash continuation joins (a bracketed expression is *not* joined: every line ends in a
    token of its own). ``comments``: {line: column of its comment}."""

    first: int
    last: int
    comments: tuple[tuple[int, int], ...] = ()


def spans(text: str) -> list[Span]:
    """The noqa spans of ``text`` (empty when it does not tokenize)."""
    out = []
    first, last = None, -1
    comments: list[tuple[int, int]] = []
    for tok in _tokens(text):
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        first = tok.start[0] if first is None else min(first, tok.start[0])
        last = max(last, tok.end[0])
        if tok.type == tokenize.COMMENT:
            comments.append(tok.start)
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            out.append(Span(first, last, tuple(comments)))
            first, last, comments = None, -1, []
    return out


def _codes(group: str | None) -> frozenset[str] | None:
    return None if not group else frozenset(c.upper() for c in CODE_SPLIT.split(group.strip()) if c)


def _covers(codes: frozenset[str] | None, code: str) -> bool:
    return codes is None or code in codes or code.startswith(tuple(codes))


@dataclass
class Suppressions:
    """What the comments of one file silence."""

    noqa: dict[int, frozenset[str] | None] = field(default_factory=dict)  # line -> codes (None: all)
    file_noqa: frozenset[str] | None | bool = False  # False: none; None: the whole file; codes
    flake8_file_noqa: bool = False
    pylint: list[tuple[int, int, frozenset[str] | None]] = field(default_factory=list)  # first, last, names

    def silences(self, code: str, line: int, *, noqa: bool = True, pylint: bool = True) -> bool:
        """Whether a finding of ``code`` at ``line`` is silenced.

        A front end that reads some comments itself turns that part off: flake8 reads ``noqa``
        (``noqa=False``), pylint its own pragmas (``pylint=False``).
        """
        if self.file_noqa is not False and _covers(self.file_noqa, code):
            return True
        if noqa:
            if self.flake8_file_noqa:
                return True
            if line in self.noqa and _covers(self.noqa[line], code):
                return True
        if pylint and self.pylint:
            wanted = {n.lower() for n in pylint_names(code)}
            for first, last, disabled in self.pylint:
                if first <= line <= last and (disabled is None or disabled & wanted):
                    return True
        return False


def suppressions(text: str, tree: ast.Module | None = None) -> Suppressions | None:
    """The suppression comments of ``text`` (``tree``: its ast, for pylint's block scopes); None
    when it has none (checked with a search first: most files cost nothing here)."""
    has_noqa, has_pylint = NOQA_HINT.search(text) is not None, "pylint:" in text  # as PYLINT matches
    if not has_noqa and not has_pylint:
        return None
    found = Suppressions()
    lines = LINE_BREAK.split(text)
    if has_noqa:
        _read_noqa(text, lines, found)
    if has_pylint:
        _read_pylint(lines, tree, found)
    return found


def _read_noqa(text: str, lines: list[str], found: Suppressions) -> None:
    for number, line in enumerate(lines, 1):
        match = FILE_NOQA.match(line)
        if match:
            codes = _codes(match.group("codes"))
            if match.group("tool").lower() == "flake8":
                found.flake8_file_noqa = found.flake8_file_noqa or codes is None  # flake8 ignores codes here
            elif codes is None or found.file_noqa is None:
                found.file_noqa = None
            else:
                found.file_noqa = (found.file_noqa or frozenset()) | codes
    joined = {}
    for span in spans(text):
        if span.last > span.first:
            block = "\n".join(lines[span.first - 1:span.last])
            for number in range(span.first, span.last + 1):
                joined[number] = block
    for number, line in enumerate(lines, 1):
        physical = joined.get(number, line)
        if "noqa" not in physical.lower():
            continue
        match = NOQA.search(physical)
        if match:
            found.noqa[number] = _codes(match.group("codes"))


def _block_end(tree: ast.Module | None, line: int, own_line: bool, last: int) -> tuple[int, int]:
    """The lines a pylint pragma on ``line`` covers: the rest of the enclosing block (own line) or
    the statement it ends (a whole block for a compound statement's header)."""
    if tree is None:
        return (line, last) if own_line else (line, line)
    start, end = (line, last) if own_line else (line, line)
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.stmt):
                continue
            child_end = child.end_lineno or child.lineno
            if not child.lineno <= line <= child_end:
                continue
            if own_line:
                if child.lineno < line:
                    start, end = line, child_end
                    stack.append(child)
            else:
                start, end = child.lineno, child_end
                if child.lineno != line:
                    stack.append(child)
    return start, end


def _read_pylint(lines: list[str], tree: ast.Module | None, found: Suppressions) -> None:
    pragmas = []
    for number, line in enumerate(lines, 1):
        if "pylint:" not in line:
            continue
        for match in PYLINT.finditer(line):
            what = match.group("what")
            names = frozenset(n.strip().lower() for n in (match.group("names") or "").split(",") if n.strip())
            own_line = line.lstrip().startswith("#")
            pragmas.append((number, what, None if "all" in names else names, own_line))
    last = len(lines)
    for number, what, names, own_line in pragmas:
        if what == "skip-file":
            found.pylint.append((1, last, None))
        elif what == "disable-next":
            found.pylint.append((number + 1, number + 1, names))
        elif what == "disable":
            first, end = _block_end(tree, number, own_line, last)
            for other, kind, enabled, _ in pragmas:  # a later enable= of the same names ends it
                if kind == "enable" and first < other <= end and (enabled is None or (names and names <= enabled)):
                    end = other - 1
                    break
            found.pylint.append((first, end, names))


# -- writing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineEdit:
    """Replace physical line ``line`` (1-based, without its line break) ``old`` by ``new``."""

    line: int
    old: str
    new: str


def _merge(line: str, comment_col: int | None, codes: Sequence[str]) -> str:
    """``line`` with ``codes`` added to its ``# noqa`` comment (starting at ``comment_col``)."""
    match = NOQA.search(line, comment_col) if comment_col is not None else None
    if match is None:
        return f"{line.rstrip()}  # noqa: {','.join(codes)}"
    existing = _codes(match.group("codes"))
    if existing is None:
        return line  # a bare `# noqa` already silences everything
    extra = [c for c in codes if not _covers(existing, c)]
    if not extra:
        return line
    return line[:match.end("codes")] + "," + ",".join(extra) + line[match.end("codes"):]


def _target(span: Span, lines: list[str]) -> tuple[int, int | None] | None:
    """Where ``# noqa`` codes for a finding in ``span`` go: (line, column of the comment on that line
    or None). That is the first ``# noqa`` of the span (the one flake8 reads), else the span's last
    line; None when that first ``# noqa`` is inside a string (nothing added would be read)."""
    text = "\n".join(lines[span.first - 1:span.last])
    comments = dict(span.comments)
    first = NOQA.search(text)
    if first is None:
        return span.last, comments.get(span.last)
    line = span.first + text.count("\n", 0, first.start())
    col = first.start() - (text.rfind("\n", 0, first.start()) + 1)
    comment = comments.get(line)
    return (line, comment) if comment is not None and comment <= col else None


def noqa_edits(text: str, findings: Iterable[tuple[int, str]]) -> list[LineEdit]:
    """The line edits that silence each (line, code) with ``# noqa: CODES`` where flake8 reads it:
    merged into the span's ``# noqa`` comment, else appended to the span's last line (after the
    string or continuation lines it joins). Findings where no comment can be placed (a file that
    does not tokenize) get no edit."""
    wanted = sorted(set(findings))
    if not wanted:
        return []
    lines = LINE_BREAK.split(text)
    target_of: dict[int, tuple[int, int | None] | None] = {}
    for span in spans(text):
        target = _target(span, lines)
        for number in range(span.first, span.last + 1):
            target_of[number] = target
    by_line: dict[tuple[int, int | None], list[str]] = {}
    for line, code in wanted:
        target = target_of.get(line)
        if target is not None:
            codes = by_line.setdefault(target, [])
            if code not in codes:
                codes.append(code)
    edits = []
    for (target, comment_col), codes in sorted(by_line.items()):
        old = lines[target - 1]
        new = _merge(old, comment_col, codes)
        if new != old:
            edits.append(LineEdit(target, old, new))
    return edits


def apply_edits(text: str, edits: Sequence[LineEdit]) -> str:
    """``text`` with the line edits applied; line breaks (CRLF, LF, CR) kept as they were."""
    if not edits:
        return text
    parts = re.split(r"(\r\n|\r|\n)", text)  # line, break, line, break, ..., last line
    for edit in edits:
        index = 2 * (edit.line - 1)
        assert parts[index] == edit.old, (edit, parts[index])
        parts[index] = edit.new
    return "".join(parts)


def add_noqa(text: str, findings: Iterable[tuple[int, str]]) -> tuple[str, int]:
    """(``text`` with every finding silenced by ``# noqa``, number of lines changed)."""
    edits = noqa_edits(text, findings)
    return apply_edits(text, edits), len(edits)
