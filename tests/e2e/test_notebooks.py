"""Jupyter notebooks through LSP 3.17 notebook sync: the cells are linted together, as Ruff lints
the `.ipynb`, and everything lands back in the cell it belongs to, at that cell's version.

Every notebook is also written to disk, so each story is checked against Ruff itself: `ruff
check` on the file for where diagnostics go, `ruff check --fix` for what a fix makes of it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsp_reference import apply_text_edits, client_units
from lsprotocol import types as t

from .conftest import (
    CODE_CELL,
    MARKDOWN_CELL,
    WAIT,
    Editor,
    Notebook,
    Session,
    band_of,
    is_fix,
    read_notebook,
    rule_of,
    stats_of,
)
from .samples import broad_ruff_config

RUFF = str(Path(sys.executable).parent / "ruff")
FIX_ALL = "source.fixAll.surefix"


@pytest.fixture(autouse=True)
def _chosen_rules(tmp_path: Path) -> None:
    broad_ruff_config(tmp_path / "project")  # the editor's workspace folder


# Imports in one cell, used in later ones; a markdown cell between (VS Code syncs only the
# Python cells); a line with a character of two UTF-16 units before a violation on it.
CELLS = [
    (CODE_CELL, "import sys\nimport os\nfrom typing import List\n"),
    (MARKDOWN_CELL, "# Loading\n\nSome words, `import json` among them.\n"),
    (CODE_CELL, 'def load(paths: List[str]) -> None:\n    print("🙂", paths, sys.argv)   \n'),
    (CODE_CELL, "import json\nload([])\nif load == None:\n    pass"),
]


def ruff_check(path: Path) -> list[dict[str, Any]]:
    """`ruff check --output-format json` on the notebook file, from the project's root."""
    out = subprocess.run(
        [RUFF, "check", "--no-cache", "--output-format", "json", "--exit-zero", str(path)],
        capture_output=True, text=True, cwd=path.parent, timeout=60, check=True,
    )  # fmt: skip
    return list(json.loads(out.stdout))


def ruff_fix(path: Path, rule: str, into: Path) -> list[str]:
    """The notebook's cells after `ruff check --fix --select RULE` on a copy of the file."""
    shutil.copy(path, into)
    subprocess.run(
        [RUFF, "check", "--no-cache", "--fix", "--unsafe-fixes", "--exit-zero", "--quiet",
         "--select", rule, str(into)],
        capture_output=True, cwd=path.parent, timeout=60, check=True,
    )  # fmt: skip
    return read_notebook(into)


def where(e: Editor, nb: Notebook, found: dict[str, Any]) -> tuple[str, str, int, int, int, int]:
    """Ruff's finding as the editor should show it: the cell's URI, the rule and the range in
    the client's units (Ruff counts cells from 1 and rows and columns from 1)."""
    uri = nb.uris[found["cell"] - 1]
    text = e.texts[uri].split("\n")

    def unit(loc: dict[str, int]) -> tuple[int, int]:
        line = loc["row"] - 1
        return line, client_units(text[line], loc["column"] - 1, e.encoding)

    (sl, sc), (el, ec) = unit(found["location"]), unit(found["end_location"])
    return uri, found["code"], sl, sc, el, ec


def shown(published: dict[str, list[t.Diagnostic]]) -> set[tuple[str, str, int, int, int, int]]:
    return {
        (uri, str(d.code), d.range.start.line, d.range.start.character, d.range.end.line,
         d.range.end.character)
        for uri, diagnostics in published.items()
        for d in diagnostics
    }  # fmt: skip


async def test_notebook_sync_is_advertised_only_to_a_client_that_has_it(editor: Session) -> None:
    async with editor("visual_studio_code") as e:
        sync = e.result.capabilities.notebook_document_sync
        assert isinstance(sync, t.NotebookDocumentSyncOptions) and sync.save is True
        (selector,) = sync.notebook_selector
        assert selector.notebook == "jupyter-notebook"
        assert [c.language for c in selector.cells or ()] == ["python"]
    async with editor("neovim") as e:  # Neovim has no notebooks: it is not offered them
        assert e.result.capabilities.notebook_document_sync is None


async def test_diagnostics_land_in_their_cells_where_ruff_puts_them(editor: Session) -> None:
    async with editor() as e:
        nb = await e.open_notebook("analysis.ipynb", CELLS)
        published = await e.notebook_diagnostics(nb)
        expected = {where(e, nb, f) for f in ruff_check(nb.path)}
        assert {rule for _, rule, *_ in expected} >= {"F401", "I001", "UP006", "W291", "E711"}
        assert shown(published) == expected
        assert nb.uris[1] not in e.client.diagnostics  # the markdown cell is never linted
        w291 = next(d for d in published[nb.uris[2]] if d.code == "W291")
        assert w291.range.start.character == len('    print("🙂", paths, sys.argv)') + 1  # UTF-16
        for uri in nb.synced:  # each cell's list is for that cell's version
            assert e.client.published_versions[uri] == e.versions[uri]  # type: ignore[attr-defined]


# Each fixable rule once, so `ruff check --fix --select RULE` makes exactly the one fix.
ONE_OF_EACH = [
    (CODE_CELL, "import sys\nimport os\n"),  # I001, F401
    (
        CODE_CELL,
        "from typing import List\n\n\ndef f(x: List[int]) -> None:\n"  # UP006
        "    if x == None:\n        print(sys.argv)\n",  # E711
    ),
]


def applied(e: Editor, nb: Notebook, edit: t.WorkspaceEdit) -> list[str]:
    """Every cell's text after `edit`, as an editor would apply it (versions checked), without
    sending it to the server."""
    texts = {u: e.texts[u] for u in nb.uris}
    for change in edit.document_changes or ():
        assert isinstance(change, t.TextDocumentEdit)
        uri = change.text_document.uri
        assert change.text_document.version == e.versions[uri], "edit for another version"
        texts[uri] = apply_text_edits(texts[uri], change.edits, e.encoding)
    return [texts[u] for u in nb.uris]


async def test_each_quick_fix_in_a_cell_makes_what_ruff_fix_makes(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        nb = await e.open_notebook("fixes.ipynb", ONE_OF_EACH)
        offered = [a for u in nb.synced for a in await e.code_actions(u) if is_fix(a)]
        assert {rule_of(a) for a in offered} == {"I001", "F401", "UP006", "E711"}
        for action in offered:
            assert action.edit is not None
            (change,) = action.edit.document_changes or ()  # one cell, at its version
            assert isinstance(change, t.TextDocumentEdit) and change.text_document.version == 1
            assert applied(e, nb, action.edit) == ruff_fix(
                nb.path, rule_of(action), tmp_path / "ruff.ipynb"
            ), action.title
        noqa = next(a for a in await e.code_actions(nb.uris[0], 1) if "# noqa: F401" in a.title)
        assert noqa.edit is not None
        assert applied(e, nb, noqa.edit)[0] == "import sys\nimport os  # noqa: F401\n"


async def test_a_fix_that_spans_cells_is_one_edit_versioned_per_cell(
    editor: Session, tmp_path: Path
) -> None:
    """UP017 rewrites `timezone.utc` in one cell and extends the import two cells up: one
    workspace edit, a `TextDocumentEdit` for each cell at that cell's own version."""
    config = tmp_path / "project" / "ruff.toml"
    config.write_text('target-version = "py311"\n' + config.read_text())
    cells = [
        (CODE_CELL, "from datetime import timezone\n"),
        (MARKDOWN_CELL, "The time, in UTC:"),
        (CODE_CELL, "x = 1"),
        (CODE_CELL, "print(timezone.utc, x)"),
    ]
    async with editor() as e:
        nb = await e.open_notebook("utc.ipynb", cells)
        await e.edit_cell(nb, nb.uris[2], "x = 2")  # that cell is at version 2 now
        (fix,) = [a for a in await e.code_actions(nb.uris[3]) if is_fix(a)]
        assert rule_of(fix) == "UP017" and fix.edit is not None
        changes = fix.edit.document_changes or ()
        assert [(c.text_document.uri, c.text_document.version) for c in changes] == [  # type: ignore[union-attr]
            (nb.uris[0], 1),
            (nb.uris[3], 1),
        ]
        expected = ruff_fix(nb.path, "UP017", tmp_path / "ruff.ipynb")
        expected[2] = "x = 2"
        await e.apply_to_notebook(nb, fix.edit)  # one didChange per cell, as VS Code sends them
        assert [text for _, text in e.cells_of(nb)] == expected
        assert not any(
            d.code == "UP017" for ds in (await e.notebook_diagnostics(nb)).values() for d in ds
        )


async def test_an_unused_import_that_ends_a_cell_goes_with_its_line_break(
    editor: Session, tmp_path: Path
) -> None:
    """Ruff's fix deletes the cell's last line up to the next cell's start; `--fix` turns that
    into deleting the line break before it, and so does the edit, which touches no other cell."""
    cells = [(CODE_CELL, "x = 1\nimport os"), (CODE_CELL, "print(x)")]
    async with editor() as e:
        nb = await e.open_notebook("tail.ipynb", cells)
        (fix,) = [a for a in await e.code_actions(nb.uris[0], 1) if is_fix(a)]
        assert fix.edit is not None
        (change,) = fix.edit.document_changes or ()
        assert isinstance(change, t.TextDocumentEdit) and change.text_document.uri == nb.uris[0]
        assert applied(e, nb, fix.edit) == ruff_fix(nb.path, "F401", tmp_path / "ruff.ipynb")
        assert applied(e, nb, fix.edit) == ["x = 1", "print(x)"]


async def test_cells_added_moved_and_removed_keep_every_diagnostic_in_place(
    editor: Session,
) -> None:
    cells = [
        (CODE_CELL, "import os\nimport sys\n"),
        (CODE_CELL, "print(sys.argv)\n"),
        (CODE_CELL, "x = 1   \n"),
    ]
    async with editor() as e:
        nb = await e.open_notebook("moves.ipynb", cells)
        a, b, c = nb.synced

        async def as_ruff_sees_it() -> None:
            published = await e.notebook_diagnostics(nb)
            assert shown(published) == {where(e, nb, f) for f in ruff_check(nb.path)}

        await e.reshape(nb, [c, a, b])  # a move: no cell opened or closed, texts kept
        await as_ruff_sees_it()
        await e.reshape(nb, [c, a, (CODE_CELL, "import os\nos.getcwd()\n"), b])  # a new cell
        await as_ruff_sees_it()
        assert any(d.code == "F811" for d in e.client.diagnostics[nb.synced[2]])
        await e.reshape(nb, [c, nb.synced[2], b])  # the first import cell deleted
        await as_ruff_sees_it()
        assert list(e.client.diagnostics[a]) == []  # what it showed is cleared
        await e.edit_cell(nb, b, "print(sys.argv, os.sep)\n")  # typing after all of that
        await as_ruff_sees_it()
        assert any(d.code == "F821" for d in e.client.diagnostics[b])  # `sys` is gone now


async def test_an_edit_made_for_an_older_cell_version_is_not_served(
    editor: Session, tmp_path: Path
) -> None:
    cells = [(CODE_CELL, "import os\n"), (CODE_CELL, "import sys\nprint(sys.argv)\n")]
    async with editor() as e:
        nb = await e.open_notebook("stale.ipynb", cells)
        first = nb.synced[0]
        (old,) = [a for a in await e.code_actions(first, 0) if is_fix(a)]
        lazy = next(a for a in await e.code_actions(first) if a.kind == FIX_ALL)
        assert old.edit is not None and isinstance(lazy.data, dict)
        await e.edit_cell(
            nb,
            first,
            [
                t.TextDocumentContentChangePartial(
                    range=t.Range(
                        start=t.Position(line=0, character=0), end=t.Position(line=0, character=0)
                    ),
                    text="x = 1\n",
                )
            ],
        )
        with pytest.raises(AssertionError, match="edit for another version"):
            await e.apply_to_notebook(nb, old.edit)  # an editor refuses it, as VS Code does
        resolved = await e.client.code_action_resolve_async(lazy)
        assert resolved.edit is None  # the text moved on: no edit rather than a wrong one
        stale = {"uri": nb.uri, "version": lazy.data["version"]}
        answer = await e.execute("surefix.applyTrustedFixes", stale)
        assert answer == {"applied": 0, "reason": "stale version"}
        (new,) = [a for a in await e.code_actions(first, 1) if is_fix(a)]
        assert new.edit is not None
        (change,) = new.edit.document_changes or ()
        assert isinstance(change, t.TextDocumentEdit) and change.text_document.version == 2
        assert applied(e, nb, new.edit)[0] == "x = 1\n"


NOTEBOOK_MESSY = [
    (CODE_CELL, "import os\nimport sys\nfrom typing import List, Optional\n"),
    (
        CODE_CELL,
        "def load(path: Optional[str] = None) -> List[str]:\n"
        '    with open(path, "r") as fh:\n'
        "        lines = [line for line in fh]\n"
        "    if len(lines) == 0:\n"
        "        return list([])\n"
        '    print("loaded %s lines" % len(lines))\n'
        "    return lines\n",
    ),
    (CODE_CELL, "load()"),
]


def bands(actions: list[t.CodeAction]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in actions:
        if is_fix(a):
            out.setdefault(band_of(a), set()).add(rule_of(a))
    return out


async def notebook_bands(e: Editor, nb: Notebook) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for uri in nb.synced:
        for band, rules in bands(await e.code_actions(uri)).items():
            out.setdefault(band, set()).update(rules)
    return out


async def test_fix_all_on_a_cell_fixes_the_whole_notebook_to_a_fixed_point(
    editor: Session,
) -> None:
    async with editor() as e:
        nb = await e.open_notebook("messy.ipynb", NOTEBOOK_MESSY)
        before = await notebook_bands(e, nb)
        assert before["auto-apply"] >= {"F401"}
        (action,) = await e.code_actions(
            nb.synced[2],
            only=[t.CodeActionKind.SourceFixAll],
            trigger=t.CodeActionTriggerKind.Automatic,
        )
        assert action.kind == FIX_ALL and action.edit is not None
        changes = action.edit.document_changes or ()
        assert len(changes) >= 2  # the imports' cell and the function's
        for change in changes:
            assert isinstance(change, t.TextDocumentEdit)
            assert change.text_document.version == e.versions[change.text_document.uri]
        await e.apply_to_notebook(nb, action.edit)
        after = await notebook_bands(e, nb)
        assert "auto-apply" not in after  # nothing trusted is left behind
        gone = set().union(*before.values()) - set().union(*after.values())
        assert gone and gone <= before["auto-apply"]  # and only trusted fixes were made
        for _, text in e.cells_of(nb):
            compile(text, "cell", "exec")


async def test_apply_trusted_fixes_given_the_notebook_records_them_once_applied(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        nb = await e.open_notebook("messy.ipynb", NOTEBOOK_MESSY)
        answer = await e.execute("surefix.applyTrustedFixes", nb.uri)
        assert answer["applied"] >= 2
        (request,) = e.applied_edits
        await e.apply_to_notebook(nb, request.edit)  # the editor's own didChange per cell
        assert not any(
            d.code == "F401" for ds in (await e.notebook_diagnostics(nb)).values() for d in ds
        )
        again = await e.execute("surefix.applyTrustedFixes", {"uri": nb.synced[0]})
        assert again["applied"] == 0  # converged: a second run finds nothing trusted
    outcomes = await stats_of(tmp_path)
    assert outcomes["accepted"] == answer["applied"]  # by the autopilot, once the cells hold it


async def fix_all_edit(e: Editor, uri: str) -> t.WorkspaceEdit | None:
    found = await e.code_actions(uri, only=[FIX_ALL])
    return found[0].edit if found else None


async def test_a_fix_all_arriving_one_cell_at_a_time_is_not_taken_for_typing(
    editor: Session,
) -> None:
    """VS Code applies a fix-all that changes two cells as two `didChange`s. The first leaves
    the notebook half-way to the run's text; its lines are still the autopilot's, not the
    user's, so a later fix-all may touch them."""
    cells = [(CODE_CELL, "from os import path, sep\n"), (CODE_CELL, "import sys\nprint(path)\n")]
    async with editor() as e:
        nb = await e.open_notebook("halfway.ipynb", cells)
        first = await fix_all_edit(e, nb.synced[1])
        assert first is not None and len(first.document_changes or ()) == 2
        await e.apply_to_notebook(nb, first)
        assert e.texts[nb.synced[0]] == "from os import path\n"
        assert "import sys" not in e.texts[nb.synced[1]]
        await e.edit_cell(nb, nb.synced[1], "print(1)\n")  # typed: `path` is unused now
        second = await fix_all_edit(e, nb.synced[1])
        assert second is not None
        assert applied(e, nb, second) == ["", "print(1)\n"]  # the untyped import goes


async def test_hover_in_a_cell_explains_the_fix_under_the_cursor(editor: Session) -> None:
    async with editor() as e:
        nb = await e.open_notebook("hover.ipynb", ONE_OF_EACH)
        cell = nb.synced[1]
        (e711,) = [d for d in e.client.diagnostics[cell] if d.code == "E711"]
        found = await e.hover(cell, e711.range.start.line, e711.range.start.character + 1)
        assert found is not None and isinstance(found.contents, t.MarkupContent)
        assert "E711" in found.contents.value
        assert found.range == e711.range  # in that cell's own lines
        assert await e.hover(cell, 0, 3) is None  # UP035 there, which Ruff cannot fix
        other = await e.hover(nb.synced[0], 1, 8)  # `os`, in the first cell
        assert other is not None and isinstance(other.contents, t.MarkupContent)
        assert "F401" in other.contents.value and "E711" not in other.contents.value


async def test_undoing_a_fix_in_a_cell_turns_it_into_undone(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        nb = await e.open_notebook("undo.ipynb", ONE_OF_EACH)
        cell = nb.synced[0]
        fix = next(a for a in await e.code_actions(cell, 1) if is_fix(a) and rule_of(a) == "F401")
        assert fix.edit is not None and fix.command is not None
        before = e.texts[cell]
        await e.apply_to_notebook(nb, fix.edit)
        answer = await e.execute(fix.command.command, *(fix.command.arguments or ()))
        assert answer == {"recorded": True}
        await e.edit_cell(nb, cell, before)  # the editor's undo: the cell as it was
    outcomes = await stats_of(tmp_path)
    assert outcomes["undone"] == 1 and outcomes["accepted"] == 0


async def test_a_save_lints_at_once_and_a_close_clears_every_cell(editor: Session) -> None:
    async with editor(config={"debounceMs": 10_000}) as e:
        nb = await e.open_notebook("save.ipynb", ONE_OF_EACH)
        cell = nb.synced[0]
        await e.edit_cell(nb, cell, "import os\n", wait=False)  # linted only after 10 s ...
        before = {u: e.client.publishes.get(u, 0) for u in nb.synced}  # type: ignore[attr-defined]
        e.save_notebook(nb)  # ... or at once on save
        saved = time.monotonic()
        published = await e.notebook_diagnostics(nb, before)
        assert time.monotonic() - saved < 8  # well before the debounce would have run it
        assert shown(published) == {where(e, nb, f) for f in ruff_check(nb.path)}
        before = {u: e.client.publishes.get(u, 0) for u in nb.synced}  # type: ignore[attr-defined]
        e.close_notebook(nb)

        async def cleared() -> None:
            while not all(
                e.client.publishes.get(u, 0) > before[u] and not e.client.diagnostics[u]  # type: ignore[attr-defined]
                for u in nb.synced
            ):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(cleared(), WAIT)


async def test_a_cell_is_neither_formatted_nor_given_organized_imports(editor: Session) -> None:
    """Both work on a file's whole text; in a notebook they would make edits across cells, so
    a cell gets none of either rather than edits that might land in the wrong one."""
    async with editor() as e:
        nb = await e.open_notebook("unsorted.ipynb", CELLS)
        await e.notebook_diagnostics(nb)
        cell = nb.uris[0]  # `import sys` / `import os`: unsorted, I001 in this cell
        assert any(d.code == "I001" for d in e.client.diagnostics[cell])
        organize = await e.code_actions(cell, only=["source.organizeImports"])
        assert organize == []
        formatted = await e.client.text_document_formatting_async(
            t.DocumentFormattingParams(
                text_document=t.TextDocumentIdentifier(uri=cell),
                options=t.FormattingOptions(tab_size=4, insert_spaces=True),
            )
        )
        assert not formatted
        quick = await e.code_actions(cell, 0)
        assert any(a.title.startswith(("✓", "?", "✗")) or "I001" in a.title for a in quick)
