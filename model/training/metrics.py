"""Scores for probability forecasts, in numpy, so they can be checked by hand in tests.

Discrimination (ROC-AUC, average precision), calibration (Brier, Brier skill, ECE), and what
the user actually experiences: precision and coverage of the auto-apply band. Each comes with a
seeded bootstrap interval; evaluation sets are a few thousand events and a 0.01 AUC gap between
models is often inside the noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

ECE_BINS = 10
BOOTSTRAP_RESAMPLES = 500
AUTO_PRECISION_TARGET = 0.97
MIN_AUTO_BAND = 20  # fewer auto-applied events than this is not a band, it is luck
REVIEW_DEFAULT = 0.5


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Probability that a random kept fix outscores a random not-kept one (ties count half);
    NaN when only one class is present."""
    y = np.asarray(y, dtype=float)
    n_pos = y.sum()
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = average_ranks(np.asarray(p, dtype=float))
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    boundaries = np.flatnonzero(np.diff(xs)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(x)]))
    avg = (starts + ends + 1) / 2.0
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the precision-recall curve as a step function (scikit-learn's definition)."""
    y = np.asarray(y, dtype=float)
    if y.sum() == 0:
        return float("nan")
    order = np.argsort(-np.asarray(p, dtype=float), kind="mergesort")
    ps, ys = np.asarray(p, dtype=float)[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), len(ps) - 1]  # last index of each distinct score
    tp = np.cumsum(ys)[last]
    precision = tp / (last + 1)
    recall = tp / y.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y, dtype=float)) ** 2))


def brier_skill(y: np.ndarray, p: np.ndarray, base_rate: float | np.ndarray) -> float:
    """1 - Brier / Brier of always predicting the training base rate (0 = no better). With
    pooled out-of-fold predictions `base_rate` is per event: the rate of that event's training
    fold."""
    reference = np.broadcast_to(np.asarray(base_rate, dtype=float), np.shape(y))
    ref = brier(y, reference)
    return float(1.0 - brier(y, p) / ref) if ref > 0 else float("nan")


def ece(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error over equal-width bins: Σ (n_b / n) · |mean p_b - mean y_b|."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    idx = bin_index(p, bins)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.sum() * abs(p[mask].mean() - y[mask].mean())
    return float(total / len(y)) if len(y) else float("nan")


def bin_index(p: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bin of each probability; 1.0 falls in the last bin."""
    return np.minimum((np.asarray(p, dtype=float) * bins).astype(int), bins - 1)


def reliability_curve(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> dict[str, list[float]]:
    """Mean prediction, observed keep rate and count of each non-empty bin."""
    idx = bin_index(p, bins)
    out: dict[str, list[float]] = {"predicted": [], "observed": [], "count": []}
    for b in range(bins):
        mask = idx == b
        if mask.any():
            out["predicted"].append(float(np.mean(p[mask])))
            out["observed"].append(float(np.mean(y[mask])))
            out["count"].append(float(mask.sum()))
    return out


def auto_band(p: np.ndarray, safe: np.ndarray, threshold: float) -> np.ndarray:
    """The events a user would see auto-applied: safe fixes scoring at least `threshold`."""
    return (np.asarray(p) >= threshold) & np.asarray(safe, dtype=bool)


def auto_precision(y: np.ndarray, p: np.ndarray, safe: np.ndarray, threshold: float) -> float:
    band = auto_band(p, safe, threshold)
    return float(np.asarray(y)[band].mean()) if band.any() else float("nan")


def auto_coverage(p: np.ndarray, safe: np.ndarray, threshold: float) -> float:
    return float(auto_band(p, safe, threshold).mean()) if len(p) else float("nan")


@dataclass(frozen=True)
class AutoThreshold:
    """The chosen auto-apply threshold and what it gave on the data it was chosen on."""

    threshold: float
    precision: float
    coverage: float
    target: float
    target_met: bool

    def to_dict(self) -> dict[str, float | bool]:
        return {
            "threshold": self.threshold,
            "precision": self.precision,
            "coverage": self.coverage,
            "target": self.target,
            "target_met": self.target_met,
        }


def choose_auto_threshold(
    y: np.ndarray,
    p: np.ndarray,
    safe: np.ndarray,
    target: float = AUTO_PRECISION_TARGET,
    min_band: int = MIN_AUTO_BAND,
) -> AutoThreshold:
    """Lowest threshold whose auto band (safe fixes scoring ≥ t, at least `min_band` of them)
    keeps ≥ `target` of its fixes: the most coverage the precision promise allows. When no
    threshold reaches the target, the one with the best precision (ties → more coverage)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    safe = np.asarray(safe, dtype=bool)
    ps, ys = p[safe], y[safe]
    if len(ps) == 0:
        return AutoThreshold(float("inf"), float("nan"), 0.0, target, False)
    order = np.argsort(-ps, kind="mergesort")
    ps, ys = ps[order], ys[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), len(ps) - 1]
    size = last + 1
    precision = np.cumsum(ys)[last] / size
    candidates = ps[last]
    ok = (precision >= target) & (size >= min(min_band, len(ps)))
    if ok.any():
        i = int(np.flatnonzero(ok)[-1])  # lowest threshold meeting the target
        met = True
    else:
        eligible = size >= min(min_band, len(ps))
        best = np.where(eligible, precision, -1.0)
        i = int(np.flatnonzero(best == best.max())[-1])
        met = False
    t = float(candidates[i])
    return AutoThreshold(t, float(precision[i]), float(size[i] / len(p)), target, met)


Metric = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], float]


def metric_functions(auto_threshold: float) -> dict[str, Metric]:
    """Every reported metric as f(y, p, safe, base_rate), so the bootstrap treats them alike."""
    return {
        "roc_auc": lambda y, p, s, r: roc_auc(y, p),
        "pr_auc": lambda y, p, s, r: average_precision(y, p),
        "brier": lambda y, p, s, r: brier(y, p),
        "brier_skill": lambda y, p, s, r: brier_skill(y, p, r),
        "ece": lambda y, p, s, r: ece(y, p),
        "auto_precision": lambda y, p, s, r: auto_precision(y, p, s, auto_threshold),
        "auto_coverage": lambda y, p, s, r: auto_coverage(p, s, auto_threshold),
    }


def score_forecast(
    y: np.ndarray,
    p: np.ndarray,
    safe: np.ndarray,
    base_rate: float | np.ndarray,
    auto_threshold: float,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """All metrics plus `<name>_ci: [lo, hi]` 95 % percentile-bootstrap intervals (events
    resampled with replacement; the same resamples for every metric and every model, so
    intervals of two models on one split are comparable)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    safe = np.asarray(safe, dtype=bool)
    ref = np.broadcast_to(np.asarray(base_rate, dtype=float), y.shape).copy()
    fns = metric_functions(auto_threshold)
    out: dict[str, Any] = {"n": len(y)}
    out.update({name: fn(y, p, safe, ref) for name, fn in fns.items()})
    if resamples > 0:
        out.update(bootstrap_intervals(fns, (y, p, safe, ref), resamples, seed))
    return out


def bootstrap_intervals(
    fns: Mapping[str, Metric],
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    resamples: int,
    seed: int,
) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    n = len(arrays[0])
    for _ in range(resamples):
        idx = rng.integers(0, n, n)
        y, p, s, r = (a[idx] for a in arrays)
        for name, fn in fns.items():
            samples[name].append(fn(y, p, s, r))
    out = {}
    for name, values in samples.items():
        arr = np.asarray(values, dtype=float)
        arr = arr[np.isfinite(arr)]
        out[f"{name}_ci"] = (
            [float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))]
            if len(arr)
            else [float("nan"), float("nan")]
        )
    return out
