"""Metrics on inputs small enough to compute by hand, and the auto-threshold rule."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from surefix.model.scoring.baselines import RuleRateBaseline, TierBaseline
from surefix.model.training.metrics import (
    auto_coverage,
    auto_precision,
    average_precision,
    brier,
    brier_skill,
    choose_auto_threshold,
    ece,
    roc_auc,
    score_forecast,
)


def test_brier_by_hand() -> None:
    # (0.9-1)^2 + (0.2-0)^2 + (0.6-1)^2 + (0.5-0)^2 = 0.01 + 0.04 + 0.16 + 0.25 = 0.46
    assert brier(np.array([1, 0, 1, 0]), np.array([0.9, 0.2, 0.6, 0.5])) == pytest.approx(0.115)


def test_brier_skill_against_base_rate() -> None:
    y = np.array([1, 1, 1, 0])
    assert brier_skill(y, np.full(4, 0.75), 0.75) == pytest.approx(0.0)
    assert brier_skill(y, y.astype(float), 0.75) == pytest.approx(1.0)


def test_ece_by_hand() -> None:
    # bin 0.1-0.2: p=0.15, y=0 -> |0.15-0|; bin 0.9-1.0: p=0.95,0.95, y=1,0 -> |0.95-0.5|
    y = np.array([0, 1, 0])
    p = np.array([0.15, 0.95, 0.95])
    assert ece(y, p) == pytest.approx((0.15 + 2 * 0.45) / 3)


def test_ece_puts_one_in_last_bin() -> None:
    assert ece(np.array([1]), np.array([1.0])) == pytest.approx(0.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_and_ap_match_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.random(300), 1)  # many ties
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert average_precision(y, p) == pytest.approx(average_precision_score(y, p), abs=1e-12)


def test_auc_undefined_with_one_class() -> None:
    assert np.isnan(roc_auc(np.ones(3), np.array([0.1, 0.2, 0.3])))


def test_auto_band_precision_and_coverage() -> None:
    y = np.array([1, 1, 0, 1, 0])
    p = np.array([0.99, 0.95, 0.96, 0.99, 0.2])
    safe = np.array([True, True, True, False, True])
    assert auto_precision(y, p, safe, 0.95) == pytest.approx(2 / 3)
    assert auto_coverage(p, safe, 0.95) == pytest.approx(3 / 5)


def test_threshold_is_lowest_meeting_target() -> None:
    # safe scores, descending: 0.9(1) 0.8(1) 0.7(1) 0.6(0) 0.5(1)
    y = np.array([1, 1, 1, 0, 1, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.99])
    safe = np.array([True, True, True, True, True, False])
    t = choose_auto_threshold(y, p, safe, target=0.75, min_band=1)
    # at 0.5: 4/5 = 0.8 >= 0.75, the lowest threshold that still meets it
    assert t.threshold == 0.5 and t.target_met
    assert t.precision == pytest.approx(0.8) and t.coverage == pytest.approx(5 / 6)
    strict = choose_auto_threshold(y, p, safe, target=0.97, min_band=1)
    assert strict.threshold == 0.7 and strict.target_met


def test_threshold_reports_when_target_unreachable() -> None:
    y = np.array([0, 1, 0, 1])
    p = np.array([0.9, 0.8, 0.7, 0.6])
    t = choose_auto_threshold(y, p, np.ones(4, bool), target=0.97, min_band=2)
    assert not t.target_met
    assert t.precision == pytest.approx(0.5)


def test_bootstrap_intervals_are_seeded_and_bracket_the_value() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.6 + rng.random(200) * 0.4, 0, 1)
    safe = np.ones(200, bool)
    a = score_forecast(y, p, safe, 0.5, 0.8, resamples=100, seed=3)
    b = score_forecast(y, p, safe, 0.5, 0.8, resamples=100, seed=3)
    assert a == b
    lo, hi = a["roc_auc_ci"]
    assert lo <= a["roc_auc"] <= hi


def test_tier_baseline_ranks_safe_first_even_against_the_data() -> None:
    apps = ["safe"] * 10 + ["unsafe"] * 10 + ["display-only"] * 10
    y = np.array([1] * 5 + [0] * 5 + [1] * 9 + [0] + [1] * 2 + [0] * 8)
    tier = TierBaseline.fit(apps, y)
    s = tier.score(["safe", "unsafe", "display-only", "never"])
    assert s[0] >= s[1] >= s[2]
    assert s[3] == pytest.approx(y.mean())
    assert TierBaseline.from_dict(tier.to_dict()) == tier


def test_rule_rate_baseline_falls_back_to_family_then_global() -> None:
    y = np.array([1, 1, 1, 0, 0])
    rules = RuleRateBaseline.fit(
        ["F401", "F401", "F841", "E711", "E711"], ["F", "F", "F", "E", "E"], y
    )
    g = 3 / 5
    assert rules.score(["F401"], ["F"])[0] == pytest.approx((2 + 5 * g) / (2 + 5))
    assert rules.score(["F999"], ["F"])[0] == pytest.approx((3 + 5 * g) / (3 + 5))
    assert rules.score(["X1"], ["X"])[0] == pytest.approx(g)
