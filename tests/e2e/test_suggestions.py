"""Ruff settings suggested from the user's own record, written only as the editor applies them.

Every outcome here is made through the real server: quick fixes taken (their edit applied as
an editor applies it, then their command), undone by putting the old text back, or answered
"This fix is wrong". The suggested edit is applied to the real configuration file, which is
then read with tomllib and linted with the real `ruff check`.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from lsp_reference import apply_text_edits
from lsprotocol import types as t

from .conftest import Editor, Session, is_fix

RUFF = str(Path(sys.executable).parent / "ruff")
FIX = "Remove assignment to unused variable"
IN_TESTS = "def test_it():\n    value = 1\n    assert True\n"
IN_SRC = "def run():\n    value = 1\n    return 2\n"
PYPROJECT = """\
# Project settings -- this comment stays
[project]
name   =   "demo"    # odd spacing, kept
version = '0.1'

[tool.ruff]
line-length = 100   # wide

[tool.ruff.lint]
select = [
    "E4", "E7",   "E9",
    "F",  # pyflakes
]

[tool.black]
skip-string-normalization = true
"""


async def fix_of(e: Editor, uri: str) -> t.CodeAction:
    return next(a for a in await e.code_actions(uri) if is_fix(a) and FIX in a.title)


async def take(e: Editor, uri: str) -> None:
    """Take the F841 quick fix: its edit as the editor applies it, then its command."""
    action = await fix_of(e, uri)
    assert action.edit is not None and action.command is not None
    await e.change(uri, e.apply(uri, action.edit))
    answer = await e.execute(action.command.command, *(action.command.arguments or ()))
    assert answer == {"recorded": True}


async def wrong(e: Editor, uri: str) -> None:
    """Answer "This fix is wrong (F841)"."""
    action = next(a for a in await e.code_actions(uri) if "This fix is wrong (F841)" in a.title)
    assert action.command is not None
    answer = await e.execute(action.command.command, *(action.command.arguments or ()))
    assert answer == {"recorded": True}


async def reject(e: Editor, uri: str, text: str, rounds: int) -> None:
    """Reject the fix `rounds` times: undo it (take it, then put the old text back) or say it
    is wrong, in turn, each time on a new version of the file."""
    for n in range(rounds):
        before = "\n" * n + text
        await e.change(uri, before)
        if n % 2 == 0:
            await take(e, uri)
            await e.change(uri, before)  # the editor's undo
        else:
            await wrong(e, uri)


async def keep(e: Editor, uri: str, text: str, rounds: int, first: int = 100) -> None:
    """Take the fix `rounds` times and keep it (each on a new text: no undo)."""
    for n in range(first, first + rounds):
        await e.change(uri, "\n" * n + text)
        await take(e, uri)


async def suggested(e: Editor, uri: str, text: str) -> list[dict[str, Any]]:
    """The suggestions for the document, once the store has every outcome (an undo is
    written after the change that revealed it): asked on new versions until they come."""
    for n in range(200):
        await e.change(uri, "\n" * (300 + n) + text)
        found = (await e.execute("surefix.suggestConfig", {"uri": uri}))["suggestions"]
        if found:
            return list(found)
        await asyncio.sleep(0.05)
    raise AssertionError("nothing was suggested")


def written(e: Editor, edit: t.WorkspaceEdit, path: Path) -> str:
    """`path`'s text after `edit`, as the editor applies it: a versionless edit of a file the
    editor does not have open goes to the file on disk."""
    (change,) = edit.document_changes or ()
    assert isinstance(change, t.TextDocumentEdit)
    assert change.text_document.uri == path.as_uri() and change.text_document.version is None
    before = path.read_bytes().decode("utf-8")
    return apply_text_edits(before, change.edits, e.encoding)


def ruff_check(root: Path, *files: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [RUFF, "check", "--output-format", "json", "--no-cache", "--exit-zero", *files],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return list(json.loads(out.stdout))


async def test_rejecting_a_rule_under_one_folder_suggests_a_per_file_ignore_for_it(
    editor: Session, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    pyproject = root / "pyproject.toml"
    pyproject.write_text(PYPROJECT)
    async with editor() as e:
        tests = await e.open("tests/test_things.py", IN_TESTS)
        src = await e.open("src/app.py", IN_SRC)
        await reject(e, tests, IN_TESTS, 10)
        await keep(e, src, IN_SRC, 3)
        (found,) = await suggested(e, tests, IN_TESTS)
        setting = 'per-file-ignores = {"tests/**" = ["F841"]}'
        assert found["setting"] == setting and found["table"] == "[tool.ruff.lint]"
        assert found["reason"] == (
            "you undid, rejected or silenced 10 of 10 F841 fixes under `tests/`, "
            "and kept 3 of 3 elsewhere"
        )
        assert found["file"] == str(pyproject) and found["creates"] is False
        assert (await e.execute("surefix.suggestConfig", {"uri": src}))["suggestions"] == []

        line = e.texts[tests].index("value")
        hover = await e.hover(tests, e.texts[tests].count("\n", 0, line), 4)
        assert hover is not None and isinstance(hover.contents, t.MarkupContent)
        assert (
            f"**Suggested Ruff configuration** · You undid, rejected or silenced 10 of 10 F841 "
            f"fixes under `tests/`, and kept 3 of 3 elsewhere: `{setting}` in "
            "`[tool.ruff.lint]` of `pyproject.toml`."
        ) in hover.contents.value

        title = f"Write Ruff configuration: {setting} in pyproject.toml"
        (action,) = [a for a in await e.code_actions(tests) if a.title == title]
        assert action.edit is not None and action.command is not None
        after = written(e, action.edit, pyproject)
        assert found["diff"] == "".join(
            difflib.unified_diff(
                PYPROJECT.splitlines(keepends=True),
                after.splitlines(keepends=True),
                "a/pyproject.toml",
                "b/pyproject.toml",
            )
        )
        pyproject.write_text(after)  # the editor saves the file it changed
        answer = await e.execute(action.command.command, *(action.command.arguments or ()))
        assert answer == {"recorded": True}

        # Every line the project wrote is still there, byte for byte: one line was added.
        ops = difflib.SequenceMatcher(None, PYPROJECT.splitlines(True), after.splitlines(True))
        changes = [op for op in ops.get_opcodes() if op[0] != "equal"]
        assert [op[0] for op in changes] == ["insert"]
        assert after.splitlines()[changes[0][3] : changes[0][4]] == [setting]
        lint = tomllib.loads(after)["tool"]["ruff"]["lint"]
        assert lint["per-file-ignores"] == {"tests/**": ["F841"]}
        assert lint["select"] == ["E4", "E7", "E9", "F"]

        found_now = ruff_check(root, "tests/test_things.py", "src/app.py")
        assert {(Path(d["filename"]).name, d["code"]) for d in found_now} == {("app.py", "F841")}
        await e.change(tests, IN_TESTS)
        assert "F841" not in {d.code for d in await e.diagnostics(tests)}
        assert (await e.execute("surefix.suggestConfig", {"uri": src}))["suggestions"] == []


async def test_never_keeping_a_rules_fix_suggests_unfixable_in_a_new_ruff_toml(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("app.py", IN_SRC)
        await reject(e, uri, IN_SRC, 10)
        (found,) = await suggested(e, uri, IN_SRC)
        assert found["setting"] == 'unfixable = ["F841"]' and found["creates"] is True
        assert found["reason"] == "you kept none of your 10 F841 fixes in this project"
        assert found["diff"] == (
            '--- /dev/null\n+++ b/ruff.toml\n@@ -0,0 +1,2 @@\n+[lint]\n+unfixable = ["F841"]\n'
        )
        title = 'Write Ruff configuration: unfixable = ["F841"] in ruff.toml'
        (action,) = [a for a in await e.code_actions(uri) if a.title == title]
        assert action.edit is not None
        create, change = action.edit.document_changes or ()
        target = e.root / "ruff.toml"
        assert isinstance(create, t.CreateFile) and create.uri == target.as_uri()
        assert isinstance(change, t.TextDocumentEdit) and change.text_document.version is None
        assert not target.exists()  # nothing is written but by the editor
        target.write_text(apply_text_edits("", change.edits, e.encoding))
        assert tomllib.loads(target.read_text()) == {"lint": {"unfixable": ["F841"]}}
    (f841,) = [d for d in ruff_check(e.root, "app.py") if d["code"] == "F841"]
    assert f841["fix"] is None  # still reported, no longer fixable


async def test_a_client_that_cannot_create_files_is_told_why_and_offered_no_edit(
    editor: Session,
) -> None:
    async with editor("neovim") as e:  # Neovim does not announce `documentChanges`
        uri = await e.open("app.py", IN_SRC)
        await reject(e, uri, IN_SRC, 10)
        (found,) = await suggested(e, uri, IN_SRC)
        assert found["applicable"] is False and "does not exist yet" in found["why_not"]
        assert not any("Write Ruff configuration" in a.title for a in await e.code_actions(uri))
        answer = await e.execute("surefix.suggestConfig", {"id": found["id"], "answer": "apply"})
        assert answer["applied"] is False and "create a file" in answer["reason"]
        assert e.applied_edits == [] and not (e.root / "ruff.toml").exists()


async def test_always_keeping_an_unsafe_fix_suggests_it_be_safe(
    editor: Session, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    config = root / "ruff.toml"
    config.write_text('[lint]\nextend-safe-fixes = [\n    "UP",  # pyupgrade\n]\n')
    async with editor() as e:
        uri = await e.open("app.py", IN_SRC)
        await keep(e, uri, IN_SRC, 15)
        assert (await e.execute("surefix.suggestConfig", {"uri": uri}))["suggestions"] == []
        await keep(e, uri, IN_SRC, 1, first=200)  # 16 of 16: the lower bound passes 0.8
        (found,) = await suggested(e, uri, IN_SRC)
        assert found["setting"] == 'extend-safe-fixes = ["F841"]'
        assert found["reason"] == "you kept 16 of your 16 unsafe F841 fixes"
        answer = await e.execute("surefix.suggestConfig", {"id": found["id"], "answer": "apply"})
        assert answer == {"applied": True, "recorded": True}
        (sent,) = e.applied_edits  # the server asked the editor to make the change
        config.write_text(written(e, sent.edit, config))
    assert config.read_text() == (
        '[lint]\nextend-safe-fixes = [\n    "UP",  # pyupgrade\n    "F841",\n]\n'
    )
    (f841,) = [d for d in ruff_check(root, "app.py") if d["code"] == "F841"]
    assert f841["fix"]["applicability"] == "safe"


async def test_a_dismissed_suggestion_is_never_offered_again(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("app.py", IN_SRC)
        await reject(e, uri, IN_SRC, 10)
        (found,) = await suggested(e, uri, IN_SRC)
        (never,) = [a for a in await e.code_actions(uri) if a.title.startswith("Never suggest")]
        assert never.title == 'Never suggest unfixable = ["F841"] again' and never.edit is None
        assert never.command is not None
        answer = await e.execute(never.command.command, *(never.command.arguments or ()))
        assert answer == {"recorded": True}
        assert (await e.execute("surefix.suggestConfig", {"uri": uri}))["suggestions"] == []
    async with editor() as e:  # a new session reads the answer from the store
        uri = await e.open("app.py", IN_SRC)
        await reject(e, uri, IN_SRC, 2)
        assert (await e.execute("surefix.suggestConfig", {"uri": uri}))["suggestions"] == []
        assert not any("Ruff configuration" in a.title for a in await e.code_actions(uri))
    store = sqlite3.connect(tmp_path / "data" / "outcomes.sqlite3")
    ((key, kind),) = store.execute("SELECT suggestion, answer FROM suggestion_marks").fetchall()
    everything = "\n".join(store.iterdump())
    store.close()
    assert kind == "dismissed" and key == found["id"] and key.startswith("unfixable:F841:")
    assert str(e.root) not in everything and "project" not in key  # folders only as hashes


async def test_answers_name_only_suggestions_the_server_made(editor: Session) -> None:
    async with editor() as e:
        await e.open("app.py", IN_SRC)
        made_up = {"id": "unfixable:F841:0123456789abcdef", "answer": "apply"}
        answer = await e.execute("surefix.suggestConfig", made_up)
        assert answer["recorded"] is False and "did not make it" in answer["reason"]
        assert e.applied_edits == []
