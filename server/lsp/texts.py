"""The open documents' text, kept exactly as the editor has it.

Every fix is computed on this text and applied by the editor to its own, so the two must never
differ. Changes are applied as the specification defines them: lines end only at `\\n`, `\\r\\n`
or `\\r` (a form feed, `\\v`, U+0085 or U+2028 is text, where `str.splitlines` would split), and a
position past the end of a line or of the document means its end. Documents are found whatever
the URI's percent-encoding (VS Code writes `file:///c%3A/My%20Code/x.py`, Neovim
`file:///C:/My Code/x.py`), and each keeps the URI it was opened with, which is the one its
diagnostics are published under.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from lsprotocol import types as t

from surefix.features.ruff.edits import LineIndex
from surefix.server.lsp.positions import Positions

_DRIVE = re.compile(r"^///([A-Za-z])(:|%3[Aa])")


def document_key(uri: str) -> str:
    """One key for every spelling of a URI: percent-decoded, the scheme and a Windows drive
    letter in lower case (VS Code writes `c%3A`, other clients `C:`)."""
    scheme, colon, rest = uri.partition(":")
    if not colon:
        return unquote(uri)
    scheme = scheme.lower()
    if scheme == "file":
        rest = _DRIVE.sub(lambda m: f"///{m[1].lower()}:", rest)
    return f"{scheme}:{unquote(rest)}"


@dataclass
class Text:
    """One open document: the URI it was opened with, its version and its text."""

    uri: str
    version: int
    source: str
    language_id: str = "python"


def apply_change(
    source: str, change: t.TextDocumentContentChangeEvent, encoding: str | None
) -> str:
    """`source` after one content change, with positions in the client's `encoding`."""
    if not isinstance(change, t.TextDocumentContentChangePartial):
        return change.text
    index = LineIndex(source)
    positions = Positions(source, encoding, index.starts)
    start = index.offset(positions.from_client(change.range.start))
    end = index.offset(positions.from_client(change.range.end))
    if end < start:  # a reversed range: the span between the two positions
        start, end = end, start
    return source[:start] + change.text + source[end:]


class Texts:
    """The open documents, by `document_key` of their URI."""

    def __init__(self) -> None:
        self._open: dict[str, Text] = {}

    def open(self, item: t.TextDocumentItem) -> Text:
        text = Text(item.uri, item.version, item.text, item.language_id)
        self._open[document_key(item.uri)] = text
        return text

    def change(
        self,
        uri: str,
        version: int,
        changes: Iterable[t.TextDocumentContentChangeEvent],
        encoding: str | None,
    ) -> Text | None:
        """Apply `changes` in order; None for a document that is not open."""
        text = self._open.get(document_key(uri))
        if text is None:
            return None
        source = text.source
        for change in changes:
            source = apply_change(source, change, encoding)
        text.source, text.version = source, version
        return text

    def close(self, uri: str) -> Text | None:
        return self._open.pop(document_key(uri), None)

    def get(self, uri: str) -> Text | None:
        return self._open.get(document_key(uri))

    def __iter__(self) -> Iterator[Text]:
        return iter(list(self._open.values()))

    def __len__(self) -> int:
        return len(self._open)
