"""Fix all of one rule: "Fix all RULE in this file" applies every fix of that rule the user
could take one by one — whatever its score, unsafe ones too when the title says so — to a fixed
point, in one versioned edit, and nothing of any other rule; each fix is an outcome the user
chose."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams

from .conftest import Editor, Session, data, is_fix, rule_of
from .samples import broad_ruff_config

RUFF = Path(sys.executable).parent / "ruff"
CLIENTS = ["visual_studio_code", "neovim"]  # UTF-16 and UTF-8 positions

# Three unused imports (F401, safe) after non-ASCII text; one UP015 (trusted, auto-apply) that
# a fix of F401 must leave alone.
UNUSED = '''"""Ünïcode 🙂 docstring."""
import os
import sys
import json


def read(path):
    with open(path, "r") as fh:
        return fh.read()
'''
# C408 fixes are unsafe, and nest: the outer and inner calls' edits overlap, so a second round
# is needed. UP031 is another unsafe rule, which must stay.
NESTED = 'x = dict(a=dict(b=1))\ny = dict(c=dict(d=2))\nprint("%s" % x)\nprint("%s" % y)\n'


@pytest.fixture(autouse=True)
def _chosen_rules(tmp_path: Path) -> None:
    broad_ruff_config(tmp_path / "project")  # the editor's workspace folder


def ruff_fixed(root: Path, name: str, text: str, rule: str, *more: str) -> str:
    """Ruff's own fix loop for `rule` alone, in the project's folder."""
    command = [str(RUFF), "check", "--fix-only", "--select", rule, *more]
    done = subprocess.run(
        [*command, "--stdin-filename", str(root / name), "-"],
        cwd=root, input=text.encode(), capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.decode()


def fix_rule_action(actions: list[t.CodeAction], rule: str) -> t.CodeAction:
    (action,) = [a for a in actions if a.title.startswith(f"Fix all {rule} ")]
    return action


async def resolved(e: Editor, action: t.CodeAction) -> t.CodeAction:
    return await e.client.code_action_resolve_async(action)


@pytest.mark.parametrize("preset", CLIENTS)
async def test_fix_all_of_a_rule_applies_its_fixes_and_no_other_rules(
    editor: Session, tmp_path: Path, preset: str
) -> None:
    async with editor(preset) as e:
        uri = await e.open("unused.py", UNUSED)
        menu = await e.code_actions(uri, 1)  # the line of `import os`
        action = fix_rule_action(menu, "F401")
        assert action.title == "Fix all F401 in this file"  # no badge, no unsafe fixes
        assert action.kind == t.CodeActionKind.QuickFix and not action.is_preferred
        assert [d.code for d in action.diagnostics or ()] == ["F401"]
        assert menu.index(action) > max(i for i, a in enumerate(menu) if is_fix(a))
        assert action.edit is None and action.data  # computed when chosen
        chosen = await resolved(e, action)
        assert chosen.edit is not None
        fixed = e.apply(uri, chosen.edit)  # for this version (an editor checks it)
        assert fixed == ruff_fixed(e.root, "unused.py", UNUSED, "F401")
        assert 'open(path, "r")' in fixed  # UP015, trusted, is another rule: untouched
        await e.change(uri, fixed)
        assert {d.code for d in await e.diagnostics(uri)} == {"UP015"}
    rows = json.loads(data(tmp_path, "export"))
    assert (
        sorted((r["rule"], r["outcome"], r["detected"]) for r in rows)
        == [("F401", "accepted", "command")] * 3
    )


async def test_a_rule_with_one_fix_has_no_fix_all_of_it(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("unused.py", UNUSED)
        menu = await e.code_actions(uri)
        assert "UP015" in {rule_of(a) for a in menu if is_fix(a)}
        assert not [a for a in menu if a.title.startswith("Fix all UP015")]
        assert len([a for a in menu if a.title.startswith("Fix all ")]) == 1  # F401's


async def test_unsafe_fixes_are_named_and_overlapping_ones_take_more_rounds(
    editor: Session,
) -> None:
    async with editor("emacs") as e:  # no resolve: a command applies the edit
        uri = await e.open("nested.py", NESTED)
        action = fix_rule_action(await e.code_actions(uri, 0), "C408")
        assert action.title == "Fix all C408 in this file (unsafe fixes included)"
        assert action.edit is None and action.command is not None
        assert action.command.command == "surefix.fixAllOfRule"
        result = await e.execute(action.command.command, *(action.command.arguments or ()))
        assert result["applied"] == 4 and result["rounds"] >= 2 and result["dropped"] == 0
        (applied,) = e.applied_edits
        fixed = e.apply(uri, applied.edit)
        assert fixed == ruff_fixed(e.root, "nested.py", NESTED, "C408", "--unsafe-fixes")
        assert fixed.count('"%s" %') == 2  # UP031, unsafe too, is another rule


async def test_an_old_version_gets_no_edit(editor: Session) -> None:
    async with editor("visual_studio_code") as e:
        uri = await e.open("unused.py", UNUSED)
        action = fix_rule_action(await e.code_actions(uri, 1), "F401")
        await e.change(uri, UNUSED + "\nX = 1\n")
        assert (await resolved(e, action)).edit is None
    async with editor("emacs") as e:
        uri = await e.open("unused.py", UNUSED)
        action = fix_rule_action(await e.code_actions(uri, 1), "F401")
        assert action.command is not None
        await e.change(uri, UNUSED + "\nX = 1\n")
        result = await e.execute(action.command.command, *(action.command.arguments or ()))
        assert result == {"applied": 0, "reason": "stale version"}
        assert e.applied_edits == []


async def test_crlf_text_keeps_its_line_breaks(editor: Session) -> None:
    text = UNUSED.replace("\n", "\r\n")
    async with editor() as e:
        uri = await e.open("crlf.py", text)
        chosen = await resolved(e, fix_rule_action(await e.code_actions(uri, 1), "F401"))
        assert chosen.edit is not None
        fixed = e.apply(uri, chosen.edit)
        assert fixed == ruff_fixed(e.root, "crlf.py", text, "F401")
        assert fixed.count("\r\n") == fixed.count("\n") > 0


async def test_a_bad_command_argument_is_refused_by_name(editor: Session) -> None:
    async with editor("emacs") as e:
        await e.open("unused.py", UNUSED)
        with pytest.raises(JsonRpcInvalidParams, match=re.escape("expected {uri, version, rule}")):
            await e.execute("surefix.fixAllOfRule", {"uri": "file:///x.py", "rule": "os.remove"})
