"""The store's own thread: a lock another process holds delays writes, in order, and loses
none; reads are answered meanwhile; recording resumes by itself once the lock is gone."""

from __future__ import annotations

import queue
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import HeldLock

from surefix.model.local.outcome_watch import RowRef
from surefix.model.local.store import STORE_FILE, Outcome, Records, Store, StoreError
from surefix.model.local.store_thread import StoreThread

HANG = 60  # a guard against a hang, never a measure of speed


def outcome(rule: str = "F401", kind: str = "accepted") -> Outcome:
    return Outcome(rule, kind, "command", "auto-apply", "safe", {"rule": rule}, 0.9)


@dataclass
class Heard:
    """What the thread delivered, in order, as (kind, value) — the event loop's view."""

    calls: queue.Queue[Callable[[], None]] = field(default_factory=queue.Queue)
    seen: list[tuple[str, Any]] = field(default_factory=list)

    def deliver(self, call: Callable[[], None]) -> None:
        self.calls.put(call)

    def on_open(self, notice: str | None) -> None:
        self.seen.append(("open", notice))

    def on_records(self, records: Records) -> None:
        self.seen.append(("records", records))

    def on_locked(self, problem: str, waiting: int) -> None:
        self.seen.append(("locked", (problem, waiting)))

    def on_unlocked(self, written: int) -> None:
        self.seen.append(("unlocked", written))

    def done(self, name: str) -> Callable[[Any, StoreError | None], None]:
        return lambda result, error: self.seen.append((name, error or result))

    def until(self, kind: str) -> Any:
        """Run what was delivered until a `kind` arrives; its value."""
        while True:
            self.calls.get(timeout=HANG)()
            if self.seen[-1][0] == kind:
                return self.seen[-1][1]

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.seen]


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
def thread(tmp_path: Path, heard: Heard) -> Iterator[StoreThread]:
    Store.at(tmp_path).close()
    worker = StoreThread(tmp_path, heard, heard.deliver, busy_timeout_ms=50, lock_notice_s=0.0)
    yield worker
    worker.stop()


def rows(directory: Path) -> list[tuple[str, str]]:
    """The store's rows as another reader sees them (committed ones only)."""
    db = sqlite3.connect(directory / STORE_FILE)
    try:
        return list(db.execute("SELECT rule, outcome FROM outcomes ORDER BY id"))
    finally:
        db.close()


def test_writes_wait_for_a_lock_in_order_and_reads_are_answered_meanwhile(
    tmp_path: Path, thread: StoreThread, heard: Heard, hold_lock: Callable[[Path], HeldLock]
) -> None:
    lock = hold_lock(tmp_path / STORE_FILE)
    row = RowRef()

    def record(store: Store) -> None:
        row.id = store.record(outcome())

    def revise(store: Store) -> None:
        assert row.id is not None  # queued behind the write that sets it
        store.revise(row.id, "undone", "undo")

    thread.write(record, heard.done("recorded"))
    thread.write(revise, heard.done("revised"))
    problem, waiting = heard.until("locked")
    assert "is locked by another process" in problem and waiting >= 1
    thread.read(Store.stats, heard.done("stats"))
    assert heard.until("stats")["events"] == 0  # answered while the lock is held
    assert lock.held and rows(tmp_path) == [] and thread.waiting == 2
    lock.release()
    assert heard.until("revised") is None
    assert heard.kinds()[-4:] == ["records", "unlocked", "recorded", "revised"]
    records = next(value for kind, value in reversed(heard.seen) if kind == "records")
    assert records.every == {"F401": {**records.every["F401"], "undone": 1}}
    assert rows(tmp_path) == [("F401", "undone")] and thread.waiting == 0


def test_recording_goes_on_after_a_lock_without_being_turned_back_on(
    tmp_path: Path, thread: StoreThread, heard: Heard, hold_lock: Callable[[Path], HeldLock]
) -> None:
    for round in range(2):  # a second lock, later, is waited out the same way
        lock = hold_lock(tmp_path / STORE_FILE)
        thread.write(lambda store: store.record(outcome()), heard.done("recorded"))
        heard.until("locked")
        lock.release()
        assert isinstance(heard.until("recorded"), int)
        assert len(rows(tmp_path)) == round + 1
    thread.write(lambda store: store.record(outcome()), heard.done("recorded"))
    heard.until("recorded")
    assert len(rows(tmp_path)) == 3


def test_a_failure_other_than_a_lock_fails_the_job_and_the_next_one_tries_again(
    tmp_path: Path, heard: Heard, read_only: Callable[[Path], None]
) -> None:
    directory = tmp_path / "data"
    store = Store.at(directory)
    store.close()
    read_only(directory / STORE_FILE)
    worker = StoreThread(directory, heard, heard.deliver, busy_timeout_ms=50)
    try:
        worker.write(lambda s: s.record(outcome()), heard.done("first"))
        error = heard.until("first")
        assert isinstance(error, StoreError) and "it is read-only" in str(error)
        worker.read(Store.stats, heard.done("stats"))  # reads still work
        assert heard.until("stats")["events"] == 0
    finally:
        worker.stop()


def test_stopping_finishes_the_queued_writes_first(
    tmp_path: Path, thread: StoreThread, heard: Heard
) -> None:
    for _ in range(50):
        thread.write(lambda store: store.record(outcome()), heard.done("recorded"))
    thread.drained(heard.done("drained"))
    thread.stop()
    heard.until("drained")
    assert len(rows(tmp_path)) == 50


def test_a_failing_job_does_not_end_the_thread(thread: StoreThread, heard: Heard) -> None:
    def broken(store: Store) -> None:
        raise ValueError("a bug")

    thread.write(broken, heard.done("broken"))
    assert "a bug" in str(heard.until("broken"))
    thread.write(lambda store: store.record(outcome()), heard.done("recorded"))
    assert isinstance(heard.until("recorded"), int)
