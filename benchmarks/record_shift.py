"""Which form of the user's-record shift serves a new project best: the walk-forward replay of
`model/training/walk_forward.py`, on the by-repository out-of-fold scores of the bundled
dataset, for the shift the server uses and for alternatives to it.

Forms compared, each added to the model's log-odds from a project's strictly earlier commits:

* `fixed`: the server's — the Beta-smoothed keep rate on the rule against a fixed prior
  (`HISTORY_PRIOR_MEAN`, strength `s`).
* `expected`: the same, against what the model itself expected of those earlier fixes (the mean
  of their scores), so a project that keeps a rule exactly as often as predicted is not moved.
* `+ project p`: `expected`, plus the project's record over every rule against the model's
  expectation (prior strength `p`).

Usage: `.venv/bin/python benchmarks/record_shift.py [--data model/bundled/events.csv.gz]`
(about a minute for the five folds at the bundled model's capacity, then seconds per form).
These are training projects' folds: what it says informs a choice, it is not a held-out result.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

import numpy as np
from sklearn.metrics import roc_auc_score

from surefix.features.featurize import HISTORY_PRIOR_MEAN
from surefix.model.training.dataset import load_events
from surefix.model.training.evaluation import heldout_predictions, repository_folds
from surefix.model.training.fit import single_threaded
from surefix.model.training.walk_forward import STEPS, Earlier, earlier_records

Shift = Callable[[float, float, float], float]  # (kept, total, expected kept) -> log-odds


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def fixed(strength: float) -> Shift:
    def shift(kept: float, total: float, expected: float) -> float:
        rate = (kept + HISTORY_PRIOR_MEAN * strength) / (total + strength)
        return logit(rate) - logit(HISTORY_PRIOR_MEAN)

    return shift


def against_expected(strength: float) -> Shift:
    def shift(kept: float, total: float, expected: float) -> float:
        mean = min(max(expected / total, 1e-6), 1 - 1e-6)
        return logit((kept + strength * mean) / (total + strength)) - logit(mean)

    return shift


def shifted(
    p: np.ndarray, earlier: Earlier, by_rule: Shift, by_project: Shift | None
) -> np.ndarray:
    """`p` moved by the project's earlier record on each event's rule, and on every rule."""
    z = np.log(p / (1 - p))
    for i in range(len(p)):
        if earlier.total[i]:
            z[i] += by_rule(earlier.kept[i], earlier.total[i], earlier.expected[i])
        if by_project is not None and earlier.all_total[i]:
            z[i] += by_project(earlier.all_kept[i], earlier.all_total[i], earlier.all_expected[i])
    return 1 / (1 + np.exp(-z))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="model/bundled/events.csv.gz")
    parser.add_argument(
        "--C", type=float, default=0.03, help="the capacity (the bundled model chose 0.03)"
    )
    args = parser.parse_args()
    ds = load_events(args.data)
    with single_threaded():
        preds = heldout_predictions(ds, repository_folds(ds), with_gbm=False, C=args.C)
    idx = preds.index
    p = np.clip(preds.scores["model"], 1e-6, 1 - 1e-6)
    y = ds.y[idx]
    every_rule = ds.rule  # built from the rows on each access
    earlier = earlier_records(ds.repo[idx], ds.ts[idx], [every_rule[i] for i in idx], y, p)
    forms: list[tuple[str, Shift | None, Shift | None]] = [("model alone", None, None)]
    forms += [(f"fixed s={s:g}", fixed(s), None) for s in (1, 4, 16)]
    forms += [(f"expected s={s:g}", against_expected(s), None) for s in (4, 30)]
    forms += [
        (f"expected s=30 + project p={q:g}", against_expected(30), against_expected(q))
        for q in (30, 300)
    ]
    print("| record shift | " + " | ".join(f"ROC-AUC / log loss after {n}" for n in STEPS) + " |")
    print("| --- |" + " ---: |" * len(STEPS))
    for name, by_rule, by_project in forms:
        q = p if by_rule is None else shifted(p, earlier, by_rule, by_project)
        cells = []
        for n in STEPS:
            m = earlier.all_total >= n
            loss = -np.mean(y[m] * np.log(q[m]) + (1 - y[m]) * np.log(1 - q[m]))
            cells.append(f"{roc_auc_score(y[m], q[m]):.3f} / {loss:.4f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
