"""Shared test set-up: the Ruff version in the report header, e2e tests collected last, and
the store faults unit and e2e tests both stage (a lock another process holds, a read-only
path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from surefix.features.ruff.run import ruff_version


def pytest_report_header(config: pytest.Config) -> str:
    return f"ruff {ruff_version()}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: "/e2e/" in str(item.fspath) or "/editors/" in str(item.fspath))


LOCK_HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


class HeldLock:
    """Another process holding a SQLite file's write lock (`BEGIN EXCLUSIVE`), as a second
    editor's server in a long write or a `sqlite3` shell inside a transaction would."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LOCK_HOLDER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"

    @property
    def held(self) -> bool:
        return self.process.poll() is None

    def release(self) -> None:
        if self.held:
            assert self.process.stdin is not None
            self.process.stdin.write("\n")
            self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0


@pytest.fixture
def hold_lock() -> Iterator[Callable[[Path], HeldLock]]:
    """`hold_lock(path)`: another process holds the write lock of the store at `path` until
    `.release()` (or the end of the test)."""
    held: list[HeldLock] = []

    def hold(path: Path) -> HeldLock:
        held.append(HeldLock(path))
        return held[-1]

    yield hold
    for lock in held:
        lock.release()


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """`read_only(path)`: nobody may write the file or directory, not even root (who ignores
    permission bits: then it is made immutable with `chattr +i`). Undone after the test."""
    made: list[tuple[Path, int]] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0:
            made.append((path, path.stat().st_mode))
            path.chmod(path.stat().st_mode & ~0o222)
            return
        chattr = shutil.which("chattr")
        if (
            chattr is None
            or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode
        ):
            pytest.skip(f"running as root, and {path} cannot be made immutable (chattr +i)")
        made.append((path, -1))

    yield make
    for path, mode in reversed(made):
        if mode < 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(mode)
