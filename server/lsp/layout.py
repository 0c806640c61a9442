"""Where the analysed text lies in the editor: one text document, or a notebook's cells.

An analysis is of one text — a file's, or a notebook's code cells as Ruff joins them — and all
of surefix works on its positions. Only here do they become the editor's: a document URI and a
range in the client's position encoding (`positions`), and edits pinned to the version of each
document they change. A file's edits are Ruff's own; a notebook's are what changes in each cell
when the fix is applied as `ruff check --fix` applies it (`features.ruff.notebook`), one edit
per cell it touches, each versioned with that cell's own document version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from lsprotocol import types as t

from surefix.features.ruff.edits import LineIndex, diff_edits
from surefix.features.ruff.findings import Edit, Position
from surefix.features.ruff.notebook import Cells
from surefix.server.lsp.positions import Positions
from surefix.server.lsp.texts import document_key


class Layout(Protocol):
    """What the server needs to put an analysis in front of the editor."""

    def documents(self) -> list[tuple[str, int]]:
        """Every document the analysed text lies in, with its version: where diagnostics go."""
        ...

    def to_text(self, uri: str, pos: t.Position) -> Position | None:
        """A client position in document `uri` as a position of the analysed text; None where
        the text does not lie (a markdown cell)."""
        ...

    def place(self, start: Position, end: Position) -> tuple[str, t.Range]:
        """The document and client range a span of the analysed text shows at."""
        ...

    def edit(self, edits: Sequence[Edit]) -> t.WorkspaceEdit:
        """`edits` of the analysed text, as the editor applies them."""
        ...

    def rewrite(self, text: str, cells: Cells | None) -> t.WorkspaceEdit:
        """Line-level edits that make the documents hold `text` (for a notebook: `cells`)."""
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


@dataclass(frozen=True)
class CellDocument:
    """A cell's text document as the analysis saw it."""

    uri: str
    version: int
    text: str


class NotebookLayout:
    """A notebook: the analysed text is its linted cells joined (`cells.text`), and each cell
    is a text document of its own, with its own version."""

    def __init__(
        self,
        uri: str,
        cells: Cells,
        documents: Sequence[CellDocument],
        encoding: str | None,
        versioned: bool = True,
    ) -> None:
        if len(documents) != len(cells.texts):
            raise ValueError("a document for every cell")
        self.uri, self.cells, self.cell_documents = uri, cells, tuple(documents)
        self.encoding, self.versioned = encoding, versioned
        self._by_key = {document_key(d.uri): i for i, d in enumerate(self.cell_documents)}
        self._positions: dict[int, Positions] = {}

    def documents(self) -> list[tuple[str, int]]:
        return [(d.uri, d.version) for d in self.cell_documents]

    def to_text(self, uri: str, pos: t.Position) -> Position | None:
        cell = self._by_key.get(document_key(uri))
        if cell is None or cell not in self.cells.linted:
            return None
        return self.cells.joined(cell, self._of(cell).from_client(pos))

    def place(self, start: Position, end: Position) -> tuple[str, t.Range]:
        cell, first = self.cells.locate(start)
        _, last = self.cells.locate(max(start, self.cells.clamped(start, end)))
        return self.cell_documents[cell].uri, self._of(cell).range(first, last)

    def edit(self, edits: Sequence[Edit]) -> t.WorkspaceEdit:
        """One edit per cell the fix changes: what changes in it when the fix is applied as
        `ruff check --fix` applies it (text inserted at a cell's start may join the cell
        before, a deleted last line takes the line break before it)."""
        after = self.cells.apply(edits)
        return self._changes(after, lambda old, new: [middle(old, new)])

    def rewrite(self, text: str, cells: Cells | None) -> t.WorkspaceEdit:
        if cells is None or cells.text != text:
            raise ValueError("a notebook is rewritten as cells")
        return self._changes(cells, diff_edits)

    def _changes(
        self, after: Cells, edits_of: Callable[[str, str], Sequence[Edit]]
    ) -> t.WorkspaceEdit:
        changes = []
        for cell, (old, new) in enumerate(zip(self.cells.texts, after.texts, strict=True)):
            if old == new:
                continue
            document = self.cell_documents[cell]
            positions = self._of(cell)
            found = [text_edit(positions, e) for e in edits_of(old, new)]
            changes.append((document.uri, document.version, found))
        return workspace_edit(changes, self.versioned)

    def _of(self, cell: int) -> Positions:
        if cell not in self._positions:
            self._positions[cell] = Positions(self.cells.texts[cell], self.encoding)
        return self._positions[cell]


def text_edit(positions: Positions, e: Edit) -> t.TextEdit:
    return t.TextEdit(range=positions.range(e.start, e.end), new_text=e.content)


def middle(old: str, new: str) -> Edit:
    """The one edit turning `old` into `new`: what lies between their common start and end."""
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    if 0 < start < len(old) and old[start - 1 : start + 1] == "\r\n":
        start -= 1  # never between the two characters of one line break
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    cut = len(old) - end
    if end and cut > 0 and old[cut - 1 : cut + 1] == "\r\n":
        end -= 1
    index = LineIndex(old)
    return Edit(index.position(start), index.position(len(old) - end), new[start : len(new) - end])
