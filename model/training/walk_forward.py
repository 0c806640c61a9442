"""The learning curve a user gets: a new project's events replayed in time order.

The bundled model meets a project it never saw; from then on the server adds, to every score,
the per-rule shift of that user's own earlier outcomes (`analysis.personal_shift`). This
replays exactly that on held-out projects: each event is scored by a model that never saw its
project, shifted by the project's outcomes on the same rule from strictly earlier commits (a
commit's own events never inform each other: a sweep is one decision), and the metrics are
reported for the events that came after at least 0, 10, 50 and 200 earlier outcomes of their
project.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from surefix.features.featurize import RuleHistory
from surefix.model.analysis import personal_shift
from surefix.model.training.metrics import BOOTSTRAP_RESAMPLES, score_forecast

STEPS = (0, 10, 50, 200)


def replay_shifts(
    repo: np.ndarray, ts: np.ndarray, rule: Sequence[str], y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per event: the log-odds shift its project's earlier outcomes on its rule give, and how
    many earlier outcomes (any rule) its project had. Earlier means an older commit time."""
    shift = np.zeros(len(y))
    before = np.zeros(len(y), dtype=int)
    by_repo: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(repo.tolist()):
        by_repo[r].append(i)
    for members in by_repo.values():
        members.sort(key=lambda i: int(ts[i]))
        kept: dict[str, int] = defaultdict(int)
        total: dict[str, int] = defaultdict(int)
        seen = 0
        k = 0
        while k < len(members):
            same = [members[k]]
            while k + len(same) < len(members) and ts[members[k + len(same)]] == ts[members[k]]:
                same.append(members[k + len(same)])
            for i in same:  # scored with what came before this commit only
                record = RuleHistory(kept[rule[i]], total[rule[i]])
                shift[i] = personal_shift(record)
                before[i] = seen
            for i in same:
                kept[rule[i]] += int(y[i])
                total[rule[i]] += 1
            seen += len(same)
            k += len(same)
    return shift, before


def walk_forward(
    y: np.ndarray,
    scores: Mapping[str, np.ndarray],
    repo: np.ndarray,
    ts: np.ndarray,
    rule: Sequence[str],
    safe: np.ndarray,
    base_rate: float | np.ndarray,
    thresholds: Mapping[str, float],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    steps: Sequence[int] = STEPS,
) -> dict[str, Any]:
    """`{"after_N": {model: metrics}}` for each step N, each model's held-out probabilities
    shifted by the replayed record, at its own auto-apply threshold; also `unshifted` for the
    model alone, so the record's own share of the curve shows."""
    shift, before = replay_shifts(repo, ts, rule, y)
    base = np.broadcast_to(np.asarray(base_rate, dtype=float), y.shape)
    shifted = {name: _shifted(p, shift) for name, p in scores.items()}
    if "model" in scores:
        shifted["model_unshifted"] = np.asarray(scores["model"], dtype=float)
    out: dict[str, Any] = {}
    for step in steps:
        mask = before >= step
        if not mask.any():
            continue
        entry: dict[str, Any] = {"events": int(mask.sum())}
        entry["repositories"] = len(set(repo[mask].tolist()))
        for name, p in shifted.items():
            cut = thresholds.get(name.removesuffix("_unshifted"), 1.0)
            entry[name] = score_forecast(
                y[mask], p[mask], safe[mask], base[mask], cut, resamples, seed
            )
        out[f"after_{step}"] = entry
    return out


def _shifted(p: np.ndarray, shift: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + shift)))
