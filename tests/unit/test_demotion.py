"""Which rules leave the auto-apply band for a user, decided on a real store's records and marks."""

from __future__ import annotations

from pathlib import Path

from surefix.model.local.demotion import TRUSTED, UNDONE, WRONG, Policy, demotions
from surefix.model.local.store import Outcome, Store


def outcome(kind: str, ts: float, rule: str = "SIM300") -> Outcome:
    return Outcome(rule, kind, "command", "auto-apply", "safe", {"rule": rule}, 0.9, ts=ts)


def demoted(store: Store, policy: Policy | None = None) -> dict[str, str]:
    return demotions(store.records_since_trusted(), store.rule_marks(), policy or Policy())


def test_saying_a_fix_is_wrong_demotes_its_rule_at_once_unless_turned_off(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    store.record(outcome("not-useful", 1.0))
    store.mark("SIM300", WRONG, ts=1.0)
    assert demoted(store) == {"SIM300": "you said a SIM300 fix was wrong"}
    assert demoted(store, Policy(wrong_demotes=False)) == {}  # one of one is below 10 outcomes


def test_the_second_undo_demotes_and_trusting_again_reverses_it(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    store.mark("F401", UNDONE, ts=1.0)
    assert demoted(store) == {}
    store.mark("F401", UNDONE, ts=2.0)
    assert demoted(store) == {"F401": "you undid F401 fixes 2 times"}
    assert demoted(store, Policy(undo_limit=0)) == {}
    store.mark("F401", TRUSTED, ts=3.0)
    assert demoted(store) == {}
    store.mark("F401", UNDONE, ts=4.0)
    assert demoted(store) == {}  # one undo since the user's word
    store.mark("F401", UNDONE, ts=5.0)
    assert "F401" in demoted(store)


def test_the_statistical_rule_counts_only_outcomes_after_trusting_again(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    store.record_many([outcome("accepted", float(t)) for t in range(9)])
    store.record(outcome("suppressed", 9.0))
    assert demoted(store) == {"SIM300": "you rejected 1 of 10 SIM300 fixes"}
    store.mark("SIM300", TRUSTED, ts=10.0)
    assert demoted(store) == {}
    store.record_many([outcome("accepted", 11.0 + t) for t in range(9)])
    store.record(outcome("broke", 20.0))
    assert demoted(store) == {"SIM300": "you rejected 1 of 10 SIM300 fixes"}


def test_a_purge_forgets_marks_too(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    store.mark("F401", WRONG)
    store.purge()
    assert store.rule_marks() == {} and demoted(store) == {}
