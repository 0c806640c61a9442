"""How an editor reads LSP positions and applies edits, written from the specification alone.

Tests check the server against this, so it shares no code with the server: lines end at `\\n`,
`\\r\\n` or `\\r` only (a form feed or U+2028 is text), columns count the client's units, a
column past a line's end is its end, a line past the last one is the end of the text, and a
position inside a character means its start.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lsprotocol import types as t

BREAK = re.compile("\r\n|\r|\n")


def units(text: str, encoding: str) -> int:
    """`text`'s length in the client's units."""
    if encoding == t.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == t.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def code_points(line: str, character: int, encoding: str) -> int:
    """A client column on `line`, in code points."""
    column, used = 0, 0
    for char in line:
        width = units(char, encoding)
        if used + width > character:
            break
        used += width
        column += 1
    return column


def client_units(line: str, column: int, encoding: str) -> int:
    """A code-point column on `line`, in the client's units."""
    return units(line[:column], encoding)


def lines(text: str) -> list[str]:
    return BREAK.split(text)


def offset(text: str, pos: t.Position, encoding: str) -> int:
    found = lines(text)
    if pos.line >= len(found):
        return len(text)
    starts = [0, *(m.end() for m in BREAK.finditer(text))]
    return starts[pos.line] + code_points(found[pos.line], pos.character, encoding)


def end_of(text: str, encoding: str) -> t.Position:
    found = lines(text)
    return t.Position(line=len(found) - 1, character=units(found[-1], encoding))


def reference_apply(text: str, change: t.TextDocumentContentChangePartial, encoding: str) -> str:
    """`text` after one incremental change, as the editor has it."""
    a, b = offset(text, change.range.start, encoding), offset(text, change.range.end, encoding)
    a, b = min(a, b), max(a, b)
    return text[:a] + change.text + text[b:]


def apply_text_edits(text: str, edits: Sequence[Any], encoding: str) -> str:
    """`text` after a list of non-overlapping `TextEdit`s, all positions in the original."""
    spans = sorted(
        ((offset(text, e.range.start, encoding), offset(text, e.range.end, encoding), e.new_text)
         for e in edits),
        key=lambda s: (s[0], s[1]),
        reverse=True,
    )  # fmt: skip
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text
