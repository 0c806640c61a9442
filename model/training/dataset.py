"""Read the mined events table (`model/bundled/events.csv.gz`) into feature rows and label arrays.

The miner writes one row per de-duplicated event with bookkeeping columns (repo, commit, ts,
rule, label, …) and one column per feature. Reading is strict — a missing column or a label that
is not 0/1 stops with a `DatasetError` naming the line — because a silently mis-parsed column
trains a model that is wrong in ways no metric flags. Numpy and the standard library only.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from surefix.features.featurize import CATEGORICAL, FEATURE_NAMES, NUMERIC, Row
from surefix.model.mining.dataset import DatasetError

REQUIRED = ("repo", "commit", "ts", "label")


@dataclass(frozen=True)
class Dataset:
    """Events in file order: feature rows plus aligned numpy arrays of the bookkeeping."""

    rows: list[Row]
    y: np.ndarray  # 0/1 int
    repo: np.ndarray  # str
    commit: np.ndarray  # str
    ts: np.ndarray  # int unix time

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def rule(self) -> list[str]:
        return [str(r["rule"]) for r in self.rows]

    @property
    def family(self) -> list[str]:
        return [str(r["family"]) for r in self.rows]

    @property
    def applicability(self) -> list[str]:
        return [str(r["applicability"]) for r in self.rows]

    @property
    def safe(self) -> np.ndarray:
        return np.array([a == "safe" for a in self.applicability], dtype=bool)

    def subset(self, index: np.ndarray | Sequence[int]) -> Dataset:
        idx = np.asarray(index, dtype=int)
        return Dataset(
            rows=[self.rows[i] for i in idx],
            y=self.y[idx],
            repo=self.repo[idx],
            commit=self.commit[idx],
            ts=self.ts[idx],
        )

    def summary(self) -> dict[str, float | int]:
        return {
            "events": len(self),
            "repositories": len(set(self.repo.tolist())),
            "positive_rate": float(self.y.mean()) if len(self) else float("nan"),
            "rules": len(set(self.rule)),
            "first_ts": int(self.ts.min()) if len(self) else 0,
            "last_ts": int(self.ts.max()) if len(self) else 0,
        }


def load_events(path: str | os.PathLike[str]) -> Dataset:
    """Parse a (optionally gzipped) events CSV. Raises `DatasetError` with a one-line reason."""
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"dataset not found: {p}")
    try:
        raw = p.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read dataset {p}: {exc}") from None
    return parse_events(csv.DictReader(io.StringIO(text)), str(p))


def parse_events(records: Iterable[Mapping[str, str]], source: str = "dataset") -> Dataset:
    """Build a `Dataset` from CSV-like records (every value a string)."""
    reader = iter(records)
    fieldnames = getattr(records, "fieldnames", None)
    rows: list[Row] = []
    labels: list[int] = []
    repos: list[str] = []
    commits: list[str] = []
    stamps: list[int] = []
    checked = False
    for line, rec in enumerate(reader, start=2):
        if not checked:
            check_columns(fieldnames or list(rec), source)
            checked = True
        labels.append(parse_label(rec["label"], source, line))
        stamps.append(parse_int(rec["ts"], "ts", source, line))
        repos.append(rec["repo"])
        commits.append(rec["commit"])
        rows.append(parse_row(rec, source, line))
    if not checked and fieldnames is not None:
        check_columns(fieldnames, source)
    if not rows:
        raise DatasetError(f"{source} has no events")
    return Dataset(
        rows=rows,
        y=np.array(labels, dtype=int),
        repo=np.array(repos, dtype=object),
        commit=np.array(commits, dtype=object),
        ts=np.array(stamps, dtype=np.int64),
    )


def check_columns(fieldnames: Sequence[str], source: str) -> None:
    missing = [c for c in (*REQUIRED, *FEATURE_NAMES) if c not in fieldnames]
    if missing:
        raise DatasetError(f"{source} lacks required columns: {', '.join(missing)}")


def parse_row(rec: Mapping[str, str], source: str, line: int) -> Row:
    row: Row = {name: str(rec[name]) for name in CATEGORICAL}
    for name in NUMERIC:
        try:
            value = float(rec[name])
        except (TypeError, ValueError):
            raise DatasetError(
                f"{source} line {line}: {name} is not a number ({rec[name]!r})"
            ) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise DatasetError(f"{source} line {line}: {name} is not finite")
        row[name] = value
    return row


def parse_label(value: str | None, source: str, line: int) -> int:
    if value is None or value.strip() not in ("0", "1", "0.0", "1.0"):
        raise DatasetError(f"{source} line {line}: label must be 0 or 1, got {value!r}")
    return int(float(value))


def parse_int(value: str | None, name: str, source: str, line: int) -> int:
    try:
        return int(float(value or ""))
    except ValueError:
        raise DatasetError(f"{source} line {line}: {name} is not an integer ({value!r})") from None
