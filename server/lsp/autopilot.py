"""Fix-all runs the server computed, until the editor shows it applied one.

A fix-all edit goes out inside a code action (on save, or from the menu) or through
`workspace/applyEdit`; either way the server only learns that it was applied when the document
becomes exactly the text the run produced. Then, and only then, its fixes are outcomes: accepted
by the autopilot, watched for an undo or a break like any quick fix. A run the editor never
applies teaches nothing and is forgotten after the undo window.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from surefix.model.analysis import Analysis, Candidate
from surefix.model.autofix import FixRun
from surefix.model.local.outcome_watch import text_hash


@dataclass(frozen=True)
class Applied:
    """One fix of a run, with what the watch needs of the text the run started from."""

    candidate: Candidate
    others: int  # violations of other rules in that text
    spot: str


@dataclass(frozen=True)
class Run:
    """A run the editor applied: the version it started from and its fixes."""

    version: int
    before: str  # hash of the text it started from
    syntax_errors: int
    model: str | None
    fixes: tuple[Applied, ...]


@dataclass(frozen=True)
class _Pending:
    run: Run
    after: str  # hash of the text it produced
    deadline: float
    cells: frozenset[str] = frozenset()  # hashes of the cells it produced, in a notebook


class Autopilot:
    """The latest run computed for each document, waiting to be applied."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._pending: dict[str, _Pending] = {}

    def computed(self, uri: str, version: int, start: Analysis, run: FixRun) -> None:
        if not run.applied:
            self._pending.pop(uri, None)
            return
        fixes = tuple(
            Applied(c, start.others(c.violation.rule), spot)
            for c, spot in zip(run.applied, run.spots, strict=True)
        )
        recorded = Run(
            version, text_hash(start.text), start.syntax_errors, run.final.model_version, fixes
        )
        cells = run.final.cells
        self._pending[uri] = _Pending(
            recorded,
            text_hash(run.text),
            time.monotonic() + self.window,
            frozenset(map(text_hash, cells.texts)) if cells is not None else frozenset(),
        )

    def applied(self, uri: str, text: str) -> Run | None:
        """The run whose result `text` is (it is no longer pending), or None."""
        pending = self._pending.get(uri)
        if pending is None:
            return None
        if pending.deadline < time.monotonic():
            del self._pending[uri]
            return None
        if text_hash(text) != pending.after:
            return None
        del self._pending[uri]
        return pending.run

    def arriving(self, uri: str, cells: Sequence[str]) -> bool:
        """Whether each of `cells` (a notebook's cells, just edited) holds what the pending run
        gives it: an editor applies a run that changes several cells one cell at a time, and
        until the last one arrives the notebook is on its way to the run's text."""
        pending = self._pending.get(uri)
        if pending is None or not cells or pending.deadline < time.monotonic():
            return False
        return all(text_hash(text) in pending.cells for text in cells)

    def forget(self, uri: str) -> None:
        self._pending.pop(uri, None)
