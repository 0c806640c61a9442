"""Text edits on code-point positions: offsets, applying a fix, line diffs.

Lines are split where Ruff and LSP split them (`\\n`, `\\r\\n`, `\\r`); `str.splitlines` splits on
more (form feed, U+2028, ...) and would put every later position on the wrong line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate
from typing import TypeVar

from surefix.features.ruff.findings import Edit, Position

T = TypeVar("T")

NEWLINE = re.compile("\r\n|\r|\n")  # the line breaks Ruff and LSP both count


_PLUS_ONE = (1).__add__  # a line's length and its break: where the next one starts
_LINE = re.compile("[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


class LineIndex:
    """Converts (line, code-point column) positions of one text to string offsets and back."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)

    def offset(self, pos: Position) -> int:
        if pos.line >= len(self.starts):
            return len(self.text)
        return min(self.starts[pos.line] + pos.column, len(self.text))

    def position(self, offset: int) -> Position:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return Position(lo, offset - self.starts[lo])


def line_starts(text: str) -> list[int]:
    """The offset where each line of `text` starts. Every change the editor sends and every
    fix-all round indexes a whole text, so the common case (no `\\r`) runs at C speed."""
    if "\r" in text:
        return [0, *(m.end() for m in NEWLINE.finditer(text))]
    return list(accumulate(map(_PLUS_ONE, map(len, text.split("\n")[:-1])), initial=0))


def apply_edits(text: str, edits: Iterable[Edit], index: LineIndex | None = None) -> str:
    """Apply non-overlapping edits (Ruff guarantees this within one fix) from last to first.

    Insertions at the same offset keep the order Ruff gave them in: TC00x fixes insert
    `from typing import TYPE_CHECKING` and then the `if TYPE_CHECKING:` block at one point, and
    sorting by content would put the block before the import it needs.
    """
    index = index or LineIndex(text)
    spans = sorted(
        ((index.offset(e.start), index.offset(e.end), e.content) for e in edits),
        key=lambda span: span[:2],
    )
    out: list[str] = []
    cursor = 0
    for start, end, content in spans:
        if start < cursor:
            raise ValueError("overlapping edits")
        out.append(text[cursor:start])
        out.append(content)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


MAX_SPAN_LINES = 200  # a fix's edits further apart than this are measured edit by edit


def longest_new_line(edits: Sequence[Edit], lines: Sequence[str], limit: int) -> int | None:
    """The length of the longest line over `limit` that `edits` (one fix's, in positions of the
    text split into `lines`) would leave, where none of the lines they rewrite was over it
    before; None when there is no such line. A fix that makes a line too long leaves the
    project's line-length check failing, or its formatter to lay the code out again."""
    spans: list[list[Edit]] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if spans and edit.start.line <= spans[-1][-1].end.line:
            spans[-1].append(edit)
        else:
            spans.append([edit])
    longest = None
    for span in spans:
        first, last = span[0].start.line, max(e.end.line for e in span)
        if last - first > MAX_SPAN_LINES:
            continue
        old = [*lines[first : last + 1], *([""] * (last + 1 - max(len(lines), first)))]
        if any(len(line) > limit for line in old):
            continue  # too long already: not this fix's doing
        starts = list(accumulate((len(line) + 1 for line in old), initial=0))
        joined = "\n".join(old)
        out, cursor = [], 0
        for e in span:
            begin = starts[e.start.line - first] + e.start.column
            out += [joined[cursor:begin], e.content]
            cursor = max(cursor, starts[e.end.line - first] + e.end.column)
        out.append(joined[cursor:])
        widest = max(len(line) for line in "".join(out).split("\n"))
        if widest > limit and (longest is None or widest > longest):
            longest = widest
    return longest


def diff_edits(old: str, new: str) -> list[Edit]:
    """Whole-line edits turning `old` into `new`, touching only the lines that differ.

    Editors keep cursors, folds and marks outside the changed lines, which a whole-document
    replacement would reset.
    """
    from difflib import SequenceMatcher

    index = LineIndex(old)
    a, b = _lines(old), _lines(new)
    start, end_a, end_b = common_ends(a, b)
    if (end_a - start) * (end_b - start) > MAX_DIFF_CELLS:  # one edit for the changed block
        opcodes = [("replace", start, end_a, start, end_b)]
    else:
        matcher = SequenceMatcher(None, a[start:end_a], b[start:end_b], autojunk=False)
        opcodes = [
            (op, i1 + start, i2 + start, j1 + start, j2 + start)
            for op, i1, i2, j1, j2 in matcher.get_opcodes()
        ]
    edits = []
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal" or (i1 == i2 and j1 == j2):
            continue
        first = index.position(_line_offset(index, i1))
        last = index.position(_line_offset(index, i2))
        edits.append(Edit(first, last, "".join(b[j1:j2])))
    return edits


MAX_DIFF_CELLS = 1_000_000  # a line diff is quadratic: above this the block is one edit


def common_ends(old: Sequence[str], new: Sequence[str]) -> tuple[int, int, int]:
    """The lines both share at their start and end, in one linear pass: `(start, end_old,
    end_new)` bound the part that differs. Every line diff starts here, so the quadratic part
    sees only what an edit changed (5,000 identical lines cost nothing)."""
    start, limit = 0, min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    return start, end_old, end_new


def _lines(text: str) -> list[str]:
    """Lines with their breaks, split where Ruff and LSP split (`str.splitlines` splits more)."""
    return _LINE.findall(text)


def split_lines(text: str) -> list[str]:
    """Lines without their breaks, split where Ruff and LSP split (`\\x0c` is no line break)."""
    return NEWLINE.split(text) if "\r" in text else text.split("\n")


def utf16_units(text: str) -> int:
    """How many UTF-16 code units `text` takes: what editors (LSP's default) and SARIF count
    columns in, where a character beyond the Basic Multilingual Plane is two."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _line_offset(index: LineIndex, line: int) -> int:
    return index.starts[line] if line < len(index.starts) else len(index.text)


def changed_lines(old: Sequence[str], new: Sequence[str]) -> Sequence[str]:
    """The lines of `new` that an edit from `old` inserted or rewrote: what lies between the
    common prefix and the common suffix. Exact for the one-place edits typing makes, and cheap
    enough for every keystroke; an edit in two places counts everything between them."""
    start, _, end_new = common_ends(old, new)
    return new[start:end_new]


def non_overlapping(items: Iterable[T], edits_of: Callable[[T], Sequence[Edit]]) -> list[T]:
    """Greedy in the order given: keep an item only if none of its edits overlaps an edit of an
    item already kept.

    Edits that merely touch (one ends where the next begins) clash too, as in Ruff's own loop:
    two deletions that meet can together empty a block neither empties alone. An item left out
    is not lost: a fix loop offers it again in its next round, on the re-linted text.
    """
    kept: list[T] = []
    spans: list[tuple[Position, Position]] = []
    for item in items:
        mine = [(e.start, e.end) for e in edits_of(item)]
        if any(a[0] <= b[1] and b[0] <= a[1] for a in mine for b in spans):
            continue
        kept.append(item)
        spans.extend(mine)
    return kept
