"""Apply trusted fixes to a fixed point — the autopilot behind `surefix fix` and fix-all.

Like Ruff's own fix loop: apply every chosen fix that does not overlap a better one, lint again
(fixes can reveal or enable others), and repeat until nothing is left or a bound is hit. Unlike
Ruff's loop, every round is checked: a round whose result has more syntax errors than its input
is thrown away whole and reported, so the autopilot never hands back a file it broke. And every
round's fixes are scored on the text that round starts from, so a fix another one revealed is
applied only if it is trusted where it stands: a round is a whole lint and a whole scoring, and
only the parse is carried from round to round (`Document.edited`), where it was most of the cost.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from surefix.features.document import Document
from surefix.features.ruff import edits
from surefix.features.ruff.edits import apply_edits, split_lines
from surefix.features.ruff.findings import Edit
from surefix.model.analysis import AUTO, UNSCORED, Analysis, Candidate, ranked

MAX_ROUNDS = 20  # Ruff stops at 100; real files settle in two or three rounds

Hold = Callable[[Candidate, str], str | None]
"""Why a fix, offered on a text, is not applied automatically (None: it is)."""

Parse = Callable[[], Document]
"""A round's text parsed (`Document.edited`), the same document at every call."""

Relint = Callable[[str, Parse], Analysis]
"""Lint and score a text a round made, as the file: `analysis.assess` of it, with the parse
done while Ruff lints (`analysis.lint`'s `meanwhile`)."""


@dataclass(frozen=True)
class FixRun:
    """What the autopilot did: the final text and analysis, and every fix by what became of it."""

    text: str
    final: Analysis
    applied: tuple[Candidate, ...]
    dropped: tuple[Candidate, ...]  # applied in a round that broke the file, then undone
    rounds: int
    spots: tuple[str, ...] = ()  # each applied fix's violation line, stripped, as it stood
    held: tuple[tuple[Candidate, str], ...] = ()  # fixes left in the final text, and why

    @property
    def changed(self) -> bool:
        return bool(self.applied)

    @property
    def remaining(self) -> tuple[Candidate, ...]:
        """Fixes still offered after the run: the ones the autopilot would not take."""
        return self.final.candidates


def band_hold(candidate: Candidate, text: str = "") -> str | None:
    """The band's own reason: the autopilot takes only auto-apply fixes."""
    if candidate.band == AUTO:
        return None
    if candidate.not_automatic:
        return candidate.not_automatic
    if candidate.band == UNSCORED:
        return "no trust model is loaded"
    if candidate.fix.applicability != "safe":
        return f"Ruff marks the fix {candidate.fix.applicability}"
    return "its trust score is below the auto-apply threshold"


OTHER_RULE = "not the rule asked for"
APPLIED = ("safe", "unsafe")  # what a user may ask to apply; display-only fixes never are


def rule_hold(rule: str) -> Hold:
    """ "Fix all RULE in this file": the user asked for this rule's fixes, all of them, so no
    band, project choice or recent typing holds one back — only another rule, and a fix Ruff
    shows but never applies (display-only). Unsafe fixes are included, and the action's title
    says so: asked for explicitly, they are what the user saw offered one by one."""

    def hold(candidate: Candidate, text: str) -> str | None:
        if candidate.violation.rule != rule:
            return OTHER_RULE
        if candidate.fix.applicability not in APPLIED:
            return f"Ruff marks the fix {candidate.fix.applicability}"
        return None

    return hold


def holding(*extra: Hold) -> Hold:
    """`band_hold`, then each of `extra` in turn: the first reason found is the one given."""

    def hold(candidate: Candidate, text: str) -> str | None:
        for check in (band_hold, *extra):
            reason = check(candidate, text)
            if reason:
                return reason
        return None

    return hold


def fix_until_stable(
    analysis: Analysis,
    relint: Relint,
    hold: Hold = band_hold,
    max_rounds: int = MAX_ROUNDS,
    apply: Callable[[str, Sequence[Edit]], str] | None = None,
) -> FixRun:
    """Apply the fixes of `analysis` that nothing `hold`s back, re-linting with `relint` after
    every round. `apply` puts a round's edits on a text (a notebook's joined cells take them
    cell by cell, as `features.ruff.notebook.Joins` does); by default, `apply_edits` with the
    positions of the round's parse."""
    current = analysis
    document: Document | None = None  # current.text parsed, once a round has made it
    applied: list[Candidate] = []
    dropped: list[Candidate] = []
    spots: list[str] = []
    rounds = 0
    while rounds < max_rounds:
        text = current.text
        chosen = non_overlapping(c for c in ranked(current.candidates) if not hold(c, text))
        if not chosen:
            break
        before = document or Document.recent(current.text, current.path)
        put = apply or _applying(before)
        changes = [e for c in chosen for e in c.fix.edits]
        text = put(current.text, changes)
        if text == current.text:
            break
        rounds += 1
        parse = _parsing(before, current.path, text, changes)
        after = relint(text, parse)
        if after.syntax_errors > current.syntax_errors and len(chosen) > 1:
            chosen = chosen[:1]  # retry the round with its most trusted fix alone
            text = put(current.text, chosen[0].fix.edits)
            parse = _parsing(before, current.path, text, chosen[0].fix.edits)
            after = relint(text, parse)
        if after.syntax_errors > current.syntax_errors:
            dropped.extend(chosen)
            break
        applied.extend(chosen)
        lines = before.lines if before is not None else split_lines(current.text)
        spots += [spot_of(lines, c.violation.start.line) for c in chosen]
        current, document = after, parse()
    held = tuple(
        (c, reason) for c in current.candidates if (reason := hold(c, current.text)) is not None
    )
    return FixRun(current.text, current, tuple(applied), tuple(dropped), rounds, tuple(spots), held)


def _applying(before: Document | None) -> Callable[[str, Sequence[Edit]], str]:
    """`apply_edits` with the positions of `before`, the text's parse, where there is one."""
    index = before.index if before is not None else None
    return lambda text, changes: apply_edits(text, changes, index)


def _parsing(before: Document | None, path: str, text: str, changes: Sequence[Edit]) -> Parse:
    """How `text`, which `changes` made of `before`'s text, is parsed — once, when first asked:
    from `before` (the last round's document, or the one its analysis parsed) where there is
    one (a notebook's cells take edits their own way, and `edited` checks the text it is given
    against the edits), else whole. Its line index comes with it: scoring needs that too."""

    @cache
    def parse() -> Document:
        parsed = Document(text, path) if before is None else before.edited(text, changes)
        parsed.index  # noqa: B018 - built here, while Ruff lints, rather than after
        return parsed

    return parse


def unchanged(analysis: Analysis) -> FixRun:
    """A run that applied nothing to `analysis`: the answer when no run could be completed
    with a model whose scores are numbers on the text as it is now."""
    return FixRun(analysis.text, analysis, (), (), 0)


def spot_of(lines: Sequence[str], line: int) -> str:
    """A violation's line, stripped: where "the same fix at the same spot" is recognised again
    after an undo, wherever the line has moved."""
    return lines[line].strip() if line < len(lines) else ""


def non_overlapping(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Greedy by trust: keep a fix only if none of its edits overlaps (or touches) an edit
    already kept (`edits.non_overlapping`)."""
    return edits.non_overlapping(candidates, lambda c: c.fix.edits)


def typed_hold(typed: Collection[str], reason: str) -> Hold:
    """Hold back a fix that deletes or rewrites a line the user typed (lines by stripped text,
    as `server.lsp.recent` keeps them): such a fix stays a quick fix."""

    lines_of = _split_once()

    def hold(candidate: Candidate, text: str) -> str | None:
        if not typed:
            return None
        lines = lines_of(text)
        for n in touched_lines(candidate):
            if n < len(lines) and lines[n].strip() in typed:
                return reason
        return None

    return hold


def touched_lines(candidate: Candidate) -> set[int]:
    """Lines whose text a fix's edits change. An insertion at the start of a line adds lines
    before it without changing it; a range ending at column 0 stops at the line before."""
    touched: set[int] = set()
    for e in candidate.fix.edits:
        if e.start == e.end and e.start.column == 0:
            continue
        last = e.end.line - 1 if e.end.column == 0 and e.end.line > e.start.line else e.end.line
        touched.update(range(e.start.line, last + 1))
    return touched


def undone_hold(spots: Collection[tuple[str, str]]) -> Hold:
    """Hold back a fix the user undid at the same spot (rule, stripped line) in this session."""

    lines_of = _split_once()

    def hold(candidate: Candidate, text: str) -> str | None:
        if not spots:
            return None
        lines = lines_of(text)
        if (candidate.violation.rule, spot_of(lines, candidate.violation.start.line)) in spots:
            return "you undid this fix here"
        return None

    return hold


def _split_once() -> Callable[[str], list[str]]:
    """`split_lines`, remembered for the last text: a hold sees one text many times."""
    last: list[tuple[str, list[str]]] = []

    def lines_of(text: str) -> list[str]:
        if not last or last[0][0] is not text:
            last[:] = [(text, split_lines(text))]
        return last[0][1]

    return lines_of
