"""Merging mined rows into events: one decision per (commit, file, rule), history from the past."""

from __future__ import annotations

from surefix.model.mining.dataset import add_history, deduplicate


def raw(commit: str, ts: int, rule: str, label: int, path: str = "p1") -> dict[str, str]:
    return {
        "repo": "o/r",
        "commit": commit,
        "ts": str(ts),
        "path_hash": path,
        "rule": rule,
        "label": str(label),
        "n_same": "1",
    }


def test_a_sweep_is_one_event_with_its_majority_label() -> None:
    rows = [raw("a", 1, "Q000", 1)] * 30 + [raw("a", 1, "Q000", 0)] * 2
    events, ties = deduplicate(rows)
    assert len(events) == 1 and ties == 0
    assert events[0]["label"] == 1 and events[0]["n_raw"] == 32


def test_an_even_split_is_no_decision() -> None:
    events, ties = deduplicate([raw("a", 1, "F401", 1), raw("a", 1, "F401", 0)])
    assert events == [] and ties == 1


def test_files_and_rules_stay_separate_events() -> None:
    rows = [raw("a", 1, "F401", 1, "p1"), raw("a", 1, "F401", 1, "p2"), raw("a", 1, "UP006", 0)]
    events, _ = deduplicate(rows)
    assert len(events) == 3


def test_history_counts_only_strictly_earlier_commits() -> None:
    rows = [
        raw("a", 1, "F401", 0, "p1"),
        raw("b", 2, "F401", 1, "p1"),
        raw("b", 2, "F401", 1, "p2"),  # same commit: must not see its sibling
        raw("c", 3, "F401", 1, "p1"),
        raw("c", 3, "UP006", 1, "p1"),
    ]
    events, _ = deduplicate(rows)
    add_history(events)
    by_key = {(e["commit"], e["path_hash"], e["rule"]): e for e in events}
    assert by_key[("a", "p1", "F401")]["history_n"] == 0.0
    assert by_key[("b", "p1", "F401")]["history_n"] == 1.0
    assert by_key[("b", "p2", "F401")]["history_n"] == 1.0
    assert by_key[("c", "p1", "F401")]["history_n"] == 3.0
    assert by_key[("c", "p1", "UP006")]["history_n"] == 0.0
    assert by_key[("b", "p1", "F401")]["history_rate"] < by_key[("a", "p1", "F401")]["history_rate"]
