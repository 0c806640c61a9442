"""The open notebooks, kept exactly as the editor has them (LSP 3.17 notebook document sync).

A notebook arrives with its cells — each a kind and the URI of a text document — and the cells'
text documents. A change then splices the cell array (`structure`, with `didOpen` for the text
documents of cells that are new and `didClose` for those that are gone: a cell moved within the
notebook is in neither and keeps its text and version), changes cells' kinds (`data`) and edits
cells' text incrementally (`textContent`, each edit under the cell document's own version),
applied in that order, as the specification lists them.

The server lints a notebook as one document. Each state of it gets a revision counted here, one
counter for the session, so no two states of any notebook share one, even across a close and a
reopen: the client's notebook version is its own business (VS Code sends one `didChange` per
cell a multi-cell edit touches, and cell edits carry the cell's version), and an analysis must
be told apart from the next whatever the client numbers. Cells keep the URI they were opened
with: their diagnostics are published under it, and every spelling of it finds them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from lsprotocol import types as t

from surefix.features.ruff.notebook import CODE, MARKDOWN, RAW, Cells
from surefix.server.lsp.layout import CellDocument, NotebookLayout
from surefix.server.lsp.texts import Text, apply_change, document_key

PYTHON = "python"


@dataclass
class Cell:
    """One cell: its kind and its text document."""

    kind: t.NotebookCellKind
    text: Text

    @property
    def ruff_kind(self) -> str:
        """What the cell is in the notebook JSON Ruff reads: code only for Python code, so a
        cell in another language is left alone like a markdown one."""
        if self.kind == t.NotebookCellKind.Markup:
            return MARKDOWN
        return CODE if self.text.language_id == PYTHON else RAW


@dataclass(frozen=True)
class Snapshot:
    """A notebook as one revision has it: what its analysis is made from."""

    uri: str
    revision: int
    cells: Cells
    documents: tuple[CellDocument, ...]

    @property
    def text(self) -> str:
        return self.cells.text

    def published(self) -> list[tuple[str, int]]:
        """Each cell's document and version: where the notebook's diagnostics go."""
        return [(d.uri, d.version) for d in self.documents]

    def layout(self, encoding: str | None, versioned: bool) -> NotebookLayout:
        return NotebookLayout(self.uri, self.cells, self.documents, encoding, versioned)


@dataclass
class Notebook:
    """An open notebook: the URI it was opened with, its type, its cells and our revision."""

    uri: str
    notebook_type: str
    version: int  # the client's
    cells: list[Cell]
    revision: int  # ours
    _snapshot: Snapshot | None = field(default=None, repr=False)

    def snapshot(self) -> Snapshot:
        if self._snapshot is None or self._snapshot.revision != self.revision:
            kinds = tuple(c.ruff_kind for c in self.cells)
            texts = tuple(c.text.source for c in self.cells)
            documents = tuple(
                CellDocument(c.text.uri, c.text.version, c.text.source) for c in self.cells
            )
            self._snapshot = Snapshot(self.uri, self.revision, Cells(kinds, texts), documents)
        return self._snapshot


class Notebooks:
    """The open notebooks, found by any spelling of their URI or of one of their cells'."""

    def __init__(self) -> None:
        self._open: dict[str, Notebook] = {}
        self._of_cell: dict[str, str] = {}  # cell key -> notebook key
        self._revisions = itertools.count(1)

    def open(self, params: t.DidOpenNotebookDocumentParams) -> Notebook:
        doc = params.notebook_document
        texts = {document_key(item.uri): item for item in params.cell_text_documents}
        cells = [_cell(c, texts.get(document_key(c.document))) for c in doc.cells]
        notebook = Notebook(doc.uri, doc.notebook_type, doc.version, cells, next(self._revisions))
        self.close(doc.uri)
        self._open[document_key(doc.uri)] = notebook
        self._index(notebook)
        return notebook

    def change(
        self, params: t.DidChangeNotebookDocumentParams, encoding: str | None
    ) -> Notebook | None:
        """Apply one change; None for a notebook that is not open."""
        notebook = self._open.get(document_key(params.notebook_document.uri))
        if notebook is None:
            return None
        notebook.version = params.notebook_document.version
        notebook.revision = next(self._revisions)
        cells = params.change.cells
        if cells is not None and cells.structure is not None:
            self._splice(notebook, cells.structure)
        by_key = {document_key(c.text.uri): c for c in notebook.cells}
        for data in (cells.data if cells is not None else None) or ():
            if (cell := by_key.get(document_key(data.document))) is not None:
                cell.kind = data.kind
        for content in (cells.text_content if cells is not None else None) or ():
            cell = by_key.get(document_key(content.document.uri))
            if cell is None:
                continue  # a cell that is not in the notebook: nothing to apply it to
            source = cell.text.source
            for change in content.changes:
                source = apply_change(source, change, encoding)
            cell.text.source, cell.text.version = source, content.document.version
        self._index(notebook)
        return notebook

    def _splice(self, notebook: Notebook, structure: t.NotebookDocumentCellChangeStructure) -> None:
        """Splice the cell array; a cell deleted and inserted again (a move) keeps its text."""
        start, count = structure.array.start, structure.array.delete_count
        removed = {document_key(c.text.uri): c for c in notebook.cells[start : start + count]}
        opened = {document_key(item.uri): item for item in structure.did_open or ()}
        inserted = []
        for c in structure.array.cells or ():
            key = document_key(c.document)
            kept = removed.pop(key, None)
            if kept is not None and key not in opened:
                kept.kind = c.kind
                inserted.append(kept)
            else:
                inserted.append(_cell(c, opened.get(key)))
        notebook.cells[start : start + count] = inserted
        present = {document_key(c.text.uri): c for c in notebook.cells}
        for item in structure.did_open or ():  # a text for a cell that was already there
            cell = present.get(document_key(item.uri))
            if cell is not None:
                cell.text = Text(item.uri, item.version, item.text, item.language_id)
        gone = [c.text.uri for c in removed.values()]
        gone += [d.uri for d in structure.did_close or () if document_key(d.uri) not in present]
        for uri in gone:
            self._of_cell.pop(document_key(uri), None)

    def close(self, uri: str) -> Notebook | None:
        notebook = self._open.pop(document_key(uri), None)
        if notebook is not None:
            for cell in notebook.cells:
                self._of_cell.pop(document_key(cell.text.uri), None)
        return notebook

    def get(self, uri: str) -> Notebook | None:
        """The open notebook `uri` names: the notebook itself, or one of its cells."""
        key = document_key(uri)
        return self._open.get(self._of_cell.get(key, key))

    def is_cell(self, uri: str) -> bool:
        return document_key(uri) in self._of_cell

    def _index(self, notebook: Notebook) -> None:
        key = document_key(notebook.uri)
        for cell in notebook.cells:
            self._of_cell[document_key(cell.text.uri)] = key

    def __iter__(self) -> Iterator[Notebook]:
        return iter(list(self._open.values()))


def _cell(cell: t.NotebookCell, item: t.TextDocumentItem | None) -> Cell:
    """A cell and its text document; a cell whose document the client has not sent yet is
    empty until it does (version 0)."""
    if item is None:
        return Cell(cell.kind, Text(cell.document, 0, "", PYTHON))
    return Cell(cell.kind, Text(item.uri, item.version, item.text, item.language_id))
