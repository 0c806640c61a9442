"""Score fixes and explain scores with numpy alone: this is what the language server runs.

`TrustModel.score` is `sigmoid(X @ w + b)` on the stored design — computed feature by feature
without building the mostly-zero X, equal to scikit-learn's `predict_proba` to rounding (the
tests hold it to 1e-9) — so the numbers shipped are the numbers evaluated.

`TrustModel.explain` is exact because the model is additive: centring every design column on its
training mean gives

    logit(score) = base + Σ_groups contribution(group),   base = b + w · mean

where `base` is the log-odds of an "average" training fix and each contribution says how much
this fix's rule, tier, edit shape, … moved it. Nothing is approximated (no SHAP sampling), so a
hover saying "the rule lowered trust" is literally where the log-odds went.

A score that is not a finite number is never returned: `logits` and `explain` raise
`ScoreError` instead, naming the model and the fix. Loading bounds every weight, but a logit
also multiplies the row's values (a per-rule slope divides by its training spread), so a model
that passed loading can still overflow on some input; the caller then uses another model
(the language server falls back as it does for a model that fails to load).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from surefix.features.featurize import SCHEMA_VERSION
from surefix.model.scoring.artifact import Artifact, ArtifactError, Thresholds, load_artifact
from surefix.model.scoring.design import (
    CategoricalEncoding,
    Encoding,
    NumericEncoding,
    SlopeEncoding,
)
from surefix.model.scoring.evidence import Evidence

if TYPE_CHECKING:
    import numpy as np
else:
    from surefix.model.lazy_numpy import np

TOP_FEATURES = 3


class ScoreError(ArtifactError):
    """`model` gave a fix a score that is not a finite number. The message names the model and
    the fix; a badge would otherwise show `nan %` or fail to show at all."""

    def __init__(self, message: str, model: TrustModel) -> None:
        super().__init__(message)
        self.model = model


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function without overflow for large |z|."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


@dataclass(frozen=True)
class FeatureContribution:
    """One feature's push on the log-odds, in words (`label`) and as the value it had."""

    name: str
    group: str
    label: str
    value: float | str
    contribution: float

    @property
    def feature(self) -> str:
        """The feature-row key it reads: a per-rule slope (`file_lines|rule`) reads its base
        feature, so words about the value are the base feature's."""
        return self.name.partition("|")[0]


@dataclass(frozen=True)
class Explanation:
    """Why a fix scored what it did. `base + sum(groups.values()) == logit` exactly, and so is
    `base` plus every feature's contribution (`features`, in design order)."""

    score: float
    logit: float
    base: float
    groups: dict[str, float]
    top: tuple[FeatureContribution, ...]
    features: tuple[FeatureContribution, ...] = ()


class TrustModel:
    """The loaded trust model. Build with `load_model()` or from an `Artifact`."""

    def __init__(self, artifact: Artifact) -> None:
        self.artifact = artifact
        with np.errstate(over="ignore", invalid="ignore"):
            self._base = float(artifact.intercept + artifact.coef @ artifact.column_means)
        if not np.isfinite(self._base):
            raise ScoreError(f"{self.where}: the average fix's log-odds are {self._base}", self)

    @property
    def where(self) -> str:
        """How a message names this model: by the directory it was read from, when it was."""
        source = self.artifact.source
        return f"the model at {source}" if source else f"the model {self.version}"

    @property
    def version(self) -> str:
        return self.artifact.version

    @property
    def thresholds(self) -> Thresholds:
        return self.artifact.thresholds

    @property
    def manifest(self) -> dict[str, Any]:
        return self.artifact.manifest

    @property
    def evidence(self) -> Evidence | None:
        """The training counts per rule, family and overall; None for an older artifact."""
        return self.artifact.evidence

    def logits(
        self, rows: Sequence[Mapping[str, Any]], schema_version: int = SCHEMA_VERSION
    ) -> np.ndarray:
        """The log-odds of each row. Raises `SchemaError` on foreign rows and `ScoreError` when
        one is not a finite number."""
        with np.errstate(over="ignore", invalid="ignore"):
            linear = self.artifact.design.linear(rows, self.artifact.coef, schema_version)
            z = linear + self.artifact.intercept
        self.check_finite(z, rows)
        return z

    def check_finite(self, logits: np.ndarray, rows: Sequence[Mapping[str, Any]]) -> None:
        """Raise `ScoreError` for the first row whose log-odds are not finite: an infinite one
        would still give a score of 0 or 1, but only because the arithmetic overflowed."""
        bad = np.flatnonzero(~np.isfinite(logits))
        if bad.size:
            i = int(bad[0])
            rule = rows[i].get("rule", "?")
            raise ScoreError(
                f"{self.where} gives a fix of {rule} a score that is not a finite number "
                f"(log-odds {logits[i]}): its parameters overflow on this file",
                self,
            )

    def score(
        self, rows: Sequence[Mapping[str, Any]], schema_version: int = SCHEMA_VERSION
    ) -> np.ndarray:
        """P(the developer keeps the fix) for each row, always finite. Raises `SchemaError` on
        foreign rows and `ScoreError` when the model cannot give one a finite score."""
        return sigmoid(self.logits(rows, schema_version))

    def explain(
        self, row: Mapping[str, Any], schema_version: int = SCHEMA_VERSION, top: int = TOP_FEATURES
    ) -> Explanation:
        """Per-group log-odds contributions of one row, relative to the average training fix,
        every feature's, and the `top` individual features that moved it most."""
        design = self.artifact.design
        with np.errstate(over="ignore", invalid="ignore"):
            x = design.transform([row], schema_version)[0]
            parts = self.artifact.coef * (x - self.artifact.column_means)
            logit = float(x @ self.artifact.coef + self.artifact.intercept)
        if not np.all(np.isfinite(parts)):
            logit = math.nan  # a contribution that is no number explains nothing
        self.check_finite(np.array([logit]), [row])
        features = self.feature_contributions(row, parts)
        groups: dict[str, float] = {}
        for f in features:
            groups[f.group] = groups.get(f.group, 0.0) + f.contribution
        ranked = sorted(features, key=lambda f: abs(f.contribution), reverse=True)
        return Explanation(
            score=float(sigmoid(np.array([logit]))[0]),
            logit=logit,
            base=self._base,
            groups=groups,
            top=tuple(f for f in ranked[:top] if f.contribution != 0.0),
            features=tuple(features),
        )

    def feature_contributions(
        self, row: Mapping[str, Any], parts: np.ndarray
    ) -> list[FeatureContribution]:
        design = self.artifact.design
        specs = {s.name: s for s in design.specs}
        slices = design.feature_slices()
        flags = {  # 0/1 features: the design keeps them as one raw column
            e.name for e in design.encodings if isinstance(e, NumericEncoding) and not e.knots
        }
        out = []
        for enc in design.encodings:
            spec = specs[enc.name]
            value = row[feature_name(enc)]
            if isinstance(enc, CategoricalEncoding):
                value = str(value)
                label = f"{spec.label}: {value}"
                if value not in enc.categories:  # scored as the shared "rare or unseen" column
                    label += " (rarely seen in training)"
            else:
                value = float(value)
                label = numeric_label(spec.label, value, feature_name(enc) in flags)
            out.append(
                FeatureContribution(
                    name=enc.name,
                    group=spec.group,
                    label=label,
                    value=value,
                    contribution=float(parts[slices[enc.name]].sum()),
                )
            )
        return out


def feature_name(enc: Encoding) -> str:
    """The feature-row key an encoding reads (a per-rule slope reads its base feature)."""
    return enc.feature if isinstance(enc, SlopeEncoding) else enc.name


def numeric_label(label: str, value: float, flag: bool) -> str:
    """`the fix only deletes: no` — the value belongs in the words, since a contribution is
    relative to the average fix and "the fix edits an import lowers trust" would misread."""
    if flag:
        return f"{label}: {'yes' if value else 'no'}"
    if value == round(value):
        return f"{label}: {round(value):,}"  # `file length: 5,550`, never `5.55e+03`
    return f"{label}: {value:,.3f}".rstrip("0").rstrip(".")


def load_model(path: str | os.PathLike[str] | None = None) -> TrustModel:
    """The trust model at `path`, or the bundled one. Raises `ArtifactError`."""
    return TrustModel(load_artifact(path))
