"""Fix runs the server computed, until the editor shows it applied one.

A fix-all edit goes out inside a code action (on save, or from the menu) or through
`workspace/applyEdit`; either way the server only learns that it was applied when the document
becomes exactly the text the run produced. Then, and only then, its fixes are outcomes: accepted
by the autopilot, watched for an undo or a break like any quick fix. A run the editor never
applies teaches nothing and is forgotten after the undo window. "Fix all RULE in this file" is
a run too, the user's own choice (`detected` "command"): the latest run of each kind is kept,
so computing one does not forget the other.
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
    detected: str = "fix-all"  # who chose the fixes: the autopilot, or the user ("command")


@dataclass(frozen=True)
class _Pending:
    run: Run
    after: str  # hash of the text it produced
    deadline: float
    cells: frozenset[str] = frozenset()  # hashes of the cells it produced, in a notebook


class Autopilot:
    """The latest run of each kind computed for each document, waiting to be applied."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._pending: dict[str, dict[str, _Pending]] = {}  # uri -> detected -> run

    def computed(
        self, uri: str, version: int, start: Analysis, run: FixRun, detected: str = "fix-all"
    ) -> None:
        runs = self._pending.setdefault(uri, {})
        if not run.applied:
            runs.pop(detected, None)
            return
        fixes = tuple(
            Applied(c, start.others(c.violation.rule), spot)
            for c, spot in zip(run.applied, run.spots, strict=True)
        )
        recorded = Run(
            version,
            text_hash(start.text),
            start.syntax_errors,
            run.final.model_version,
            fixes,
            detected,
        )
        cells = run.final.cells
        runs[detected] = _Pending(
            recorded,
            text_hash(run.text),
            time.monotonic() + self.window,
            frozenset(map(text_hash, cells.texts)) if cells is not None else frozenset(),
        )

    def applied(self, uri: str, text: str) -> Run | None:
        """The run whose result `text` is (no run of the document is pending after it: the
        others were computed for a text that is gone), or None."""
        runs = self._pending.get(uri)
        if not runs:
            return None
        now, after = time.monotonic(), text_hash(text)
        for detected, pending in list(runs.items()):
            if pending.deadline < now:
                del runs[detected]
            elif pending.after == after:
                runs.clear()
                return pending.run
        return None

    def arriving(self, uri: str, cells: Sequence[str]) -> bool:
        """Whether each of `cells` (a notebook's cells, just edited) holds what the pending run
        gives it: an editor applies a run that changes several cells one cell at a time, and
        until the last one arrives the notebook is on its way to the run's text."""
        now = time.monotonic()
        return bool(cells) and any(
            pending.deadline >= now and all(text_hash(text) in pending.cells for text in cells)
            for pending in self._pending.get(uri, {}).values()
        )

    def forget(self, uri: str) -> None:
        self._pending.pop(uri, None)
