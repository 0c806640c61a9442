"""What the user does with an offered fix lands in the local store — features, never code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import Editor, Session, is_fix
from .samples import UNUSED_IMPORT


def data(tmp_path: Path, *args: str) -> str:
    env = {**os.environ, "TRUSTFIX_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "trustfix.server.cli", "data", *args],
        capture_output=True, text=True, env=env, check=True, timeout=60,
    ).stdout  # fmt: skip


async def run_command_of(e: Editor, uri: str, pick: str) -> object:
    action = next(a for a in await e.code_actions(uri, 0) if pick in a.title)
    assert action.command is not None
    return await e.execute(action.command.command, *(action.command.arguments or ()))


async def test_an_accepted_fix_is_stored_without_source_text(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert any(is_fix(a) for a in await e.code_actions(uri, 0))
        assert await run_command_of(e, uri, "Remove unused import") == {"recorded": True}
    stats = json.loads(data(tmp_path, "stats", "--json"))
    assert stats["outcomes"]["accepted"] == 1 and stats["events"] == 1
    (row,) = json.loads(data(tmp_path, "export"))
    assert row["rule"] == "F401" and row["detected"] == "command" and 0 < row["score"] < 1
    assert row["band"] in {"auto-apply", "review-suggested", "manual-only"}
    assert len(row["project"]) == 16 and str(e.root) not in json.dumps(row)
    assert "import os" not in json.dumps(row) and json.loads(row["features"])["rule"] == "F401"


async def test_choosing_noqa_is_stored_as_suppressed(editor: Session, tmp_path: Path) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await run_command_of(e, uri, "# noqa: F401") == {"recorded": True}
    assert json.loads(data(tmp_path, "stats", "--json"))["outcomes"]["suppressed"] == 1


async def test_with_collection_off_nothing_is_written(editor: Session, tmp_path: Path) -> None:
    async with editor(config={"collectOutcomes": False}) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await run_command_of(e, uri, "Remove unused import") == {"recorded": False}
    assert not (tmp_path / "data").exists()


async def test_an_unwritable_store_warns_once_and_fixes_keep_working(
    editor: Session, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    async with editor(config={"dataDir": str(blocker / "data")}) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        for _ in range(2):
            assert await run_command_of(e, uri, "Remove unused import") == {"recorded": False}
        assert sum("outcomes are not recorded" in m for m in e.messages()) == 1
        assert any(is_fix(a) for a in await e.code_actions(uri, 0))
