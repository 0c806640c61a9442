"""Formatting: `textDocument/formatting` and `rangeFormatting` give what `ruff format` gives in
the project's folder, as a few line edits on the editor's own text, and nothing at all for a
text Ruff cannot parse or a document that changed meanwhile."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from lsp_reference import client_units, lines
from lsprotocol import types as t

from .conftest import WAIT, Session
from .samples import broad_ruff_config

# The Ruff installed with surefix, which the server runs.
RUFF = Path(sys.executable).parent / "ruff"
CLIENTS = ["visual_studio_code", "neovim"]  # UTF-16 and UTF-8 positions
FIX_ALL_KIND = "source.fixAll.surefix"

# Line 3 is formatted already: an edit of the whole document would rewrite it all the same.
UGLY = """import os

GREETING = "héllo 🙂"
UNTOUCHED = 1
def   greet(name,   punctuation = "!"):
    return GREETING+", "+name+punctuation+"  and some more words to wrap"
print(greet("wörld"),os.sep)
"""
BROKEN = "def f(:\n    pass\nx=1\n"
# One line, two statements: a range over the first one alone formats only that one.
TWO_STATEMENTS = 'x=0\na="🙂🙂";b  =  2\n'


def project(root: Path) -> None:
    """A project whose own formatter settings differ from Ruff's defaults."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "ruff.toml").write_text('line-length = 60\n\n[format]\nquote-style = "single"\n')


def ruff_format(root: Path, name: str, text: str, *args: str) -> str:
    """`ruff format` on `text` as the file `name` of the project at `root`, run there."""
    done = subprocess.run(
        [str(RUFF), "format", *args, "--stdin-filename", str(root / name), "-"],
        cwd=root, input=text.encode(), capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.decode()


def covers(edit: t.TextEdit, line: int) -> bool:
    """Whether a whole-line edit rewrites `line`."""
    start, end = edit.range.start, edit.range.end
    return start.line <= line < end.line or (start.line == line and end.character > 0)


@pytest.mark.parametrize("preset", CLIENTS)
async def test_formatting_gives_ruff_formats_text_in_a_few_line_edits(
    editor: Session, preset: str
) -> None:
    async with editor(preset) as e:
        project(e.root)
        uri = await e.open("ugly.py", UGLY)
        edits = await e.format(uri)
        assert edits
        expected = ruff_format(e.root, "ugly.py", UGLY)
        assert e.formatted(uri, edits) == expected
        # the project's settings were Ruff's: its quotes and its line length
        assert "GREETING = 'héllo 🙂'" in expected
        assert expected != ruff_format(e.root, "ugly.py", UGLY, "--isolated")
        # only the lines that change are edited, in more than one place
        assert len(edits) >= 2 and not any(covers(edit, n) for edit in edits for n in (0, 3))
        await e.change(uri, expected)
        assert await e.format(uri) is None  # formatted: nothing left to do
        assert e.messages() == []


@pytest.mark.parametrize("preset", CLIENTS)
async def test_range_formatting_formats_only_the_statements_in_the_range(
    editor: Session, preset: str
) -> None:
    async with editor(preset) as e:
        project(e.root)
        uri = await e.open("two.py", TWO_STATEMENTS)
        line = lines(TWO_STATEMENTS)[1]
        first = line.index(";")  # `a="🙂🙂"`, in code points
        span = t.Range(
            start=t.Position(line=1, character=0),
            end=t.Position(line=1, character=client_units(line, first, e.encoding)),
        )
        edits = await e.format(uri, span)
        expected = ruff_format(e.root, "two.py", TWO_STATEMENTS, f"--range=2:1-2:{first + 1}")
        assert e.formatted(uri, edits) == expected == "x=0\na = '🙂🙂';b  =  2\n"


@pytest.mark.parametrize("preset", CLIENTS)
async def test_a_text_ruff_cannot_parse_is_left_alone_and_logged_once(
    editor: Session, preset: str
) -> None:
    async with editor(preset) as e:
        project(e.root)
        uri = await e.open("broken.py", BROKEN)
        assert await e.format(uri) is None
        assert await e.format(uri, t.Range(start=t.Position(2, 0), end=t.Position(3, 0))) is None
        assert await e.format(uri) is None  # format on save, again and again
        said = [m.message for m in e.client.log_messages if "not formatted" in m.message]
        assert said == [
            "surefix: broken.py not formatted: Ruff cannot parse it (line 1, column 7: "
            "Expected a parameter or the end of the parameter list)"
        ]
        assert e.messages() == []  # no popup
        assert any(d.code is None for d in await e.diagnostics(uri))  # the error is shown there
        await e.change(uri, "def f():\n    pass\nx=1\n")
        fixed = await e.format(uri)
        assert e.formatted(uri, fixed) == "def f():\n    pass\n\n\nx = 1\n"


async def test_crlf_text_is_formatted_with_its_own_line_breaks(editor: Session) -> None:
    text = UGLY.replace("\n", "\r\n")
    async with editor() as e:
        project(e.root)
        uri = await e.open("crlf.py", text)
        edits = await e.format(uri)
        formatted = e.formatted(uri, edits)
        assert formatted == ruff_format(e.root, "crlf.py", text)
        assert formatted.count("\r\n") == formatted.count("\n") > 0
        assert not any(covers(edit, n) for edit in edits or () for n in (0, 3))


async def test_formatting_a_document_that_changed_meanwhile_gives_no_edits(
    editor: Session, tmp_path: Path
) -> None:
    """The editor types while Ruff formats: the edits were made for the text before, so none
    is sent (LSP gives formatting edits no version to be checked against)."""
    slow = tmp_path / "bin" / "ruff"
    slow.parent.mkdir()
    slow.write_text(f'#!/bin/sh\ncase " $* " in *" format "*) sleep 1;; esac\nexec {RUFF} "$@"\n')
    slow.chmod(0o755)
    async with editor(config={"ruffPath": str(slow)}) as e:
        project(e.root)
        uri = await e.open("ugly.py", UGLY)
        request = asyncio.ensure_future(e.format(uri))
        await asyncio.sleep(0.3)
        await e.change(uri, UGLY + "x=1\n", wait=False)
        assert await asyncio.wait_for(request, WAIT) is None
        edits = await e.format(uri)  # the text as it is now
        assert e.formatted(uri, edits) == ruff_format(e.root, "ugly.py", UGLY + "x=1\n")


async def test_an_argument_ruff_format_rejects_is_said_once_and_linting_goes_on(
    editor: Session,
) -> None:
    async with editor(config={"ruffArgs": ["--select", "F401"]}) as e:
        uri = await e.open("ugly.py", UGLY)
        assert [d.code for d in await e.diagnostics(uri)] == []  # `ruff check` takes it
        assert await e.format(uri) is None
        assert await e.format(uri) is None
        said = [m for m in e.messages() if "format" in m]
        assert len(said) == 1, said
        assert "rejects the extra argument '--select' for formatting" in said[0]
        assert "surefix.ruffArgs" in said[0]


async def test_with_format_enable_off_the_server_is_no_formatter(editor: Session) -> None:
    async with editor(init_options={"surefix": {"format": {"enable": False}}}) as e:
        caps = e.result.capabilities
        assert not caps.document_formatting_provider
        assert not caps.document_range_formatting_provider
    async with editor() as e:  # on by default
        caps = e.result.capabilities
        assert caps.document_formatting_provider and caps.document_range_formatting_provider


async def test_lines_the_formatter_rewrote_are_not_held_back_as_typed(editor: Session) -> None:
    """Fix-all never rewrites a line the user just typed; a line the formatter just re-laid is
    not one, so its trusted fix is still applied."""
    text = 'def load(path):\n    with open(path,"r") as fh:\n        return fh.read()\n'
    async with editor() as e:
        broad_ruff_config(e.root)
        uri = await e.open("load.py", text)
        formatted = e.formatted(uri, await e.format(uri))
        assert 'open(path, "r")' in formatted
        await e.change(uri, formatted)
        (action,) = await e.code_actions(uri, only=[FIX_ALL_KIND])
        assert action.edit is not None
        assert "open(path)" in e.apply(uri, action.edit)  # UP015, on the re-laid line
