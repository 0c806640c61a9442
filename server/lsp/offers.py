"""What the server offered, kept by the server.

A code action's command names an offer by an opaque id and says what the user did with it; the
feature row, score, band and text hash that go into the store are the server's own record of the
offer, never something a client sent back. An unknown, expired or already answered id is refused,
so a client can report only what it was shown, once.

Offers live in memory for the newest `KEEP_VERSIONS` analysed versions of each open document (a
fix is applied on one version and its command arrives on the next) and go when it closes.
"""

from __future__ import annotations

import itertools
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from surefix.features.ruff.edits import split_lines
from surefix.features.ruff.findings import Violation
from surefix.model.analysis import Analysis, Candidate
from surefix.model.autofix import spot_of
from surefix.model.local.outcome_watch import RowRef, Taken, text_hash
from surefix.model.local.store import Outcome

KEEP_VERSIONS = 8
USER_OUTCOMES = ("accepted", "suppressed", "not-useful")  # what a client may report


@dataclass(frozen=True)
class Offer:
    """One violation as offered on one version: its fix (if any) with the model's view of it."""

    id: str
    uri: str
    version: int
    violation: Violation
    candidate: Candidate | None  # None: no fix, only silencing the rule
    model: str | None
    before: str  # hash of the text the offer was made on
    syntax_errors: int
    others: int  # violations of other rules in that text
    spot: str  # see `autofix.spot_of`

    def allows(self, outcome: str) -> bool:
        if self.candidate is None:
            return outcome == "suppressed"
        return outcome in USER_OUTCOMES

    def outcome(self, kind: str, detected: str, project: str, folder: str | None) -> Outcome:
        return outcome_of(
            self.violation.rule, self.candidate, self.model, kind, detected, project, folder
        )

    def taken(self, row: RowRef) -> Taken:
        return Taken(
            row,
            self.version,
            self.before,
            self.syntax_errors,
            self.violation.rule,
            self.others,
            self.spot,
        )


def outcome_of(
    rule: str,
    c: Candidate | None,
    model: str | None,
    kind: str,
    detected: str,
    project: str,
    folder: str | None = None,
) -> Outcome:
    """The store's row for what became of one fix (or, without a candidate, of a violation).
    `folder` is the file's folder, which the store keeps only as salted hashes."""
    return Outcome(
        rule=rule,
        outcome=kind,
        detected=detected,
        band=c.band if c else "none",
        applicability=c.fix.applicability if c else "none",
        features=dict(c.row) if c else {},
        score=c.score if c else None,
        model=model,
        project=project,
        folder=folder,
    )


def brief(value: object, limit: int = 40) -> str:
    """A client's value in a refusal: quoted, and cut short, so a giant string never fills
    the log or the reply."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text):,} characters)"


def _kind(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {brief(value)}"


class Offers:
    """The offers of every open document, by id."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(4)  # ids of another server process never match
        self._numbers = itertools.count(1)
        self._by_id: dict[str, Offer] = {}
        self._versions: dict[str, OrderedDict[int, list[str]]] = {}
        self._answered: set[str] = set()
        self._last_hash = ("", text_hash(""))  # one hash per text, however many offers it has
        self._last_lines: tuple[str, list[str]] = ("", [])

    def make(self, uri: str, version: int, analysis: Analysis, v: Violation) -> Offer:
        """Register the offer of `v` (and its fix, when it has one) on this version."""
        offer = Offer(
            id=f"{self._prefix}-{next(self._numbers)}",
            uri=uri,
            version=version,
            violation=v,
            candidate=analysis.candidate_of.get(id(v)),
            model=analysis.model_version,
            before=self._hash(analysis.text),
            syntax_errors=analysis.syntax_errors,
            others=analysis.others(v.rule),
            spot=spot_of(self._lines(analysis.text), v.start.line),
        )
        self._by_id[offer.id] = offer
        versions = self._versions.setdefault(uri, OrderedDict())
        versions.setdefault(version, []).append(offer.id)
        versions.move_to_end(version)
        while len(versions) > KEEP_VERSIONS:
            _, expired = versions.popitem(last=False)
            self._drop(expired)
        return offer

    def _lines(self, text: str) -> list[str]:
        if self._last_lines[0] is not text:
            self._last_lines = (text, split_lines(text))
        return self._last_lines[1]

    def _hash(self, text: str) -> str:
        if self._last_hash[0] is not text:
            self._last_hash = (text, text_hash(text))
        return self._last_hash[1]

    def check(self, answer: object) -> Offer | str:
        """The open offer a client's answer (`{offer, outcome}`, as the server put it in the
        action's command) names, or why the answer is refused. Nothing else a client sends is
        read: a rule, a score, a path or a megabyte of text is no offer this server made, and
        a refusal quotes at most a few dozen characters of it."""
        if not isinstance(answer, dict):
            return f"expected the {{offer, outcome}} of a surefix code action, got {_kind(answer)}"
        offer_id, outcome = answer.get("offer"), answer.get("outcome")
        if not isinstance(offer_id, str):
            return f"expected an offer id made by this server, got {_kind(offer_id)}"
        offer = self._by_id.get(offer_id)
        if offer is None:
            return f"no open offer {brief(offer_id)}: this server did not make it, or it expired"
        if not isinstance(outcome, str) or not offer.allows(outcome):
            allowed = ", ".join(o for o in USER_OUTCOMES if offer.allows(o))
            return f"offer {offer_id} cannot be answered with {brief(outcome)} (only {allowed})"
        if not self.open(offer):
            return f"offer {offer_id} was already answered"
        return offer

    def open(self, offer: Offer) -> bool:
        """Whether `offer` is still known and unanswered (each offer reaches the store once)."""
        return offer.id in self._by_id and offer.id not in self._answered

    def settle(self, offer: Offer) -> None:
        """Mark `offer` answered: its outcome is on its way to the store."""
        if self.open(offer):
            self._answered.add(offer.id)

    def reopen(self, offer: Offer) -> None:
        """Its outcome could not be written (the store failed): it may be answered again."""
        self._answered.discard(offer.id)

    def get(self, offer_id: str) -> Offer | None:
        return self._by_id.get(offer_id)

    def forget(self, uri: str) -> None:
        for ids in self._versions.pop(uri, {}).values():
            self._drop(ids)

    def _drop(self, ids: list[str]) -> None:
        for offer_id in ids:
            self._by_id.pop(offer_id, None)
            self._answered.discard(offer_id)
