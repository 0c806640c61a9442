"""What became of the fixes this server offered: the outcome store, its per-rule records, and
the watches that see outcomes only later (an undo, a fix that broke the file, a violation the
user resolved another way).

`OutcomeTracker` owns all of that state. It writes the store only when a client answers an offer
or when an analysis has been published (`observe`), never while a version is being analysed, and
it tells its owner when the records changed so that open documents are re-scored — not re-linted.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from surefix.features.featurize import RuleHistory
from surefix.features.ruff.findings import SYNTAX_ERROR
from surefix.model.analysis import Analysis
from surefix.model.autofix import FixRun
from surefix.model.local.demotion import TRUSTED, UNDONE, WRONG, Policy, demotions
from surefix.model.local.outcome_watch import Offer as Watched
from surefix.model.local.outcome_watch import OfferWatch, OutcomeWatch, Taken
from surefix.model.local.store import Store, StoreError, record_words
from surefix.server.lsp.autopilot import Autopilot, Run
from surefix.server.lsp.offers import Offer, Offers, outcome_of

Say = Callable[[str], None]


@dataclass(frozen=True)
class Collection:
    """Where outcomes go, from the settings: the data directory (None: the default) and
    whether they are collected at all."""

    directory: Path | None
    enabled: bool
    undo_window: float
    policy: Policy


class OutcomeTracker:
    """The store, the per-rule records read from it, the offers made and the watches on them."""

    def __init__(
        self,
        say: Say,
        log: Say,
        project_root: Callable[[], str],
        learned_through: Callable[[], float | None],
        records_changed: Callable[[], None],
        latest: Callable[[str], tuple[int, Analysis] | None],
    ) -> None:
        self._say, self._log, self._latest = say, log, latest
        self._root, self._through, self._changed = project_root, learned_through, records_changed
        self.offers = Offers()
        self.collection = Collection(None, True, 120.0, Policy())
        self._store: Store | None = None
        self._problem: str | None = None
        self._records: dict[str, dict[str, int]] = {}  # every outcome (hover)
        self._fresh: dict[str, dict[str, int]] = {}  # those the model has not learned from
        self._since_trusted: dict[str, dict[str, int]] = {}  # what demotion is decided on
        self._marks: dict[str, list[tuple[float, str]]] = {}
        self._accepted = OutcomeWatch()
        self._shown = OfferWatch()
        self.autopilot = Autopilot(self.collection.undo_window)
        self._undone_spots: dict[str, set[tuple[str, str]]] = {}  # this session's undos

    # -- the store ------------------------------------------------------------------------

    def configure(self, collection: Collection) -> None:
        where = (collection.directory, collection.enabled)
        if where != (self.collection.directory, self.collection.enabled):
            self.close()
        self.collection = collection
        self._accepted.undo_window = self.autopilot.window = collection.undo_window

    @property
    def collecting(self) -> bool:
        return self.collection.enabled and self._problem is None

    def store(self) -> Store | None:
        """The store, opened on first use; None when collection is off or the store cannot be
        opened (the user is told once, and fixes keep working)."""
        if not self.collecting:
            return None
        if self._store is None:
            try:
                self._store = Store.at(self.collection.directory)
            except (OSError, sqlite3.Error, StoreError) as exc:
                self._failed(f"cannot open the local outcome store ({exc})")
                return None
            if self._store.notice:
                self._say(f"surefix: {self._store.notice}")
            self.refresh()
        return self._store

    def close(self) -> None:
        """Let go of the store (another process needs it, or the settings moved it)."""
        if self._store is not None:
            self._store.close()
        self._store, self._problem, self._records, self._fresh = None, None, {}, {}
        self._since_trusted, self._marks = {}, {}

    def refresh(self) -> None:
        """Re-read the per-rule counts: all of them, and those newer than the model in use (the
        score's shift: a retrained model has already learned from the older ones)."""
        if self._store is None:
            self._records, self._fresh, self._since_trusted, self._marks = {}, {}, {}, {}
            return
        self._records = self._store.rule_records()
        through = self._through()
        self._fresh = self._records if through is None else self._store.rule_records(through)
        self._since_trusted = self._store.records_since_trusted()
        self._marks = self._store.rule_marks()

    def sync(self) -> None:
        """Re-read the records if another connection wrote the store (a second editor, or
        `surefix data purge` in a terminal), so the next score and its hover do not quote a
        record that is gone. On the event loop only: the store's connection lives there."""
        store = self._store
        if store is not None and store.changed_elsewhere():
            self.refresh()

    def _failed(self, problem: str) -> None:
        self._problem = problem
        self._say(f"surefix: {problem}; outcomes are not recorded, everything else works")

    # -- what scoring reads -------------------------------------------------------------------

    def history(self) -> Callable[[str], RuleHistory]:
        """This user's record per rule as the scorer reads it: a snapshot for one analysis."""
        records = dict(self._fresh)

        def of(rule: str) -> RuleHistory:
            counts = records.get(rule)
            if not counts:
                return RuleHistory()
            return RuleHistory(kept=counts.get("accepted", 0), total=sum(counts.values()))

        return of

    def demotions(self) -> Mapping[str, str]:
        return demotions(self._since_trusted, self._marks, self.collection.policy)

    def undone_here(self, uri: str) -> set[tuple[str, str]]:
        """(rule, spot) of fixes undone in this document this session: never re-applied there
        automatically (see `autofix.spot_of`)."""
        return self._undone_spots.get(uri, set())

    def record_words(self, rule: str) -> str | None:
        counts = self._records.get(rule)
        return record_words(rule, counts) if counts else None

    # -- answers ------------------------------------------------------------------------------

    def answer(self, answer: object) -> dict[str, object]:
        """A client's report of what the user did with an offer (an action's command's
        argument). Only an open offer this server made reaches the store, as the server's own
        record of it; anything else is refused with its reason, logged, never shown."""
        taken = self.offers.check(answer)
        if isinstance(taken, str):
            self._log(f"surefix: outcome not recorded: {taken}")
            return {"recorded": False, "reason": taken}
        assert isinstance(answer, dict)
        outcome = str(answer["outcome"])
        self._shown.settled(taken.uri, taken.violation.rule, taken.violation.start.line)
        recorded = self._record(taken, outcome, "command")
        if recorded and outcome == "not-useful":
            self._mark(taken.violation.rule, WRONG)
        if recorded and outcome == "accepted":
            newer = self._latest(taken.uri)  # the fixed text may be analysed already
            if newer is not None:
                self._detect(taken.uri, *newer)
        if recorded:
            self._changed()
        return {"recorded": recorded}

    def trust_again(self, rule: str) -> bool:
        """ "Trust RULE again": the rule's demotion ends, and only new evidence brings it back.
        Only a rule the server holds back (the one kind it offers this for) is marked; any
        other is refused without touching the store."""
        if rule not in self.demotions():
            return False
        recorded = self._mark(rule, TRUSTED)
        if recorded:
            self._changed()
        return recorded

    def _mark(self, rule: str, mark: str) -> bool:
        store = self.store()
        if store is None:
            return False
        try:
            store.mark(rule, mark)
        except StoreError as exc:
            self._failed(str(exc))
            return False
        self.refresh()
        return True

    def _record(self, offer: Offer, outcome: str, detected: str) -> bool:
        store = self.store()
        if store is None:
            return False
        try:
            row_id = store.record(
                offer.outcome(outcome, detected, store.project_hash(self._root()))
            )
        except StoreError as exc:
            self._failed(str(exc))
            return False
        self.offers.settle(offer)
        if outcome == "accepted":
            self._accepted.accepted(offer.uri, offer.taken(row_id))
        self.refresh()
        return True

    def _record_run(self, uri: str, run: Run) -> bool:
        """Every fix of a fix-all run the editor applied: accepted, by the autopilot."""
        store = self.store()
        if store is None:
            return False
        project = store.project_hash(self._root())
        rows = [
            outcome_of(
                f.candidate.violation.rule, f.candidate, run.model, "accepted", "fix-all", project
            )
            for f in run.fixes
        ]
        try:
            row_ids = [store.record(row) for row in rows]
        except StoreError as exc:
            self._failed(str(exc))
            return False
        for row_id, f in zip(row_ids, run.fixes, strict=True):
            rule = f.candidate.violation.rule
            taken = Taken(
                row_id, run.version, run.before, run.syntax_errors, rule, f.others, f.spot
            )
            self._accepted.accepted(uri, taken)
        self._log(f"{len(rows)} fix(es) applied by fix-all recorded as accepted")
        self.refresh()
        return True

    def _revise(self, row_ids: list[int], outcome: str) -> bool:
        """Accepted fixes that were undone or broke the file become negatives."""
        store = self.store()
        if store is None or not row_ids:
            return False
        try:
            for row_id in row_ids:
                store.revise(row_id, outcome, "undo" if outcome == "undone" else "syntax-error")
        except StoreError as exc:
            self._failed(str(exc))
            return False
        self._log(f"{len(row_ids)} accepted fix(es) recorded as {outcome}")
        self.refresh()
        return True

    def _undone(self, uri: str, undone: list[Taken]) -> bool:
        """One undo, of one fix or of a whole fix-all run: each fix is `undone`, each rule gets
        one undo mark (one decision, however many fixes it reverted), and none is re-applied
        automatically at its spot in this session."""
        if not undone:
            return False
        spots = self._undone_spots.setdefault(uri, set())
        spots.update((u.rule, u.spot) for u in undone)
        revised = self._revise([u.row_id for u in undone], "undone")
        for rule in dict.fromkeys(u.rule for u in undone):
            self._mark(rule, UNDONE)
        return revised

    # -- what the watches see -----------------------------------------------------------------

    def shown(self, uri: str, analysis: Analysis, offers: list[Offer]) -> None:
        """Fixes a code-action answer showed: their violation may go away by another edit."""
        watched = [
            Watched(o.violation.rule, o.violation.start.line, o.candidate.fix, {"offer": o.id})
            for o in offers
            if o.candidate is not None
        ]
        self._shown.offered(uri, analysis.text, watched)

    def computed(self, uri: str, version: int, start: Analysis, run: FixRun) -> None:
        """A fix-all run was computed: what it removes was fixed, not resolved by hand, and
        once the document becomes its text, its fixes are outcomes."""
        self._shown.expect(uri, run.text)
        self.autopilot.computed(uri, version, start, run)

    def changed(self, uri: str, text: str) -> bool:
        """The document changed: did the change undo an applied fix, or apply a fix-all run?
        Returns whether the text is one the autopilot produced (nobody typed it)."""
        changed = self._accepted.watching(uri) and self._undone(
            uri, self._accepted.undone(uri, text)
        )
        run = self.autopilot.applied(uri, text)
        if run is not None:
            changed = self._record_run(uri, run) or changed
        if changed:
            self._changed()
        return run is not None

    def observe(self, uri: str, version: int, analysis: Analysis) -> None:
        """A version's analysis is out: accepted fixes it shows broke the file, and offers whose
        violation it shows resolved another way, become outcomes."""
        if self._detect(uri, version, analysis):
            self._changed()

    def _detect(self, uri: str, version: int, analysis: Analysis) -> bool:
        self.sync()
        counts = Counter(v.rule for v in analysis.violations if v.rule != SYNTAX_ERROR)
        broke = self._accepted.broke(uri, version, analysis.syntax_errors, counts)
        revised = self._revise(broke, "broke")
        present = [(v.rule, v.start.line) for v in analysis.violations]
        found = self._shown.resolved(uri, analysis.text, present, analysis.syntax_errors)
        offers = [self.offers.get(str(facts.get("offer"))) for facts in found]
        resolved = [
            o
            for o in offers
            if o is not None
            and self.offers.open(o)
            and self._record(o, "resolved-otherwise", "edit")
        ]
        if resolved:
            self._log(f"{len(resolved)} offered fix(es) recorded as resolved another way")
        return revised or bool(resolved)

    def forget(self, uri: str) -> None:
        self.offers.forget(uri)
        self._accepted.forget(uri)
        self._shown.forget(uri)
        self.autopilot.forget(uri)
        self._undone_spots.pop(uri, None)
