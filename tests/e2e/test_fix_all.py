"""Apply all trusted fixes: the autopilot applies the auto-apply band, to a fixed point, and
nothing else — from the source-action menu, on save, or as a command."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types as t

from .conftest import Session, band_of, is_fix, rule_of
from .samples import MESSY, broad_ruff_config


@pytest.fixture(autouse=True)
def _chosen_rules(tmp_path: Path) -> None:
    broad_ruff_config(tmp_path / "project")  # the editor's workspace folder


FIX_ALL = "source.fixAll.surefix"
# The rules of the fixes Ruff offers for MESSY.
MESSY_FIXABLE = {"F401", "UP006", "UP015", "UP031", "UP045", "C410", "C416"}


def bands(actions: list[t.CodeAction]) -> dict[str, set[str]]:
    """Band -> rules, from the quick fixes' badges."""
    out: dict[str, set[str]] = {}
    for a in actions:
        if is_fix(a):
            out.setdefault(band_of(a), set()).add(rule_of(a))
    return out


async def test_fix_all_on_save_applies_the_auto_band_to_a_fixed_point(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("messy.py", MESSY)
        before = bands(await e.code_actions(uri))
        (action,) = await e.code_actions(
            uri, only=[t.CodeActionKind.SourceFixAll], trigger=t.CodeActionTriggerKind.Automatic
        )
        assert action.kind == FIX_ALL and action.edit is not None
        fixed = e.apply(uri, action.edit)
        ast.parse(fixed)
        await e.change(uri, fixed)
        after = bands(await e.code_actions(uri))
        assert "auto-apply" not in after  # nothing trusted is left behind
        gone = set().union(*before.values()) - set().union(*after.values())
        assert gone and gone <= before["auto-apply"]  # and only trusted fixes were made


async def test_fix_all_matches_the_command_line_autopilot(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("messy.py", MESSY)
        (action,) = await e.code_actions(uri, only=[FIX_ALL])
        assert action.edit is not None
        fixed = e.apply(uri, action.edit)
    path = e.root / "messy.py"
    subprocess.run(
        [sys.executable, "-m", "surefix.server.cli", "fix", str(path)], check=True, timeout=120
    )
    assert path.read_text() == fixed


async def test_without_an_explicit_request_the_edit_is_resolved_lazily(editor: Session) -> None:
    async with editor("visual_studio_code") as e:
        uri = await e.open("messy.py", MESSY)
        (lazy,) = [a for a in await e.code_actions(uri) if a.kind == FIX_ALL]
        assert lazy.edit is None and lazy.data
        resolved = await e.client.code_action_resolve_async(lazy)
        assert resolved.edit is not None
        ast.parse(e.apply(uri, resolved.edit))


async def test_a_resolve_for_an_old_version_returns_no_edit(editor: Session) -> None:
    async with editor("visual_studio_code") as e:
        uri = await e.open("messy.py", MESSY)
        (lazy,) = [a for a in await e.code_actions(uri) if a.kind == FIX_ALL]
        await e.change(uri, MESSY + "\nX = 1\n")
        resolved = await e.client.code_action_resolve_async(lazy)
        assert resolved.edit is None


async def test_clients_without_resolve_get_a_command_that_applies_the_edit(
    editor: Session,
) -> None:
    async with editor("emacs") as e:
        uri = await e.open("messy.py", MESSY)
        (action,) = [a for a in await e.code_actions(uri) if a.kind == FIX_ALL]
        assert action.edit is None and action.command is not None
        result = await e.execute(action.command.command, *(action.command.arguments or ()))
        assert result["applied"] >= 3 and result["dropped"] == 0
        (applied,) = e.applied_edits
        ast.parse(e.apply(uri, applied.edit))


async def test_a_file_with_nothing_trusted_gets_no_fix_all(editor: Session) -> None:
    """Every fix of the file is below the auto-apply band: the menu has no fix-all, and a
    fix-all on save gets the action disabled, saying why: nothing to apply."""
    async with editor(config={"autoThreshold": 1.0}) as e:
        uri = await e.open("messy.py", MESSY)
        menu = await e.code_actions(uri)
        found = bands(menu)
        assert set().union(*found.values()) == MESSY_FIXABLE and "auto-apply" not in found
        assert [a for a in menu if a.kind == FIX_ALL] == []
        (on_save,) = await e.code_actions(
            uri, only=[t.CodeActionKind.SourceFixAll], trigger=t.CodeActionTriggerKind.Automatic
        )
        assert on_save.edit is None and on_save.command is None and on_save.disabled is not None
        assert on_save.disabled.reason.startswith("fix-all on messy.py applied nothing: ")
        assert "its trust score is below the auto-apply threshold" in on_save.disabled.reason
        assert e.messages() == []  # nothing dropped, nothing failed


async def test_the_apply_command_on_a_file_with_nothing_trusted_sends_no_edit(
    editor: Session,
) -> None:
    async with editor("emacs", config={"autoThreshold": 1.0}) as e:
        uri = await e.open("messy.py", MESSY)
        menu = await e.code_actions(uri)
        assert bands(menu) and "auto-apply" not in bands(menu)
        result = await e.execute("surefix.applyTrustedFixes", {"uri": uri, "version": 1})
        reason = result.pop("reason")
        assert result == {"applied": 0, "dropped": 0, "rounds": 0}
        assert reason.startswith("fix-all on messy.py applied nothing: ")
        assert e.applied_edits == []
