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


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.M)  # PEP 263's encoding declaration


def decode_source(data: bytes) -> Decoded:
    """Decode Python source bytes the way the interpreter does (BOM, PEP 263 cookie)."""
    if b"\0" in data:
        at = data.index(b"\0")
        raise SourceError("contains null bytes", data.count(b"\n", 0, at) + 1, at - data.rfind(b"\n", 0, at) - 1)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if _COOKIE.search(b"\n".join(data.split(b"\n", 2)[:2])):
            raise SourceError(f"unknown source encoding ({exc})") from None
        encoding = "utf-8"  # no declaration: the first lines are not UTF-8; say where, below
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
