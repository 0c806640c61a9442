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
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from sklearn.metrics import roc_auc_score

from surefix.features.featurize import HISTORY_PRIOR_MEAN
from surefix.model.training.dataset import Dataset, load_events
from surefix.model.training.evaluation import heldout_predictions, repository_folds
from surefix.model.training.fit import single_threaded
from surefix.model.training.walk_forward import STEPS

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


def replay(
    ds: Dataset, idx: np.ndarray, p: np.ndarray, by_rule: Shift, by_project: Shift | None
) -> tuple[np.ndarray, np.ndarray]:
    """Shifted probabilities and each event's count of earlier outcomes in its project."""
    z = np.log(p / (1 - p))
    out = z.copy()
    before = np.zeros(len(idx), dtype=int)
    repos, times = ds.repo[idx].tolist(), ds.ts[idx].tolist()
    every_rule = ds.rule  # built from the rows on each access
    rules, labels = [every_rule[i] for i in idx.tolist()], ds.y[idx].astype(float).tolist()
    scores = p.tolist()
    members: dict[str, list[int]] = defaultdict(list)
    for k, repo in enumerate(repos):
        members[str(repo)].append(k)
    for events in members.values():
        events.sort(key=lambda k: int(times[k]))
        kept: dict[str, float] = defaultdict(float)
        total: dict[str, float] = defaultdict(float)
        expected: dict[str, float] = defaultdict(float)
        all_kept = all_total = all_expected = 0.0
        start = 0
        while start < len(events):
            end = start
            while end < len(events) and times[events[end]] == times[events[start]]:
                end += 1
            batch = events[start:end]  # one commit: its events never inform each other
            for k in batch:
                rule = rules[k]
                shift = 0.0
                if total[rule]:
                    shift += by_rule(kept[rule], total[rule], expected[rule])
                if by_project is not None and all_total:
                    shift += by_project(all_kept, all_total, all_expected)
                out[k] = z[k] + shift
                before[k] = int(all_total)
            for k in batch:
                rule, y = rules[k], labels[k]
                kept[rule] += y
                total[rule] += 1
                expected[rule] += scores[k]
                all_kept += y
                all_total += 1
                all_expected += scores[k]
            start = end
    return 1 / (1 + np.exp(-out)), before


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
        if by_rule is None:
            q, before = replay(ds, idx, p, fixed(4), None)
            q = p
        else:
            q, before = replay(ds, idx, p, by_rule, by_project)
        cells = []
        for n in STEPS:
            m = before >= n
            loss = -np.mean(y[m] * np.log(q[m]) + (1 - y[m]) * np.log(1 - q[m]))
            cells.append(f"{roc_auc_score(y[m], q[m]):.3f} / {loss:.4f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
