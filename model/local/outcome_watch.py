"""Outcomes that only show later: an accepted fix that is undone or broke the file, and an
offered fix whose violation the user resolved another way.

After a fix is accepted its document is watched for a while. If the text returns to exactly what
it was before the fix (the editor's undo), the acceptance becomes `undone`; if the next analysis
has more syntax errors, or more violations of other rules, than the one the fix was offered on,
it becomes `broke`. Both are
negatives: they teach more than any acceptance. Only hashes of texts are kept, in memory.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Any

from surefix.features.ruff.edits import MAX_DIFF_CELLS, apply_edits, common_ends, split_lines
from surefix.features.ruff.findings import Fix

UNDO_WINDOW_S = 120.0


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class RowRef:
    """The store row of a taken fix, whose id is known only once the row is written: the
    server queues its writes (a lock may hold them), and a later revision of the row (undone,
    broke) is queued behind the write that sets `id`."""

    __slots__ = ("id",)

    def __init__(self, row_id: int | None = None) -> None:
        self.id = row_id

    def __repr__(self) -> str:
        return f"RowRef({self.id})"


@dataclass(frozen=True)
class Taken:
    """A fix that was applied — by the user from a quick fix, or by the autopilot — as the
    watch needs it: the text it was applied to, and how that text stood."""

    row: RowRef
    version: int  # the version the fix was offered on
    before: str  # hash of that version's text
    syntax_errors: int  # in that version
    rule: str = ""
    others: int = 0  # violations of other rules in that version
    spot: str = ""  # the text of the violation's line, where an undo leaves it again


@dataclass
class Accepted:
    taken: Taken
    deadline: float
    checked_broke: bool = False


class OutcomeWatch:
    """Applied fixes still being watched, per document."""

    def __init__(self, undo_window: float = UNDO_WINDOW_S) -> None:
        self.undo_window = undo_window
        self._watched: dict[str, list[Accepted]] = {}

    def accepted(self, uri: str, taken: Taken) -> None:
        entry = Accepted(taken, time.monotonic() + self.undo_window)
        self._watched.setdefault(uri, []).append(entry)

    def watching(self, uri: str) -> bool:
        return bool(self._watched.get(uri))

    def undone(self, uri: str, text: str) -> list[Taken]:
        """The fixes this text undoes (their watch ends)."""
        now = time.monotonic()
        live = [a for a in self._watched.get(uri, ()) if a.deadline >= now]
        if not live:
            self._watched.pop(uri, None)
            return []
        digest = text_hash(text)
        hits = [a.taken for a in live if a.taken.before == digest]
        self._watched[uri] = [a for a in live if a.taken.before != digest]
        return hits

    def broke(
        self, uri: str, version: int, syntax_errors: int, rules: Mapping[str, int] | None = None
    ) -> list[RowRef]:
        """Rows whose fix left more syntax errors, or more violations of other breaking rules
        (`model.analysis.BREAKING`: an import removed that was used, F821), in the first
        analysis after it. `rules` counts those rules' violations only."""
        hits = []
        for a in self._watched.get(uri, ()):
            taken = a.taken
            if a.checked_broke or version <= taken.version:
                continue
            a.checked_broke = True
            others = other_violations(rules, taken.rule) if rules is not None else taken.others
            if syntax_errors > taken.syntax_errors or others > taken.others:
                hits.append(taken.row)
        if hits:
            self._watched[uri] = [a for a in self._watched[uri] if a.taken.row not in hits]
        return hits

    def forget(self, uri: str) -> None:
        self._watched.pop(uri, None)


def other_violations(rules: Mapping[str, int], rule: str) -> int:
    return sum(n for r, n in rules.items() if r != rule)


@dataclass
class Offer:
    """A fix shown to the user, waiting to see what becomes of its violation."""

    rule: str
    line: int  # 0-based line of the violation in the text last analysed
    fix: Fix
    facts: dict[str, Any]


class OfferWatch:
    """Fixes offered in this session whose violation may still go away by another edit.

    At every analysis of a document, an offered fix whose violation has disappeared is judged by
    what happened to its line between the two texts: *edited* (and not into the fix itself, and
    not into a `# noqa`) is `resolved-otherwise`; deleted, untouched (the violation left for
    another reason, e.g. the import got used) or mid-typing with a syntax error is no label. The
    texts live only in memory, for one document at a time.
    """

    def __init__(self) -> None:
        self._offers: dict[str, dict[tuple[str, int], Offer]] = {}
        self._texts: dict[str, str] = {}
        self._ours: dict[str, set[str]] = {}  # hashes of texts our own fix-all produced

    def offered(self, uri: str, text: str, offers: Iterable[Offer]) -> None:
        if self._texts.get(uri) != text:
            self._offers[uri] = {}
            self._texts[uri] = text
        for offer in offers:
            self._offers[uri].setdefault((offer.rule, offer.line), offer)

    def expect(self, uri: str, text: str) -> None:
        """A text the server produced (apply-all-trusted, a formatting): violations it removes
        were fixed, not resolved by hand, when the document arrives at it."""
        self._ours.setdefault(uri, set()).add(text_hash(text))

    def settled(self, uri: str, rule: str, line: int) -> None:
        """The user answered this fix through an action (accepted, silenced, not useful)."""
        self._offers.get(uri, {}).pop((rule, line), None)

    def resolved(
        self, uri: str, text: str, present: Iterable[tuple[str, int]], syntax_errors: int
    ) -> list[dict[str, Any]]:
        """Facts of the offers this new text resolved another way (their watch ends)."""
        offers, before = self._offers.get(uri), self._texts.get(uri)
        if not offers or before is None or before == text or syntax_errors:
            return []
        ours = text_hash(text) in self._ours.pop(uri, set())
        old, new = split_lines(before), split_lines(text)
        moved = line_map(old, new, (o.line for o in offers.values()))
        still = set(present)
        kept: dict[tuple[str, int], Offer] = {}
        out = []
        for offer in offers.values():
            fate, at = moved.get(offer.line, ("deleted", -1))
            if fate == "same" and (offer.rule, at) in still:
                kept[(offer.rule, at)] = replace(offer, line=at)
            elif fate == "edited" and not ours and resolved_by_hand(before, text, offer, new[at]):
                out.append({**offer.facts, "outcome": "resolved-otherwise", "detected": "edit"})
        self._offers[uri], self._texts[uri] = kept, text
        return out

    def forget(self, uri: str) -> None:
        self._offers.pop(uri, None)
        self._texts.pop(uri, None)
        self._ours.pop(uri, None)


EDITED_SIMILARITY = 0.4
NEARBY = 20  # lines either side of an old line's place in the block that replaced it


def line_map(old: list[str], new: list[str], lines: Iterable[int]) -> dict[int, tuple[str, int]]:
    """Where each of `lines` went: `same` (unchanged, at its new index) or `edited` (its most
    similar line among the nearest of the block that replaced it, if at least 40 % alike).
    Anything else counts as deleted and is absent: rewriting a function is no answer to a fix."""
    wanted = set(lines)
    start, end_old, end_new = common_ends(old, new)
    out: dict[int, tuple[str, int]] = {}
    for k in wanted:  # outside the changed block: where the shift puts it
        if k < start:
            out[k] = ("same", k)
        elif k >= end_old:
            out[k] = ("same", k - end_old + end_new)
    if (end_old - start) * (end_new - start) > MAX_DIFF_CELLS:
        return out  # a rewrite this large answers no fix: its lines count as deleted
    matcher = SequenceMatcher(None, old[start:end_old], new[start:end_new], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        i1, i2, j1, j2 = i1 + start, i2 + start, j1 + start, j2 + start
        for k in wanted.intersection(range(i1, i2)):
            if op == "equal":
                out[k] = ("same", j1 + k - i1)
            elif op == "replace":
                near = j1 + min(k - i1, j2 - j1 - 1)
                ratio, j = max(
                    (SequenceMatcher(None, old[k], new[j], autojunk=False).ratio(), j)
                    for j in range(max(j1, near - NEARBY), min(j2, near + NEARBY + 1))
                )
                if ratio >= EDITED_SIMILARITY:
                    out[k] = ("edited", j)
    return out


def resolved_by_hand(before: str, after: str, offer: Offer, line: str) -> bool:
    """Not the offered fix itself (its command records that) and not a `# noqa`."""
    return "noqa" not in line and apply_edits(before, offer.fix.edits) != after
