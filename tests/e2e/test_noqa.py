"""Silencing a rule on one line: a `# noqa` action for every diagnostic, merged correctly."""

from __future__ import annotations

import pytest
from lsprotocol import types as t

from .conftest import Session


def noqa(actions: list[t.CodeAction], rule: str) -> t.CodeAction:
    return next(a for a in actions if a.title == f"Ignore {rule} on this line (# noqa: {rule})")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("import os", "import os  # noqa: F401"),
        ("import os  # keep", "import os  # keep  # noqa: F401"),
        ("import os  # noqa: E501", "import os  # noqa: E501, F401"),
        ("import os  # noqa:E501,W291 - long", "import os  # noqa: E501, W291, F401 - long"),
    ],
)
async def test_noqa_is_added_or_merged_and_silences_the_rule(
    editor: Session, line: str, expected: str
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", f"{line}\n")
        action = noqa(await e.code_actions(uri, 0), "F401")
        assert action.kind == t.CodeActionKind.QuickFix and not action.is_preferred
        assert action.edit is not None
        fixed = e.apply(uri, action.edit)
        assert fixed == f"{expected}\n"
        await e.change(uri, fixed)
        assert "F401" not in {d.code for d in await e.diagnostics(uri)}


async def test_each_rule_on_a_line_gets_one_noqa_action(editor: Session) -> None:
    async with editor(config={"select": ["F401", "E702"]}) as e:
        uri = await e.open("m.py", "import os; import sys\n")
        codes = {d.code for d in await e.diagnostics(uri)}
        assert {"F401", "E702"} <= codes  # and Ruff's own defaults (I001 here)
        titles = [a.title for a in await e.code_actions(uri, 0)]
        assert sum("# noqa: F401" in title for title in titles) == 1  # one per rule and line
        assert any("# noqa: E702" in title for title in titles)  # unfixable rules too


async def test_noqa_for_a_multiline_string_goes_where_ruff_reads_it(editor: Session) -> None:
    text = 'x = """\n\tindented with a tab \n"""\n'
    async with editor(config={"select": ["W291"]}) as e:
        uri = await e.open("m.py", text)
        assert [d.code for d in await e.diagnostics(uri)] == ["W291"]
        action = noqa(await e.code_actions(uri), "W291")
        assert action.edit is not None
        fixed = e.apply(uri, action.edit)
        await e.change(uri, fixed)
        assert await e.diagnostics(uri) == []
