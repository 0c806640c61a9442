"""The autopilot never surprises: it runs Ruff as the project does, applies only the rules the
project chose, learns from every fix it applies, and leaves alone what the user just typed or
undid — on projects the tests build the way real ones are laid out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lsprotocol import types as t

from .conftest import Editor, Session, band_of, data, is_fix, percent_of, rule_of, stats_of

FIX_ALL = "source.fixAll.surefix"
RUFF = str(Path(sys.executable).parent / "ruff")

FLAKE8_BLACK = {  # no Ruff configuration: flake8, black and isort, as jazzband/pip-tools
    "pyproject.toml": '[project]\nname = "pkg"\nrequires-python = ">=3.9"\n\n'
    '[tool.black]\nline-length = 100\n\n[tool.isort]\nprofile = "black"\n',
    ".flake8": "[flake8]\nmax-line-length = 100\nextend-ignore = E203\n",
    "pkg/__init__.py": "VALUE = 1\n",
}
TEST_FILE = (
    "import os\n"
    "\n"
    "from pkg import VALUE\n"
    "\n"
    "\n"
    "def test_value():\n"
    '    assert 1 == VALUE, "the value " "is one"\n'
    '    text = "a very long line that flake8 would report as too long, and the team said no"  # noqa: E501\n'  # noqa: E501
    "    assert text\n"
)


def build(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


async def fix_all(e: Editor, uri: str) -> str | None:
    """What fix-on-save does: ask for the fix-all action explicitly, apply its edit, return the
    new text (None when nothing was offered, or the action is disabled: nothing to apply)."""
    found = await e.code_actions(uri, only=[FIX_ALL])
    if not found or found[0].disabled is not None:
        return None
    (action,) = found
    assert action.edit is not None
    fixed = e.apply(uri, action.edit)
    await e.change(uri, fixed)
    return fixed


def fixes(actions: list[t.CodeAction]) -> dict[str, t.CodeAction]:
    return {rule_of(a): a for a in actions if is_fix(a)}


async def test_a_flake8_black_project_gets_only_the_rules_it_chose(editor: Session) -> None:
    async with editor() as e:
        build(e.root, FLAKE8_BLACK)
        uri = await e.open("tests/test_value.py", TEST_FILE)
        offered = fixes(await e.code_actions(uri))
        assert {"F401", "SIM300", "ISC001"} <= set(offered)
        assert band_of(offered["F401"]) == "auto-apply"
        assert band_of(offered["SIM300"]) != "auto-apply"  # offered, never automatic
        assert "not automatic: this project does not select SIM300" in offered["SIM300"].title
        assert "formats with black" in offered["ISC001"].title
        hover = await e.hover(uri, 6, 12)
        fixed = await fix_all(e, uri)
    assert fixed == TEST_FILE.replace("import os\n", "", 1)  # F401, and nothing else
    assert "# noqa: E501" in fixed
    assert hover is not None
    assert "this project does not select SIM300" in hover.contents.value  # type: ignore[union-attr]


async def test_tests_importing_a_src_package_see_it_as_first_party(editor: Session) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n\n[tool.ruff.lint]\nselect = ["I", "F"]\n',
        "src/pkg/__init__.py": "VALUE = 1\n",
    }
    text = "import os\n\nimport pytest\n\nfrom pkg import VALUE\n\nprint(os, pytest, VALUE)\n"
    async with editor() as e:
        build(e.root, files)
        uri = await e.open("tests/test_value.py", text)
        codes = [d.code for d in await e.diagnostics(uri)]
    assert codes == ruff_from_root(e.root, "tests/test_value.py", text) == []


async def test_a_flat_layout_and_a_nested_project_each_lint_from_their_own_root(
    editor: Session,
) -> None:
    files = {
        "pyproject.toml": '[tool.ruff.lint]\nselect = ["I"]\n',
        "pkg/__init__.py": "",
        "tools/inner/pyproject.toml": '[tool.ruff.lint]\nselect = ["I"]\n',
        "tools/inner/helper/__init__.py": "",
    }
    flat = "import os\n\nimport pytest\n\nfrom pkg import x\n\nprint(os, pytest, x)\n"
    inner = "import os\n\nfrom helper import y\nfrom pkg import x\n\nprint(os, x, y)\n"
    async with editor() as e:
        build(e.root, files)
        flat_uri = await e.open("tests/test_flat.py", flat)
        inner_uri = await e.open("tools/inner/tests/test_inner.py", inner)
        flat_codes = [d.code for d in await e.diagnostics(flat_uri)]
        inner_codes = [d.code for d in await e.diagnostics(inner_uri)]
    assert flat_codes == ruff_from_root(e.root, "tests/test_flat.py", flat) == []
    inner_root = e.root / "tools/inner"
    expected = ruff_from_root(inner_root, "tests/test_inner.py", inner)
    assert inner_codes == expected == ["I001"]  # `pkg` is third-party to the inner project


async def test_a_file_outside_any_project_is_linted_from_its_folder(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("scratch/loose.py", "import os\n")
        codes = [d.code for d in await e.diagnostics(uri)]
    assert codes == ["F401"]


def ruff_from_root(root: Path, name: str, text: str) -> list[str]:
    """`ruff check` as the project runs it: from its root, with its configuration."""
    out = subprocess.run(
        [RUFF, "check", "--output-format", "json", "--no-cache", "--exit-zero",
         "--stdin-filename", name, "-"],
        input=text, capture_output=True, text=True, cwd=root, check=True,
    )  # fmt: skip
    return [d["code"] for d in json.loads(out.stdout)]


async def test_a_ruff_project_selecting_sim_gets_sim_fixes_applied(editor: Session) -> None:
    text = 'def f(x):\n    return "a" == x\n'
    async with editor() as e:
        build(e.root, {"ruff.toml": '[lint]\nselect = ["SIM"]\n'})
        uri = await e.open("m.py", text)
        offered = fixes(await e.code_actions(uri))
        assert band_of(offered["SIM300"]) == "auto-apply"
        fixed = await fix_all(e, uri)
    assert fixed == 'def f(x):\n    return x == "a"\n'


async def test_fixes_applied_by_fix_all_are_recorded_as_accepted(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", "import os\nimport sys\n\nx = 1\n")
        assert await fix_all(e, uri) == "\nx = 1\n"
    assert (await stats_of(tmp_path))["accepted"] == 2
    rows = json.loads(data(tmp_path, "export"))
    assert [(r["rule"], r["detected"]) for r in rows] == [("F401", "fix-all"), ("F401", "fix-all")]


async def test_a_fix_all_edit_the_editor_never_applied_is_not_recorded(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", "import os\n\nx = 1\n")
        assert len(await e.code_actions(uri, only=[FIX_ALL])) == 1  # computed, never applied
        await e.change(uri, "import os\n\nx = 2\n")  # the user typed on instead
    assert not (tmp_path / "data").exists() or sum((await stats_of(tmp_path)).values()) == 0


async def test_an_undone_fix_stays_undone_and_two_undos_demote_the_rule(
    editor: Session, tmp_path: Path
) -> None:
    first = "import os\n\nx = 1\n"
    # only the undos hold fixes back: not typing, and not the score each undo lowers
    async with editor(config={"recentEditWindow": 0, "autoThreshold": 0.2}) as e:
        uri = await e.open("m.py", first)
        assert await fix_all(e, uri) == "\nx = 1\n"
        await e.change(uri, first)  # the editor's undo
        assert await fix_all(e, uri) is None  # not again, at that spot
        e.client.text_document_did_close(  # nor once the file is closed and opened again
            t.DidCloseTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=uri))
        )
        await e.open_uri(uri, first)
        assert await fix_all(e, uri) is None
        fix = fixes(await e.code_actions(uri))["F401"]
        assert band_of(fix) == "auto-apply"  # one undo does not demote the rule
        second = "import os\nimport sys\n\nx = 1\n"
        await e.change(uri, second)
        assert await fix_all(e, uri) == "import os\n\nx = 1\n"  # sys goes, os stays
        await e.change(uri, second)  # undone again: the second undo of F401
        demoted = fixes(await e.code_actions(uri, 1))["F401"]
        assert band_of(demoted) == "review-suggested"
        assert "not automatic: you undid F401 fixes 2 times" in demoted.title
        hover = await e.hover(uri, 1, 8)
        assert hover is not None and "Trust F401 again" in hover.contents.value  # type: ignore[union-attr]
        trust = next(a for a in await e.code_actions(uri, 1) if a.title.startswith("Trust F401"))
        assert trust.command is not None
        assert await e.execute(trust.command.command, *(trust.command.arguments or ())) == {
            "trusted": True
        }
        again = fixes(await e.code_actions(uri, 1))["F401"]
        assert band_of(again) == "auto-apply" and "not automatic" not in again.title
    assert (await stats_of(tmp_path))["undone"] == 2


async def test_this_fix_is_wrong_moves_the_score_and_the_band_at_once(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", "import os\n\nx = 1\n")
        before = fixes(await e.code_actions(uri))["F401"]
        wrong = next(a for a in await e.code_actions(uri, 0) if "This fix is wrong" in a.title)
        assert wrong.command is not None
        await e.execute(wrong.command.command, *(wrong.command.arguments or ()))
        after = fixes(await e.code_actions(uri))["F401"]
        (held,) = await e.code_actions(uri, only=[FIX_ALL])
        assert held.disabled is not None
        assert "F401 (you said a F401 fix was wrong)" in held.disabled.reason
    assert percent_of(after) < percent_of(before)
    assert band_of(after) == "review-suggested" and "you said a F401 fix was wrong" in after.title


async def test_a_wrong_fix_can_be_left_automatic_by_a_setting(editor: Session) -> None:
    async with editor(config={"wrongFixDemotes": False}) as e:
        uri = await e.open("m.py", "import os\n\nx = 1\n")
        wrong = next(a for a in await e.code_actions(uri, 0) if "This fix is wrong" in a.title)
        assert wrong.command is not None
        await e.execute(wrong.command.command, *(wrong.command.arguments or ()))
        after = fixes(await e.code_actions(uri))["F401"]
    assert band_of(after) == "auto-apply"


async def test_an_import_just_typed_survives_a_save(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", "import sys\n\nx = 1\n")
        await e.change(uri, "import os\nimport sys\n\nx = 1\n")  # the user adds an import
        fixed = await fix_all(e, uri)
        left = fixes(await e.code_actions(uri))
    assert fixed == "import os\n\nx = 1\n"  # the old unused import went, the new one stayed
    assert set(left) == {"F401"}  # and is still a quick fix


async def test_the_cursor_on_a_line_gets_every_fix_of_its_diagnostics(editor: Session) -> None:
    text = "import os, sys\n"
    async with editor("neovim") as e:
        uri = await e.open("m.py", text)
        diagnostics = await e.diagnostics(uri)
        result = await e.client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(uri=uri),
                range=t.Range(start=t.Position(line=0, character=0), end=t.Position(0, 0)),
                context=t.CodeActionContext(diagnostics=diagnostics),
            )
        )
    titles = [a.title for a in result or () if isinstance(a, t.CodeAction)]
    assert sum("Ruff (F401): Remove unused import" in title for title in titles) == 1
    assert sum(title.startswith("This fix is wrong (F401)") for title in titles) == 1


async def test_a_bare_noqa_that_flake8_reads_is_never_removed_automatically(
    editor: Session,
) -> None:
    """Ruff sees nothing to silence under a bare `# noqa` where flake8 does (here F811, which
    Ruff does not report the same way): RUF100's fix stays a quick fix, with the reason."""
    async with editor() as e:
        build(e.root, {"setup.cfg": "[flake8]\nignore = E203\n"})
        text = "import os\n\n\ndef proxy_bypass(host):  # noqa\n    return host\n"
        uri = await e.open("m.py", text)
        found = fixes(await e.code_actions(uri))
        assert "RUF100" in found and band_of(found["RUF100"]) != "auto-apply"
        assert "a bare `# noqa`, which flake8 (setup.cfg) reads too" in found["RUF100"].title
        fixed = await fix_all(e, uri)
        assert fixed is None or "# noqa" in fixed


HELD = 'name = "world"\nprint("hello %s" % name)\n'  # UP031: Ruff's fix is unsafe, never automatic


async def test_fix_all_with_nothing_to_apply_says_which_fixes_it_holds_back(
    editor: Session,
) -> None:
    """An editor that shows disabled actions gets the action greyed out with why; the command
    says why it applied nothing; a fix-all the editor asked for on save stays quiet."""
    async with editor("visual_studio_code") as e:
        (e.root / "ruff.toml").write_text('[lint]\nselect = ["UP031"]\n')
        uri = await e.open("held.py", HELD)
        assert [a.title for a in await e.code_actions(uri) if is_fix(a)]  # offered one by one
        (action,) = await e.code_actions(uri, only=[FIX_ALL])
        reason = (
            "fix-all on held.py applied nothing: 1 fix held back: UP031 (Ruff marks the fix unsafe)"
        )
        assert action.edit is None and action.disabled is not None
        assert action.disabled.reason == reason
        result = await e.execute("surefix.applyTrustedFixes", uri)
        assert result["applied"] == 0 and result["reason"] == reason
        assert e.messages() == []  # the disabled action and the result say it: no popup


async def test_fix_all_invoked_in_neovim_tells_why_it_applied_nothing(editor: Session) -> None:
    """Neovim shows no disabled action: a fix-all on save is logged once per version, one
    invoked as a command is told to the user."""
    async with editor("neovim") as e:
        (e.root / "ruff.toml").write_text('[lint]\nselect = ["UP031"]\n')
        uri = await e.open("held.py", HELD)
        on_save = t.CodeActionTriggerKind.Automatic
        assert await e.code_actions(uri, only=[FIX_ALL], trigger=on_save) == []
        assert e.messages() == []
        invoked = t.CodeActionTriggerKind.Invoked
        assert await e.code_actions(uri, only=[FIX_ALL], trigger=invoked) == []
        (message,) = e.messages()
        assert message == (
            "surefix: fix-all on held.py applied nothing: 1 fix held back: "
            "UP031 (Ruff marks the fix unsafe)"
        )
        await e.change(uri, "x = 1\n")  # no fix at all
        assert await e.code_actions(uri, only=[FIX_ALL], trigger=invoked) == []
        assert e.messages()[-1] == (
            "surefix: fix-all on held.py has nothing to apply: Ruff offers no fix there"
        )


LADDER = """\
def place(specs, spec_, explicit_):
    for idx, (spec, explicit) in enumerate(specs):
        if spec == spec_:
            break
        elif not explicit and explicit_:
            return idx
        elif explicit == explicit_ and len(spec) < len(spec_):
            return idx
    return None
"""  # after Pylons/pyramid's config/views.py, where SIM114's fix made a 101-character line


async def test_a_fix_that_would_make_a_line_too_long_is_never_automatic(editor: Session) -> None:
    rules = '[lint]\nselect = ["SIM114", "E501"]\n'
    async with editor() as e:
        (e.root / "ruff.toml").write_text("line-length = 79\n" + rules)
        uri = await e.open("views.py", LADDER)
        sim = fixes(await e.code_actions(uri))["SIM114"]
        assert band_of(sim) == "review-suggested"
        assert "not automatic: it would make a line" in sim.title, sim.title
        assert "past this project's 79" in sim.title
        assert await fix_all(e, uri) is None  # nothing else to apply
        (e.root / "ruff.toml").write_text("line-length = 120\n" + rules)
        await e.change(uri, LADDER + "\n")
        assert "not automatic" not in fixes(await e.code_actions(uri))["SIM114"].title
