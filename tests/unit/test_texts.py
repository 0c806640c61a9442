"""The server's copy of a document stays the editor's, edit after edit, whatever the text holds.

The reference below is how an editor applies an LSP change, written from the specification and
sharing no code with the server: lines end at `\\n`, `\\r\\n` or `\\r` only, a column past a
line's end is its end, a line past the last one is the text's end, columns count the client's
units.
"""

from __future__ import annotations

import random

import pytest
from lsp_reference import BREAK, reference_apply, units
from lsprotocol import types as t

from surefix.server.lsp.texts import Texts, apply_change, document_key

HOSTILE = [
    "import os\n", "x = 1\r\n", "y = 2\r", "\x0c", "\x0b", "\x85", "\u2028", "\u2029", "\x00",
    "😀", "é", "\ufeff", "\udcff", "\r", "\n", "\r\n", "import json\n", "  ", "#", "'\U0001f600'",
]  # fmt: skip
ENCODINGS = [
    t.PositionEncodingKind.Utf16,
    t.PositionEncodingKind.Utf8,
    t.PositionEncodingKind.Utf32,
]


def random_position(rng: random.Random, text: str, encoding: str) -> t.Position:
    """Mostly a real place in the text; sometimes past a line's end or past the last line."""
    lines = BREAK.split(text)
    line = rng.randrange(len(lines) + (2 if rng.random() < 0.1 else 0))
    if line >= len(lines):
        return t.Position(line=line, character=rng.randrange(5))
    width = units(lines[line], encoding)
    return t.Position(line=line, character=rng.randrange(width + (4 if rng.random() < 0.2 else 1)))


def random_change(
    rng: random.Random, text: str, encoding: str
) -> t.TextDocumentContentChangePartial:
    start, end = random_position(rng, text, encoding), random_position(rng, text, encoding)
    if (end.line, end.character) < (start.line, start.character) and rng.random() < 0.9:
        start, end = end, start
    inserted = "".join(rng.choice(HOSTILE) for _ in range(rng.randrange(4)))
    return t.TextDocumentContentChangePartial(range=t.Range(start=start, end=end), text=inserted)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_thousands_of_random_edits_leave_the_editors_text(encoding: str) -> None:
    rng = random.Random(f"texts-{encoding}")
    for _ in range(40):
        texts = Texts()
        text = "".join(rng.choice(HOSTILE) for _ in range(rng.randrange(30)))
        item = t.TextDocumentItem(uri="file:///w/a.py", language_id="python", version=1, text=text)
        texts.open(item)
        for version in range(2, 80):
            batch = []
            for _ in range(rng.randint(1, 3)):  # a change event applies its changes in order
                change = random_change(rng, text, encoding)
                text = reference_apply(text, change, encoding)
                batch.append(change)
            kept = texts.change("file:///w/a.py", version, batch, encoding)
            assert kept is not None and kept.source == text, (version, batch)
            assert kept.version == version


def test_an_insert_below_a_form_feed_lands_where_the_editor_put_it() -> None:
    """`str.splitlines` breaks at \\x0c, so the line below would have been one further down."""
    text = "import os\n\x0c\nimport json\nprint(json)\n"
    for other in ["\x0c", "\x0b", "\x85", "\u2028", "\u2029", "\x1c"]:
        source = text.replace("\x0c", other)
        change = t.TextDocumentContentChangePartial(
            range=t.Range(
                start=t.Position(line=2, character=0), end=t.Position(line=2, character=0)
            ),
            text="import sys\n",
        )
        assert apply_change(source, change, None).split("\n")[2] == "import sys"


def test_an_end_past_the_last_line_is_the_end_of_the_text() -> None:
    change = t.TextDocumentContentChangePartial(
        range=t.Range(start=t.Position(line=1, character=1), end=t.Position(line=9, character=0)),
        text="",
    )
    assert apply_change("ab\ncd", change, None) == "ab\nc"


def test_a_whole_document_change_replaces_the_text() -> None:
    whole = t.TextDocumentContentChangeWholeDocument(text="new\r\n")
    assert apply_change("old\n", whole, None) == "new\r\n"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("file:///c%3A/My%20Code/x.py", "file:///C:/My Code/x.py"),  # VS Code, Neovim on Windows
        ("file:///home/%C3%A9l%C3%A8ve/a%2Bb/x%23.py", "file:///home/élève/a+b/x#.py"),
        ("FILE:///tmp/100%25.py", "file:///tmp/100%.py"),
        ("untitled:Untitled-1", "untitled:Untitled-1"),
    ],
)
def test_every_spelling_of_a_uri_finds_its_document(one: str, other: str) -> None:
    assert document_key(one) == document_key(other)
    texts = Texts()
    texts.open(t.TextDocumentItem(uri=one, language_id="python", version=1, text="x"))
    found = texts.get(other)
    assert found is not None and found.uri == one  # published under the URI it was opened with
    assert texts.close(other) is not None and texts.get(one) is None


def test_different_files_stay_different() -> None:
    assert document_key("file:///tmp/a%2Fb.py") != document_key("file:///tmp/a%20b.py")
    assert document_key("untitled:Untitled-1") != document_key("untitled:Untitled-2")
