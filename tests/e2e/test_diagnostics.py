"""Opening and editing a file shows Ruff's findings, in the project's own configuration."""

from __future__ import annotations

import asyncio
import os

import pytest
from lsp_reference import client_units
from lsprotocol import types as t

from .conftest import PRESETS, Session
from .samples import MESSY, UNUSED_IMPORT


async def test_open_publishes_codes_links_and_severities(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("messy.py", MESSY)
        diagnostics = await e.diagnostics(uri)
        codes = {d.code for d in diagnostics}
        assert {"F401", "UP006", "UP015", "UP031"} <= codes
        f401 = next(d for d in diagnostics if d.code == "F401")
        assert f401.source == "surefix"
        assert f401.code_description is not None
        assert f401.code_description.href == "https://docs.astral.sh/ruff/rules/unused-import"
        assert f401.severity == t.DiagnosticSeverity.Warning
        assert list(f401.tags or ()) == [t.DiagnosticTag.Unnecessary]
        assert f401.range == t.Range(
            start=t.Position(line=0, character=7), end=t.Position(line=0, character=9)
        )
        index = diagnostics.index(f401)
        assert f401.data == {"version": e.versions[uri], "index": index, "fixable": True}


async def test_syntax_errors_are_errors_and_the_rest_still_lints(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("broken.py", "import os\ndef f(:\n    pass\n")
        diagnostics = await e.diagnostics(uri)
        errors = [d for d in diagnostics if d.severity == t.DiagnosticSeverity.Error]
        assert errors and all(d.code is None for d in errors)
        assert errors[0].range.start.line == 1


async def test_edits_are_linted_again_for_the_new_version(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert [d.code for d in await e.diagnostics(uri)] == ["F401"]
        await e.change(uri, "import os\n\nVALUE = os.sep\n")
        assert await e.diagnostics(uri) == []
        assert e.client.published_versions[uri] == 2  # type: ignore[attr-defined]


async def test_the_projects_own_ruff_configuration_is_honoured(editor: Session) -> None:
    async with editor() as e:
        (e.root / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["UP"]\n')
        uri = await e.open("m.py", MESSY)
        codes = {d.code for d in await e.diagnostics(uri)}
        assert "F401" not in codes and {"UP006", "UP015"} <= codes


async def test_per_file_ignores_follow_the_buffers_path(editor: Session) -> None:
    async with editor() as e:
        (e.root / "ruff.toml").write_text(
            '[lint]\nselect = ["F401"]\nper-file-ignores = {"tests/*" = ["F401"]}\n'
        )
        in_tests = await e.open("tests/test_m.py", UNUSED_IMPORT)
        elsewhere = await e.open("pkg/m.py", UNUSED_IMPORT)
        assert await e.diagnostics(in_tests) == []
        assert [d.code for d in await e.diagnostics(elsewhere)] == ["F401"]


async def test_without_configuration_the_selection_setting_and_the_projects_rules_apply(
    editor: Session,
) -> None:
    async with editor(config={"select": ["UP015"]}) as e:
        uri = await e.open("m.py", MESSY)
        codes = {d.code for d in await e.diagnostics(uri)}
    # UP015 is the setting's, F401 and UP006 are Ruff's own defaults; C416 is neither: it comes
    # only with the broad default selection the setting replaces
    assert {"UP015", "F401", "UP006"} <= codes and "C416" not in codes


@pytest.mark.parametrize("preset", PRESETS)
async def test_columns_are_in_the_clients_encoding(editor: Session, preset: str) -> None:
    line = 'x = "😀é😀"; import os'  # two non-BMP characters and a 2-byte one before the import
    async with editor(preset) as e:
        uri = await e.open("emoji.py", f"{line}\n")
        (f401,) = [d for d in await e.diagnostics(uri) if d.code == "F401"]
        assert f401.range.start.character == client_units(line, line.index("os"), e.encoding)
        assert f401.range.end.character == client_units(line, len(line), e.encoding)
        fix = next(a for a in await e.code_actions(uri, 0) if "unused import" in a.title)
        assert fix.edit is not None
        fixed = e.apply(uri, fix.edit)
        assert fixed.startswith('x = "😀é😀"') and "import" not in fixed


async def test_typing_waits_for_a_pause_but_saving_lints_at_once(editor: Session) -> None:
    async with editor(config={"debounceMs": 10_000}) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        await e.change(uri, "import os\nimport sys\n", wait=False)
        await asyncio.sleep(0.5)
        assert e.client.published_versions[uri] == 1  # type: ignore[attr-defined]
        e.client.text_document_did_save(
            t.DidSaveTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=uri))
        )
        assert [d.code for d in await e.diagnostics(uri)] == ["F401", "F401"]


async def test_a_project_whose_ruff_config_says_fix_true_still_gets_diagnostics(
    editor: Session,
) -> None:
    """`fix = true` would make Ruff print the fixed source instead of its JSON."""
    async with editor() as e:
        (e.root / "ruff.toml").write_text('fix = true\n[lint]\nselect = ["F401"]\n')
        uri = await e.open("m.py", "import os\n")
        assert [d.code for d in await e.diagnostics(uri)] == ["F401"]
        assert e.messages() == []


OLD_TYPING = "from typing import List\n\n\ndef f(x: List[int]) -> None: ...\n"  # UP006 from 3.9


async def test_the_projects_configuration_is_read_once_per_change_of_its_files(
    editor: Session,
) -> None:
    """A 26 MB pyproject.toml takes seconds to parse: what it says is kept while its stat
    (mtime, size, inode) stays the same, whatever is saved beside it, and read again at the
    first lint after it changes. Here a reading would be seen: the file's text changes under
    an unchanged stat, and the Python it supports decides `--target-version`, hence UP006."""
    async with editor() as e:
        pyproject = e.root / "pyproject.toml"
        pyproject.write_text('[project]\nname = "p"\nrequires-python = ">=3.8"\n')
        (e.root / ".git").mkdir()
        uri = await e.open("m.py", OLD_TYPING)
        assert "UP006" not in {d.code for d in await e.diagnostics(uri)}

        was = os.stat(pyproject)
        with pyproject.open("r+") as fh:  # in place: the same inode and size
            fh.write(pyproject.read_text().replace("3.8", "3.9"))
        os.utime(pyproject, ns=(was.st_atime_ns, was.st_mtime_ns))
        now = os.stat(pyproject)
        assert (now.st_mtime_ns, now.st_size, now.st_ino) == (
            was.st_mtime_ns,
            was.st_size,
            was.st_ino,
        )
        await e.open("other.py", UNUSED_IMPORT)  # a module saved beside it
        (e.root / ".git" / "index").write_text("")  # git at work
        for n in range(1, 4):
            await e.change(uri, OLD_TYPING + "\n" * n)
            assert "UP006" not in {d.code for d in await e.diagnostics(uri)}  # not read again

        pyproject.write_text('[project]\nname = "p"\nrequires-python = ">=3.10"\n')
        await e.change(uri, OLD_TYPING)
        assert "UP006" in {d.code for d in await e.diagnostics(uri)}  # read at the next lint
