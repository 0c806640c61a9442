"""Giving freed memory back to the system once a burst of work is over.

CPython frees what a finished analysis or a closed document held, but glibc's allocator keeps
the freed pages for reuse, so without this the server's resident memory only ever grows: a
hundred documents opened and closed would leave it as large as at their peak. When the server
has been quiet for a moment after such work, `malloc_trim` returns the free pages to the
system (about 5 ms when there is something to return, 0.2 ms when not). Where the C library
is not glibc this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from collections.abc import Callable

QUIET_S = 0.2  # no analysis finished and no document closed for this long


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc, or no C library found
        return None
    return trim


class Trim:
    """`after_work()` after anything that frees a lot; the trim runs once things are quiet."""

    def __init__(self, quiet_s: float = QUIET_S) -> None:
        self._quiet_s = quiet_s
        self._trim = _malloc_trim()
        self._pending: asyncio.TimerHandle | None = None

    def after_work(self) -> None:
        if self._trim is None:
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = asyncio.get_running_loop().call_later(self._quiet_s, self._run)

    def _run(self) -> None:
        self._pending = None
        if self._trim is not None:
            self._trim(0)
