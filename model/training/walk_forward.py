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
from dataclasses import dataclass
from typing import Any

import numpy as np

from surefix.features.featurize import RuleHistory
from surefix.model.analysis import personal_shift
from surefix.model.training.metrics import BOOTSTRAP_RESAMPLES, score_forecast

STEPS = (0, 10, 50, 200)


@dataclass(frozen=True)
class Earlier:
    """Per event, what its project had decided before the event's commit: on the event's rule
    and on every rule — fixes kept, fixes decided and the sum of their `scores` (what a model
    expected of them; zeros without scores). Earlier means an older commit time: a commit's own
    events never inform each other, a sweep is one decision."""

    kept: np.ndarray
    total: np.ndarray
    expected: np.ndarray
    all_kept: np.ndarray
    all_total: np.ndarray
    all_expected: np.ndarray


def earlier_records(
    repo: np.ndarray,
    ts: np.ndarray,
    rule: Sequence[str],
    y: np.ndarray,
    scores: np.ndarray | None = None,
) -> Earlier:
    n = len(y)
    p = np.zeros(n) if scores is None else np.asarray(scores, dtype=float)
    out = {name: np.zeros(n) for name in Earlier.__dataclass_fields__}
    times, labels, expected = ts.tolist(), y.tolist(), p.tolist()
    by_repo: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(repo.tolist()):
        by_repo[r].append(i)
    for members in by_repo.values():
        members.sort(key=lambda i: int(times[i]))
        kept: dict[str, float] = defaultdict(float)
        total: dict[str, float] = defaultdict(float)
        sums: dict[str, float] = defaultdict(float)
        every = [0.0, 0.0, 0.0]  # kept, total, expected over all rules
        k = 0
        while k < len(members):
            same = [members[k]]
            while (
                k + len(same) < len(members) and times[members[k + len(same)]] == times[members[k]]
            ):
                same.append(members[k + len(same)])
            for i in same:  # scored with what came before this commit only
                r = rule[i]
                out["kept"][i], out["total"][i], out["expected"][i] = kept[r], total[r], sums[r]
                out["all_kept"][i], out["all_total"][i], out["all_expected"][i] = every
            for i in same:
                r = rule[i]
                kept[r] += labels[i]
                total[r] += 1
                sums[r] += expected[i]
                every[0] += labels[i]
                every[1] += 1
                every[2] += expected[i]
            k += len(same)
    return Earlier(**out)


def replay_shifts(
    repo: np.ndarray, ts: np.ndarray, rule: Sequence[str], y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per event: the log-odds shift its project's earlier outcomes on its rule give, and how
    many earlier outcomes (any rule) its project had."""
    earlier = earlier_records(repo, ts, rule, y)
    shift = np.array(
        [
            personal_shift(RuleHistory(int(kept), int(total)))
            for kept, total in zip(earlier.kept.tolist(), earlier.total.tolist(), strict=True)
        ]
    )
    return shift, earlier.all_total.astype(int)


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
