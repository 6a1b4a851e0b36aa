"""What a checked file is: Python text, or a Jupyter notebook's code cells joined into one program.

A notebook is a *source*, not a new analysis. Its code cells, in cell order, are joined into one
module with a position map (:class:`NotebookLines`), so cross-cell dataflow (the scaler fitted in
cell 4 on data split in cell 7) is analysed like any script, and every line the engine reports is
named back as "cell N, line M". Cells are numbered as the notebook shows them: the N-th cell of the
notebook, markdown cells included (as ruff and nbqa count), from 1.

IPython syntax that is not Python (``%matplotlib inline``, ``!pip install``, ``model.fit?``,
``files = !ls``, ``get_ipython()`` calls, cell magics) is *masked*: each such line becomes ``pass``
(or a comment) on the same line, so every other line and column of a cell maps 1:1 onto the joined
program. ``%%time``-like cell magics run their body as Python, so only their first line is masked;
the body of any other cell magic (``%%bash``, ``%%writefile``) is not Python and is left out.

A code cell that does not parse on its own is left out too, and reported as a :class:`Problem`
(``dlp check`` shows it as DLP000): the other cells are still checked.

The joined program separates cells with a marker comment and a blank line; fixes are applied to
the joined program like to any script, and :meth:`Source.updated` splits the fixed program at
those markers, writes back only the cells whose code changed (masked lines restored) and leaves
every other byte of the file as it was: outputs, metadata, execution counts, cell ids, indentation,
key order, escaping and the final newline. A notebook is read with the standard ``json`` module.
"""
from __future__ import annotations

import ast
import bisect
import codecs
import json
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from .findings import FILE_LINES, LineMap
from .fixes.text import Decoded, SourceError, decode_source, encode_source

__all__ = ["NOTEBOOK_SUFFIX", "Problem", "CodeCell", "NotebookLines", "Source", "SourceError",
           "cells_source", "is_notebook", "load_source", "read_source", "mask_magics"]

NOTEBOOK_SUFFIX = ".ipynb"
PYTHON_LANGUAGES = frozenset({"python", "python2", "python3", "ipython", "ipython2", "ipython3", "py"})
# cell magics whose body IPython runs as Python: only their first line is masked
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "snakeviz",
                                "tensorflow_version"})

# Private-use code points mark what sources.py put into the joined program; real code never has them.
_CELL_MARK = "#\ue003 cell "
_MASK_MARK = "\ue004"
_SEPARATOR = re.compile(r"#\ue003 cell (\d+)\Z")
_MASKED = re.compile(r"^([ \t]*)(pass  )?#\ue004(\d+):(\d+)\Z")

# a cheap test for "this cell may contain IPython syntax" before the line scan
_MAYBE_MAGIC = re.compile(r"(?m)^[ \t]*[%!?]|\?[ \t]*$|=[ \t]*[!%]|get_ipython")
_HELP = re.compile(r"^[?]{0,2}[\w.*\[\]()'\"%]+[?]{1,2}\Z")
_SHELL_ASSIGN = re.compile(r"^[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*[ \t]*=[ \t]*[!%]")
_CELL_MAGIC = re.compile(r"%%([\w.-]*)")
_OUTSIDE = re.compile(r"#|'''|\"\"\"|['\"]|[\[({]|[\])}]|\\\Z")
_IN_STRING = {q: re.compile(r"\\.|\\\Z|" + re.escape(q)) for q in ("'", '"', "'''", '"""')}


def is_notebook(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_SUFFIX)


@dataclass(frozen=True)
class Problem:
    """A part of a file that could not be analysed: where (program coordinates) and why."""

    line: int
    col: int
    message: str


# --- IPython syntax --------------------------------------------------------------------------------

@dataclass
class _Scan:
    """Where a line starts: inside brackets (``depth``), a string (``quote``) or a continuation."""

    depth: int = 0
    quote: str | None = None
    continued: bool = False

    @property
    def at_statement(self) -> bool:
        return not self.depth and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        """Advance over one physical line of Python code."""
        self.continued = False
        pos = 0
        while True:
            if self.quote is not None:
                match = _IN_STRING[self.quote].search(line, pos)
                if match is None:
                    if len(self.quote) == 1:
                        self.quote = None  # an unterminated string: the line is broken anyway
                    return
                pos = match.end()
                token = match.group()
                if token == "\\":
                    self.continued = len(self.quote) == 1
                    return
                if not token.startswith("\\"):
                    self.quote = None
                continue
            match = _OUTSIDE.search(line, pos)
            if match is None:
                return
            token, pos = match.group(), match.end()
            if token == "#":
                return
            if token == "\\":
                self.continued = True
                return
            if token in ("(", "[", "{"):
                self.depth += 1
            elif token in (")", "]", "}"):
                self.depth = max(0, self.depth - 1)
            else:
                self.quote = token


def _is_line_magic(stripped: str) -> bool:
    if not stripped or stripped.startswith("#"):
        return False
    if stripped[0] in "%!?" or stripped.startswith("get_ipython()"):
        return True
    return bool(_HELP.match(stripped.rstrip()) or _SHELL_ASSIGN.match(stripped))


def mask_magics(text: str, cell: int = 0) -> tuple[list[str], dict[int, str]]:
    """The cell's lines with IPython syntax masked, and {0-based line: original text} of the masked.

    A masked statement becomes ``pass`` at its indentation with a marker comment; its continuation
    lines (a trailing backslash, an open bracket of ``get_ipython()(...``) become marker comments;
    so the program still parses where the magic was the only statement of a block. The markers
    name the ``cell`` (its number) and the line, so a masked line a fix moved is put back.
    """
    lines = text.split("\n")
    masked: dict[int, str] = {}
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        cell_magic = _CELL_MAGIC.match(lines[first].lstrip())
        if cell_magic:
            if cell_magic.group(1) not in PYTHON_CELL_MAGICS:
                # not Python: the whole cell is left out
                masked = {i: line for i, line in enumerate(lines) if line.strip()}
                return [_mark(cell, "", i) if i in masked else line for i, line in enumerate(lines)], masked
            masked[first] = lines[first]
    if not _MAYBE_MAGIC.search(text):
        return [_mark(cell, "", i) if i in masked else line for i, line in enumerate(lines)], masked
    scan = _Scan()
    out = list(lines)
    in_magic = False  # continuation lines of a masked statement
    for i, line in enumerate(lines):
        if i in masked:
            out[i] = _mark(cell, "", i)
            continue
        if in_magic:
            masked[i] = line
            out[i] = _mark(cell, "", i)
            in_magic = _continues(line, scan)
            continue
        stripped = line.lstrip()
        if scan.at_statement and _is_line_magic(stripped):
            masked[i] = line
            out[i] = _mark(cell, line[:len(line) - len(stripped)], i, statement=True)
            in_magic = _continues(line, scan)
            continue
        scan.feed(line)
    return out, masked


def _continues(line: str, scan: _Scan) -> bool:
    """Whether a masked line goes on: a trailing backslash, or (``get_ipython()(...``) open brackets."""
    if line.lstrip().startswith("get_ipython"):
        scan.feed(line)
        if scan.at_statement:
            return False
        if not scan.depth and scan.quote is None:
            scan.continued = False
        return True
    return line.rstrip().endswith("\\")


def _mark(cell: int, indent: str, index: int, statement: bool = False) -> str:
    mark = f"#{_MASK_MARK}{cell}:{index}"
    return f"{indent}pass  {mark}" if statement else mark


def _unmask(lines: list[str], masked: dict[int, str], cell: int) -> list[str]:
    """The lines with every masked line restored (at its new indentation, if a fix moved it).

    A cell magic goes back to the first line, where IPython requires it, even if a fix inserted
    code above its placeholder.
    """
    out: list[str] = []
    head: list[str] = []
    for line in lines:
        match = _MASKED.match(line)
        if match is None:
            out.append(line)
            continue
        indent, statement, number, index = match.groups()
        if int(number) != cell or int(index) not in masked:
            raise SourceError("the fixes moved code across cells; left unchanged")
        original = masked[int(index)]
        if original.lstrip().startswith("%%"):
            head.append(original)
        elif statement:
            out.append(indent + original.lstrip())
        else:
            out.append(original)
    return head + out


# --- notebooks -------------------------------------------------------------------------------------

@dataclass
class CodeCell:
    """One code cell: where it is in the notebook and in the joined program."""

    index: int  # position in the notebook's cells (0-based)
    text: str  # the source as the notebook has it
    program: list[str] = field(default_factory=list)  # the lines analysed (magics masked)
    masked: dict[int, str] = field(default_factory=dict)
    first_line: int = 0  # line of the joined program that holds the cell's first line
    problem: Problem | None = None  # the cell does not parse on its own: left out

    @property
    def number(self) -> int:
        """The cell's number as messages show it: its position in the notebook, from 1."""
        return self.index + 1

    @property
    def joined(self) -> list[str]:
        """The lines the joined program holds for the cell: blank ones where it does not parse."""
        return [""] * len(self.program) if self.problem else self.program


class NotebookLines(LineMap):
    """Names lines of a joined notebook program as cells: "cell 4, line 2"; ``C4:L2`` in paths."""

    def __init__(self, cells: Sequence[CodeCell]) -> None:
        self._starts = [cell.first_line for cell in cells] or [1]
        self._numbers = [cell.number for cell in cells] or [1]

    def locate(self, line: int) -> tuple[int | None, int]:
        i = max(0, bisect.bisect_right(self._starts, line) - 1)
        return self._numbers[i], max(1, line - self._starts[i] + 1)

    def line(self, line: int) -> str:
        cell, row = self.locate(line)
        return f"cell {cell}, line {row}"

    def lines(self, start: int, end: int) -> str:
        cell, row = self.locate(start)
        end_cell, end_row = self.locate(end)
        if cell == end_cell:
            return f"cell {cell}, lines {row}-{end_row}"
        return f"cell {cell}, line {row} to cell {end_cell}, line {end_row}"

    def short(self, line: int) -> str:
        cell, row = self.locate(line)
        return f"C{cell}:L{row}"

    def program_line(self, cell_number: int, row: int) -> int:
        """The joined program's line for (cell, line in cell): the inverse of :meth:`locate`."""
        i = self._numbers.index(cell_number)
        return self._starts[i] + row - 1


def _cell_text(source: Any) -> str:
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else ""


def _kernel_language(metadata: Any) -> str | None:
    if not isinstance(metadata, dict):
        return None
    for key, field_name in (("kernelspec", "language"), ("language_info", "name")):
        info = metadata.get(key)
        if isinstance(info, dict) and isinstance(info.get(field_name), str) and info[field_name]:
            return info[field_name]
    return None


def _is_code(cell: Any) -> bool:
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return False
    metadata = cell.get("metadata")
    vscode = metadata.get("vscode") if isinstance(metadata, dict) else None
    language = vscode.get("languageId") if isinstance(vscode, dict) else None
    return language in (None, "python")


def parse_notebook_json(text: str) -> dict:
    """The notebook as a dict; :class:`SourceError` with a clear reason for anything else."""
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"invalid notebook JSON: {exc.msg}", exc.lineno, exc.colno - 1) from None
    except RecursionError:
        raise SourceError("not a valid notebook: JSON nested too deeply") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        if isinstance(notebook, dict) and "worksheets" in notebook:
            raise SourceError("a version 3 notebook: convert it with `jupyter nbconvert --to notebook "
                              "--inplace` first")
        raise SourceError("not a valid notebook: no list of cells")
    language = _kernel_language(notebook.get("metadata"))
    if language is not None and language.lower() not in PYTHON_LANGUAGES:
        raise SourceError(f"not a Python notebook: its kernel language is {language!r}")
    return notebook


def _compile(text: str, filename: str) -> ast.Module:
    # notebooks may ``await`` at the top level (IPython's autoawait)
    return compile(text, filename, "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                   dont_inherit=True)


def _join(cells: list[CodeCell]) -> str:
    lines: list[str] = []
    for cell in cells:
        lines.append(f"{_CELL_MARK}{cell.number}")
        lines.append("")
        cell.first_line = len(lines) + 1
        lines.extend(cell.joined)
    return "\n".join(lines) + "\n"


def _syntax_problem(exc: BaseException, line: int) -> Problem:
    """Where and why a cell (whose first line is the program's ``line``) does not parse."""
    if isinstance(exc, SyntaxError):
        kind = "indentation error" if isinstance(exc, IndentationError) else "syntax error"
        return Problem(line + max(1, exc.lineno or 1) - 1, max(0, (exc.offset or 1) - 1), f"{kind}: {exc.msg}")
    if isinstance(exc, (RecursionError, MemoryError)):
        return Problem(line, 0, "too deeply nested for the Python parser")
    return Problem(line, 0, f"{type(exc).__name__}: {exc}")


# --- sources ----------------------------------------------------------------------------------------

@dataclass
class Source:
    """A file as the engine checks it: ``text`` (a notebook's joined program) and how to name lines.

    ``problems`` are the parts that could not be analysed (notebook cells that do not parse on
    their own). :meth:`parse` gives the module tree (``SyntaxError`` if the whole file does not
    parse); :meth:`updated` turns a fixed ``text`` into the bytes to write.
    """

    path: str
    text: str
    where: LineMap = FILE_LINES
    problems: list[Problem] = field(default_factory=list)
    decoded: Decoded | None = None  # a Python file read from disk: how to encode it back
    raw: str = ""  # a notebook: the file's text
    bom: bool = False  # a notebook file that starts with a UTF-8 byte order mark (kept when written)
    cells: list[CodeCell] = field(default_factory=list)
    _tree: ast.Module | None = field(default=None, repr=False)
    _lines: list[str] | None = field(default=None, repr=False)

    @property
    def is_notebook(self) -> bool:
        return isinstance(self.where, NotebookLines)

    @property
    def lines(self) -> list[str]:
        """The program's lines (what character columns count in)."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def parse(self) -> ast.Module:
        if self._tree is None:
            self._tree = ast.parse(self.text, filename=self.path)
        return self._tree

    def drop_tree(self) -> None:
        """Let the module tree go (a source kept for later, as the language server keeps the last
        check of each document, should not hold a tree of every node: :meth:`parse` reads it again)."""
        self._tree = None

    def locate(self, line: int) -> tuple[int | None, int]:
        return self.where.locate(line)

    # -- writing back -----------------------------------------------------------------------------
    def updated(self, fixed_text: str) -> bytes:
        """The file's new bytes once ``fixed_text`` (this source's program, fixed) is written.

        For a notebook only the code cells whose code changed are rewritten; a fix that moved
        code across a cell boundary is refused with :class:`SourceError`.
        """
        if not self.is_notebook:
            return encode_source(fixed_text, self.decoded) if self.decoded else fixed_text.encode("utf-8")
        changes = self.changed_cells(fixed_text)
        data = _replace_sources(self.raw, changes).encode("utf-8")
        return codecs.BOM_UTF8 + data if self.bom else data

    def changed_cells(self, fixed_text: str) -> dict[int, str]:
        """{notebook cell index: new source text} for the cells ``fixed_text`` changes."""
        segments = _split_program(fixed_text, [cell.number for cell in self.cells])
        changes: dict[int, str] = {}
        for cell, lines in zip(self.cells, segments):
            if lines == cell.joined:
                continue
            if cell.problem is not None:
                raise SourceError(f"a fix changed cell {cell.number}, which does not parse; left unchanged")
            changes[cell.index] = "\n".join(_unmask(lines, cell.masked, cell.number))
        return changes


def _split_program(text: str, numbers: list[int]) -> list[list[str]]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    segments: list[list[str]] = []
    for line in lines:
        match = _SEPARATOR.match(line)
        if match is not None:
            segments.append([])
            if int(match.group(1)) != (numbers[len(segments) - 1] if len(segments) <= len(numbers) else -1):
                raise SourceError("the fixes moved code across cells; left unchanged")
            continue
        if not segments:
            raise SourceError("the fixes added code before the first cell; left unchanged")
        segments[-1].append(line)
    if len(segments) != len(numbers):
        raise SourceError("the fixes moved code across cells; left unchanged")
    for segment in segments:
        if not segment or segment[0] != "":
            raise SourceError("the fixes moved code across cells; left unchanged")
        del segment[0]
    return segments


def load_source(data: bytes, path: str) -> Source:
    """The source of a file's bytes; :class:`SourceError` when it cannot be read as one."""
    if not is_notebook(path):
        decoded = decode_source(data)
        return Source(path, decoded.text, decoded=decoded)
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not a valid notebook: invalid UTF-8 (byte {data[exc.start]:#04x})") from None
    source = notebook_source(raw, path, parse_notebook_json(raw))
    source.bom = data.startswith(codecs.BOM_UTF8)
    return source


def notebook_source(raw: str, path: str, notebook: dict) -> Source:
    """The joined program of a parsed notebook (``raw`` is its file text, kept for writing back)."""
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        if _is_code(cell):
            cells.append(CodeCell(index, _cell_text(cell.get("source"))))
    source = cells_source(cells, path)
    source.raw = raw
    return source


def cells_source(cells: list[CodeCell], path: str) -> Source:
    """The joined program of code cells (an editor's notebook document, or a notebook file's)."""
    for cell in cells:
        cell.program, cell.masked = mask_magics(cell.text, cell.number)
        cell.problem = None
    text = _join(cells)
    source = Source(path, text, NotebookLines(cells), cells=cells)
    try:
        source._tree = _compile(text, path)
        return source
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        pass
    for cell in cells:  # find the cells that do not parse on their own and leave them out
        try:
            _compile("\n".join(cell.program), path)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            cell.problem = _syntax_problem(exc, cell.first_line)
    source.problems = [cell.problem for cell in cells if cell.problem is not None]
    source.text = _join(cells)
    try:
        source._tree = _compile(source.text, path)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        # the cells parse one by one but not together (e.g. a cell ending in a backslash)
        source.problems.append(_syntax_problem(exc, 1))
        source._tree = ast.Module(body=[], type_ignores=[])
    return source


def read_source(path: str) -> Source:
    """Read and load ``path``; ``OSError`` when it cannot be read, :class:`SourceError` otherwise."""
    with open(path, "rb") as handle:
        return load_source(handle.read(), path)


# --- writing cells back into the notebook's own JSON text --------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _replace_sources(raw: str, changes: dict[int, str]) -> str:
    """``raw`` with the "source" of the cells in ``changes`` replaced, every other byte kept."""
    if not changes:
        return raw
    spans = _source_spans(raw)
    ascii_only = _escapes_non_ascii(raw)
    out: list[str] = []
    pos = 0
    for index in sorted(changes):
        if index not in spans:
            raise SourceError(f"cell {index + 1} has no source to write to")
        start, end = spans[index]
        out.append(raw[pos:start])
        out.append(_dump_source(raw[start:end], changes[index], ascii_only))
        pos = end
    out.append(raw[pos:])
    return "".join(out)


def _escapes_non_ascii(raw: str) -> bool:
    """Whether the file writes non-ASCII characters as \\u escapes (``ensure_ascii``)."""
    return raw.isascii() and re.search(r"\\u(?:[0-9a-fA-F]{2}(?<!00)[0-9a-fA-F]{2}|00[89a-fA-F][0-9a-fA-F])",
                                       raw) is not None


def _skip_ws(raw: str, pos: int) -> int:
    return _WS.match(raw, pos).end()  # type: ignore[union-attr]


def _expect(raw: str, pos: int, char: str) -> int:
    pos = _skip_ws(raw, pos)
    if raw[pos:pos + 1] != char:
        raise SourceError("the notebook's JSON could not be scanned; left unchanged")
    return pos + 1


def _object_items(raw: str, pos: int):
    """(key, value start, value end) for each member of the JSON object starting at ``pos``."""
    pos = _expect(raw, pos, "{")
    pos = _skip_ws(raw, pos)
    if raw[pos:pos + 1] == "}":
        return
    while True:
        pos = _expect(raw, pos, '"')
        key, pos = json.decoder.scanstring(raw, pos)  # type: ignore[attr-defined]
        pos = _skip_ws(raw, _expect(raw, pos, ":"))
        _, end = _DECODER.raw_decode(raw, pos)
        yield key, pos, end
        pos = _skip_ws(raw, end)
        if raw[pos:pos + 1] != ",":
            return
        pos += 1


def _source_spans(raw: str) -> dict[int, tuple[int, int]]:
    """{cell index: (start, end) of its "source" value in ``raw``}."""
    start = _skip_ws(raw, 0)
    for key, value, _end in _object_items(raw, start):
        if key != "cells":
            continue
        spans: dict[int, tuple[int, int]] = {}
        pos = _expect(raw, value, "[")
        index = 0
        while True:
            pos = _skip_ws(raw, pos)
            if raw[pos:pos + 1] in ("]", ""):
                return spans
            _, cell_end = _DECODER.raw_decode(raw, pos)
            for cell_key, cell_value, value_end in _object_items(raw, pos):
                if cell_key == "source":
                    spans[index] = (cell_value, value_end)
            index += 1
            pos = _skip_ws(raw, cell_end)
            if raw[pos:pos + 1] == ",":
                pos += 1
    raise SourceError("not a valid notebook: no list of cells")


def _dump_source(old: str, text: str, ascii_only: bool) -> str:
    """``text`` as a JSON "source" value written the way ``old`` (the value it replaces) was."""
    if not old.startswith("["):
        return json.dumps(text, ensure_ascii=ascii_only)
    parts = re.findall(r"[^\n]*\n|[^\n]+\Z", text)
    items = [json.dumps(part, ensure_ascii=ascii_only) for part in parts]
    old_items = json.loads(old)
    if not old_items:
        return "[" + ", ".join(items) + "]" if "\n" not in old else "[\n" + ",\n".join(items) + "\n]"
    # the whitespace the old list had: after "[", between items, before "]"
    first_at = _skip_ws(old, 1)
    opening = old[1:first_at]
    body = old.rstrip()[:-1]
    closing = body[len(body.rstrip()):]
    between = "," + opening
    if len(old_items) > 1:
        _, end = _DECODER.raw_decode(old, first_at)
        between = old[end:_skip_ws(old, _skip_ws(old, end) + 1)]
    if not items:
        return "[]"
    return "[" + opening + between.join(items) + closing + "]"
