"""The outcome store: schema migrations, durability, concurrency and damage control — a lock
another process holds, a store of another shape, a read-only file, a kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import HeldLock

from surefix.model.local.store import (
    MIGRATIONS,
    STORE_FILE,
    Outcome,
    Store,
    StoreError,
    StoreLocked,
)


def outcome(rule: str = "F401", kind: str = "accepted") -> Outcome:
    return Outcome(
        rule, kind, "command", "auto-apply", "safe", {"rule": rule, "fix_edits": 1.0}, 0.9
    )


def test_a_new_store_has_the_newest_schema_in_wal_mode(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_older_schema_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "outcomes.sqlite3")
    db.executescript("CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (7);")
    db.close()
    store = Store.at(tmp_path)
    assert store.db.execute("SELECT x FROM unrelated").fetchone() == (7,)
    store.record(outcome())
    assert store.stats()["events"] == 1


def test_a_schema_from_a_newer_surefix_is_refused_not_moved(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "outcomes.sqlite3")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this surefix"):
        Store.at(tmp_path)
    assert (tmp_path / "outcomes.sqlite3").exists()


def test_counts_records_export_and_purge(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    store.record_many(
        [outcome(), outcome(), outcome(kind="undone"), outcome("UP031", "suppressed")]
    )
    stats = store.stats()
    assert stats["events"] == 4
    assert stats["outcomes"] == {**stats["outcomes"], "accepted": 2, "undone": 1, "suppressed": 1}
    f401 = store.rule_records()["F401"]
    assert f401 == {**f401, "accepted": 2, "undone": 1} and sum(f401.values()) == 3
    assert store.rule_records(since=time.time() + 60) == {}
    assert len(json.loads(store.export("json"))) == 4
    assert store.export("csv").splitlines()[0].startswith("ts,rule,outcome")
    assert store.purge() == 4 and store.stats()["events"] == 0


def test_unknown_outcomes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        outcome(kind="liked")


def test_a_corrupt_file_is_moved_aside_and_a_fresh_store_started(tmp_path: Path) -> None:
    (tmp_path / "outcomes.sqlite3").write_bytes(b"this is not a database" * 100)
    store = Store.at(tmp_path)
    assert store.notice is not None and "moved to" in store.notice
    (aside,) = tmp_path.glob("outcomes.sqlite3.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not a database")
    store.record(outcome())
    assert store.stats()["events"] == 1


def test_salted_project_hashes_are_stable_and_reveal_nothing(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    first = store.project_hash("/home/me/project")
    assert first == Store.at(tmp_path).project_hash("/home/me/project")
    assert first != Store.at(tmp_path / "other").project_hash("/home/me/project")
    assert "project" not in first


WRITER = """
import sys
from pathlib import Path
from surefix.model.local.store import Outcome, Store
store = Store.at(Path(sys.argv[1]))
for i in range(int(sys.argv[2])):
    store.record(Outcome("F401", "accepted", "command", "auto-apply", "safe", {"i": float(i)}))
    print(i + 1, flush=True)
"""


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), "300"], stdout=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    assert Store.at(tmp_path).stats()["events"] == 600


def test_sigkill_mid_burst_loses_no_committed_outcome(tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), "100000"], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    committed = 0
    while committed < 200:
        committed = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    time.sleep(0.1)
    assert Store.at(tmp_path).stats()["events"] >= committed


def test_a_locked_store_opens_reads_and_says_locked_until_the_lock_is_gone(
    tmp_path: Path, hold_lock: Callable[[Path], HeldLock]
) -> None:
    Store.at(tmp_path).record_many([outcome(), outcome("UP031")])
    lock = hold_lock(tmp_path / STORE_FILE)
    store = Store.at(tmp_path, busy_timeout_ms=50)  # an up-to-date store needs no write lock
    assert store.stats()["events"] == 2 and set(store.records().every) == {"F401", "UP031"}
    with pytest.raises(StoreLocked, match=f"{tmp_path / STORE_FILE} is locked by another process"):
        store.record(outcome())
    with pytest.raises(StoreLocked):
        store.mark("F401", "wrong")
    assert lock.held
    lock.release()
    store.record(outcome())  # the same connection: nothing to reopen or re-enable
    assert store.stats()["events"] == 3


def test_a_store_created_under_a_lock_waits_for_it_and_says_so(
    tmp_path: Path, hold_lock: Callable[[Path], HeldLock]
) -> None:
    db = sqlite3.connect(tmp_path / STORE_FILE)
    db.execute("PRAGMA journal_mode = WAL")
    db.close()  # an empty file: the schema must be written, and that needs the lock
    lock = hold_lock(tmp_path / STORE_FILE)
    with pytest.raises(StoreLocked):
        Store.at(tmp_path, busy_timeout_ms=50)
    lock.release()
    assert Store.at(tmp_path, busy_timeout_ms=50).stats()["events"] == 0


CURRENT = f"PRAGMA user_version = {len(MIGRATIONS)};"


@pytest.mark.parametrize(
    ("script", "missing"),
    [
        pytest.param(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE outcomes (id INTEGER PRIMARY KEY, ts REAL, rule TEXT);"
            "CREATE TABLE rule_marks (id INTEGER PRIMARY KEY, ts REAL, rule TEXT, mark TEXT);"
            "INSERT INTO outcomes (ts, rule) VALUES (1.0, 'F401');",
            "outcomes lacks applicability, band, detected, features, folders, model, outcome",
            id="missing-columns",
        ),
        pytest.param(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE stuff (x INTEGER); INSERT INTO stuff VALUES (1);",
            "no table outcomes; no table rule_marks",
            id="missing-tables",
        ),
        pytest.param(
            MIGRATIONS[0].replace(
                "features TEXT NOT NULL", "features TEXT NOT NULL, code TEXT NOT NULL"
            )
            + MIGRATIONS[1],
            "outcomes requires code",  # every insert would fail
            id="extra-required-column",
        ),
    ],
)
def test_a_store_with_the_right_version_and_other_tables_is_moved_aside(
    tmp_path: Path, script: str, missing: str
) -> None:
    db = sqlite3.connect(tmp_path / STORE_FILE)
    db.executescript(script + CURRENT)
    db.close()
    store = Store.at(tmp_path)
    (aside,) = tmp_path.glob(f"{STORE_FILE}.wrong-shape-*")
    assert store.notice is not None
    assert str(tmp_path / STORE_FILE) in store.notice and aside.name in store.notice
    assert missing in store.notice
    kept = sqlite3.connect(aside)  # kept as it was, never deleted
    assert kept.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    kept.close()
    store.record(outcome())
    assert store.stats()["events"] == 1 and store.records().every["F401"]["accepted"] == 1


def test_extra_tables_and_optional_columns_are_no_other_shape(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    store.record(outcome())
    store.db.executescript(
        "CREATE TABLE notes (x TEXT); ALTER TABLE outcomes ADD COLUMN note TEXT DEFAULT '';"
    )
    store.close()
    again = Store.at(tmp_path)
    assert again.notice is None and not list(tmp_path.glob("*.wrong-shape-*"))
    again.record(outcome())
    assert again.stats()["events"] == 2


def test_a_second_move_aside_in_the_same_second_keeps_the_first(tmp_path: Path) -> None:
    for _ in range(2):
        (tmp_path / STORE_FILE).write_bytes(b"not a database" * 100)
        for suffix in ("-wal", "-shm"):
            Path(f"{tmp_path / STORE_FILE}{suffix}").unlink(missing_ok=True)
        Store.at(tmp_path).close()
    assert len(list(tmp_path.glob(f"{STORE_FILE}.corrupt-*[0-9]"))) == 2


def closed(directory: Path) -> None:
    """A store with one outcome, closed: its log folded into the file and removed."""
    store = Store.at(directory)
    store.record(outcome())
    store.close()
    assert not Path(f"{directory / STORE_FILE}-wal").exists()


def test_a_read_only_store_is_read_and_refuses_writes_in_words(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    closed(tmp_path)
    read_only(tmp_path / STORE_FILE)
    store = Store.at(tmp_path, busy_timeout_ms=50)
    assert store.records().every["F401"]["accepted"] == 1  # the user's record still scores
    with pytest.raises(StoreError, match="it is read-only") as refused:
        store.record(outcome())
    assert not isinstance(refused.value, StoreLocked)
    assert str(tmp_path / STORE_FILE) in str(refused.value)


def test_a_store_in_a_read_only_directory_is_refused_in_words(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    closed(tmp_path)
    read_only(tmp_path)  # SQLite cannot create the files it keeps beside the store
    with pytest.raises(StoreError, match="is that directory writable") as refused:
        Store.at(tmp_path, busy_timeout_ms=50)
    assert not isinstance(refused.value, StoreLocked)
