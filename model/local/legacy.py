"""The data a user kept under surefix's former name, trustfix, moved into surefix's own directory.

trustfix kept its outcome store, its models and its reports in
`platformdirs.user_data_dir("trustfix", appauthor=False)`. The first time surefix opens its data
directory, everything found there is moved over — once, and never over anything: when the new
directory already holds a file or folder of the same name, nothing moves, the old directory is
left as it is with a note inside saying why, and the user is told once. That is the only trace
of the old name; its environment variable and settings are not read.

Before the store moves piecemeal, its write-ahead log is folded into the database file, so that
the file alone holds every outcome even if the move stops half-way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from pathlib import Path

from surefix.model.local.store import STORE_FILE

LEGACY_NAME = "trustfix"
NOTE_FILE = "NOT-MOVED-TO-SUREFIX.txt"


def legacy_data_dir() -> Path:
    """Where trustfix kept its data: the platform's per-user data directory for that name."""
    import platformdirs

    return Path(platformdirs.user_data_dir(LEGACY_NAME, appauthor=False))


def adopt_legacy_data(new_dir: Path, old_dir: Path | None = None) -> str | None:
    """Move trustfix's data from `old_dir` (default: `legacy_data_dir()`) into `new_dir`, the
    data directory about to be opened; call it before opening the store or the registry.

    Returns the sentence to tell the user (without a `surefix:` prefix), or None when there is
    nothing to say: no old directory, nothing in it, `new_dir` is the old directory, or the user
    was already told. Never overwrites anything in `new_dir` and never raises for a file that
    cannot be moved: the sentence says what happened and where the data is."""
    old = old_dir if old_dir is not None else legacy_data_dir()
    if not old.is_dir() or _same(old, new_dir) or (old / NOTE_FILE).exists():
        return None
    try:
        entries = sorted(p for p in old.iterdir() if not _holds(p, new_dir))
    except OSError:
        return None
    if not entries:
        return None
    names = ", ".join(p.name for p in entries)
    clashes = [p.name for p in entries if _exists(new_dir / p.name) and _exists(p)]
    if clashes:
        sentence = (
            f"your trustfix data in {old} was not moved to {new_dir}, which already has "
            f"{', '.join(clashes)}; move what you want to keep by hand"
        )
        with contextlib.suppress(OSError):  # else it is said again next time: better than never
            (old / NOTE_FILE).write_text(sentence + "\n", encoding="utf-8")
        return sentence
    if _rename_whole(old, new_dir):
        return f"your trustfix data ({names}) was moved from {old} to {new_dir}"
    _checkpoint(old / STORE_FILE)
    moved: list[str] = []
    for entry in entries:
        target = new_dir / entry.name
        try:
            if not _exists(entry):
                continue  # moved meanwhile by another surefix process
            if _exists(target):
                raise FileExistsError(f"{target} appeared meanwhile")
            new_dir.mkdir(parents=True, exist_ok=True)
            shutil.move(entry, target)
        except OSError as exc:
            done = f" ({', '.join(moved)} moved)" if moved else ""
            return (
                f"your trustfix data in {old} could not all be moved to {new_dir}{done}: "
                f"{entry.name}: {exc}; what is left is still in {old}"
            )
        moved.append(entry.name)
    if not moved:
        return None
    with contextlib.suppress(OSError):  # not empty (new_dir is inside it, say): left as it is
        old.rmdir()
    return f"your trustfix data ({', '.join(moved)}) was moved from {old} to {new_dir}"


def _rename_whole(old: Path, new_dir: Path) -> bool:
    """The whole directory in one atomic rename, when `new_dir` does not exist yet and is on
    the same file system; False when that is not possible and the entries must move one by
    one."""
    if _exists(new_dir) or _holds(old, new_dir):
        return False
    try:
        new_dir.parent.mkdir(parents=True, exist_ok=True)
        os.rename(old, new_dir)
    except OSError:
        return False
    return True


def _checkpoint(store: Path) -> None:
    """Fold the store's write-ahead log into the database file (the log and its index are then
    removed when this last connection closes). A store that is not a readable database, or is
    busy, is moved as it is."""
    if not store.is_file():
        return
    try:
        db = sqlite3.connect(store, timeout=1.0)
        try:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
    except sqlite3.Error:
        pass


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _holds(entry: Path, new_dir: Path) -> bool:
    """Whether `new_dir` is `entry` or inside it (a data directory set inside the old one)."""
    inner = new_dir.resolve()
    outer = entry.resolve()
    return inner == outer or outer in inner.parents


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()
