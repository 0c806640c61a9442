"""The local outcome store: what this user did with the fixes they were offered.

One SQLite file in the user's data directory (`platformdirs`, or `SUREFIX_DATA_DIR`, or a
setting). Every outcome is committed before `record` returns, in WAL mode, so a crash — even
SIGKILL — loses nothing that was reported as recorded, and two editors can write at once (the
busy timeout makes the second wait instead of failing). Rows hold identifiers and numbers only:
the rule, the feature row, the score, the band, the outcome, a salted hash of the project root
and salted hashes of the file's folder and the folders above it — never a file's name, its
contents or code. The folder hashes let the user's habits be found per folder (`suggestions`):
the server, which knows the open file's path, hashes its folders the same way and asks.

A lock held longer than the busy timeout is `StoreLocked`, apart from every other failure: it
goes away by itself, so a caller keeps what it wanted written and tries again (the language
server does, on a thread of its own: `store_thread`). Opening a store that is up to date takes
no write lock, so a store another process is writing can always be opened and read.

A file that is not a readable database, or whose tables are not the ones its schema version
promises (a column or a table missing), is moved aside (kept, never deleted) and a fresh one is
created; the caller is told once, through `Store.notice`.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import math
import os
import secrets
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from surefix.model.local.suggestions import Decision

DATA_ENV = "SUREFIX_DATA_DIR"
STORE_FILE = "outcomes.sqlite3"
OUTCOMES = ("accepted", "undone", "suppressed", "resolved-otherwise", "broke", "not-useful")
KEPT = frozenset({"accepted"})
NEGATIVE = ("undone", "suppressed", "broke", "not-useful")
MARKS = ("wrong", "undone", "trusted")  # see `demotion`
ANSWERS = ("accepted", "dismissed")  # what the user said to a suggested Ruff setting
FOLDER_DEPTH = 16  # a row keeps the hashes of its file's folder and at most 15 above it
BUSY_TIMEOUT_MS = 10_000  # a terminal command may wait; the server's thread uses far less
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})

# Each entry takes the schema from version i to i + 1; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE outcomes (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        rule TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detected TEXT NOT NULL,
        score REAL,
        band TEXT NOT NULL,
        model TEXT,
        applicability TEXT NOT NULL,
        project TEXT NOT NULL,
        features TEXT NOT NULL
    );
    CREATE INDEX outcomes_rule ON outcomes (rule, ts);
    """,
    """
    CREATE TABLE rule_marks (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        rule TEXT NOT NULL,
        mark TEXT NOT NULL
    );
    CREATE INDEX rule_marks_rule ON rule_marks (rule, ts);
    """,
    """
    ALTER TABLE outcomes ADD COLUMN folders TEXT NOT NULL DEFAULT '';
    CREATE TABLE suggestion_marks (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        suggestion TEXT NOT NULL,
        answer TEXT NOT NULL
    );
    """,
)


class StoreError(RuntimeError):
    """The store cannot be read or written (read-only or full disk, locked too long)."""


class StoreLocked(StoreError):
    """Another process held the store's lock for longer than the busy timeout: nothing is
    wrong with the store, and the same write succeeds once the lock is released."""


def failure(exc: sqlite3.Error, path: Path, doing: str = "write") -> StoreError:
    """`exc` as the store's own error, naming the file, in words: `StoreLocked` for a lock
    (busy or locked), so callers can tell a wait from a fault without reading SQLite's."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _BUSY_CODES or (primary is None and "locked" in str(exc)):
        return StoreLocked(f"the outcome store {path} is locked by another process ({exc})")
    why = _WHY.get(primary or -1)
    words = f"{why.format(directory=path.parent)} ({exc})" if why else str(exc)
    return StoreError(f"cannot {doing} the outcome store {path}: {words}")


_WHY = {
    sqlite3.SQLITE_READONLY: "it is read-only",
    sqlite3.SQLITE_CANTOPEN: "it, or the files SQLite keeps beside it, cannot be created or "
    "opened in {directory} (is that directory writable?)",
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_PERM: "permission denied",
}


def default_data_dir() -> Path:
    """`SUREFIX_DATA_DIR`, else the platform's per-user data directory."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("surefix", appauthor=False))


@dataclass(frozen=True)
class Outcome:
    """One offered fix that reached an outcome. `features` is the fix's feature row."""

    rule: str
    outcome: str
    detected: str  # how it was seen: "command", "noqa-action", "undo", ...
    band: str
    applicability: str
    features: Mapping[str, float | str]
    score: float | None = None
    model: str | None = None
    project: str = ""  # a salted hash, see `Store.project_hash`
    ts: float = field(default_factory=time.time)
    folder: str | None = None  # the file's folder: stored only as hashes (`Store.folder_hashes`)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; expected one of {OUTCOMES}")


class Store:
    """The outcome store at `path` (created, migrated or moved aside as needed). Waits up to
    `busy_timeout_ms` for a lock another process holds, then raises `StoreLocked`."""

    def __init__(self, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self.notice: str | None = None  # something the user should hear about once
        self._data_version = -1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        opened = _identity(path)
        try:
            self.db = self._open()
        except sqlite3.OperationalError as exc:  # locked, busy, unwritable: not corruption
            raise failure(exc, path, "open") from exc
        except (sqlite3.DatabaseError, StoreShapeError) as exc:
            self.notice = self._quarantine(exc, opened)
            try:
                self.db = self._open()
            except sqlite3.Error as again:
                raise failure(again, path, "open") from again

    @classmethod
    def at(cls, directory: Path | None = None, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Store:
        return cls((directory or default_data_dir()) / STORE_FILE, busy_timeout_ms)

    def _open(self) -> sqlite3.Connection:
        """Connect, retrying while another process holds the lock: switching a new file to WAL
        takes an exclusive lock for which SQLite does not always wait, so two editors opening
        a fresh store at once would otherwise fail one of them with "database is locked"."""
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        while True:
            try:
                return self._connect()
            except sqlite3.OperationalError as exc:
                if not isinstance(failure(exc, self.path), StoreLocked):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _connect(self) -> sqlite3.Connection:
        timeout = self.busy_timeout_ms / 1000
        db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across crashes
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
            migrate(db)
            check_shape(db)
        except (sqlite3.DatabaseError, StoreError):
            db.close()
            raise
        return db

    def _quarantine(self, exc: Exception, opened: tuple[int, int] | None) -> str | None:
        """Move an unusable store aside; the sentence that tells the user where it went. A
        store that cannot be moved (a read-only directory) is refused, in the same words."""
        wrong_shape = isinstance(exc, StoreShapeError)
        what = (
            "does not have the tables its version promises" if wrong_shape else "could not be read"
        )
        try:
            aside = self._move_aside(opened, "wrong-shape" if wrong_shape else "corrupt")
        except OSError as move:
            raise StoreError(
                f"the outcome store {self.path} {what} ({exc}) and cannot be moved aside "
                f"({move}); move or delete it to record outcomes again"
            ) from move
        if aside is None:
            return None
        return (
            f"the outcome store {self.path} {what} ({exc}); it was moved to {aside.name} "
            "and a new one was started"
        )

    def _move_aside(self, opened: tuple[int, int] | None, why: str) -> Path | None:
        """Rename the store (and its log) to a free `NAME.WHY-STAMP`; None when the file is no
        longer the one that was opened (another surefix moved it aside first: its new store
        must not be moved too)."""
        if opened is None or _identity(self.path) != opened:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.{why}-{stamp}")
        n = 1
        while any(Path(f"{aside}{s}").exists() for s in ("", "-wal", "-shm")):
            n += 1  # never over an earlier one: a rename would replace it
            aside = self.path.with_name(f"{self.path.name}.{why}-{stamp}-{n}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.rename(Path(f"{aside}{suffix}"))
        return aside

    def close(self) -> None:
        self.db.close()

    # -- writing ------------------------------------------------------------------------------

    def record(self, outcome: Outcome) -> int:
        """Commit one outcome; it is on disk when this returns. Returns its row id."""
        try:
            with self.db:
                cursor = self.db.execute(_INSERT, self._row(outcome))
        except sqlite3.Error as exc:
            raise failure(exc, self.path) from exc
        return int(cursor.lastrowid or 0)

    def revise(self, row_id: int, outcome: str, detected: str) -> None:
        """An outcome turned out otherwise (an accepted fix was undone, or broke the file)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        try:
            with self.db:
                self.db.execute(
                    "UPDATE outcomes SET outcome = ?, detected = ? WHERE id = ?",
                    (outcome, detected, row_id),
                )
        except sqlite3.Error as exc:
            raise failure(exc, self.path) from exc

    def record_many(self, outcomes: Iterable[Outcome]) -> int:
        rows = [self._row(o) for o in outcomes]
        try:
            self.db.execute("BEGIN IMMEDIATE")  # autocommit mode: the batch is one transaction
            try:
                self.db.executemany(_INSERT, rows)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise failure(exc, self.path) from exc
        return len(rows)

    def mark(self, rule: str, mark: str, ts: float | None = None) -> None:
        """A decision about a rule as a whole (see `demotion.MARKS`): committed on return."""
        if mark not in MARKS:
            raise ValueError(f"unknown mark {mark!r}; expected one of {MARKS}")
        try:
            with self.db:
                self.db.execute(
                    "INSERT INTO rule_marks (ts, rule, mark) VALUES (?, ?, ?)",
                    (time.time() if ts is None else ts, rule, mark),
                )
        except sqlite3.Error as exc:
            raise failure(exc, self.path) from exc

    def answer_suggestion(self, suggestion: str, answer: str, ts: float | None = None) -> None:
        """What the user said to a suggested Ruff setting (`suggestions.Pattern.key`, which
        names folders by their hashes only): committed on return."""
        if answer not in ANSWERS:
            raise ValueError(f"unknown answer {answer!r}; expected one of {ANSWERS}")
        try:
            with self.db:
                self.db.execute(
                    "INSERT INTO suggestion_marks (ts, suggestion, answer) VALUES (?, ?, ?)",
                    (time.time() if ts is None else ts, suggestion, answer),
                )
        except sqlite3.Error as exc:
            raise failure(exc, self.path) from exc

    def purge(self) -> int:
        """Delete every outcome and mark; returns how many outcomes there were."""
        try:
            with self.db:
                n = self.db.execute("DELETE FROM outcomes").rowcount
                self.db.execute("DELETE FROM rule_marks")
                self.db.execute("DELETE FROM suggestion_marks")
            self.db.execute("VACUUM")
        except sqlite3.Error as exc:
            raise failure(exc, self.path, "purge") from exc
        return int(n)

    # -- reading ------------------------------------------------------------------------------

    def project_hash(self, root: str) -> str:
        """A salted hash of a project root: outcomes group by project without naming it."""
        return hashlib.sha256((self._salt() + root).encode("utf-8")).hexdigest()[:16]

    def folder_hashes(self, folder: str | None) -> list[str]:
        """Salted hashes of `folder` and of the folders above it (nearest first, at most
        `FOLDER_DEPTH`): what a row keeps of where its file was, so outcomes group by folder
        without naming one. The same folder always hashes the same in one store."""
        if not folder:
            return []
        path = PurePosixPath(folder.replace("\\", "/"))
        chain = [path, *path.parents][:FOLDER_DEPTH]
        salt = self._salt()
        return [hashlib.sha256(f"{salt}folder:{p}".encode()).hexdigest()[:16] for p in chain]

    def _row(self, o: Outcome) -> Sequence[Any]:
        features = json.dumps(dict(o.features), sort_keys=True)
        folders = " ".join(self.folder_hashes(o.folder))
        return (o.ts, o.rule, o.outcome, o.detected, o.score, o.band, o.model,
                o.applicability, o.project, features, folders)  # fmt: skip

    def _salt(self) -> str:
        found = self.db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        if found:
            return str(found[0])
        salt = secrets.token_hex(16)
        try:
            with self.db:
                self.db.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (salt,)
                )
        except sqlite3.Error as exc:
            raise failure(exc, self.path) from exc
        return self._salt()

    def changed_elsewhere(self) -> bool:
        """Whether another connection (a second editor, `surefix data purge`) has committed
        since the last call: SQLite's `data_version` moves only for other connections' writes."""
        version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        changed, self._data_version = version != self._data_version, version
        return changed

    def stats(self) -> dict[str, Any]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for outcome, n in self.db.execute("SELECT outcome, COUNT(*) FROM outcomes GROUP BY 1"):
            counts[outcome] = n
        return {"outcomes": counts, "events": sum(counts.values()), "path": str(self.path)}

    def rule_records(self, since: float | None = None) -> dict[str, dict[str, int]]:
        """Outcome counts per rule: what hover shows and what demotion is decided on. With
        `since`, only outcomes after that time (those a retrained model has not learned from)."""
        out: dict[str, dict[str, int]] = {}
        for rule, outcome, n in self.db.execute(
            "SELECT rule, outcome, COUNT(*) FROM outcomes WHERE ts > ? GROUP BY 1, 2",
            (-math.inf if since is None else since,),
        ):
            out.setdefault(rule, dict.fromkeys(OUTCOMES, 0))[outcome] = n
        return out

    def rule_marks(self) -> dict[str, list[tuple[float, str]]]:
        """Every mark per rule, oldest first."""
        out: dict[str, list[tuple[float, str]]] = {}
        for ts, rule, mark in self.db.execute("SELECT ts, rule, mark FROM rule_marks ORDER BY id"):
            out.setdefault(rule, []).append((float(ts), str(mark)))
        return out

    def records_since_trusted(self) -> dict[str, dict[str, int]]:
        """`rule_records`, counting for each rule only outcomes after the user last said to
        trust it again: that is what a demotion is decided on."""
        out: dict[str, dict[str, int]] = {}
        for rule, outcome, n in self.db.execute(
            "SELECT o.rule, o.outcome, COUNT(*) FROM outcomes o LEFT JOIN ("
            "  SELECT rule, MAX(ts) AS ts FROM rule_marks WHERE mark = 'trusted' GROUP BY rule"
            ") m ON m.rule = o.rule WHERE m.ts IS NULL OR o.ts > m.ts GROUP BY 1, 2"
        ):
            out.setdefault(rule, dict.fromkeys(OUTCOMES, 0))[outcome] = n
        return out

    def records(self, through: float | None = None) -> Records:
        """Everything a score and its hover read of this user's history, in one read
        transaction (one consistent picture while another process writes). `through`: the
        time of the newest outcome the model in use learned from."""
        try:
            self.db.execute("BEGIN")
            try:
                every = self.rule_records()
                fresh = every if through is None else self.rule_records(through)
                return Records(every, fresh, self.records_since_trusted(), self.rule_marks())
            finally:
                self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise failure(exc, self.path, "read") from exc

    def decisions(self, rules: Iterable[str]) -> list[Decision]:
        """Every outcome of `rules` as the pattern finder reads it (`suggestions`): the rule,
        the outcome, Ruff's tier when it was offered, and the hashes of its file's folders."""
        wanted = sorted(set(rules))
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        rows = self.db.execute(
            "SELECT rule, outcome, applicability, folders FROM outcomes "
            f"WHERE rule IN ({marks}) AND folders != ''",
            wanted,
        )
        return [Decision(r, o, a, frozenset(f.split())) for r, o, a, f in rows]

    def suggestion_answers(self) -> dict[str, str]:
        """The user's latest answer to each suggested setting they answered."""
        rows = self.db.execute("SELECT suggestion, answer FROM suggestion_marks ORDER BY id")
        return {str(key): str(answer) for key, answer in rows}

    def outcomes(self) -> list[dict[str, Any]]:
        cursor = self.db.execute(
            "SELECT ts, rule, outcome, detected, score, band, model, applicability, project, "
            "features, folders FROM outcomes ORDER BY id"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def export(self, fmt: str = "json") -> str:
        rows = self.outcomes()
        if fmt == "json":
            return json.dumps(rows, indent=1)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else _COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()


@dataclass(frozen=True)
class Records:
    """Outcome counts per rule as the server scores with them (see `Store.records`)."""

    every: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # hover's record
    fresh: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # not yet learned
    since_trusted: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # demotion
    marks: Mapping[str, list[tuple[float, str]]] = field(default_factory=dict)


_INSERT = (
    "INSERT INTO outcomes (ts, rule, outcome, detected, score, band, model, applicability, "
    "project, features, folders) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
_COLUMNS = ["ts", "rule", "outcome", "detected", "score", "band", "model", "applicability",
            "project", "features", "folders"]  # fmt: skip


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


class StoreShapeError(StoreError):
    """The store's schema version is one this surefix knows, but its tables are not that
    version's: every read or write would fail, so the file is moved aside like a corrupt one."""


@functools.cache
def expected_shape() -> Mapping[str, frozenset[str]]:
    """The columns of each table the newest schema has, read from `MIGRATIONS` run on an
    empty in-memory database: the migrations are the one description of the schema."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(db)
        return {table: _columns(db, table) for table in _tables(db)}
    finally:
        db.close()


def check_shape(db: sqlite3.Connection) -> None:
    """Raise `StoreShapeError` naming what is missing: a table, or a column of one. Tables
    and columns of its own may be added to the file (an extra column only with a default, or
    inserts would fail)."""
    problems = []
    for table, wanted in expected_shape().items():
        found = _columns(db, table)
        if not found:
            problems.append(f"no table {table}")
        elif wanted - found:
            problems.append(f"{table} lacks {', '.join(sorted(wanted - found))}")
        required = _required(db, table) - wanted
        if required:
            problems.append(f"{table} requires {', '.join(sorted(required))}")
    if problems:
        raise StoreShapeError("; ".join(problems))


def _tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [str(name) for (name,) in rows]


def _columns(db: sqlite3.Connection, table: str) -> frozenset[str]:
    return frozenset(str(row[1]) for row in db.execute(f"PRAGMA table_info({table})"))


def _required(db: sqlite3.Connection, table: str) -> frozenset[str]:
    """Columns an insert must give: NOT NULL, no default, not the row id."""
    rows = db.execute(f"PRAGMA table_info({table})")
    return frozenset(str(r[1]) for r in rows if r[3] and r[4] is None and not r[5])


def migrate(db: sqlite3.Connection) -> None:
    """Bring the schema to the newest version in one write transaction: two editors opening a
    new store at the same moment take turns instead of both creating it. A store that is up to
    date is only read, so it opens while another process holds the write lock."""
    if int(db.execute("PRAGMA user_version").fetchone()[0]) == len(MIGRATIONS):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):  # a newer surefix wrote it: not corrupt, so not moved
            raise StoreError(
                f"the outcome store has schema {version}, newer than this surefix knows "
                f"({len(MIGRATIONS)}); upgrade surefix to use it"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in filter(str.strip, script.split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def record_words(rule: str, counts: Mapping[str, int]) -> str:
    """`Your record with F401: kept 3 of 5 fixes (1 undone, 1 suppressed).`"""
    total = sum(counts.values())
    kept = sum(counts.get(k, 0) for k in KEPT)
    others = ", ".join(f"{n} {k}" for k, n in counts.items() if n and k not in KEPT)
    return f"Your record with {rule}: kept {kept} of {total} fixes" + (
        f" ({others})." if others else "."
    )
