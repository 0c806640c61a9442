"""End-to-end set-up: the real `surefix serve` process, real Ruff, driven by pytest-lsp clients.

`editor` starts a session the way an editor would — capabilities of a real client preset (or a
deliberately minimal client that supports neither resolve nor progress), initialization options,
workspace configuration — and gives tests the few verbs a user story needs: open, change, ask
for code actions or hover, apply an edit. Notebooks are opened, edited and reshaped with the
`notebookDocument/*` messages VS Code's language client sends (`Notebook`).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union
from urllib.parse import quote

import pytest
from lsp_reference import apply_text_edits, client_units, end_of, lines, reference_apply
from lsprotocol import types as t
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from wire import SERVER

PRESETS = ("visual_studio_code", "neovim", "emacs", "minimal")
WAIT = 60.0  # generous: CI machines are slow; a hang fails the test instead of blocking it


def _converter() -> Any:
    """lsprotocol decodes any item with a "command" key as `Command`, dropping a CodeAction's
    kind and edit; decide by the type of that key instead (editors are unaffected)."""
    conv = default_converter()

    def hook(obj: Any, _: Any) -> Any:
        kind = t.Command if isinstance(obj.get("command"), str) else t.CodeAction
        return conv.structure(obj, kind)

    conv.register_structure_hook(Union[t.Command, t.CodeAction], hook)  # noqa: UP007
    return conv


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish
    register_lsp_features(client, features)
    client.statuses = []  # type: ignore[attr-defined]

    @client.feature("surefix/status")
    def status(params: Any) -> None:
        client.statuses.append(params)  # type: ignore[attr-defined]

    return client


def _publish(client: LanguageClient, params: t.PublishDiagnosticsParams) -> None:
    """Keep the version each publish was for, so tests wait for the right one."""
    client.diagnostics[params.uri] = params.diagnostics
    client.published_versions[params.uri] = params.version  # type: ignore[attr-defined]
    client.publishes[params.uri] = client.publishes.get(params.uri, 0) + 1  # type: ignore[attr-defined]


def capabilities(preset: str) -> t.ClientCapabilities:
    if preset == "minimal":  # no resolve, no progress, no configuration, UTF-16 only
        return t.ClientCapabilities(
            text_document=t.TextDocumentClientCapabilities(
                code_action=t.CodeActionClientCapabilities(),
                hover=t.HoverClientCapabilities(),
                publish_diagnostics=t.PublishDiagnosticsClientCapabilities(),
            )
        )
    caps = client_capabilities(preset)
    if preset == "visual_studio_code" and caps.notebook_document is None:
        # What vscode-languageclient (8 and later) adds for every extension: notebook sync.
        caps.notebook_document = t.NotebookDocumentClientCapabilities(
            synchronization=t.NotebookDocumentSyncClientCapabilities(
                dynamic_registration=True, execution_summary_support=True
            )
        )
    return caps


def cell_uri(notebook: Path, handle: int) -> str:
    """A cell's URI as VS Code makes it (`CellUri.generate`): the notebook's path under the
    `vscode-notebook-cell` scheme, the cell's handle in base 7 behind a length letter, then `s`
    and the notebook's scheme in base 64, percent-encoded."""
    digits = ""
    n = handle
    while True:
        n, digit = divmod(n, 7)
        digits = str(digit) + digits
        if n == 0:
            break
    length = "WXYZabcdef"[len(digits) - 1] if len(digits) < 10 else "z"
    fragment = f"{length}{digits}s{base64.b64encode(b'file').decode()}"
    return f"vscode-notebook-cell:{quote(notebook.as_posix())}#{quote(fragment, safe='')}"


CODE_CELL, MARKDOWN_CELL = "code", "markdown"


def write_notebook(path: Path, cells: Sequence[tuple[str, str]]) -> None:
    """An `.ipynb` file as Jupyter writes it: each source a list of lines with their breaks."""

    def entry(kind: str, source: str) -> dict[str, Any]:
        lines = source.splitlines(keepends=True)
        cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": lines}
        if kind == CODE_CELL:
            cell |= {"execution_count": None, "outputs": []}
        return cell

    notebook = {
        "cells": [entry(kind, source) for kind, source in cells],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")


def read_notebook(path: Path) -> list[str]:
    """The sources of a notebook file's cells, in order."""
    return ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]


@dataclass
class Notebook:
    """An open notebook as the editor has it: every cell (kind, text), of which the Python ones
    are synced (VS Code's language client sends only the cells its selector matches)."""

    uri: str
    path: Path
    kinds: list[str]
    uris: list[str]  # one per cell; markdown cells too, though the server never sees them
    version: int = 0
    synced: list[str] = field(default_factory=list)  # cell URIs the server knows, in order

    def cell(self, k: int) -> str:
        return self.uris[k]


class Editor:
    """A test's handle on one editor session."""

    def __init__(self, client: LanguageClient, result: t.InitializeResult, root: Path) -> None:
        self.client = client
        self.result = result
        self.root = root
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.applied_edits: list[t.ApplyWorkspaceEditParams] = []
        # what the editor answers `workspace/applyEdit` with; a test may answer otherwise
        self.answer_apply: Callable[[], Any] = lambda: t.ApplyWorkspaceEditResult(applied=True)
        self.killed = False
        self._handles = itertools.count()

    async def kill(self) -> None:
        """SIGKILL the server process, as a crash or the OOM killer would: no shutdown."""
        server = self.client._server  # the process pygls' client started
        assert server is not None
        server.kill()
        await server.wait()
        self.killed = True

    @property
    def encoding(self) -> str:
        return str(self.result.capabilities.position_encoding or t.PositionEncodingKind.Utf16)

    async def open(self, name: str, text: str) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return await self.open_uri(path.as_uri(), text)

    async def open_uri(self, uri: str, text: str, wait: bool = True) -> str:
        """Open a document under a URI spelled as the test says (no file is written)."""
        self.texts[uri], self.versions[uri] = text, 1
        self.client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                text_document=t.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        if wait:
            await self.diagnostics(uri)
        return uri

    async def change(self, uri: str, text: str, wait: bool = True) -> None:
        version = self.versions[uri] + 1
        self.texts[uri], self.versions[uri] = text, version
        self.client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        if wait:
            await self.diagnostics(uri)

    async def edit(
        self, uri: str, changes: Sequence[t.TextDocumentContentChangePartial], wait: bool = True
    ) -> None:
        """Incremental changes, applied to the editor's text as the specification says."""
        version, text = self.versions[uri] + 1, self.texts[uri]
        for change in changes:
            text = reference_apply(text, change, self.encoding)
        self.texts[uri], self.versions[uri] = text, version
        self.client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=list(changes),
            )
        )
        if wait:
            await self.diagnostics(uri)

    async def diagnostics(self, uri: str) -> list[t.Diagnostic]:
        """Diagnostics published for the current version (waits for them)."""
        version = self.versions[uri]

        async def published() -> None:
            while (
                self.client.diagnostics.get(uri) is None or self._published_version(uri) != version
            ):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(published(), WAIT)
        return list(self.client.diagnostics[uri])

    def _published_version(self, uri: str) -> int | None:
        return self.client.published_versions.get(uri)  # type: ignore[attr-defined]

    async def code_actions(
        self,
        uri: str,
        line: int | None = None,
        only: Sequence[str] | None = None,
        trigger: t.CodeActionTriggerKind | None = None,
    ) -> list[t.CodeAction]:
        """Code actions for one line (or the whole file), with its diagnostics as context."""
        found = lines(self.texts[uri])
        first, last = (0, len(found) - 1) if line is None else (line, line)
        wanted = [
            d for d in self.client.diagnostics.get(uri, ()) if first <= d.range.start.line <= last
        ]
        result = await asyncio.wait_for(
            self.client.text_document_code_action_async(
                t.CodeActionParams(
                    text_document=t.TextDocumentIdentifier(uri=uri),
                    range=t.Range(
                        start=t.Position(line=first, character=0),
                        end=t.Position(
                            line=last,
                            character=client_units(found[last], len(found[last]), self.encoding),
                        ),
                    ),
                    context=t.CodeActionContext(
                        diagnostics=wanted, only=list(only) if only else None, trigger_kind=trigger
                    ),
                )
            ),
            WAIT,
        )
        return [a for a in result or () if isinstance(a, t.CodeAction)]

    async def format(self, uri: str, span: t.Range | None = None) -> list[t.TextEdit] | None:
        """`textDocument/formatting`, or `rangeFormatting` for `span` (in the client's units)."""
        document, options = t.TextDocumentIdentifier(uri=uri), t.FormattingOptions(4, True)
        if span is None:
            request = self.client.text_document_formatting_async(
                t.DocumentFormattingParams(text_document=document, options=options)
            )
        else:
            request = self.client.text_document_range_formatting_async(
                t.DocumentRangeFormattingParams(text_document=document, range=span, options=options)
            )
        return await asyncio.wait_for(request, WAIT)

    def formatted(self, uri: str, edits: Sequence[t.TextEdit] | None) -> str:
        """The document text after formatting edits, as an editor applies them."""
        return apply_text_edits(self.texts[uri], edits or (), self.encoding)

    async def hover(self, uri: str, line: int, character: int) -> t.Hover | None:
        return await asyncio.wait_for(
            self.client.text_document_hover_async(
                t.HoverParams(
                    text_document=t.TextDocumentIdentifier(uri=uri),
                    position=t.Position(line=line, character=character),
                )
            ),
            WAIT,
        )

    async def execute(self, command: str, *arguments: Any) -> Any:
        return await asyncio.wait_for(
            self.client.workspace_execute_command_async(
                t.ExecuteCommandParams(command=command, arguments=list(arguments))
            ),
            WAIT,
        )

    def apply(self, uri: str, edit: t.WorkspaceEdit) -> str:
        """The document text after `edit`, as an editor applies it (rejecting stale versions)."""
        if edit.changes is not None:  # a client without `documentChanges`: no version to check
            assert list(edit.changes) == [uri]
            return apply_text_edits(self.texts[uri], edit.changes[uri], self.encoding)
        (change,) = edit.document_changes or ()
        assert isinstance(change, t.TextDocumentEdit)
        assert change.text_document.uri == uri
        assert change.text_document.version == self.versions[uri], "edit for another version"
        return apply_text_edits(self.texts[uri], change.edits, self.encoding)

    # -- notebooks, as VS Code's language client syncs them ----------------------------------

    async def open_notebook(
        self, name: str, cells: Sequence[tuple[str, str]], wait: bool = True
    ) -> Notebook:
        """Write `name` as a Jupyter notebook of `cells` (kind, text) and open it: the Python
        cells go to the server, each under its own `vscode-notebook-cell:` URI, at version 1."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_notebook(path, cells)
        notebook = Notebook(path.as_uri(), path, [k for k, _ in cells], [])
        for _, text in cells:
            uri = cell_uri(path, next(self._handles))
            notebook.uris.append(uri)
            self.texts[uri], self.versions[uri] = text, 1
        notebook.synced = [
            u for u, k in zip(notebook.uris, notebook.kinds, strict=True) if k == CODE_CELL
        ]
        before = self._publish_counts(notebook.synced)
        self.client.notebook_document_did_open(
            t.DidOpenNotebookDocumentParams(
                notebook_document=t.NotebookDocument(
                    uri=notebook.uri,
                    notebook_type="jupyter-notebook",
                    version=notebook.version,
                    cells=[self._cell(u) for u in notebook.synced],
                ),
                cell_text_documents=[self._item(u) for u in notebook.synced],
            )
        )
        if wait:
            await self.notebook_diagnostics(notebook, before)
        return notebook

    def _cell(self, uri: str) -> t.NotebookCell:
        return t.NotebookCell(kind=t.NotebookCellKind.Code, document=uri)

    def _item(self, uri: str) -> t.TextDocumentItem:
        return t.TextDocumentItem(
            uri=uri, language_id="python", version=self.versions[uri], text=self.texts[uri]
        )

    def cells_of(self, notebook: Notebook) -> list[tuple[str, str]]:
        return [(k, self.texts[u]) for k, u in zip(notebook.kinds, notebook.uris, strict=True)]

    async def edit_cell(
        self,
        notebook: Notebook,
        uri: str,
        changes: Sequence[t.TextDocumentContentChangePartial] | str,
        wait: bool = True,
    ) -> None:
        """The user edits one cell: one `didChange` whose `textContent` carries the cell's
        incremental changes (or its whole new text), the cell's version one up."""
        if isinstance(changes, str):
            changes = [
                t.TextDocumentContentChangePartial(
                    range=t.Range(
                        start=t.Position(line=0, character=0),
                        end=end_of(self.texts[uri], self.encoding),
                    ),
                    text=changes,
                )
            ]
        before = self._publish_counts(notebook.synced)
        self._send_cell_changes(notebook, uri, list(changes))
        if wait:
            await self.notebook_diagnostics(notebook, before)

    def _send_cell_changes(
        self, notebook: Notebook, uri: str, changes: list[t.TextDocumentContentChangePartial]
    ) -> None:
        text = self.texts[uri]
        for change in changes:
            text = reference_apply(text, change, self.encoding)
        self.texts[uri], self.versions[uri] = text, self.versions[uri] + 1
        notebook.version += 1
        self._notebook_changed(
            notebook,
            t.NotebookDocumentCellChanges(
                text_content=[
                    t.NotebookDocumentCellContentChanges(
                        document=t.VersionedTextDocumentIdentifier(
                            uri=uri, version=self.versions[uri]
                        ),
                        changes=changes,
                    )
                ]
            ),
        )

    def _notebook_changed(self, notebook: Notebook, cells: t.NotebookDocumentCellChanges) -> None:
        """`notebookDocument/didChange` of `cells`, at the notebook's (already raised) version."""
        self.client.notebook_document_did_change(
            t.DidChangeNotebookDocumentParams(
                notebook_document=t.VersionedNotebookDocumentIdentifier(
                    uri=notebook.uri, version=notebook.version
                ),
                change=t.NotebookDocumentChangeEvent(cells=cells),
            )
        )

    async def reshape(
        self, notebook: Notebook, cells: Sequence[tuple[str, str] | str], wait: bool = True
    ) -> None:
        """Cells added, removed or moved: the notebook becomes `cells`, each an existing cell's
        URI or a new (kind, text). The change is what VS Code's language client computes: one
        splice of the synced cells from the first to the last that differ, with `didOpen` for
        cells that are new and `didClose` for those that are gone (a moved cell is neither)."""
        uris, kinds = [], []
        for cell in cells:
            if isinstance(cell, str):
                uris.append(cell)
                kinds.append(notebook.kinds[notebook.uris.index(cell)])
            else:
                kind, text = cell
                uri = cell_uri(notebook.path, next(self._handles))
                self.texts[uri], self.versions[uri] = text, 1
                uris.append(uri)
                kinds.append(kind)
        old, new = notebook.synced, [u for u, k in zip(uris, kinds, strict=True) if k == CODE_CELL]
        start = 0
        while start < min(len(old), len(new)) and old[start] == new[start]:
            start += 1
        end_old, end_new = len(old), len(new)
        while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
            end_old, end_new = end_old - 1, end_new - 1
        removed, added = old[start:end_old], new[start:end_new]
        opened = [u for u in added if u not in removed]
        closed = [u for u in removed if u not in added]
        notebook.uris, notebook.kinds, notebook.synced = uris, kinds, new
        notebook.version += 1
        write_notebook(notebook.path, self.cells_of(notebook))
        before = self._publish_counts(new)
        self._notebook_changed(
            notebook,
            t.NotebookDocumentCellChanges(
                structure=t.NotebookDocumentCellChangeStructure(
                    array=t.NotebookCellArrayChange(
                        start=start,
                        delete_count=end_old - start,
                        cells=[self._cell(u) for u in added] or None,
                    ),
                    did_open=[self._item(u) for u in opened],
                    did_close=[t.TextDocumentIdentifier(uri=u) for u in closed],
                )
            ),
        )
        if wait:
            await self.notebook_diagnostics(notebook, before)

    async def apply_to_notebook(
        self, notebook: Notebook, edit: t.WorkspaceEdit, wait: bool = True
    ) -> None:
        """Apply a workspace edit to the notebook as VS Code does: every `TextDocumentEdit` must
        name its cell's current version (else the whole edit is refused), and each cell it
        changes is sent as its own `didChange`, its edits last to first."""
        changes = list(edit.document_changes or ())
        assert changes and all(isinstance(c, t.TextDocumentEdit) for c in changes)
        for change in changes:
            assert isinstance(change, t.TextDocumentEdit)
            uri = change.text_document.uri
            assert uri in notebook.synced, f"an edit for {uri}, no cell of this notebook"
            assert change.text_document.version == self.versions[uri], "edit for another version"
        before = self._publish_counts(notebook.synced)
        for change in changes:
            assert isinstance(change, t.TextDocumentEdit)
            ordered = sorted(
                change.edits,
                key=lambda e: (e.range.start.line, e.range.start.character),
                reverse=True,
            )
            self._send_cell_changes(
                notebook,
                change.text_document.uri,
                [
                    t.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                    for e in ordered
                ],
            )
        if wait:
            await self.notebook_diagnostics(notebook, before)

    def save_notebook(self, notebook: Notebook) -> None:
        write_notebook(notebook.path, self.cells_of(notebook))
        self.client.notebook_document_did_save(
            t.DidSaveNotebookDocumentParams(
                notebook_document=t.NotebookDocumentIdentifier(uri=notebook.uri)
            )
        )

    def close_notebook(self, notebook: Notebook) -> None:
        self.client.notebook_document_did_close(
            t.DidCloseNotebookDocumentParams(
                notebook_document=t.NotebookDocumentIdentifier(uri=notebook.uri),
                cell_text_documents=[t.TextDocumentIdentifier(uri=u) for u in notebook.synced],
            )
        )

    def _publish_counts(self, uris: Sequence[str]) -> dict[str, int]:
        return {u: self.client.publishes.get(u, 0) for u in uris}  # type: ignore[attr-defined]

    async def notebook_diagnostics(
        self, notebook: Notebook, since: dict[str, int] | None = None
    ) -> dict[str, list[t.Diagnostic]]:
        """Each synced cell's diagnostics, once every cell has had a publish after `since`
        (publish counts taken before the last change) for its current version."""
        since = since or {}

        def ready() -> bool:
            return all(
                self.client.publishes.get(u, 0) > since.get(u, 0)  # type: ignore[attr-defined]
                and self._published_version(u) == self.versions[u]
                for u in notebook.synced
            )

        async def published() -> None:
            while not ready():
                await asyncio.sleep(0.01)

        await asyncio.wait_for(published(), WAIT)
        return {u: list(self.client.diagnostics[u]) for u in notebook.synced}

    def messages(self) -> list[str]:
        return [m.message for m in self.client.messages]

    async def message(self, text: str) -> str:
        """The first `window/showMessage` containing `text` (waits for it)."""

        async def seen() -> str:
            while not any(text in m for m in self.messages()):
                await asyncio.sleep(0.01)
            return next(m for m in self.messages() if text in m)

        return await asyncio.wait_for(seen(), WAIT)


def is_fix(action: t.CodeAction) -> bool:
    """A trust-scored quick fix (its command records an acceptance), not a noqa or fix-all."""
    command = action.command
    if command is None or command.command != "surefix.recordOutcome" or not command.arguments:
        return False
    return bool(command.arguments[0].get("outcome") == "accepted")


MARK_BANDS = {"✓": "auto-apply", "?": "review-suggested", "✗": "manual-only", "·": "unscored"}
MARK_BANDS |= {"+": "auto-apply", "-": "manual-only", ".": "unscored"}  # the ascii style
BADGE = re.compile(r"^(?:(?P<mark>\S) )?(?P<percent>\d+)% ")


def band_of(action: t.CodeAction) -> str:
    """The band a quick fix's badge shows (unicode or ascii style)."""
    found = BADGE.match(action.title)
    assert found is not None and found["mark"] in MARK_BANDS, action.title
    return MARK_BANDS[found["mark"]]


def percent_of(action: t.CodeAction) -> int:
    """The trust a quick fix's badge shows, in whole percent."""
    found = BADGE.match(action.title)
    assert found is not None, action.title
    return int(found["percent"])


FIX_TEXT = re.compile(
    r"^(?:\S+ )?(?:\d+%|n/a) Ruff \([A-Z]+[0-9]+\): (?P<text>.*?)(?: \(not automatic: .*\))?$"
)


def fix_text(action: t.CodeAction) -> str:
    """Ruff's own words for a quick fix: its title without the badge, the rule and the reason
    it is not automatic."""
    found = FIX_TEXT.match(action.title)
    assert found is not None, action.title
    return found["text"]


def rule_of(action: t.CodeAction) -> str:
    assert action.diagnostics, action.title
    return str(action.diagnostics[0].code)


def check_json(path: Path, explain: bool = False) -> list[dict[str, Any]]:
    """`surefix check --format json [--explain]` on a file: the terminal's view of the same
    fixes."""
    more = ["--explain"] if explain else []
    out = subprocess.run(
        [sys.executable, "-m", "surefix.server.cli", "check", "--format", "json", *more, str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode in (0, 1), out.stderr
    (report,) = json.loads(out.stdout)
    return list(report["fixes"])


def data(tmp_path: Path, *args: str) -> str:
    """`surefix data ARGS` on the store the session's server writes."""
    env = {**os.environ, "SUREFIX_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "surefix.server.cli", "data", *args],
        capture_output=True, text=True, env=env, check=True, timeout=60,
    ).stdout  # fmt: skip


async def stats_of(tmp_path: Path) -> dict[str, int]:
    outcomes: dict[str, int] = json.loads(data(tmp_path, "stats", "--json"))["outcomes"]
    return outcomes


Session = Callable[..., Any]


@pytest.fixture
def editor(tmp_path: Path) -> Session:
    """`async with editor(preset, init_options=…, config=…, env=…, experimental=…) as e:`
    starts a session."""

    @asynccontextmanager
    async def session(
        preset: str = "visual_studio_code",
        init_options: Any = None,
        config: Any = None,
        env: dict[str, str] | None = None,
        experimental: dict[str, Any] | None = None,
    ) -> AsyncIterator[Editor]:
        server_env = {
            **os.environ,
            "SUREFIX_DATA_DIR": str(tmp_path / "data"),
            "XDG_DATA_HOME": str(tmp_path / "xdg"),  # never the user's own (trustfix) data
            **(env or {}),
        }
        setup = ClientServerConfig(
            server_command=SERVER, client_factory=make_client, server_env=server_env
        )
        client = await setup.start()
        assert isinstance(client, LanguageClient)
        if config is not None:
            client.set_configuration(config, section="surefix")
        editor: Editor | None = None
        client.published_versions = {}  # type: ignore[attr-defined]
        client.publishes = {}  # type: ignore[attr-defined]

        @client.feature(t.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: t.ApplyWorkspaceEditParams) -> Any:
            assert editor is not None
            editor.applied_edits.append(params)
            return editor.answer_apply()

        @client.feature(t.CLIENT_REGISTER_CAPABILITY)
        def register(params: t.RegistrationParams) -> None: ...

        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        caps = capabilities(preset)
        if experimental is not None:  # what our own editor clients add (`experimental.surefix`)
            caps.experimental = experimental
        result = await asyncio.wait_for(
            client.initialize_session(
                t.InitializeParams(
                    capabilities=caps,
                    initialization_options=init_options,
                    root_uri=root.as_uri(),
                    workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name="project")],
                )
            ),
            WAIT,
        )
        editor = Editor(client, result, root)
        try:
            yield editor
        finally:
            if not editor.killed:
                await asyncio.wait_for(client.shutdown_session(), WAIT)
            await client.stop()

    return session
