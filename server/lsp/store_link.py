"""The server's side of the outcome store: jobs for the store's own thread, the records that
scoring reads, and what the user hears when the store is locked, moved aside or unwritable.

The event loop never runs SQLite (`model.local.store_thread` does, on its thread), so a lock
another process holds, a slow disk or a long integrity check delays only the store's work, never
a request. A write is a future that resolves once the row is committed — a lock only delays it,
and recording goes on by itself once the lock is gone. Any other failure is said once, in words,
recording pauses, and the store is tried again on the first use after `RETRY_AFTER_S`; the
records scoring reads stay what they were (empty when the store never opened).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from surefix.model.local.store import Records, Store, StoreError, StoreLocked
from surefix.model.local.store_thread import StoreThread

T = TypeVar("T")
Say = Callable[[str], None]
SYNC_WAIT_S = 1.0  # an analysis waits at most this long for records another process changed
RETRY_AFTER_S = 30.0  # a store that failed is tried again on the first use after this


class StoreLink:
    """One store thread at a time (for the data directory in use) and its latest records."""

    def __init__(
        self,
        say: Say,
        log: Say,
        records_changed: Callable[[], None],
        through: Callable[[], float | None],
    ) -> None:
        self._say, self._log, self._changed, self._through = say, log, records_changed, through
        self.records = Records()
        self._directory: Path | None = None
        self._thread: StoreThread | None = None
        self._problem: str | None = None
        self._problem_at = 0.0
        self._told: set[str] = set()  # each problem is said once a session
        self._sync: asyncio.Future[Records | None] | None = None
        self._late = False  # a sync's waiter gave up: its records re-score when they come

    # -- where ----------------------------------------------------------------------------

    def point(self, directory: Path | None) -> None:
        """Use the store in `directory` (None: the default) from now on."""
        if directory != self._directory:
            self.close()
            self._directory = directory

    def close(self) -> None:
        """Let go of the store: the thread finishes the writes it holds, then ends."""
        if self._thread is not None:
            self._thread.stop()
        self._thread, self._sync, self._problem = None, None, None
        self.records = Records()

    def release(self) -> None:
        """Close the connection once the queued writes are done (another process is about to
        read the store); the next job opens it again."""
        if self._thread is not None:
            self._thread.release()

    @property
    def problem(self) -> str | None:
        """Why the store is not in use (a failure other than a lock), else None."""
        return self._problem

    @property
    def usable(self) -> bool:
        """Whether to hand the store work: no failure, or its retry is due."""
        return self._problem is None or time.monotonic() - self._problem_at >= RETRY_AFTER_S

    # -- jobs -----------------------------------------------------------------------------

    def write(self, run: Callable[[Store], T]) -> asyncio.Future[T]:
        """`run(store)` on the store's thread, after every write queued before it; the future
        resolves once it is committed, or fails with the `StoreError` that stopped it."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._running().write(run, self._settle(future))
        return future

    def read(self, run: Callable[[Store], T]) -> asyncio.Future[T]:
        """`run(store)` on the store's thread, ahead of any write a lock holds up."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._running().read(run, self._settle(future))
        return future

    async def flush(self, wait: float) -> bool:
        """Wait up to `wait` seconds for the queued writes (the server is shutting down);
        whether they are all done."""
        thread = self._thread
        if thread is None or not thread.waiting:
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        thread.drained(self._settle(future))
        try:
            await asyncio.wait_for(future, wait)
        except TimeoutError:
            self._log(f"surefix: {thread.waiting} outcome write(s) still wait for the store")
            return False
        return True

    def _running(self) -> StoreThread:
        if self._thread is None:
            loop = asyncio.get_running_loop()
            self._thread = StoreThread(self._directory, self, loop.call_soon_threadsafe)
        self._thread.through = self._through()
        return self._thread

    def _settle(self, future: asyncio.Future[Any]) -> Callable[[Any, StoreError | None], None]:
        def done(result: Any, error: StoreError | None) -> None:
            if error is None:
                self._problem = None  # the store works (again)
            else:
                self._failed(error)
            if future.done():  # its waiter was cancelled (the request, or the shutdown)
                return
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
                future.exception()  # retrieved: a write nobody awaits is not an error log

        return done

    def _failed(self, error: StoreError) -> None:
        if isinstance(error, StoreLocked):  # only reads fail for a lock; writes wait
            self._once(
                "read-locked", f"surefix: {error}; scoring uses the records it has", log=True
            )
            return
        self._problem, self._problem_at = str(error), time.monotonic()
        self._once(
            str(error), f"surefix: {error}; outcomes are not recorded, everything else works"
        )

    def _once(self, key: str, message: str, log: bool = False) -> None:
        """Say `message` the first time `key` comes up (log it only, with `log`); after that,
        only log it."""
        if key in self._told:
            self._log(message)
        else:
            self._told.add(key)
            (self._log if log else self._say)(message)

    # -- records --------------------------------------------------------------------------

    async def sync(self) -> None:
        """Records as the store has them now, if another process changed it (a second editor,
        `surefix data purge`): waits at most `SYNC_WAIT_S`, then scores with what it has."""
        if not self.usable:
            return
        if self._sync is None or self._sync.done():
            through = self._through()
            self._sync = self.read(lambda store: _changed_elsewhere(store, through))
            self._sync.add_done_callback(self._synced)
        try:
            await asyncio.wait_for(asyncio.shield(self._sync), SYNC_WAIT_S)
        except TimeoutError:
            self._late = True
        except StoreError:
            pass  # said once by `_failed`; score with the records in use

    def _synced(self, future: asyncio.Future[Records | None]) -> None:
        late, self._late = self._late, False
        if future.cancelled() or future.exception() is not None:
            return
        records = future.result()
        if records is not None:
            self._apply(records, rescore=late)

    def refresh(self) -> None:
        """Read the records again (the model in use changed what counts as fresh, or they
        were purged); open documents are re-scored when they differ."""
        if self.usable:
            self.read(lambda store: store.records(self._through())).add_done_callback(
                self._refreshed
            )

    def _refreshed(self, future: asyncio.Future[Records]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._apply(future.result(), rescore=True)

    def _apply(self, records: Records, rescore: bool) -> None:
        changed = records != self.records
        self.records = records
        if changed and rescore:
            self._changed()

    # -- what the thread reports (`StoreEvents`) ------------------------------------------

    def on_open(self, notice: str | None) -> None:
        if self._problem is not None:
            self._log("surefix: the outcome store is in use again")
        self._problem = None
        if notice:
            self._once(notice, f"surefix: {notice}")

    def on_records(self, records: Records) -> None:
        self._apply(records, rescore=True)

    def on_locked(self, problem: str, waiting: int) -> None:
        self._once(
            "locked",
            f"surefix: {problem}; {waiting} outcome(s) are kept and written as soon as it is "
            "free, everything else works",
        )

    def on_unlocked(self, written: int) -> None:
        self._log(f"surefix: the outcome store is free again; {written} kept outcome(s) written")


def _changed_elsewhere(store: Store, through: float | None) -> Records | None:
    return store.records(through) if store.changed_elsewhere() else None
