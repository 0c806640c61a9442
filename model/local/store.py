"""The local outcome store: what this user did with the fixes they were offered.

One SQLite file in the user's data directory (`platformdirs`, or `SUREFIX_DATA_DIR`, or a
setting). Every outcome is committed before `record` returns, in WAL mode, so a crash — even
SIGKILL — loses nothing that was reported as recorded, and two editors can write at once (the
busy timeout makes the second wait instead of failing). Rows hold identifiers and numbers only:
the rule, the feature row, the score, the band, the outcome, and a salted hash of the project
root — never file contents or code.

A file that is not a readable database is moved aside (kept, never deleted) and a fresh one is
created; the caller is told once, through `Store.notice`.
"""

from __future__ import annotations

import csv
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
from pathlib import Path
from typing import Any

DATA_ENV = "SUREFIX_DATA_DIR"
STORE_FILE = "outcomes.sqlite3"
OUTCOMES = ("accepted", "undone", "suppressed", "resolved-otherwise", "broke", "not-useful")
KEPT = frozenset({"accepted"})
NEGATIVE = ("undone", "suppressed", "broke", "not-useful")
MARKS = ("wrong", "undone", "trusted")  # see `demotion`
BUSY_TIMEOUT_MS = 10_000

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
)


class StoreError(RuntimeError):
    """The store cannot be read or written (read-only or full disk, locked too long)."""


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

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; expected one of {OUTCOMES}")


class Store:
    """The outcome store at `path` (created, migrated or moved aside as needed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notice: str | None = None  # something the user should hear about once
        self._data_version = -1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.OperationalError as exc:  # locked, busy, unwritable: not corruption
            raise StoreError(f"cannot open the outcome store {path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            aside = self._move_aside()
            self.notice = (
                f"the outcome store {path} could not be read ({exc}); it was moved to "
                f"{aside.name} and a new one was started"
            )
            self.db = self._open()

    @classmethod
    def at(cls, directory: Path | None = None) -> Store:
        return cls((directory or default_data_dir()) / STORE_FILE)

    def _open(self) -> sqlite3.Connection:
        """Connect, retrying while another process holds the lock: switching a new file to WAL
        takes an exclusive lock for which SQLite does not always wait, so two editors opening
        a fresh store at once would otherwise fail one of them with "database is locked"."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return self._connect()
            except sqlite3.OperationalError as exc:
                transient = "locked" in str(exc) or "busy" in str(exc)
                if not transient or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across crashes
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
            migrate(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _move_aside(self) -> Path:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
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
                cursor = self.db.execute(_INSERT, _row(outcome))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write the outcome store {self.path}: {exc}") from exc
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
            raise StoreError(f"cannot write the outcome store {self.path}: {exc}") from exc

    def record_many(self, outcomes: Iterable[Outcome]) -> int:
        rows = [_row(o) for o in outcomes]
        try:
            self.db.execute("BEGIN IMMEDIATE")  # autocommit mode: the batch is one transaction
            try:
                self.db.executemany(_INSERT, rows)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write the outcome store {self.path}: {exc}") from exc
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
            raise StoreError(f"cannot write the outcome store {self.path}: {exc}") from exc

    def purge(self) -> int:
        """Delete every outcome and mark; returns how many outcomes there were."""
        try:
            with self.db:
                n = self.db.execute("DELETE FROM outcomes").rowcount
                self.db.execute("DELETE FROM rule_marks")
            self.db.execute("VACUUM")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot purge the outcome store {self.path}: {exc}") from exc
        return int(n)

    # -- reading ------------------------------------------------------------------------------

    def project_hash(self, root: str) -> str:
        """A salted hash of a project root: outcomes group by project without naming it."""
        return hashlib.sha256((self._salt() + root).encode("utf-8")).hexdigest()[:16]

    def _salt(self) -> str:
        found = self.db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        if found:
            return str(found[0])
        salt = secrets.token_hex(16)
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (salt,))
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

    def outcomes(self) -> list[dict[str, Any]]:
        cursor = self.db.execute(
            "SELECT ts, rule, outcome, detected, score, band, model, applicability, project, "
            "features FROM outcomes ORDER BY id"
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


_INSERT = (
    "INSERT INTO outcomes (ts, rule, outcome, detected, score, band, model, applicability, "
    "project, features) VALUES (?,?,?,?,?,?,?,?,?,?)"
)
_COLUMNS = ["ts", "rule", "outcome", "detected", "score", "band", "model", "applicability",
            "project", "features"]  # fmt: skip


def _row(o: Outcome) -> Sequence[Any]:
    features = json.dumps(dict(o.features), sort_keys=True)
    return (o.ts, o.rule, o.outcome, o.detected, o.score, o.band, o.model,
            o.applicability, o.project, features)  # fmt: skip


def migrate(db: sqlite3.Connection) -> None:
    """Bring the schema to the newest version in one write transaction: two editors opening a
    new store at the same moment take turns instead of both creating it."""
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
