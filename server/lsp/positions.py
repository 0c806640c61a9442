"""Positions between Ruff's code points and the client's negotiated encoding.

Ruff and `features/` count columns in code points; LSP clients count UTF-16 units (VS Code),
UTF-8 bytes (Neovim 0.11) or code points (Emacs). Only this module converts, once per position,
from the analysed text's own lines (pygls' document re-splits the whole text on every call).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from lsprotocol import types as t

from surefix.features.ruff.edits import line_starts, utf16_units
from surefix.features.ruff.findings import Position


class Positions:
    """Converts positions of one text for a client using `encoding`."""

    def __init__(
        self, text: str, encoding: str | None, starts: Sequence[int] | None = None
    ) -> None:
        # Where each line starts, not the lines: an open document's layout lives as long as its
        # version, and a copy of its lines would cost twice the text. `starts`, when the caller
        # has them already (`LineIndex.starts`), saves a second pass over the text.
        self._text = text
        if starts is None:
            starts = line_starts(text)
        self._starts = array("q", starts)
        self.encoding = encoding or t.PositionEncodingKind.Utf16

    def _line(self, line: int) -> str:
        if not 0 <= line < len(self._starts):
            return ""
        if line + 1 == len(self._starts):
            return self._text[self._starts[line] :]
        text = self._text[self._starts[line] : self._starts[line + 1]]
        return text[:-2] if text.endswith("\r\n") else text[:-1]

    def to_client(self, pos: Position) -> t.Position:
        text = self._line(pos.line)[: pos.column]
        if self.encoding == t.PositionEncodingKind.Utf32 or text.isascii():
            units = len(text)
        elif self.encoding == t.PositionEncodingKind.Utf8:
            units = len(text.encode("utf-8", "surrogatepass"))
        else:
            units = utf16_units(text)
        return t.Position(line=pos.line, character=units)

    def range(self, start: Position, end: Position) -> t.Range:
        return t.Range(start=self.to_client(start), end=self.to_client(end))

    def from_client(self, pos: t.Position) -> Position:
        """A client position in code points, clamped to the text as the specification says:
        a column past a line's end is its end, a line past the last one the text's end."""
        if pos.line >= len(self._starts):
            last = len(self._starts) - 1
            return Position(last, len(self._line(last)))
        line = max(pos.line, 0)
        text = self._line(line)
        units = max(pos.character, 0)
        if self.encoding == t.PositionEncodingKind.Utf32 or text.isascii():
            return Position(line, min(units, len(text)))
        utf8 = self.encoding == t.PositionEncodingKind.Utf8
        column = 0
        for char in text:  # a position inside a character means the start of it
            width = _utf8_width(char) if utf8 else 2 if ord(char) > 0xFFFF else 1
            if units < width:
                break
            units -= width
            column += 1
        return Position(line, column)


def _utf8_width(char: str) -> int:
    code = ord(char)
    return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
