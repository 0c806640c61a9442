"""Local retraining: the sparse design, the hold-back and promotion rule, and the registry that
keeps every promoted model for rollback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from surefix.model.local.registry import BUNDLED, Registry
from surefix.model.local.report import ReportInput, reliability_bins, render
from surefix.model.scoring.artifact import bundled_events_path, load_artifact
from surefix.model.training.dataset import load_events
from surefix.model.training.fit import probe_rows, sparse_transform
from surefix.model.training.retrain import (
    MIN_OUTCOMES,
    TooFewOutcomes,
    holdout_size,
    local_outcomes,
    retrain,
)


@pytest.fixture(scope="module")
def events():  # type: ignore[no-untyped-def]
    return load_events(bundled_events_path())


def stored(rows: list[dict], outcomes: list[str]) -> list[dict]:
    """Rows as `Store.outcomes()` returns them."""
    return [
        {"ts": 1000.0 + i, "outcome": o, "features": json.dumps(r), "score": 0.5}
        for i, (r, o) in enumerate(zip(rows, outcomes, strict=True))
    ]


def test_the_sparse_design_equals_the_dense_one_on_real_and_probe_rows(events) -> None:  # type: ignore[no-untyped-def]
    design = load_artifact().design
    rows = events.rows[:500] + probe_rows(events.rows, 200)
    assert np.array_equal(sparse_transform(design, rows).toarray(), design.transform(rows))


def test_outcomes_of_another_schema_are_skipped_and_counted(events) -> None:  # type: ignore[no-untyped-def]
    rows = [dict(events.rows[0]), {**events.rows[1], "schema_version": 999}]
    records = [
        *stored(rows, ["accepted", "undone"]),
        {"ts": 5.0, "outcome": "accepted", "features": "not json", "score": None},
    ]
    local = local_outcomes(records)
    assert len(local) == 1 and local.skipped == 2 and local.y.tolist() == [1]


def test_too_few_outcomes_names_the_count_needed(events) -> None:  # type: ignore[no-untyped-def]
    local = local_outcomes(stored(events.rows[:10], ["accepted"] * 10))
    with pytest.raises(TooFewOutcomes, match=f"{MIN_OUTCOMES - 10} more needed"):
        retrain(events, local, load_artifact())


def test_the_newest_outcomes_are_held_back() -> None:
    assert holdout_size(50) == 10 and holdout_size(1000) == 200


def test_consistent_rejections_are_learned_and_promoted(events) -> None:  # type: ignore[no-untyped-def]
    f401 = [r for r in events.rows if r["rule"] == "F401"][:80]
    current = load_artifact()
    seen: list[int] = []
    decision = retrain(
        events, local_outcomes(stored(f401, ["undone"] * 80)), current, lambda p, _: seen.append(p)
    )
    assert decision.promoted and decision.candidate_loss < decision.current_loss
    assert decision.held_back == 16 and decision.local_train == 64
    assert seen == sorted(seen) and seen[0] > 0
    candidate = decision.candidate
    assert candidate is not None and candidate.version.startswith("local-")
    assert candidate.manifest["parent"] == current.version
    assert candidate.manifest["training_data"]["local_through"] == 1000.0 + 63


def test_a_model_worse_on_the_newest_outcomes_is_not_promoted(events) -> None:  # type: ignore[no-untyped-def]
    f401 = [r for r in events.rows if r["rule"] == "F401"][:60]
    local = local_outcomes(stored(f401, ["accepted"] * 48 + ["undone"] * 12))
    decision = retrain(events, local, load_artifact())
    assert not decision.promoted and decision.candidate_loss > decision.current_loss
    assert "was worse" in decision.message


def test_registry_promotes_rolls_back_and_resets(tmp_path: Path) -> None:
    from dataclasses import replace

    bundled = load_artifact()
    registry = Registry(tmp_path)
    assert registry.active() is None
    for name in ("local-a", "local-b"):
        registry.promote(replace(bundled, manifest={"model_version": name}), f"note {name}")
    assert registry.active() == tmp_path / "models" / "local-b"
    assert load_artifact(registry.active()).version == "local-b"
    assert registry.rollback() == "local-a"
    assert registry.reset() == BUNDLED and registry.active() is None
    assert sorted(registry.versions()) == ["local-a", "local-b"]  # kept on disk


def test_an_unreadable_registry_means_the_bundled_model(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "active.json").write_text("{not json")
    assert Registry(tmp_path).active() is None


def test_the_report_escapes_and_bins() -> None:
    assert reliability_bins([(0.05, False), (0.95, True), (0.91, False)]) == [
        (0.05, 0.0, 1),
        (pytest.approx(0.93), 0.5, 2),
    ]
    page = render(
        ReportInput(
            model_version="<v>",
            manifest={},
            stats={"outcomes": {"accepted": 1}, "events": 1},
            rules={"F401": {"accepted": 1}},
            demoted={},
            scored=[],
            history=[],
            collecting=False,
        )
    )
    assert "&lt;v&gt;" in page and "<v>" not in page and "needs 20" in page
