"""Hostile and unlucky input: odd URIs, odd text, random edits, broken messages.

Each test drives the real server process and real Ruff. The fuzz test is seeded and bounded: it
makes random valid incremental edits over texts full of what breaks line counting (a BOM, CR,
CRLF, form feeds, U+2028, astral characters, NUL) and checks after each burst that the server's
diagnostics are Ruff's on the editor's text and that every fix it offers, applied as an editor
applies it, is Ruff's own fix of that text.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    CONFIG,
    piece,
    random_change,
    ruff_fixed,
    ruff_json,
    ruff_position,
    rule_of,
    vscode_uri,
)
from lsp_reference import reference_apply
from lsprotocol import types as t
from wire import Wire

from .conftest import WAIT, Editor, Session, is_fix
from .samples import UNUSED_IMPORT

WITHOUT_OS = UNUSED_IMPORT.replace("import os\n", "", 1)


def plain_uri(path: Path) -> str:
    """As a client that encodes nothing writes it."""
    return "file://" + path.as_posix()


# -- URIs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["with space/m.py", "élève/m.py", "100%/m.py", "c#/m.py", "a+b/m.py", "ü 😀/m.py"]
)
async def test_a_path_an_editor_percent_encodes_gets_diagnostics_fixes_and_hovers(
    editor: Session, name: str
) -> None:
    async with editor() as e:
        path = e.root / name
        path.parent.mkdir(parents=True)
        path.write_text(UNUSED_IMPORT)
        uri = vscode_uri(path)
        await e.open_uri(uri, UNUSED_IMPORT, wait=False)
        (found,) = await e.diagnostics(uri)  # published under the URI the editor opened
        assert found.code == "F401"
        e.texts[plain_uri(path)] = UNUSED_IMPORT
        for spelling in (uri, plain_uri(path)):  # whichever way a request spells it
            (fix,) = [a for a in await e.code_actions(spelling) if is_fix(a)]
            assert fix.edit is not None and e.apply(uri, fix.edit) == WITHOUT_OS
            assert await e.hover(spelling, 0, 8) is not None
        e.client.text_document_did_close(
            t.DidCloseTextDocumentParams(
                text_document=t.TextDocumentIdentifier(uri=plain_uri(path))
            )
        )
        assert await e.code_actions(uri) == []  # closed, whichever spelling closed it


@pytest.mark.parametrize(
    ("opened", "asked"),
    [
        ("file:///c%3A/Users/me/proj/m.py", "file:///C:/Users/me/proj/m.py"),  # VS Code, Neovim
        ("untitled:Untitled-1", "untitled:Untitled-1"),
    ],
)
async def test_windows_drive_letters_and_untitled_documents_are_linted(
    editor: Session, opened: str, asked: str
) -> None:
    async with editor() as e:
        await e.open_uri(opened, UNUSED_IMPORT, wait=False)
        assert [d.code for d in await e.diagnostics(opened)] == ["F401"]
        e.texts[asked] = UNUSED_IMPORT
        (fix,) = [a for a in await e.code_actions(asked) if is_fix(a)]
        assert fix.edit is not None and e.apply(opened, fix.edit) == WITHOUT_OS


# -- text the server must not lint ----------------------------------------------------------


async def test_a_lone_surrogate_is_reported_and_never_fixed(editor: Session) -> None:
    """No file on disk holds one; a client's buffer can. Ruff needs UTF-8, and a stand-in
    character would put a fix on text that is not there."""
    async with editor() as e:
        uri = await e.open("odd.py", "x = '\udcff'\nimport os\n")
        assert await e.diagnostics(uri) == []
        text = await e.message("lone surrogate")
        assert "odd.py" in text and "line 1, column 6" in text and "not valid UTF-8" in text
        assert await e.code_actions(uri) == []
        await e.change(uri, "x = '?'\nimport os\n")
        assert {d.code for d in await e.diagnostics(uri)} == {"E402", "F401"}


# -- workspace/applyEdit answered otherwise -------------------------------------------------


def refuse() -> Any:
    raise RuntimeError("the user said no")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (lambda: t.ApplyWorkspaceEditResult(applied=False, failure_reason="read-only file"),
         "the editor did not apply the edit: read-only file"),
        (lambda: None, "the editor did not apply the edit"),
        (refuse, "the editor did not apply the edit ("),
    ],
)  # fmt: skip
async def test_an_edit_the_editor_did_not_apply_is_reported_as_not_applied(
    editor: Session, answer: Any, reason: str
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        e.answer_apply = answer
        result = await e.execute("surefix.applyTrustedFixes", {"uri": uri})
        assert result["applied"] == 0 and result["reason"].startswith(reason)
        assert answer is not refuse or "the user said no" in result["reason"]
        assert len(e.applied_edits) == 1
        assert not [m for m in e.messages() if "please report" in m]


# -- the wire ------------------------------------------------------------------------------


def test_requests_before_initialize_are_refused_and_touch_nothing(tmp_path: Path) -> None:
    wire = Wire(tmp_path / "data")
    try:
        early = wire.request("workspace/executeCommand", {"command": "surefix.dataPurge"})
        assert early["error"]["code"] == -32002
        hover = {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}}
        assert wire.request("textDocument/hover", hover)["error"]["code"] == -32002
        assert not (tmp_path / "data").exists()  # no store was created
        assert "capabilities" in wire.initialize(tmp_path)["result"]
        again = wire.request("initialize", {"processId": None, "capabilities": {}})
        assert again["error"]["code"] == -32600
    finally:
        wire.close()


def test_requests_after_shutdown_get_an_error_and_exit_ends_the_process(tmp_path: Path) -> None:
    wire = Wire(tmp_path / "data")
    wire.initialize(tmp_path)
    assert wire.request("shutdown")["result"] is None
    stats = wire.request("workspace/executeCommand", {"command": "surefix.dataStats"})
    assert stats["error"]["code"] == -32600 and "shut down" in stats["error"]["message"]
    wire.notify("exit")
    assert wire.process.wait(timeout=WAIT) == 0


def test_malformed_messages_get_an_answer_that_says_what_is_wrong(tmp_path: Path) -> None:
    wire = Wire(tmp_path / "data")
    try:
        wire.initialize(tmp_path)
        wrong = {"textDocument": {"uri": "file:///x.py"}, "position": {"line": "x", "character": 0}}
        answer = wire.request("textDocument/hover", wrong)["error"]
        assert answer["code"] == -32602 and "$.params.position.line" in answer["message"]
        missing = wire.request("textDocument/codeAction", {"textDocument": {"uri": "file:///x"}})
        assert missing["error"]["code"] == -32602 and "range" in missing["error"]["message"]
        wire.send("{not json")
        assert wire.answer(None)["error"]["code"] == -32700
        wire.send([1, 2])
        assert wire.answer(None)["error"]["code"] == -32600
        wire.send({"jsonrpc": "2.0", "id": 77, "method": 5})
        assert wire.answer(77)["error"]["code"] == -32600
        bad = {"command": "surefix.trustRule", "arguments": [{"rule": "not a rule"}]}
        answer = wire.request("workspace/executeCommand", bad)["error"]
        assert answer["code"] == -32602 and "rule code" in answer["message"]
        wire.send_raw(b"Content-Type: text/plain\r\n\r\n")  # a header block with no length
        assert "without a valid Content-Length" in wire.logged("Content-Length")
        stats = wire.request("workspace/executeCommand", {"command": "surefix.dataStats"})
        assert "result" in stats  # still serving
    finally:
        wire.close()


def test_an_oversized_frame_is_refused_and_the_next_one_served(tmp_path: Path) -> None:
    """256 MB and more: refused by its header, its bytes read past in chunks, never held."""
    wire = Wire(tmp_path / "data")
    try:
        wire.initialize(tmp_path)
        size = 257 * 1024 * 1024
        wire.send_raw(b"Content-Length: %d\r\n\r\n" % size)
        chunk = b" " * (1 << 20)
        for _ in range(size // len(chunk)):
            wire.send_raw(chunk)
        assert "above the" in wire.logged("bytes, above the")
        stats = wire.request("workspace/executeCommand", {"command": "surefix.dataStats"})
        assert "result" in stats
        wire.send_raw(b"Content-Length: 1000000000000\r\n\r\n")  # what crashed it with MemoryError
        assert "1,000,000,000,000 bytes" in wire.logged("1,000,000,000,000")
        assert wire.process.poll() is None
    finally:
        wire.close()


# -- fuzz: random valid edits over hostile texts ----------------------------------------------

STEPS = 120  # bursts of edits per client, each checked; about 10 s for both


async def check_in_step(e: Editor, uri: str, path: Path) -> tuple[int, bool]:
    """The server's diagnostics and fixes are Ruff's on the editor's text; how many fixes it
    checked, and whether the text is no longer Python."""
    text, encoding = e.texts[uri], e.encoding
    found = await e.diagnostics(uri)
    expected = ruff_json(e.root, path, text)
    spans = [
        (rule_of(item), ruff_position(text, item["location"], encoding),
         ruff_position(text, item["end_location"], encoding))
        for item in expected
    ]  # fmt: skip
    assert sorted(spans, key=repr) == sorted(
        ((d.code, d.range.start, d.range.end) for d in found), key=repr
    ), text
    fixes = [a for a in await e.code_actions(uri) if is_fix(a)]
    by_place = {
        (item["code"], item["location"]["row"], item["location"]["column"]): item
        for item in expected
        if item.get("fix")
    }
    assert len(fixes) == len(by_place), (text, [a.title for a in fixes], list(by_place))
    for action in fixes:
        assert action.edit is not None and action.diagnostics
        d = action.diagnostics[0]
        match = [
            item for key, item in by_place.items()
            if key[0] == d.code and ruff_position(text, item["location"], encoding) == d.range.start
        ]  # fmt: skip
        assert len(match) == 1, (d, text)
        assert e.apply(uri, action.edit) == ruff_fixed(text, match[0], encoding), (d.code, text)
    return len(fixes), any(rule_of(item) is None for item in expected)


@pytest.mark.parametrize("preset", ["visual_studio_code", "neovim"])
async def test_random_edits_over_hostile_text_keep_the_server_in_step(
    editor: Session, preset: str
) -> None:
    rng = random.Random(f"hostile-{preset}")
    async with editor(preset, config={"debounceMs": 0}) as e:
        (e.root / "ruff.toml").write_text(CONFIG)
        path = e.root / "dir with space" / "é+#.py"
        path.parent.mkdir()
        start = "\ufeffimport os\r\nimport json\x0c\n"
        start += "".join(piece(rng) for _ in range(8))
        path.write_text(start, encoding="utf-8")
        uri = vscode_uri(path)
        await e.open_uri(uri, start, wait=False)
        checked = 0
        for _ in range(STEPS):
            for _ in range(rng.randint(1, 4)):  # a burst of edits, one message or several
                batch, text = [], e.texts[uri]
                for _ in range(rng.randint(1, 2)):  # each change counts in the text before it
                    batch.append(random_change(rng, text, e.encoding))
                    text = reference_apply(text, batch[-1], e.encoding)
                await e.edit(uri, batch, wait=False)
            fixes, broken = await check_in_step(e, uri, path)
            checked += fixes
            if broken or len(e.texts[uri]) > 3000:  # a fresh hostile start
                start = "\ufeffimport os\r\n" + "".join(piece(rng) for _ in range(8))
                await e.change(uri, start, wait=False)
        assert checked > STEPS  # the test saw fixes, not only empty answers
        await asyncio.sleep(0)
        assert e.messages() == []
