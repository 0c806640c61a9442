"""The quick-fix menu: every fix carries its trust, the list is ranked, and only fixes that are
trusted and safe are preferred."""

from __future__ import annotations

from math import floor
from pathlib import Path

import attrs
import pytest
from lsprotocol import types as t

from .conftest import PRESETS, Session, band_of, check_json, is_fix, percent_of, rule_of
from .samples import MESSY, UNUSED_IMPORT, broad_ruff_config


@pytest.fixture(autouse=True)
def _chosen_rules(tmp_path: Path) -> None:
    broad_ruff_config(tmp_path / "project")  # the editor's workspace folder


MARKS = {"auto-apply": "✓", "review-suggested": "?", "manual-only": "✗"}
THRESHOLDS = {"autoThreshold": 0.8, "reviewThreshold": 0.5}


def fixes(actions: list[t.CodeAction]) -> list[t.CodeAction]:
    return [a for a in actions if is_fix(a)]


@pytest.mark.parametrize("preset", PRESETS)
async def test_every_fix_is_badged_ranked_and_preferred_only_when_trusted_and_safe(
    editor: Session, preset: str
) -> None:
    async with editor(preset, init_options=THRESHOLDS) as e:
        uri = await e.open("messy.py", MESSY)
        offered = fixes(await e.code_actions(uri))
        assert len(offered) >= 6
        terminal = check_json(e.root / "messy.py")  # the same fixes, scored by the CLI
        assert [(rule_of(a), a.diagnostics[0].range.start.line + 1) for a in offered] == [  # type: ignore[index]
            (f["rule"], f["line"]) for f in terminal
        ]
        for action, facts in zip(offered, terminal, strict=True):
            expected_band = (
                "auto-apply"
                if facts["score"] >= 0.8 and facts["applicability"] == "safe"
                else "review-suggested"
                if facts["score"] >= 0.5
                else "manual-only"
            )
            assert band_of(action) == expected_band
            percent = min(99, max(1, floor(100 * facts["score"] + 1e-9)))
            assert action.title.startswith(f"{MARKS[expected_band]} {percent}% ")
            assert action.kind == t.CodeActionKind.QuickFix
            assert bool(action.is_preferred) == (expected_band == "auto-apply")
        assert {band_of(a) for a in offered} >= {"auto-apply", "review-suggested"}
        starts = [a.diagnostics[0].range.start for a in offered]  # type: ignore[index]
        ranks = [
            (-percent_of(a), rule_of(a), at.line, at.character)
            for a, at in zip(offered, starts, strict=True)
        ]
        assert ranks == sorted(ranks)  # equal badges: by rule, then line, then column


async def test_applying_a_fix_gives_the_fixed_text_at_the_version_it_was_made_for(
    editor: Session,
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        (fix,) = fixes(await e.code_actions(uri, 0))
        assert fix.title.endswith("Remove unused import: `os`")
        assert fix.edit is not None
        change = (fix.edit.document_changes or [None])[0]
        assert isinstance(change, t.TextDocumentEdit) and change.text_document.version == 1
        assert e.apply(uri, fix.edit) == "\nVALUE = 1\n"


async def test_taking_a_fix_records_it_and_nothing_else(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        (fix,) = fixes(await e.code_actions(uri, 0))
        assert fix.command is not None
        result = await e.execute(fix.command.command, *(fix.command.arguments or ()))
        assert result == {"recorded": True}
        assert e.messages() == []


async def test_a_range_only_gets_the_fixes_inside_it(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("messy.py", MESSY)
        on_line_7 = fixes(await e.code_actions(uri, 6))
        assert {rule_of(a) for a in on_line_7} == {"UP015"}


async def test_ascii_badges_on_request(editor: Session) -> None:
    async with editor(config={"badgeStyle": "ascii", **THRESHOLDS}) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        (fix,) = fixes(await e.code_actions(uri, 0))
        mark, percent = fix.title.split()[:2]
        assert mark in {"+", "?", "-"} and percent.endswith("%")


async def test_asking_for_quick_fixes_only_leaves_out_source_actions(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("messy.py", MESSY)
        kinds = {a.kind for a in await e.code_actions(uri, only=[t.CodeActionKind.QuickFix])}
        assert kinds == {t.CodeActionKind.QuickFix}


async def test_a_client_without_document_changes_gets_plain_changes(editor: Session) -> None:
    async with editor("minimal") as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        fix = next(a for a in await e.code_actions(uri, 0) if is_fix(a))
        assert fix.edit is not None and fix.edit.document_changes is None
        assert e.apply(uri, fix.edit) == "\nVALUE = 1\n"


async def test_a_cursor_with_its_lines_diagnostics_gets_every_fix_of_that_line(
    editor: Session,
) -> None:
    """Neovim asks with the cursor (an empty range) and the line's diagnostics as context; the
    diagnostics' `data` names their violations, so their fixes come back wherever the cursor is."""
    async with editor("neovim") as e:
        uri = await e.open("messy.py", MESSY)
        line = 5  # def load(path: Optional[str] = None) -> List[str]:
        on_line = [d for d in await e.diagnostics(uri) if d.range.start.line == line]
        assert {d.code for d in on_line} >= {"UP006"} and all(d.data for d in on_line)

        async def at_cursor(context: list[t.Diagnostic]) -> list[t.CodeAction]:
            cursor = t.Position(line=line, character=0)
            found = await e.client.text_document_code_action_async(
                t.CodeActionParams(
                    text_document=t.TextDocumentIdentifier(uri=uri),
                    range=t.Range(start=cursor, end=cursor),
                    context=t.CodeActionContext(diagnostics=context),
                )
            )
            return fixes([a for a in found or () if isinstance(a, t.CodeAction)])

        named = await at_cursor(on_line)
        assert sorted(rule_of(a) for a in named) == sorted(str(d.code) for d in on_line if d.data)
        assert await at_cursor([]) == []  # the cursor alone touches none of them
        stale = [attrs.evolve(d, data={"version": 99, "index": 0}) for d in on_line]
        assert await at_cursor(stale) == []  # diagnostics of another version name nothing


async def test_the_menu_names_a_lines_rules_in_one_order_from_fixes_to_noqa(
    editor: Session,
) -> None:
    """`# noqa` follows the fixes' order, not the columns: on one of these two lines the more
    trusted fix's diagnostic comes second."""
    text = "usage = '%(prog)s' % dict(prog='x')\nboth = [dict(a=1), '%s' % usage]\n"
    async with editor() as e:
        (e.root / "ruff.toml").write_text('[lint]\nselect = ["C408", "UP031"]\n')
        uri = await e.open("m.py", text)
        by_column = {0: ["UP031", "C408"], 1: ["C408", "UP031"]}
        differ = 0
        for line, columns in by_column.items():
            actions = await e.code_actions(uri, line=line)
            fixed = [rule_of(a) for a in actions if is_fix(a)]
            ignored = [a.title.split()[1] for a in actions if a.title.startswith("Ignore ")]
            assert sorted(fixed) == ["C408", "UP031"] and ignored == fixed, [
                a.title for a in actions
            ]
            differ += fixed != columns
        assert differ == 1
