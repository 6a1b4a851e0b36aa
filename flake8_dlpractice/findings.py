"""What a check produces: findings with positions, references, a data path and an optional fix.

A finding is data that every front end renders in its own terms (flake8/pylint text, JSON, SARIF,
GitHub annotations, LSP diagnostics, notebook cells); no front end ever re-analyses.

Line references inside a message are data too. Rules and facts write them with :func:`line_ref`,
which embeds a marker in the text; :meth:`Finding.render` replaces each marker through a
:class:`LineMap` — "line 12" for a file, "cell 4, line 2" for a notebook — and :attr:`Finding.refs`
lists them as :class:`Ref` records (line, what is cited there), so tests can check that every cited
line really holds what the message says it does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# Private-use code points: never in real messages (names are identifiers; quoted strings are
# shortened and escaped by ``repr``), so a marker cannot be forged by the checked code.
_OPEN, _SEP, _CLOSE = "\ue000", "\ue001", "\ue002"
_REF = re.compile(f"{_OPEN}(\\d+)(?:-(\\d+))?{_SEP}([^{_CLOSE}]*){_CLOSE}")

Severity = Literal["error", "warning", "info"]
UNANALYSABLE = "DLP000"  # the catalog's reserved code: a file that cannot be analysed (``dlp check`` only)
MAX_HEADLINE = 100  # LSP, SARIF, JSON and GitHub output show the headline alone
MAX_TEXT = 160  # flake8 and pylint show one line: the headline and a compact data path
StepKind = Literal["source", "step", "sink"]


def line_ref(line: int, what: str = "", end: int | None = None) -> str:
    """A reference to ``line`` (or ``line``-``end``) for use inside a message.

    ``what`` is the source text the message cites on that line (a name or a callee such as
    ``train_test_split``); it is rendered nowhere, but tests check that the line contains it.
    """
    span = f"{line}-{end}" if end is not None and end != line else str(line)
    return f"{_OPEN}{span}{_SEP}{what.replace(_CLOSE, '')}{_CLOSE}"


@dataclass(frozen=True)
class Ref:
    """A line cited in a message: ``line`` (to ``end``) and the text cited there (may be empty)."""

    line: int
    what: str = ""
    end: int | None = None


class LineMap:
    """How a front end names a line of the checked source. The default names file lines."""

    def line(self, line: int) -> str:
        return f"line {line}"

    def lines(self, start: int, end: int) -> str:
        return f"lines {start}-{end}"

    def short(self, line: int) -> str:
        """A compact form for data paths: ``L12``."""
        return f"L{line}"

    def locate(self, line: int) -> tuple[int | None, int]:
        """(cell number, line within the cell) for notebooks; (None, line) for files."""
        return None, line


FILE_LINES = LineMap()


def render_refs(text: str, where: LineMap = FILE_LINES) -> str:
    """``text`` with every line marker replaced by ``where``'s name for that line."""
    if _OPEN not in text:
        return text

    def sub(match: re.Match) -> str:
        start = int(match.group(1))
        end = match.group(2)
        return where.lines(start, int(end)) if end else where.line(start)

    return _REF.sub(sub, text)


_QUOTED = re.compile(r"'([^'\n]{9,})'")  # a quoted name (or string) long enough to shorten
_MIN_QUOTED = 8  # characters a shortened quoted name keeps, before its "…"
_MIN_HEAD = 30  # characters a headline keeps before the explanation that may be dropped


def fit(headline: str, where: LineMap = FILE_LINES, limit: int = MAX_HEADLINE) -> str:
    """``headline`` (with line markers) rendered by ``where`` within ``limit`` characters.

    Rules pick headlines that fit as files render them; a notebook's "cell 7, line 6" is longer
    than "line 17", and names can be long. So, in order: a closing explanation after the last ": "
    that cites no line and no name is dropped (the defect and its key line stay; the rule page
    explains), the longest quoted names are shortened (``'validation_feature…'``), and as a last
    resort the end is cut at a word, with "…".
    """
    text = render_refs(headline, where)
    if len(text) <= limit:
        return text
    clause = headline.rfind(": ")
    if clause >= _MIN_HEAD and _OPEN not in headline[clause:] and "'" not in headline[clause:]:
        text = render_refs(headline[:clause], where)
    while len(text) > limit:
        names = [m for m in _QUOTED.finditer(text) if not m.group(1).endswith("…")]
        if not names:
            break
        longest = max(names, key=lambda m: len(m.group(1)))
        name = longest.group(1)
        keep = max(_MIN_QUOTED, len(name) - (len(text) - limit) - 1)
        if keep >= len(name) - 1:
            break
        text = f"{text[:longest.start(1)]}{name[:keep]}…{text[longest.end(1):]}"
    if len(text) > limit:
        cut = text[:limit - 1]
        cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
        text = cut.rstrip(" ,;:(") + "…"
    return text


def refs_in(text: str) -> list[Ref]:
    return [Ref(int(m.group(1)), m.group(3), int(m.group(2)) if m.group(2) else None)
            for m in _REF.finditer(text)]


@dataclass(frozen=True)
class Step:
    """One step of a data path: where the data came from, what happened to it, where it ends.

    ``what`` is a few words (``concat of train and test``); ``line``/``col`` locate it (1-based
    line, 0-based column in the finding's unit: characters when the engine was given the source
    lines, UTF-8 bytes otherwise). Rendered as JSON ``trace`` entries, SARIF ``codeFlows`` and LSP
    related information.
    """

    line: int
    col: int
    kind: StepKind
    what: str
    end_line: int | None = None
    end_col: int | None = None


@dataclass(frozen=True)
class Fix:
    """An edit a finding carries for ``dlp-fix``: what to change, not how (libcst does the how).

    ``span`` is the (line, col, end_line, end_col) of the node the edit anchors on, in ``ast``
    coordinates (1-based lines, UTF-8 byte columns). ``data`` holds what the action needs.
    Actions (the vocabulary shared by rules and ``flake8_dlpractice/fixes``):

    - ``replace-expression``: replace the expression at span by ``replacement`` (code), or by
      ``template`` where ``{}`` stands for the original expression's source text;
    - ``replace-with-argument``: replace the call at span by its positional ``argument`` (index);
    - ``insert-before`` / ``insert-after``: insert the statement(s) ``code`` (lines separated by
      newlines) before/after the statement at span, at its indentation;
    - ``wrap-with``: wrap the statement at span in ``with <context>:``;
    - ``remove-statement``: remove the statement at span;
    - ``add-keyword``: add ``keyword=value`` to the call at span;
    - ``move-after``: move the statement at span to just after the statement whose span is
      given as ``after`` ("line,col,end_line,end_col").

    Every action may name ``imports``: comma-separated ``import x`` modules the edited code
    needs (added once, after the existing imports, when missing). ``title`` is the one-line
    description editors show for the quick fix ("wrap the evaluation loop in torch.no_grad()").
    """

    safety: str  # "safe" or "unsafe"
    action: str
    span: tuple[int, int, int, int]
    data: tuple[tuple[str, str], ...] = ()
    title: str = field(default="", compare=False)

    def get(self, key: str, default: str | None = None) -> str | None:
        return dict(self.data).get(key, default)


@dataclass(frozen=True)
class Finding:
    """One finding. ``line``/``end_line`` are 1-based; ``col``/``end_col`` are 0-based character
    offsets when the engine was given the source lines (UTF-8 byte offsets, as ``ast`` has
    them, otherwise). ``headline`` may contain line markers (see :func:`line_ref`); read it
    through :meth:`render` or :attr:`message`."""

    line: int
    col: int
    code: str
    headline: str
    fix: Fix | None = field(default=None, compare=False)
    end_line: int | None = field(default=None, compare=False)
    end_col: int | None = field(default=None, compare=False)
    trace: tuple[Step, ...] = field(default=(), compare=False)

    # -- rendering --------------------------------------------------------------------------------
    def render_headline(self, where: LineMap = FILE_LINES) -> str:
        """The headline with its line references named by ``where``, within ``MAX_HEADLINE``."""
        return fit(self.headline, where)

    def render(self, where: LineMap = FILE_LINES, limit: int = MAX_TEXT) -> str:
        """The one-line message: the headline (whole: this line's limit is ``MAX_TEXT``), then the
        data path when there is one and it fits."""
        head = render_refs(self.headline, where)
        if not self.trace:
            return head
        steps = [f"{render_refs(step.what, where)} {where.short(step.line)}" for step in self.trace]
        budget = limit - len(self.code) - 1 - len(head) - len(" []")
        path = " → ".join(steps)
        if len(path) > budget and len(steps) > 2:
            path = f"{steps[0]} → … → {steps[-1]}"  # keep the source and the sink
        if len(path) > budget:
            return head
        return f"{head} [{path}]"

    @property
    def message(self) -> str:
        return self.render()

    @property
    def text(self) -> str:
        return f"{self.code} {self.message}"

    @property
    def refs(self) -> list[Ref]:
        found = refs_in(self.headline)
        for step in self.trace:
            found.extend(refs_in(step.what))
        return found
