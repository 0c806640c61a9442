"""Apply trusted fixes to a fixed point — the autopilot behind `surefix fix` and fix-all.

Like Ruff's own fix loop: apply every chosen fix that does not overlap a better one, lint again
(fixes can reveal or enable others), and repeat until nothing is left or a bound is hit. Unlike
Ruff's loop, every round is checked: a round whose result has more syntax errors than its input
is thrown away whole and reported, so the autopilot never hands back a file it broke.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from surefix.features.ruff.edits import apply_edits
from surefix.features.ruff.findings import Position
from surefix.model.analysis import AUTO, Analysis, Candidate, ranked

MAX_ROUNDS = 20  # Ruff stops at 100; real files settle in two or three rounds


@dataclass(frozen=True)
class FixRun:
    """What the autopilot did: the final text and analysis, and every fix by what became of it."""

    text: str
    final: Analysis
    applied: tuple[Candidate, ...]
    dropped: tuple[Candidate, ...]  # applied in a round that broke the file, then undone
    rounds: int

    @property
    def changed(self) -> bool:
        return bool(self.applied)

    @property
    def remaining(self) -> tuple[Candidate, ...]:
        """Fixes still offered after the run: the ones the autopilot would not take."""
        return self.final.candidates


def auto_band(candidate: Candidate) -> bool:
    return candidate.band == AUTO


def fix_until_stable(
    analysis: Analysis,
    relint: Callable[[str], Analysis],
    trusted: Callable[[Candidate], bool] = auto_band,
    max_rounds: int = MAX_ROUNDS,
) -> FixRun:
    """Apply the `trusted` fixes of `analysis`, re-linting with `relint` after every round."""
    current = analysis
    applied: list[Candidate] = []
    dropped: list[Candidate] = []
    rounds = 0
    while rounds < max_rounds:
        chosen = non_overlapping(c for c in ranked(current.candidates) if trusted(c))
        if not chosen:
            break
        text = apply_edits(current.text, [e for c in chosen for e in c.fix.edits])
        if text == current.text:
            break
        rounds += 1
        after = relint(text)
        if after.syntax_errors > current.syntax_errors and len(chosen) > 1:
            chosen = chosen[:1]  # retry the round with its most trusted fix alone
            text = apply_edits(current.text, chosen[0].fix.edits)
            after = relint(text)
        if after.syntax_errors > current.syntax_errors:
            dropped.extend(chosen)
            break
        applied.extend(chosen)
        current = after
    return FixRun(current.text, current, tuple(applied), tuple(dropped), rounds)


def non_overlapping(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Greedy by trust: keep a fix only if none of its edits overlaps an edit already kept.

    Edits that merely touch (one ends where the next begins) clash too, as in Ruff's own loop:
    two deletions that meet can together empty a block neither empties alone. A fix left out is
    not lost: it is offered again in the next round, on the re-linted text.
    """
    kept: list[Candidate] = []
    spans: list[tuple[Position, Position]] = []
    for candidate in candidates:
        mine = [(e.start, e.end) for e in candidate.fix.edits]
        if any(_clash(a, b) for a in mine for b in spans):
            continue
        kept.append(candidate)
        spans.extend(mine)
    return kept


def _clash(a: tuple[Position, Position], b: tuple[Position, Position]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]
