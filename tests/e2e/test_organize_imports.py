"""Organize imports: `source.organizeImports.surefix` gives what Ruff's own import fixes give in
the project's folder, with its isort settings, whether or not the project selects `I`; unused
imports go only when the user asks for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types as t

from .conftest import Session

RUFF = Path(sys.executable).parent / "ruff"
CLIENTS = ["visual_studio_code", "neovim"]  # UTF-16 and UTF-8 positions
KIND = "source.organizeImports.surefix"

# Non-ASCII before the imports, so every position after it is counted in the client's units.
IMPORTS = '''"""Módulo 🙂 de prueba."""
import sys
import os
from mypkg import beta, alpha
import requests
from typing import List

print(sys.argv, os.sep, alpha, beta, requests)
'''
BROKEN = "import sys\nimport os\n\ndef f(:\n    pass\n"


def project(root: Path) -> None:
    """A project that does not select `I`, with isort settings of its own."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "ruff.toml").write_text(
        '[lint]\nselect = ["E"]\n\n[lint.isort]\nforce-single-line = true\n'
        'known-first-party = ["mypkg"]\n'
    )


def ruff_fixed(root: Path, name: str, text: str, rules: str) -> str:
    """Ruff's own fix loop for `rules` on `text`, as the file `name` of the project at `root`."""
    command = [str(RUFF), "check", "--fix-only", "--select", rules]
    done = subprocess.run(
        [*command, "--stdin-filename", str(root / name), "-"],
        cwd=root, input=text.encode(), capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.decode()


def organize_action(actions: list[t.CodeAction]) -> t.CodeAction:
    (action,) = [a for a in actions if a.kind == KIND]
    return action


@pytest.mark.parametrize("preset", CLIENTS)
@pytest.mark.parametrize("kind", [KIND, t.CodeActionKind.SourceOrganizeImports])
async def test_organize_imports_sorts_them_as_the_projects_isort_settings_say(
    editor: Session, preset: str, kind: str
) -> None:
    async with editor(preset) as e:
        project(e.root)
        uri = await e.open("mod.py", IMPORTS)
        assert not [d for d in await e.diagnostics(uri) if str(d.code).startswith("I")]
        action = organize_action(await e.code_actions(uri, only=[kind]))
        assert action.edit is not None and action.disabled is None
        organized = e.apply(uri, action.edit)  # for this version (an editor checks it)
        assert organized == ruff_fixed(e.root, "mod.py", IMPORTS, "I001,I002")
        assert "from mypkg import alpha\nfrom mypkg import beta\n" in organized  # its settings
        assert "from typing import List" in organized  # unused, and kept: not asked to remove
        assert organized.startswith('"""Módulo 🙂 de prueba."""\n')
        await e.change(uri, organized)
        again = organize_action(await e.code_actions(uri, only=[kind]))
        assert again.edit is not None and e.apply(uri, again.edit) == organized  # nothing to do
        assert await e.code_actions(uri, only=[t.CodeActionKind.Source]) == []
        assert e.messages() == []


@pytest.mark.parametrize("preset", CLIENTS)
async def test_removing_unused_imports_is_the_users_choice(editor: Session, preset: str) -> None:
    config = {"organizeImports": {"removeUnused": True}}  # as VS Code sends a dotted setting
    async with editor(preset, config=config) as e:
        project(e.root)
        uri = await e.open("mod.py", IMPORTS)
        action = organize_action(await e.code_actions(uri, only=[KIND]))
        assert action.edit is not None
        organized = e.apply(uri, action.edit)
        assert organized == ruff_fixed(e.root, "mod.py", IMPORTS, "I001,I002,F401")
        assert "List" not in organized and "from mypkg import alpha\n" in organized


async def test_a_plain_menu_offers_it_only_when_there_is_something_to_organize(
    editor: Session,
) -> None:
    async with editor("neovim") as e:
        project(e.root)
        uri = await e.open("mod.py", IMPORTS)
        # The project does not select I: nothing in the analysis says the imports are unsorted,
        # and a menu asked at the cursor costs no Ruff run.
        assert [a for a in await e.code_actions(uri) if a.kind == KIND] == []
        # The source-action menu asks for `source`: it gets the action, as it changes something.
        (source,) = await e.code_actions(uri, only=[t.CodeActionKind.Source])
        assert source.kind == KIND
        (e.root / "ruff.toml").write_text('[lint]\nselect = ["I"]\n')
        await e.change(uri, IMPORTS + "\n")  # linted again, now with I001 reported
        assert "I001" in {d.code for d in await e.diagnostics(uri)}
        assert organize_action(await e.code_actions(uri)).edit is not None


async def test_a_syntax_error_disables_it_with_the_reason_in_vscode(editor: Session) -> None:
    async with editor("visual_studio_code") as e:
        project(e.root)
        uri = await e.open("broken.py", BROKEN)
        for _ in range(2):  # organize on save, saved twice
            action = organize_action(await e.code_actions(uri, only=[KIND]))
            assert action.edit is None and action.disabled is not None
        reason = (
            "imports of broken.py not organized: it has a syntax error (line 4, column 7: "
            "Expected a parameter or the end of the parameter list)"
        )
        assert action.disabled.reason == reason
        assert [m.message for m in e.client.log_messages if "not organized" in m.message] == [
            f"surefix: {reason}"
        ]
        assert e.messages() == []  # no popup


async def test_a_syntax_error_gets_no_action_where_disabled_ones_are_not_shown(
    editor: Session,
) -> None:
    """Neovim shows no disabled action: on save the log says why, once; invoked as a command
    (`:SurefixOrganizeImports`), the user is told, once."""
    async with editor("neovim") as e:
        project(e.root)
        uri = await e.open("broken.py", BROKEN)
        on_save = t.CodeActionTriggerKind.Automatic
        assert await e.code_actions(uri, only=[KIND], trigger=on_save) == []
        assert await e.code_actions(uri, only=[KIND], trigger=on_save) == []
        said = [m.message for m in e.client.log_messages if "not organized" in m.message]
        assert len(said) == 1 and "syntax error (line 4, column 7" in said[0]
        assert e.messages() == []
        invoked = t.CodeActionTriggerKind.Invoked
        for _ in range(2):
            assert await e.code_actions(uri, only=[KIND], trigger=invoked) == []
        (message,) = e.messages()
        assert message == said[0]


async def test_crlf_text_keeps_its_line_breaks(editor: Session) -> None:
    text = IMPORTS.replace("\n", "\r\n")
    async with editor() as e:
        project(e.root)
        uri = await e.open("crlf.py", text)
        action = organize_action(await e.code_actions(uri, only=[KIND]))
        assert action.edit is not None
        organized = e.apply(uri, action.edit)
        assert organized == ruff_fixed(e.root, "crlf.py", text, "I001,I002")
        assert organized.count("\r\n") == organized.count("\n") > 0


async def test_the_edit_names_its_version_and_a_new_version_gets_its_own(editor: Session) -> None:
    async with editor("visual_studio_code") as e:
        project(e.root)
        uri = await e.open("mod.py", IMPORTS)
        old = organize_action(await e.code_actions(uri, only=[KIND]))
        changed = "import json\n" + IMPORTS.replace('"""Módulo 🙂 de prueba."""\n', "")
        await e.change(uri, changed + "print(json)\n")
        assert old.edit is not None and old.edit.document_changes
        (stale,) = old.edit.document_changes
        assert isinstance(stale, t.TextDocumentEdit) and stale.text_document.version == 1
        with pytest.raises(AssertionError, match="edit for another version"):
            e.apply(uri, old.edit)  # what an editor does with it: refuse
        new = organize_action(await e.code_actions(uri, only=[KIND]))
        assert new.edit is not None
        assert e.apply(uri, new.edit) == ruff_fixed(
            e.root, "mod.py", changed + "print(json)\n", "I001,I002"
        )
