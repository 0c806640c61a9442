"""Line splitting, diff edits and client position encodings agree with Ruff and LSP."""

from __future__ import annotations

import random

import pytest
from lsprotocol import types as t

from surefix.features.ruff.edits import (
    NEWLINE,
    LineIndex,
    apply_edits,
    diff_edits,
    line_starts,
    split_lines,
)
from surefix.features.ruff.findings import Position
from surefix.server.lsp.positions import Positions


def test_lines_break_where_ruff_and_lsp_break_them() -> None:
    assert split_lines("a\r\nb\rc\nd\x0ce") == ["a", "b", "c", "d\x0ce"]
    index = LineIndex("a\r\nb\rc\n")
    assert index.offset(Position(2, 0)) == 5


@pytest.mark.parametrize(
    "text", ["", "a", "a\n", "\n\n", "a\nb", "a\x0cb\n\u2028c\n", "x\r\ny\rz\n", "\r", "é\n𝄞\n"]
)
def test_line_starts_and_lines_are_where_ruff_and_lsp_break_lines(text: str) -> None:
    """The quick way (no `\\r` in the text) and the general one agree, and so do the lines."""
    assert line_starts(text) == [0, *(m.end() for m in NEWLINE.finditer(text))]
    assert split_lines(text) == NEWLINE.split(text)


def test_diff_edits_turn_any_text_into_any_other() -> None:
    rng = random.Random(7)
    pool = ["a\n", "b\n", "c\r\n", "d\r", "e", "\n", "x\x0cy\n", "😀\n"]
    for _ in range(2000):
        old = "".join(rng.choice(pool) for _ in range(rng.randint(0, 8)))
        new = "".join(rng.choice(pool) for _ in range(rng.randint(0, 8)))
        assert apply_edits(old, diff_edits(old, new)) == new


def test_diff_edits_touch_only_changed_lines() -> None:
    (edit,) = diff_edits("a\nb\nc\n", "a\nB\nc\n")
    assert (edit.start, edit.end, edit.content) == (Position(1, 0), Position(2, 0), "B\n")


@pytest.mark.parametrize(
    ("encoding", "units"),
    [
        (t.PositionEncodingKind.Utf16, 8),  # 😀 is two UTF-16 units
        (t.PositionEncodingKind.Utf8, 13),  # 😀 four bytes, é two
        (t.PositionEncodingKind.Utf32, 6),
    ],
)
def test_code_points_convert_to_each_encoding_and_back(encoding: str, units: int) -> None:
    text = 'x="😀é😀"\n'
    positions = Positions(text, encoding)
    client = positions.to_client(Position(0, 6))
    assert client == t.Position(line=0, character=units)
    assert positions.from_client(client) == Position(0, 6)


def test_positions_out_of_range_are_clamped() -> None:
    positions = Positions("ab\n", t.PositionEncodingKind.Utf16)
    assert positions.from_client(t.Position(line=99, character=99)) == Position(1, 0)
    assert positions.from_client(t.Position(line=0, character=99)) == Position(0, 2)


def test_diff_edits_of_long_repetitive_texts_stay_exact() -> None:
    old = "x = 1\n" * 50_000
    for new in [old.replace("x = 1\n", "y = 2\n", 1), "x = 1\n" * 25_000 + "z\n" + old]:
        edits = diff_edits(old, new)
        assert apply_edits(old, edits) == new and len(edits) == 1
    rewritten = "y = 2\n" * 40_000
    assert apply_edits(old, diff_edits(old, rewritten)) == rewritten


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_every_column_of_every_line_round_trips_whatever_ends_the_lines(encoding: str) -> None:
    """Positions keeps where lines start, not the lines: each line it reads back must be the
    line `split_lines` gives, whichever break ends it, the last one without a break too."""
    text = 'a = "é"\r\nb = "😀"\rc\n\nd\x0ce = "x😀y"'
    positions = Positions(text, encoding)
    lines = split_lines(text)
    for number, line in enumerate(lines):
        for column in range(len(line) + 1):
            client = positions.to_client(Position(number, column))
            assert positions.from_client(client) == Position(number, column)
        past = positions.to_client(Position(number, len(line) + 5))
        assert positions.from_client(past) == Position(number, len(line))
    beyond = t.Position(line=len(lines) + 3, character=0)
    assert positions.from_client(beyond) == Position(len(lines) - 1, len(lines[-1]))
