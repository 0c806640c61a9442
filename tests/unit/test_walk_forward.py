"""The walk-forward replay: each event sees only its own project's strictly earlier commits."""

from __future__ import annotations

import numpy as np
import pytest

from surefix.features.featurize import RuleHistory
from surefix.model.analysis import personal_shift
from surefix.model.training.walk_forward import replay_shifts, walk_forward


def test_a_commit_is_scored_with_what_came_before_it_only() -> None:
    repo = np.array(["a", "a", "a", "b", "a"])
    ts = np.array([1, 2, 2, 1, 3])
    rule = ["F401", "F401", "F401", "F401", "UP032"]
    y = np.array([0, 1, 1, 1, 1])
    shift, before = replay_shifts(repo, ts, rule, y)
    assert before.tolist() == [0, 1, 1, 0, 3]
    # The two events of commit ts=2 share the record of ts=1 (one F401 not kept) ...
    assert shift[1] == shift[2] == pytest.approx(personal_shift(RuleHistory(0, 1)))
    assert shift[1] < 0
    # ... another project starts from nothing, and another rule has its own record.
    assert shift[3] == 0.0
    assert shift[4] == 0.0


def test_the_curve_reports_each_step_with_the_events_after_it() -> None:
    rng = np.random.default_rng(0)
    n = 300
    repo = np.array(["a"] * 150 + ["b"] * 150)
    ts = np.concatenate([np.arange(150), np.arange(150)])
    rule = [("F401", "COM812")[i % 2] for i in range(n)]
    y = np.array([1 if r == "F401" else int(rng.random() < 0.3) for r in rule])
    p = np.full(n, 0.8)
    report = walk_forward(
        y, {"model": p}, repo, ts, rule, np.ones(n, bool), 0.7, {"model": 0.9}, resamples=0
    )
    assert [report[k]["events"] for k in ("after_0", "after_10", "after_50")] == [300, 280, 200]
    assert "after_200" not in report  # no project has 200 earlier outcomes
    # The model alone is one constant (no ranking); the record separates the two rules.
    assert report["after_50"]["model_unshifted"]["roc_auc"] == pytest.approx(0.5)
    assert report["after_50"]["model"]["roc_auc"] > 0.8
