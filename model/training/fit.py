"""Fit the candidate models (training side only: scikit-learn is imported here, never by the
scorer, the design or the artifact code).

* Model A — `fit_additive`: the numpy `Design` (one-hot + hat splines) into L2 logistic
  regression. Additive, so explanations are exact; calibrated by construction of the loss.
  Its capacity (C, per-rule slopes or none) is chosen by grouped (by repository) inner
  cross-validation on log loss, because a model
  that only has to generalise to commits of projects it has seen would pick too little
  regularisation for a user's new project.
* Model B — `fit_gbm`: histogram gradient boosting on the raw features (categoricals native),
  the "is a flexible model clearly better?" check the design asks for.
* The two baselines (`baselines.py`), fitted on the same training rows.

`fit_suite` fits all four on one training set; evaluation calls it once per fold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from surefix.features.featurize import CATEGORICAL, FEATURE_NAMES, FEATURES, NUMERIC
from surefix.model.scoring.artifact import Artifact, Thresholds
from surefix.model.scoring.baselines import RuleRateBaseline, TierBaseline
from surefix.model.scoring.design import (
    CategoricalEncoding,
    Design,
    Distinct,
    SlopeEncoding,
    categorical_column,
    check_schema,
    fit_design,
    hat_parts,
    numeric_columns,
)
from surefix.model.scoring.scorer import TrustModel
from surefix.model.training.dataset import Dataset
from surefix.model.training.metrics import REVIEW_DEFAULT

INNER_FOLDS = 3
PARITY_TOLERANCE = 1e-9
GBM_MIN_CATEGORY = 10
GBM_MAX_CATEGORIES = 250  # HistGradientBoosting allows < max_bins (255) categories per feature
MODEL_NAMES = ("model", "tier_baseline", "rule_rate_baseline", "gbm")

# The additive model leaves out the history group. Measured on the bundled events (5 repository
# folds, C=1): ROC-AUC 0.847 with history_rate/history_n, 0.856 without. A project's mined
# history of a rule is dominated by its sweeps and says less about the next fix than the rule's
# population rate does; the user's own outcomes enter through the store instead.
MODEL_FEATURES = tuple(spec for spec in FEATURES if spec.group != "history")

# Per-rule slopes for rules with at least this many training events (`SlopeEncoding`): measured
# on the bundled events (5 repository folds), ROC-AUC 0.851 → 0.893 and Brier 0.092 → 0.084,
# level with gradient boosting (0.889) while every contribution stays exact. C = 1 was the best
# of 0.1 / 0.3 / 1 there; with ~900 columns each fit takes seconds, so it is fixed rather than
# re-selected inside every fold.
SLOPE_MIN_COUNT = 30
# The model's capacity — how far rule, family and per-rule slope effects may move from the
# family and global effects they are shrunk toward (L2: a rule's one-hot adds to its family's,
# which adds to the intercept, so a rule with few events stays near its family) — is chosen
# per training set by grouped inner cross-validation (`select_capacity`). Inside `evaluate` that is
# nested: every outer fold chooses on its own training projects only.
# Measured on 25,771 events of 102 projects: C = 0.1 won every outer fold of a 0.1-1 grid, at
# its edge, so the grid reaches lower. Per-rule slopes are part of the choice too: `None` is the
# model without them (rule, family and global effects only).
C_GRID = (0.01, 0.03, 0.1, 0.3)
SLOPE_GRID: tuple[int | None, ...] = (SLOPE_MIN_COUNT, None)


def single_threaded() -> threadpool_limits:
    """Run BLAS and OpenMP on one thread. Training is many small fits; on a 2-core machine
    that is busy (the miner, an editor) multi-threaded OpenBLAS/OpenMP spin-wait and were
    measured 5-50x slower than one thread."""
    return threadpool_limits(limits=1)


class ParityError(RuntimeError):
    """The numpy scorer and scikit-learn disagree: the artifact would ship other numbers than
    the ones evaluated."""


@dataclass(frozen=True)
class AdditiveFit:
    """Model A: the fitted design and logistic regression, plus the column means explanations
    are centred on."""

    design: Design
    lr: LogisticRegression
    column_means: np.ndarray
    C: float
    slopes: int | None = SLOPE_MIN_COUNT  # per-rule slopes from this many events; None: none

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return self.lr.predict_proba(sparse_transform(self.design, rows))[:, 1]

    def artifact(
        self,
        tier: TierBaseline,
        rules: RuleRateBaseline,
        thresholds: Thresholds | None = None,
        manifest: Mapping[str, Any] | None = None,
    ) -> Artifact:
        return Artifact(
            design=self.design,
            coef=np.asarray(self.lr.coef_[0], dtype=float).copy(),
            intercept=float(self.lr.intercept_[0]),
            column_means=self.column_means,
            tier_baseline=tier,
            rule_baseline=rules,
            thresholds=thresholds or Thresholds(auto=1.0, review=REVIEW_DEFAULT),
            manifest=dict(manifest or {}),
        )


def logistic(C: float) -> LogisticRegression:
    # Newton-Cholesky: a few exact Newton steps on a few hundred columns converge to the optimum
    # far more tightly (and faster) than lbfgs, so refits are reproducible to many digits.
    return LogisticRegression(C=C, solver="newton-cholesky", max_iter=200, tol=1e-10)


def fit_additive(
    rows: Sequence[Mapping[str, Any]],
    y: np.ndarray,
    C: float,
    design: Design | None = None,
    slopes: int | None = SLOPE_MIN_COUNT,
) -> AdditiveFit:
    design = design or model_design(rows, slopes)
    x = sparse_transform(design, rows)  # measured: 15 s instead of 190 s dense (26k events)
    lr = logistic(C).fit(x, y)
    return AdditiveFit(design, lr, np.asarray(x.mean(axis=0)).ravel(), C, slopes)


def sparse_transform(design: Design, rows: Sequence[Mapping[str, Any]]) -> sparse.csr_matrix:
    """`design.transform(rows)` as a sparse matrix. A row has one non-zero per categorical
    feature, two per spline and at most one per slope group, out of ~900 columns: a retrain on
    100k outcomes is ~40 MB this way and ~700 MB dense."""
    check_schema(design.schema_version, design.schema_version, rows)
    n = len(rows)
    every = np.arange(n)
    numbers = numeric_columns(rows, design.numeric_features())
    words: dict[str, Distinct] = {}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def distinct(name: str) -> Distinct:
        if name not in words:
            words[name] = Distinct(categorical_column(rows, name))
        return words[name]

    start = 0
    for enc in design.encodings:
        if isinstance(enc, CategoricalEncoding):
            codes = distinct(enc.name).codes(enc.index, len(enc.categories))
            parts.append((every, start + codes, np.ones(n)))
        elif isinstance(enc, SlopeEncoding):
            cols = distinct(enc.by).codes(enc.index, -1)
            hit = cols >= 0
            z = enc.standardised(numbers[enc.feature])
            parts.append((every[hit], start + cols[hit], z[hit]))
        else:
            x = enc.prepared(numbers[enc.name])
            if len(enc.knots) < 2:
                parts.append((every, np.full(n, start), x))
            else:
                seg, t = hat_parts(x, np.asarray(enc.knots))
                parts.append((every, start + seg, 1.0 - t))
                parts.append((every, start + seg + 1, t))
        start += enc.width
    if not parts:
        return sparse.csr_matrix((n, design.width))
    r, c, v = (np.concatenate(p) for p in zip(*parts, strict=True))
    return sparse.coo_matrix((v, (r, c)), shape=(n, design.width)).tocsr()


def model_design(rows: Sequence[Mapping[str, Any]], slopes: int | None = SLOPE_MIN_COUNT) -> Design:
    return fit_design(
        rows,
        specs=MODEL_FEATURES,
        slopes_by="rule" if slopes is not None else None,
        slope_min_count=slopes if slopes is not None else SLOPE_MIN_COUNT,
    )


@dataclass(frozen=True)
class Capacity:
    """How much the additive model may fit: its L2 strength and whether rules get slopes."""

    C: float
    slopes: int | None

    @property
    def name(self) -> str:
        return f"C={self.C:g},slopes={'none' if self.slopes is None else self.slopes}"


def select_capacity(
    rows: Sequence[Mapping[str, Any]],
    y: np.ndarray,
    groups: np.ndarray,
    grid: Sequence[float] = C_GRID,
    slope_grid: Sequence[int | None] = SLOPE_GRID,
    folds: int = INNER_FOLDS,
) -> tuple[Capacity, dict[str, float]]:
    """The capacity with the lowest log loss on held-out *projects* (grouped CV on `rows`),
    and the loss of every one tried. Each design is fitted once on all `rows`: vocabularies
    and knots use no labels, so nothing leaks that matters."""
    n_groups = len(set(groups.tolist()))
    if n_groups < 2 or len(set(y.tolist())) < 2:
        return Capacity(grid[-1], slope_grid[0]), {}
    splitter = GroupKFold(n_splits=min(folds, n_groups))
    losses: dict[str, float] = {}
    tried = []
    for slopes in slope_grid:
        x = sparse_transform(model_design(rows, slopes), rows)
        for C in grid:
            capacity = Capacity(float(C), slopes)
            total = 0.0
            for train, test in splitter.split(x, y, groups):
                if len(set(y[train].tolist())) < 2:
                    continue
                p = logistic(C).fit(x[train], y[train]).predict_proba(x[test])[:, 1]
                p = np.clip(p, 1e-15, 1 - 1e-15)
                total -= float(np.sum(y[test] * np.log(p) + (1 - y[test]) * np.log1p(-p)))
            losses[capacity.name] = total / len(y)
            tried.append(capacity)
    return min(tried, key=lambda c: losses[c.name]), losses


@dataclass(frozen=True)
class GbmFit:
    """Model B: gradient boosting with its own category codes (rare/unseen → missing)."""

    vocab: dict[str, dict[str, int]]
    clf: HistGradientBoostingClassifier

    def matrix(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return gbm_matrix(rows, self.vocab)

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return self.clf.predict_proba(self.matrix(rows))[:, 1]


def gbm_vocab(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    vocab = {}
    for name in CATEGORICAL:
        counts: dict[str, int] = {}
        for row in rows:
            counts[str(row[name])] = counts.get(str(row[name]), 0) + 1
        frequent = sorted(
            (c for c, n in counts.items() if n >= GBM_MIN_CATEGORY), key=lambda c: (-counts[c], c)
        )[:GBM_MAX_CATEGORIES]
        vocab[name] = {c: i for i, c in enumerate(sorted(frequent))}
    return vocab


def gbm_matrix(
    rows: Sequence[Mapping[str, Any]], vocab: Mapping[str, Mapping[str, int]]
) -> np.ndarray:
    x = np.empty((len(rows), len(FEATURE_NAMES)))
    for j, name in enumerate(FEATURE_NAMES):
        if name in vocab:
            codes = vocab[name]
            x[:, j] = [codes.get(str(r[name]), np.nan) for r in rows]
        else:
            x[:, j] = [float(r[name]) for r in rows]
    return x


def fit_gbm(rows: Sequence[Mapping[str, Any]], y: np.ndarray, seed: int = 0) -> GbmFit:
    vocab = gbm_vocab(rows)
    clf = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=300,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=[name in vocab for name in FEATURE_NAMES],
        early_stopping=False,
        random_state=seed,
    )
    clf.fit(gbm_matrix(rows, vocab), y)
    return GbmFit(vocab, clf)


def fit_baselines(ds: Dataset) -> tuple[TierBaseline, RuleRateBaseline]:
    return (
        TierBaseline.fit(ds.applicability, ds.y),
        RuleRateBaseline.fit(ds.rule, ds.family, ds.y),
    )


@dataclass(frozen=True)
class Suite:
    """All four models fitted on one training set."""

    additive: AdditiveFit
    gbm: GbmFit | None
    tier: TierBaseline
    rules: RuleRateBaseline
    c_losses: dict[str, float]

    def predict(self, ds: Dataset) -> dict[str, np.ndarray]:
        out = {
            "model": self.additive.predict(ds.rows),
            "tier_baseline": self.tier.score(ds.applicability),
            "rule_rate_baseline": self.rules.score(ds.rule, ds.family),
        }
        if self.gbm is not None:
            out["gbm"] = self.gbm.predict(ds.rows)
        return out


def fit_suite(train: Dataset, with_gbm: bool = True, C: float | None = None) -> Suite:
    """Fit Model A (its capacity by inner grouped CV unless C is given), Model B and both
    baselines."""
    losses: dict[str, float] = {}
    capacity = Capacity(C, SLOPE_MIN_COUNT) if C is not None else None
    if capacity is None:
        capacity, losses = select_capacity(train.rows, train.y, train.repo)
    tier, rules = fit_baselines(train)
    return Suite(
        additive=fit_additive(train.rows, train.y, capacity.C, slopes=capacity.slopes),
        gbm=fit_gbm(train.rows, train.y) if with_gbm else None,
        tier=tier,
        rules=rules,
        c_losses=losses,
    )


def check_parity(
    fit: AdditiveFit, model: TrustModel, rows: Sequence[Mapping[str, Any]], where: str
) -> float:
    """Largest |numpy - scikit-learn| probability on `rows`; raises `ParityError` above 1e-9."""
    if not rows:
        return 0.0
    gap = float(np.max(np.abs(model.score(rows) - fit.predict(rows))))
    if not gap <= PARITY_TOLERANCE:
        raise ParityError(
            f"numpy scorer differs from scikit-learn by {gap:.3g} on {where} (limit 1e-9)"
        )
    return gap


def probe_rows(rows: Sequence[Mapping[str, Any]], count: int = 50) -> list[dict[str, Any]]:
    """Rows the training data never had — unseen categories, extreme and zero numbers — so
    parity is also checked on the encodings' fallback paths."""
    rng = np.random.default_rng(0)
    out = []
    for i in rng.choice(len(rows), size=min(count, len(rows)), replace=False):
        row = dict(rows[int(i)])
        for name in CATEGORICAL:
            if rng.random() < 0.3:
                row[name] = "never-seen"
        for name in NUMERIC:
            r = rng.random()
            if r < 0.1:
                row[name] = float(row[name]) * 1000.0 + 7.0
            elif r < 0.2:
                row[name] = 0.0
        out.append(row)
    return out
