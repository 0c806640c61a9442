"""The outcome store never stalls or silences the server: a lock another process holds, a store
of another shape, a read-only store and a kill -9, each told in words while fixes keep coming."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import HeldLock

from surefix.model.local.store import MIGRATIONS, STORE_FILE, Outcome, Store

from .conftest import WAIT, Editor, Session, is_fix, stats_of
from .samples import UNUSED_IMPORT
from .test_outcomes import run_command_of


def no_tracebacks(e: Editor) -> None:
    shown = [m.message for m in e.client.messages]  # window/showMessage only
    assert shown and not any("Traceback" in m or "please report" in m for m in shown), shown


async def test_a_lock_held_elsewhere_holds_up_no_request_and_loses_no_outcome(
    editor: Session, tmp_path: Path, hold_lock: Callable[[Path], HeldLock]
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert (await e.execute("surefix.dataStats"))["collecting"] is True  # the store is open
        lock = hold_lock(tmp_path / "data" / STORE_FILE)
        fix = next(a for a in await e.code_actions(uri, 0) if is_fix(a))
        assert fix.edit is not None and fix.command is not None
        await e.change(uri, e.apply(uri, fix.edit))  # the user takes the fix...
        answer = asyncio.ensure_future(e.execute(fix.command.command, *fix.command.arguments))
        assert await e.hover(uri, 0, 0) is None  # (answered once the command has been read)
        await e.change(uri, UNUSED_IMPORT)  # ... and undoes it, all while the lock is held
        hover = await e.hover(uri, 0, 8)
        actions = await e.code_actions(uri, 0)
        stats = await e.execute("surefix.dataStats")
        said = await e.message("is locked by another process")
        assert lock.held  # every request above was answered while the lock was held
        assert hover is not None and "F401" in hover.contents.value  # type: ignore[union-attr]
        assert any(is_fix(a) for a in actions)
        assert stats["events"] == 0  # nothing could be written yet, and reads still work
        assert str(tmp_path / "data" / STORE_FILE) in said and "kept" in said
        lock.release()
        assert await asyncio.wait_for(answer, WAIT) == {"recorded": True}
        # Recording goes on by itself: no restart, no setting.
        assert await run_command_of(e, uri, "# noqa: F401") == {"recorded": True}
        assert sum("is locked by another process" in m for m in e.messages()) == 1
        no_tracebacks(e)
    outcomes = await stats_of(tmp_path)  # the acceptance, its undo, the noqa: none lost
    assert (outcomes["accepted"], outcomes["undone"], outcomes["suppressed"]) == (0, 1, 1)


def other_shape(path: Path) -> None:
    """The schema version this surefix writes, over tables of another shape."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE outcomes (id INTEGER PRIMARY KEY, ts REAL, rule TEXT);"
        "INSERT INTO outcomes (ts, rule) VALUES (1.0, 'F401');"
        f"PRAGMA user_version = {len(MIGRATIONS)};"
    )
    db.close()


async def test_a_store_of_another_shape_is_moved_aside_and_fixes_keep_coming(
    editor: Session, tmp_path: Path
) -> None:
    store = tmp_path / "data" / STORE_FILE
    other_shape(store)
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        said = await e.message("does not have the tables its version promises")
        assert any(is_fix(a) for a in await e.code_actions(uri, 0))
        assert await e.hover(uri, 0, 8) is not None
        assert await run_command_of(e, uri, "Remove unused import") == {"recorded": True}
        no_tracebacks(e)
    (aside,) = store.parent.glob(f"{STORE_FILE}.wrong-shape-*")
    assert str(store) in said and aside.name in said and "no table rule_marks" in said
    kept = sqlite3.connect(aside)
    assert kept.execute("SELECT rule FROM outcomes").fetchall() == [("F401",)]
    kept.close()
    assert (await stats_of(tmp_path))["accepted"] == 1


async def test_a_table_dropped_while_serving_does_not_break_analysis(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert (await e.execute("surefix.dataStats"))["collecting"] is True
        db = sqlite3.connect(tmp_path / "data" / STORE_FILE)
        db.execute("DROP TABLE rule_marks")  # another program changes the file under us
        db.commit()
        db.close()
        await e.change(uri, UNUSED_IMPORT + "\n")  # analysed against the changed store
        assert any(is_fix(a) for a in await e.code_actions(uri, 0))
        said = await e.message("no such table: rule_marks")
        assert str(tmp_path / "data" / STORE_FILE) in said
        await e.change(uri, UNUSED_IMPORT + "\n\n")
        assert any(is_fix(a) for a in await e.code_actions(uri, 0))
        assert sum("no such table" in m for m in e.messages()) == 1
        no_tracebacks(e)


@pytest.mark.parametrize("what", ["file", "directory"])
async def test_a_read_only_store_is_said_once_and_fixes_keep_coming(
    editor: Session, tmp_path: Path, read_only: Callable[[Path], None], what: str
) -> None:
    directory = tmp_path / "data"
    store = Store.at(directory)
    store.record(Outcome("F401", "not-useful", "command", "auto-apply", "safe", {}, 0.9))
    store.close()
    read_only(directory / STORE_FILE if what == "file" else directory)
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        for _ in range(2):
            answer = await run_command_of(e, uri, "Remove unused import")
            assert answer["recorded"] is False and str(directory) in answer["reason"]
        assert any(is_fix(a) for a in await e.code_actions(uri, 0))
        hover = (await e.hover(uri, 0, 8)).contents.value  # type: ignore[union-attr]
        said = [m for m in e.messages() if "outcomes are not recorded" in m]
        assert len(said) == 1 and str(directory) in said[0], e.messages()
        assert ("it is read-only" if what == "file" else "is that directory writable") in said[0]
        # A read-only file can still be read: the user's record keeps shaping the scores.
        assert ("Your record with F401: kept 0 of 1" in hover) == (what == "file")
        no_tracebacks(e)


async def test_outcomes_acknowledged_before_a_kill_9_are_all_in_the_store(
    editor: Session, tmp_path: Path
) -> None:
    acknowledged = 0
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        for n in range(8):
            await e.change(uri, UNUSED_IMPORT + "\n" * n)
            wrong = next(a for a in await e.code_actions(uri, 0) if "This fix is wrong" in a.title)
            assert wrong.command is not None
            answer = await e.execute(wrong.command.command, *(wrong.command.arguments or ()))
            acknowledged += answer == {"recorded": True}
        await e.kill()  # no shutdown: nothing queued gets a chance to be written
    assert acknowledged == 8
    assert (await stats_of(tmp_path))["not-useful"] == acknowledged
