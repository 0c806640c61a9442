"""The outcome store on a thread of its own, so that nothing the store does can stall a server.

SQLite waits for a lock another process holds (another editor's server in a long write, a
`sqlite3` shell inside a transaction, a backup tool), and opening a store checks the whole file:
on the language server's event loop, any of that stops every request. Here one thread owns the
one connection and works through two queues:

* reads (the per-rule records, stats, the report) go first; WAL lets them through while another
  process holds the write lock;
* writes keep their order and are never dropped for a lock: one that finds the store locked
  stays first in line and is tried again after a pause, so recording resumes by itself once the
  lock is released. After each round of writes the records are read again and handed over
  before the writes' results, so whoever waited for a write scores with its effect;
* any other failure (a read-only file or directory, a full disk, a store that cannot be opened)
  fails that job with the store's own words, and the next job opens the store afresh.

What the thread hands back — each job's result, and `StoreEvents` — goes through `deliver` (the
event loop's `call_soon_threadsafe`), so it arrives on the loop, in the order it happened.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from surefix.model.local.store import (
    STORE_FILE,
    Records,
    Store,
    StoreError,
    StoreLocked,
    default_data_dir,
    failure,
)

THREAD_BUSY_MS = 250  # one attempt's wait for a lock: short, so queued reads are not held up
RETRY_S = (0.05, 0.1, 0.25, 0.5, 1.0)  # pauses between attempts at a locked write (then 1 s)
LOCK_NOTICE_S = 2.0  # a write held up this long is worth telling the user about

Run = Callable[[Store], Any]
Done = Callable[[Any, StoreError | None], None]  # (result, None) or (None, why it failed)
Deliver = Callable[[Callable[[], None]], object]


class StoreEvents(Protocol):
    """What the thread reports besides each job's own result (called through `deliver`)."""

    def on_open(self, notice: str | None) -> None:
        """The store was opened; `notice` is what the user should hear (it was moved aside)."""

    def on_records(self, records: Records) -> None:
        """The records as they stand after a round of writes."""

    def on_locked(self, problem: str, waiting: int) -> None:
        """A write has waited `LOCK_NOTICE_S` for another process's lock; `waiting` are kept."""

    def on_unlocked(self, written: int) -> None:
        """The lock is gone and the writes kept meanwhile are written."""


@dataclass(frozen=True)
class _Job:
    run: Run | None  # None: nothing to do but be done in turn (see `StoreThread.drained`)
    done: Done


class StoreThread:
    """One thread, one connection to the store in `directory` (None: the default one)."""

    def __init__(
        self,
        directory: Path | None,
        events: StoreEvents,
        deliver: Deliver,
        busy_timeout_ms: int = THREAD_BUSY_MS,
        lock_notice_s: float = LOCK_NOTICE_S,
        retry_s: Sequence[float] = RETRY_S,
    ) -> None:
        self.path = (directory or default_data_dir()) / STORE_FILE
        self.through: float | None = None  # see `Store.records`; set from the loop
        self._events, self._deliver_to = events, deliver
        self._busy_ms, self._notice_s, self._retry_s = busy_timeout_ms, lock_notice_s, retry_s
        self._reads: deque[_Job] = deque()
        self._writes: deque[_Job] = deque()
        self._wake = threading.Condition()
        self._store: Store | None = None
        self._stopping = self._release = False
        self._blocked_since: float | None = None  # when the first write still waiting was held
        self._attempts = 0
        self._next_try = 0.0
        self._told_locked = False
        self._thread = threading.Thread(target=self._main, name="surefix-store", daemon=True)
        self._thread.start()

    # -- what the loop calls (never waits) ----------------------------------------------------

    def read(self, run: Run, done: Done) -> None:
        """Run `run(store)` soon, ahead of any write still waiting for a lock."""
        self._queue(self._reads, _Job(run, done))

    def write(self, run: Run, done: Done) -> None:
        """Run `run(store)` after every write queued before it; kept while the store is locked."""
        self._queue(self._writes, _Job(run, done))

    def drained(self, done: Done) -> None:
        """`done` once every write queued so far is written or has failed."""
        self._queue(self._writes, _Job(None, done))

    def release(self) -> None:
        """Close the connection once the queued writes are done; the next job reopens it."""
        with self._wake:
            self._release = True
            self._wake.notify()

    def stop(self) -> None:
        """Finish the queued writes (however long a lock keeps them), then close and end."""
        with self._wake:
            self._stopping = True
            self._wake.notify()

    @property
    def waiting(self) -> int:
        """Writes not done yet (some may be waiting for a lock)."""
        return len(self._writes)

    def _queue(self, queue: deque[_Job], job: _Job) -> None:
        with self._wake:
            queue.append(job)
            self._wake.notify()

    # -- the thread ---------------------------------------------------------------------------

    def _main(self) -> None:
        while self._round():
            pass
        self._close()

    def _round(self) -> bool:
        """Every queued read, then writes until one finds the store locked. False once stopped
        with nothing left to write."""
        with self._wake:
            while not (self._reads or self._writes_due() or self._release_due()):
                if self._stopping and not self._writes:
                    return False
                self._wake.wait(self._pause())
            reads = list(self._reads)
            self._reads.clear()
        for job in reads:
            self._deliver(partial(job.done, *self._attempt(job)))
        if self._writes_due():
            self._write_round()
        if self._release_due():
            self._release = False
            self._close()
        return True

    def _writes_due(self) -> bool:
        return bool(self._writes) and time.monotonic() >= self._next_try

    def _release_due(self) -> bool:
        return self._release and not self._writes

    def _pause(self) -> float | None:
        """How long to sleep when nothing is due: until the next attempt at a held-up write,
        or until something is queued."""
        return max(0.0, self._next_try - time.monotonic()) if self._writes else None

    def _write_round(self) -> None:
        """The writes queued when the round began, in order, until one finds the store locked;
        their results go out after the records they changed."""
        finished: list[Callable[[], None]] = []
        written = 0
        for _ in range(len(self._writes)):
            job = self._writes[0]  # only this thread takes from the queue
            result, error = self._attempt(job)
            if isinstance(error, StoreLocked):
                self._held_up(error)
                break
            self._writes.popleft()
            self._blocked_since, self._attempts = None, 0
            if error is None and job.run is not None:
                written += 1
            finished.append(partial(job.done, result, error))
        if written:
            self._read_back()
        if self._told_locked and self._blocked_since is None:
            self._told_locked = False
            self._deliver(partial(self._events.on_unlocked, written))
        for done in finished:
            self._deliver(done)

    def _read_back(self) -> None:
        try:
            records = self._connection().records(self.through)
        except (StoreError, OSError):
            return  # the writes stand; the next round or sync reads them
        self._deliver(partial(self._events.on_records, records))

    def _held_up(self, error: StoreLocked) -> None:
        now = time.monotonic()
        if self._blocked_since is None:
            self._blocked_since = now
        self._next_try = now + self._retry_s[min(self._attempts, len(self._retry_s) - 1)]
        self._attempts += 1
        if not self._told_locked and now - self._blocked_since >= self._notice_s:
            self._told_locked = True
            self._deliver(partial(self._events.on_locked, str(error), len(self._writes)))

    def _attempt(self, job: _Job) -> tuple[Any, StoreError | None]:
        if job.run is None:
            return None, None
        try:
            return job.run(self._connection()), None
        except StoreLocked as exc:
            return None, exc
        except StoreError as exc:
            error = exc
        except sqlite3.Error as exc:
            error = failure(exc, self.path)
        except OSError as exc:
            error = StoreError(f"cannot open the outcome store {self.path}: {exc}")
        except Exception as exc:  # a bug in a job must not end the thread and its queue
            error = StoreError(f"the outcome store {self.path} failed: {exc!r}")
        self._close()  # whatever went wrong, the next job starts from a fresh connection
        return None, error

    def _connection(self) -> Store:
        if self._store is None:
            store = Store(self.path, self._busy_ms)
            self._store = store
            self._deliver(partial(self._events.on_open, store.notice))
        return self._store

    def _close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(sqlite3.Error):
                store.close()

    def _deliver(self, call: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the process is ending
            self._deliver_to(call)
