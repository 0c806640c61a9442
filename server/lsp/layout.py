"""Where the analysed text lies in the editor.

An analysis is of one text, and all of surefix works on its positions. Only here do they become
the editor's: a document URI and a range in the client's position encoding (`positions`), and
edits pinned to the version of each document they change. The protocol allows for a text that
lies in several documents; a file lies in one, and its edits are Ruff's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lsprotocol import types as t

from surefix.features.ruff.edits import diff_edits
from surefix.features.ruff.findings import Edit, Position
from surefix.features.ruff.notebook import Cells
from surefix.server.lsp.positions import Positions


class Layout(Protocol):
    """What the server needs to put an analysis in front of the editor."""

    def documents(self) -> list[tuple[str, int]]:
        """Every document the analysed text lies in, with its version: where diagnostics go."""
        ...

    def to_text(self, uri: str, pos: t.Position) -> Position | None:
        """A client position in document `uri` as a position of the analysed text; None where
        the text does not lie."""
        ...

    def place(self, start: Position, end: Position) -> tuple[str, t.Range]:
        """The document and client range a span of the analysed text shows at."""
        ...

    def edit(self, edits: Sequence[Edit]) -> t.WorkspaceEdit:
        """`edits` of the analysed text, as the editor applies them."""
        ...

    def rewrite(self, text: str, cells: Cells | None) -> t.WorkspaceEdit:
        """Line-level edits that make the documents hold `text` (or `cells`, where the text is
        a notebook's)."""
        ...


def workspace_edit(
    changes: Sequence[tuple[str, int, list[t.TextEdit]]], versioned: bool
) -> t.WorkspaceEdit:
    """A `TextDocumentEdit` per document, pinned to the version it was computed for, or — for a
    client that does not take `documentChanges` — plain `changes` (such a client cannot be told
    the version)."""
    if not versioned:
        return t.WorkspaceEdit(changes={uri: edits for uri, _, edits in changes})
    return t.WorkspaceEdit(
        document_changes=[
            t.TextDocumentEdit(
                text_document=t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=list(edits),
            )
            for uri, version, edits in changes
        ]
    )


class FileLayout:
    """A text document: the analysed text is the document's own."""

    def __init__(
        self, uri: str, version: int, text: str, encoding: str | None, versioned: bool = True
    ) -> None:
        self.uri, self.version, self.text = uri, version, text
        self.positions = Positions(text, encoding)
        self.versioned = versioned  # the client takes `documentChanges`

    def documents(self) -> list[tuple[str, int]]:
        return [(self.uri, self.version)]

    def to_text(self, uri: str, pos: t.Position) -> Position | None:
        return self.positions.from_client(pos)

    def place(self, start: Position, end: Position) -> tuple[str, t.Range]:
        return self.uri, self.positions.range(start, end)

    def edit(self, edits: Sequence[Edit]) -> t.WorkspaceEdit:
        found = [text_edit(self.positions, e) for e in edits]
        return workspace_edit([(self.uri, self.version, found)], self.versioned)

    def rewrite(self, text: str, cells: Cells | None) -> t.WorkspaceEdit:
        return self.edit(diff_edits(self.text, text))


def text_edit(positions: Positions, e: Edit) -> t.TextEdit:
    return t.TextEdit(range=positions.range(e.start, e.end), new_text=e.content)
