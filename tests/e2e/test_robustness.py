"""Nothing a user can do — or a broken install — takes the server down: each failure becomes one
clear message and the server keeps serving."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from lsprotocol import types as t

from surefix.model.scoring.artifact import bundled_model_dir

from .conftest import Editor, Session
from .samples import MESSY, UNUSED_IMPORT


async def still_serving(e: Editor) -> None:
    """The server answers and lints after whatever went wrong."""
    uri = await e.open("alive.py", UNUSED_IMPORT)
    assert any(a.title.endswith("Remove unused import: `os`") for a in await e.code_actions(uri))


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"ruffPath": "/nonexistent/ruff"}, "ruff not found at '/nonexistent/ruff'"),
        ({"ruffArgs": ["--no-such-flag"]}, "ruff failed (exit 2)"),
        ({"lintTimeout": 0.001}, "ruff took longer than 0.001s and was stopped"),
    ],
)
async def test_ruff_missing_failing_or_slow_is_one_message_and_no_diagnostics(
    editor: Session, config: dict, expected: str
) -> None:
    async with editor(config=config) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await e.diagnostics(uri) == []
        await e.change(uri, UNUSED_IMPORT + "\n")
        assert expected in await e.message(expected)
        assert sum(expected in m for m in e.messages()) == 1  # not once per keystroke
        assert await e.code_actions(uri) == []
        e.client.set_configuration({}, section="surefix")
        e.client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings=None))
        await asyncio.sleep(0)
        await still_serving(e)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "def f(:\n",
        "x = '\udcff'\nimport os\n",  # a lone surrogate: what a non-UTF-8 file decodes to
        "\x00\x01 binary junk \ufeff\n",
        "import os\r\nx = 1\rimport sys\n",  # mixed line endings
    ],
    ids=["empty", "syntax-error", "lone-surrogate", "binary", "mixed-newlines"],
)
async def test_odd_files_never_crash_the_server(editor: Session, text: str) -> None:
    async with editor() as e:
        uri = await e.open("odd.py", text)
        await e.code_actions(uri)
        await e.hover(uri, 0, 0)
        await still_serving(e)
        assert not any("failed" in m for m in e.messages())


async def test_a_huge_file_is_skipped_with_a_message(editor: Session) -> None:
    text = "x = 1\n" * 1_750_000  # 10.5 MB
    async with editor() as e:
        uri = await e.open("huge.py", text)
        assert await e.diagnostics(uri) == []
        assert "is 10.5 MB" in await e.message("surefix.maxFileSize")
        await still_serving(e)


async def test_unknown_documents_and_positions_out_of_range_get_empty_answers(
    editor: Session,
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        e.texts["file:///nowhere/x.py"] = UNUSED_IMPORT
        assert await e.code_actions("file:///nowhere/x.py") == []
        assert await e.hover("file:///nowhere/x.py", 0, 0) is None
        assert await e.hover(uri, 10_000, 10_000) is None
        far = await e.client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(uri=uri),
                range=t.Range(
                    start=t.Position(line=500, character=0), end=t.Position(line=900, character=3)
                ),
                context=t.CodeActionContext(diagnostics=[]),
            )
        )
        assert not [a for a in far or () if isinstance(a, t.CodeAction) and a.kind == "quickfix"]
        await still_serving(e)


async def test_a_stale_apply_command_changes_nothing(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("messy.py", MESSY)
        await e.change(uri, MESSY + "\n")
        result = await e.execute("surefix.applyTrustedFixes", {"uri": uri, "version": 1})
        assert result == {"applied": 0, "reason": "stale version"}
        assert e.applied_edits == []


async def test_a_broken_model_falls_back_to_the_bundled_one(
    editor: Session, tmp_path: Path
) -> None:
    broken = tmp_path / "model"
    shutil.copytree(bundled_model_dir(), broken)
    (broken / "params.json").write_text("{}")
    async with editor(config={"modelPath": str(broken)}) as e:
        text = await e.message("using the bundled one")
        assert str(broken) in text
        uri = await e.open("m.py", UNUSED_IMPORT)
        (fix,) = [a for a in await e.code_actions(uri) if a.title.endswith("`os`")]
        assert fix.title[0] in "✓?✗" and "%" in fix.title


async def test_with_no_loadable_model_fixes_are_unscored_and_never_automatic(
    editor: Session, tmp_path: Path
) -> None:
    async with editor(env={"SUREFIX_BUNDLED_MODEL": str(tmp_path / "missing")}) as e:
        assert "no trust model could be loaded" in await e.message("no trust model")
        uri = await e.open("m.py", UNUSED_IMPORT)
        (fix,) = [a for a in await e.code_actions(uri) if "Remove unused" in a.title]
        assert fix.title == "· n/a Remove unused import: `os` (trust score unavailable; Ruff: safe)"
        assert not fix.is_preferred
        (fix_all,) = await e.code_actions(uri, only=["source.fixAll.surefix"])
        assert fix_all.edit is not None and e.apply(uri, fix_all.edit) == UNUSED_IMPORT
