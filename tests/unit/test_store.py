"""The outcome store: schema migrations, durability, concurrency and damage control."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from surefix.model.local.store import MIGRATIONS, Outcome, Store, StoreError


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
