"""The two baselines every evaluation reports, and that the bundled artifact carries.

A trust model is only worth shipping if it beats what a user could do without it:

* `TierBaseline` — trust Ruff's own safety tier: the keep rate of safe / unsafe / display-only
  fixes, forced to rank safe ≥ unsafe ≥ display-only (Ruff's promise; pooled if the data
  disagrees, so the baseline stays what it claims to be).
* `RuleRateBaseline` — trust the rule: a Beta-smoothed per-rule keep rate shrunk towards the
  global rate; unseen rules fall back to their family, then to the global rate.

Both are fitted on training folds only and serialise to plain dicts, so `surefix eval --model`
can score a new dataset with the baselines learned alongside the model. Numpy only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from surefix.model.lazy_numpy import np


TIER_ORDER = ("safe", "unsafe", "display-only")
RULE_PRIOR_STRENGTH = 5.0  # pseudo-events: a rule needs ~5 decisions to move halfway from global
TIER_PRIOR_STRENGTH = 1.0


def smoothed_rate(kept: float, total: float, prior: float, strength: float) -> float:
    return (kept + strength * prior) / (total + strength)


@dataclass(frozen=True)
class TierBaseline:
    """Score = training keep rate of the fix's applicability class."""

    rates: dict[str, float]
    global_rate: float

    @classmethod
    def fit(cls, applicability: Sequence[str], y: np.ndarray) -> TierBaseline:
        y = np.asarray(y, dtype=float)
        global_rate = float(y.mean())
        apps = np.asarray(applicability)
        raw = {}
        weights = {}
        for tier in TIER_ORDER:
            mask = apps == tier
            if mask.any():
                raw[tier] = smoothed_rate(
                    y[mask].sum(), mask.sum(), global_rate, TIER_PRIOR_STRENGTH
                )
                weights[tier] = float(mask.sum())
        return cls(pool_adjacent_violators(raw, weights), global_rate)

    def score(self, applicability: Sequence[str]) -> np.ndarray:
        return np.array([self.rates.get(a, self.global_rate) for a in applicability], dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {"rates": dict(self.rates), "global_rate": self.global_rate}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TierBaseline:
        rates = {str(k): float(v) for k, v in data["rates"].items()}
        return cls(rates, float(data["global_rate"]))


def pool_adjacent_violators(rates: dict[str, float], weights: dict[str, float]) -> dict[str, float]:
    """Make rates non-increasing in `TIER_ORDER` by pooling neighbours that break the order."""
    blocks: list[tuple[list[str], float, float]] = []  # (tiers, weighted rate, weight)
    for tier in (t for t in TIER_ORDER if t in rates):
        blocks.append(([tier], rates[tier], weights[tier]))
        while len(blocks) >= 2 and blocks[-2][1] < blocks[-1][1]:
            (t1, r1, w1), (t2, r2, w2) = blocks[-2], blocks[-1]
            blocks[-2:] = [(t1 + t2, (r1 * w1 + r2 * w2) / (w1 + w2), w1 + w2)]
    return {tier: rate for tiers, rate, _ in blocks for tier in tiers}


@dataclass(frozen=True)
class RuleRateBaseline:
    """Score = smoothed keep rate of the fix's rule (→ family → global for unseen rules)."""

    rule_rates: dict[str, float]
    family_rates: dict[str, float]
    global_rate: float
    strength: float = RULE_PRIOR_STRENGTH
    rule_counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        rules: Sequence[str],
        families: Sequence[str],
        y: np.ndarray,
        strength: float = RULE_PRIOR_STRENGTH,
    ) -> RuleRateBaseline:
        y = np.asarray(y, dtype=float)
        g = float(y.mean())
        rule_rates, counts = group_rates(rules, y, g, strength)
        family_rates, _ = group_rates(families, y, g, strength)
        return cls(rule_rates, family_rates, g, strength, counts)

    def score(self, rules: Sequence[str], families: Sequence[str]) -> np.ndarray:
        return np.array(
            [
                self.rule_rates.get(r, self.family_rates.get(f, self.global_rate))
                for r, f in zip(rules, families, strict=True)
            ],
            dtype=float,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_rates": dict(self.rule_rates),
            "family_rates": dict(self.family_rates),
            "global_rate": self.global_rate,
            "strength": self.strength,
            "rule_counts": dict(self.rule_counts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleRateBaseline:
        return cls(
            {str(k): float(v) for k, v in data["rule_rates"].items()},
            {str(k): float(v) for k, v in data["family_rates"].items()},
            float(data["global_rate"]),
            float(data.get("strength", RULE_PRIOR_STRENGTH)),
            {str(k): int(v) for k, v in data.get("rule_counts", {}).items()},
        )


def group_rates(
    keys: Sequence[str], y: np.ndarray, prior: float, strength: float
) -> tuple[dict[str, float], dict[str, int]]:
    kept: dict[str, float] = {}
    total: dict[str, int] = {}
    for key, label in zip(keys, y, strict=True):
        kept[key] = kept.get(key, 0.0) + float(label)
        total[key] = total.get(key, 0) + 1
    rates = {k: smoothed_rate(kept[k], total[k], prior, strength) for k in total}
    return rates, total
