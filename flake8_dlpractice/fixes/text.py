"""Source text helpers for ``dlp-fix`` that need no libcst: decoding, lines, spans, ``# noqa``.

Spans come from ``ast``: 1-based lines and UTF-8 *byte* columns. libcst counts *characters*, so a
span is converted per line (``char_col``) before it is compared with libcst positions.
"""
from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass

# the line breaks the tokenizer (and so ast and libcst) knows; str.splitlines also splits on
# \x0c, \x1c... which Python source treats as ordinary characters
LINE_BREAK = re.compile(r"\r\n|\r|\n")
LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")

# flake8's inline noqa syntax: ``# noqa`` (everything) or ``# noqa: CODE[,CODE...]`` (codes or prefixes)
NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z][0-9]+(?:[,\s]+[A-Z][0-9]+)*))?", re.IGNORECASE)
CODE_SPLIT = re.compile(r"[,\s]+")


class SourceError(Exception):
    """A file that cannot be fixed at all (reason in the message); ``line`` (1-based) and ``col``
    (0-based) locate the problem where it has a position (``dlp check`` reports it there as DLP000)."""

    def __init__(self, message: str, line: int = 1, col: int = 0) -> None:
        super().__init__(message)
        self.line, self.col = line, col


@dataclass
class Decoded:
    text: str
    encoding: str  # codec to write back with (without the BOM)
    bom: bool
    newline: str  # the first line break of the file, for messages/tests


def decode_source(data: bytes) -> Decoded:
    """Decode Python source bytes the way the interpreter does (BOM, PEP 263 cookie)."""
    if b"\0" in data:
        at = data.index(b"\0")
        raise SourceError("contains null bytes", data.count(b"\n", 0, at) + 1, at - data.rfind(b"\n", 0, at) - 1)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"unknown source encoding ({exc})") from None
    bom = data.startswith(codecs.BOM_UTF8)
    codec = "utf-8" if encoding in ("utf-8-sig", "utf-8") else encoding
    body = data[len(codecs.BOM_UTF8):] if bom else data
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if codec == "utf-8" else codec
        line = body[:exc.start].count(b"\n") + 1
        col = len(body[body.rfind(b"\n", 0, exc.start) + 1:exc.start].decode(codec, "replace"))
        raise SourceError(f"invalid {name} (byte {body[exc.start]:#04x} on line {line})", line, col) from None
    except LookupError:
        raise SourceError(f"unknown source encoding {encoding!r}") from None
    match = LINE_BREAK.search(text)
    return Decoded(text, codec, bom, match.group(0) if match else "\n")


def encode_source(text: str, decoded: Decoded) -> bytes:
    data = text.encode(decoded.encoding)
    return codecs.BOM_UTF8 + data if decoded.bom else data


def split_lines(text: str) -> list[str]:
    """Lines without their line breaks, split only where Python sees line breaks."""
    return LINE_BREAK.split(text)


def lines_with_ends(text: str) -> list[str]:
    return LINE_WITH_END.findall(text)


class Lines:
    """Per-line access with byte-column -> character-column conversion."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)

    def char_col(self, line: int, byte_col: int) -> int:
        if not 1 <= line <= len(self.lines):
            raise ValueError(f"line {line} is outside the file")
        text = self.lines[line - 1]
        if text.isascii():
            if byte_col > len(text):
                raise ValueError(f"column {byte_col} is outside line {line}")
            return byte_col
        raw = text.encode("utf-8", "surrogatepass")
        if byte_col > len(raw):
            raise ValueError(f"column {byte_col} is outside line {line}")
        try:
            return len(raw[:byte_col].decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError:
            raise ValueError(f"column {byte_col} splits a character on line {line}") from None

    def char_span(self, span: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        line, col, end_line, end_col = span
        return line, self.char_col(line, col), end_line, self.char_col(end_line, end_col)

    def text_of(self, cspan: tuple[int, int, int, int], newline: str = "\n") -> str:
        """Source text of a character span (line breaks normalised to ``newline``)."""
        line, col, end_line, end_col = cspan
        if line == end_line:
            return self.lines[line - 1][col:end_col]
        parts = [self.lines[line - 1][col:]]
        parts.extend(self.lines[line:end_line - 1])
        parts.append(self.lines[end_line - 1][:end_col])
        return newline.join(parts)


def noqa_lines(text: str) -> dict[int, frozenset[str] | None]:
    """Line -> codes silenced there (None: every code), flake8 style.

    A ``# noqa`` comment on any physical line of a multi-line logical line (a call spread over
    several lines, a triple-quoted string) applies to all of its lines, as in flake8.
    """
    if "noqa" not in text.lower():
        return {}
    out: dict[int, frozenset[str] | None] = {}
    comments: list[tuple[int, str]] = []
    ranges: list[tuple[int, int]] = []
    try:
        start = None
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                comments.append((tok.start[0], tok.string))
            if start is None and tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT,
                                                  tokenize.DEDENT, tokenize.NEWLINE, tokenize.ENDMARKER):
                start = tok.start[0]
            if tok.type == tokenize.NEWLINE and start is not None:
                ranges.append((start, tok.end[0]))
                start = None
            elif tok.type == tokenize.STRING and tok.start[0] != tok.end[0]:
                ranges.append((tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    if not comments:  # tokenizer failed early: fall back to a line scan
        comments = [(n, line[line.index("#"):]) for n, line in enumerate(split_lines(text), 1) if "#" in line]
    for number, comment in comments:
        match = NOQA.search(comment)
        if not match:
            continue
        codes = match.group("codes")
        value = None if not codes else frozenset(c.upper() for c in CODE_SPLIT.split(codes.strip()) if c)
        lines = [number]
        for first, last in ranges:
            if first <= number <= last and first != last:
                lines = list(range(first, last + 1))
                break
        for line in lines:
            old = out.get(line, frozenset())
            out[line] = None if value is None or old is None else old | value
    return out


def silenced(code: str, line: int, noqa: dict[int, frozenset[str] | None]) -> bool:
    if line not in noqa:
        return False
    codes = noqa[line]
    return codes is None or code in codes or code.startswith(tuple(codes))
