"""What became of the fixes this server offered: the outcome store, its per-rule records, and
the watches that see outcomes only later (an undo, a fix that broke the file, a violation the
user resolved another way).

`OutcomeTracker` owns all of that state. It writes the store only when a client answers an offer
or when an analysis has been published (`observe`), never while a version is being analysed.
Every store job runs on the store's own thread (`StoreLink`), so a locked, slow or broken store
never holds up a request; when a write changes the records, open documents are re-scored — not
re-linted. A client's answer is acknowledged (`recorded: true`) only once its row is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from surefix.features.featurize import RuleHistory
from surefix.model.analysis import Analysis
from surefix.model.autofix import FixRun
from surefix.model.local.demotion import TRUSTED, UNDONE, WRONG, Policy, demotions
from surefix.model.local.outcome_watch import Offer as Watched
from surefix.model.local.outcome_watch import OfferWatch, OutcomeWatch, RowRef, Taken
from surefix.model.local.store import Store, StoreError, record_words
from surefix.server.lsp.autopilot import Autopilot, Run
from surefix.server.lsp.offers import Offer, Offers, outcome_of
from surefix.server.lsp.store_link import StoreLink

T = TypeVar("T")
Say = Callable[[str], None]
ANSWER_WAIT_S = 10.0  # an answer waits this long for a locked store, then says it is kept
KEPT_FOR_LATER = (
    "the outcome store is locked by another process; this outcome is kept and written as "
    "soon as it is free"
)
SHUTDOWN_WAIT_S = 5.0  # what an exiting server gives the writes still queued


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
        folder_of: Callable[[str], str | None] = lambda uri: None,
    ) -> None:
        self._log, self._latest, self._folder_of = log, latest, folder_of
        self._root, self._changed = project_root, records_changed
        self.link = StoreLink(say, log, records_changed, learned_through)
        self.offers = Offers()
        self.collection = Collection(None, True, 120.0, Policy())
        self._accepted = OutcomeWatch()
        self._shown = OfferWatch()
        self.autopilot = Autopilot(self.collection.undo_window)
        self._undone_spots: dict[str, set[tuple[str, str]]] = {}  # this session's undos

    # -- the store ------------------------------------------------------------------------

    def configure(self, collection: Collection) -> None:
        if not collection.enabled:
            self.link.close()
        self.link.point(collection.directory)
        self.collection = collection
        self._accepted.undo_window = self.autopilot.window = collection.undo_window

    @property
    def collecting(self) -> bool:
        return self.collection.enabled and self.link.usable

    async def sync(self) -> None:
        """The records as the store has them: read on first use (the store is opened then),
        again whenever another connection wrote it (a second editor, `surefix data purge` in a
        terminal), so the next score and its hover do not quote a record that is gone. Waits
        at most `SYNC_WAIT_S`; records that come later re-score the open documents."""
        if self.collecting:
            await self.link.sync()

    def refresh(self) -> None:
        """Re-read the per-rule counts: all of them, and those newer than the model in use (the
        score's shift: a retrained model has already learned from the older ones)."""
        if self.collecting:
            self.link.refresh()

    def release(self) -> None:
        """Let go of the store's connection (another process is about to read it); the next
        job opens it again."""
        self.link.release()

    async def flush(self) -> None:
        """Before the server exits: the outcomes it detected itself reach the store."""
        await self.link.flush(SHUTDOWN_WAIT_S)

    async def query(self, run: Callable[[Store], T], write: bool = False) -> T | None:
        """`run(store)` for a command, on the store's thread; None when outcomes are not
        collected, `StoreError` when the store is unusable."""
        if not self.collection.enabled:
            return None
        if not self.link.usable:
            raise StoreError(self.link.problem or "the outcome store is unavailable")
        return await (self.link.write(run) if write else self.link.read(run))

    def _not_collecting(self) -> str:
        if not self.collection.enabled:
            return "outcome collection is off"
        return self.link.problem or "the outcome store is unavailable"

    # -- what scoring reads -------------------------------------------------------------------

    def history(self) -> Callable[[str], RuleHistory]:
        """This user's record per rule as the scorer reads it: a snapshot for one analysis."""
        records = self.link.records.fresh

        def of(rule: str) -> RuleHistory:
            counts = records.get(rule)
            if not counts:
                return RuleHistory()
            return RuleHistory(kept=counts.get("accepted", 0), total=sum(counts.values()))

        return of

    def demotions(self) -> Mapping[str, str]:
        records = self.link.records
        return demotions(records.since_trusted, records.marks, self.collection.policy)

    def undone_here(self, uri: str) -> set[tuple[str, str]]:
        """(rule, spot) of fixes undone in this document this session: never re-applied there
        automatically (see `autofix.spot_of`)."""
        return self._undone_spots.get(uri, set())

    def record_words(self, rule: str) -> str | None:
        counts = self.link.records.every.get(rule)
        return record_words(rule, counts) if counts else None

    # -- answers ------------------------------------------------------------------------------

    async def answer(self, answer: object) -> dict[str, object]:
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
        if recorded is None:
            return {"recorded": False, "reason": self._not_collecting()}
        writes = [recorded]
        if outcome == "not-useful":
            writes.append(self._mark(taken.violation.rule, WRONG))
        if outcome == "accepted":
            newer = self._latest(taken.uri)  # the fixed text may be analysed already
            if newer is not None:
                self._detect(taken.uri, *newer)
        return await acknowledged(writes)

    async def trust_again(self, rule: str) -> bool:
        """ "Trust RULE again": the rule's demotion ends, and only new evidence brings it back.
        Only a rule the server holds back (the one kind it offers this for) is marked; any
        other is refused without touching the store."""
        if not self.collecting or rule not in self.demotions():
            return False
        answer = await acknowledged([self._mark(rule, TRUSTED)])
        return answer["recorded"] is True

    async def answer_suggestion(self, key: str, answer: str) -> bool:
        """The user's answer to a suggested Ruff setting (`suggestions.Pattern.key`), once
        committed; False when outcomes are not collected or the store could not be written."""
        if not self.collecting:
            return False
        written = self.link.write(lambda store: store.answer_suggestion(key, answer))
        return (await acknowledged([written]))["recorded"] is True

    def _mark(self, rule: str, mark: str) -> asyncio.Future[None]:
        return self.link.write(lambda store: store.mark(rule, mark))

    def _record(self, offer: Offer, outcome: str, detected: str) -> asyncio.Future[None] | None:
        """Queue the offer's row (None when outcomes are not collected). An accepted fix is
        watched at once, before its row is written: an undo may come while a lock holds it."""
        if not self.collecting:
            return None
        self.offers.settle(offer)
        row, root, folder = RowRef(), self._root(), self._folder_of(offer.uri)

        def write(store: Store) -> None:
            if row.id is None:
                project = store.project_hash(root)
                row.id = store.record(offer.outcome(outcome, detected, project, folder))

        written = self.link.write(write)
        written.add_done_callback(lambda w: failed(w) and self.offers.reopen(offer))
        if outcome == "accepted":
            self._accepted.accepted(offer.uri, offer.taken(row))
        return written

    def _record_run(self, uri: str, run: Run) -> bool:
        """Every fix of a run the editor applied: accepted, by the autopilot (`fix-all`) or by
        the user's own choice of the rule (`command`)."""
        if not self.collecting:
            return False
        rows, root, folder = [RowRef() for _ in run.fixes], self._root(), self._folder_of(uri)

        def write(store: Store) -> None:
            project = store.project_hash(root)
            for row, f in zip(rows, run.fixes, strict=True):
                if row.id is None:  # a lock may stop the job half-way: it runs again
                    c = f.candidate
                    rule = c.violation.rule
                    row.id = store.record(
                        outcome_of(rule, c, run.model, "accepted", run.detected, project, folder)
                    )

        by = "fix-all" if run.detected == "fix-all" else "fix all of a rule"
        self._logged(
            self.link.write(write), f"{len(rows)} fix(es) applied by {by} recorded as accepted"
        )
        for row, f in zip(rows, run.fixes, strict=True):
            rule = f.candidate.violation.rule
            taken = Taken(row, run.version, run.before, run.syntax_errors, rule, f.others, f.spot)
            self._accepted.accepted(uri, taken)
        return True

    def _revise(self, rows: list[RowRef], outcome: str) -> bool:
        """Accepted fixes that were undone or broke the file become negatives."""
        if not self.collecting or not rows:
            return False
        detected = "undo" if outcome == "undone" else "syntax-error"

        def write(store: Store) -> None:
            for row in rows:
                if row.id is not None:  # None: its own write failed, there is nothing to revise
                    store.revise(row.id, outcome, detected)

        self._logged(self.link.write(write), f"{len(rows)} accepted fix(es) recorded as {outcome}")
        return True

    def _logged(self, written: asyncio.Future[None], message: str) -> None:
        def done(future: asyncio.Future[None]) -> None:
            if not failed(future):
                self._log(message)

        written.add_done_callback(done)

    def _undone(self, uri: str, undone: list[Taken]) -> bool:
        """One undo, of one fix or of a whole fix-all run: each fix is `undone`, each rule gets
        one undo mark (one decision, however many fixes it reverted), and none is re-applied
        automatically at its spot in this session."""
        if not undone:
            return False
        spots = self._undone_spots.setdefault(uri, set())
        spots.update((u.rule, u.spot) for u in undone)
        revised = self._revise([u.row for u in undone], "undone")
        if revised:
            for rule in dict.fromkeys(u.rule for u in undone):
                self._mark(rule, UNDONE)
        return True

    # -- what the watches see -----------------------------------------------------------------

    def shown(self, uri: str, analysis: Analysis, offers: list[Offer]) -> None:
        """Fixes a code-action answer showed: their violation may go away by another edit."""
        watched = [
            Watched(o.violation.rule, o.violation.start.line, o.candidate.fix, {"offer": o.id})
            for o in offers
            if o.candidate is not None
        ]
        self._shown.offered(uri, analysis.text, watched)

    def computed(
        self, uri: str, version: int, start: Analysis, run: FixRun, detected: str = "fix-all"
    ) -> None:
        """A fix run was computed (fix-all, or "fix all RULE": `detected` "command"): what it
        removes was fixed, not resolved by hand, and once the document becomes its text, its
        fixes are outcomes."""
        self._shown.expect(uri, run.text)
        self.autopilot.computed(uri, version, start, run, detected)

    def produced(self, uri: str, text: str) -> None:
        """A text the server computed that is no fix (a formatting, organized imports): what
        it removes was not resolved by hand when the document arrives at it."""
        self._shown.expect(uri, text)

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
        violation it shows resolved another way, become outcomes (open documents re-score
        when their rows are written)."""
        self._detect(uri, version, analysis)

    def _detect(self, uri: str, version: int, analysis: Analysis) -> None:
        broke = self._accepted.broke(uri, version, analysis.syntax_errors, analysis.breaking)
        self._revise(broke, "broke")
        present = [(v.rule, v.start.line) for v in analysis.violations]
        found = self._shown.resolved(uri, analysis.text, present, analysis.syntax_errors)
        offers = [self.offers.get(str(facts.get("offer"))) for facts in found]
        resolved = [
            o
            for o in offers
            if o is not None
            and self.offers.open(o)
            and self._record(o, "resolved-otherwise", "edit") is not None
        ]
        if resolved:
            self._log(f"{len(resolved)} offered fix(es) recorded as resolved another way")

    def forget(self, uri: str) -> None:
        self.offers.forget(uri)
        self._accepted.forget(uri)
        self._shown.forget(uri)
        self.autopilot.forget(uri)
        # The spots of this session's undos stay: a fix undone, the file closed and opened
        # again (`:e!` in Neovim), is still not re-applied there. A few lines per undo.


def failed(future: asyncio.Future[None]) -> bool:
    """Whether a store job did not happen (the store failed; never for a lock)."""
    return future.cancelled() or future.exception() is not None


async def acknowledged(writes: list[asyncio.Future[None]]) -> dict[str, object]:
    """A client's answer once its writes are committed: `recorded` only then. A lock held
    longer than `ANSWER_WAIT_S` gets `queued` instead: the writes stay in line and are done
    when it is released, but the client is not told they are on disk before they are."""
    try:
        results = await asyncio.wait_for(
            asyncio.shield(asyncio.gather(*writes, return_exceptions=True)), ANSWER_WAIT_S
        )
    except TimeoutError:
        return {"recorded": False, "queued": True, "reason": KEPT_FOR_LATER}
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        return {"recorded": False, "reason": str(failed[0])}
    return {"recorded": True}
