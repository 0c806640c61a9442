"""How good is the trust model, measured the way a user would meet it.

Two splits, each answering a different question:

* **by_repository** — grouped K-fold by repository, out-of-fold predictions pooled: how does a
  model trained on other projects do on *your* project? This is the bundled model's situation.
* **by_time** — within every repository, its newest ~25 % of events (whole commits) are test,
  older ones train: does the past predict the future? A per-repository cut rather than one
  global date because the mined repositories cover very different years; a single cutoff would
  leave old projects entirely in train and make "test" a handful of active repositories,
  mixing drift with the project shift the first split already measures.

Every model — the additive model, gradient boosting and the two baselines — is fitted on the
training part only and gets the same metrics, bootstrap intervals and per-family breakdown.
Auto-apply thresholds are chosen per model on the by_repository out-of-fold predictions (the
same rule for the baselines) and then used unchanged on every split.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from surefix.model.scoring.scorer import TrustModel
from surefix.model.training.dataset import Dataset
from surefix.model.training.fit import (
    MODEL_NAMES,
    Capacity,
    check_parity,
    fit_suite,
    single_threaded,
)
from surefix.model.training.metrics import (
    AUTO_PRECISION_TARGET,
    BOOTSTRAP_RESAMPLES,
    REVIEW_DEFAULT,
    AutoThreshold,
    brier,
    choose_auto_threshold,
    reliability_curve,
    roc_auc,
    score_forecast,
)
from surefix.model.training.walk_forward import walk_forward

FOLDS = 5
TIME_TEST_SHARE = 0.25
LEAK_AUC = 0.95
SUMMARY_KEYS = (
    "roc_auc",
    "pr_auc",
    "brier",
    "brier_skill",
    "ece",
    "auto_precision",
    "auto_coverage",
    "share_98",
)
WALK_FORWARD = "walk_forward"


@dataclass
class Predictions:
    """Held-out probabilities of every model on the events `index` of a dataset, plus each
    event's training base rate (the reference forecast of the Brier skill score)."""

    index: np.ndarray
    scores: dict[str, np.ndarray]
    base_rate: np.ndarray
    fold: np.ndarray | None = None  # which split each event was held out in
    c_values: list[float] = field(default_factory=list)
    c_losses: list[dict[str, float]] = field(default_factory=list)
    capacities: list[str] = field(default_factory=list)


def repository_folds(ds: Dataset, folds: int = FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    n_groups = len(set(ds.repo.tolist()))
    if n_groups < 2:
        raise ValueError("grouped evaluation needs events from at least two repositories")
    splitter = GroupKFold(n_splits=min(folds, n_groups))
    return list(splitter.split(np.zeros(len(ds)), ds.y, ds.repo))


def time_split(ds: Dataset, test_share: float = TIME_TEST_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """Per repository, the newest commits holding about `test_share` of its events are test.
    Whole commits move together, and every repository keeps at least one commit in train."""
    test = np.zeros(len(ds), dtype=bool)
    for repo in sorted(set(ds.repo.tolist())):
        idx = np.flatnonzero(ds.repo == repo)
        commits: dict[str, tuple[int, list[int]]] = {}
        for i in idx:
            ts, members = commits.get(ds.commit[i], (int(ds.ts[i]), []))
            members.append(int(i))
            commits[ds.commit[i]] = (max(ts, int(ds.ts[i])), members)
        newest_first = sorted(commits.items(), key=lambda kv: (kv[1][0], kv[0]), reverse=True)
        taken = 0
        for _, (_, members) in newest_first[:-1]:
            if taken >= test_share * len(idx):
                break
            test[members] = True
            taken += len(members)
    return np.flatnonzero(~test), np.flatnonzero(test)


def heldout_predictions(
    ds: Dataset,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    with_gbm: bool = True,
    C: float | None = None,
) -> Predictions:
    """Fit every model on each split's training part and pool its test predictions. The numpy
    scorer is checked against scikit-learn on every held-out part."""
    index, base, fold = [], [], []
    scores: dict[str, list[np.ndarray]] = {}
    c_values, c_losses, capacities = [], [], []
    for k, (train_idx, test_idx) in enumerate(splits):
        train, test = ds.subset(train_idx), ds.subset(test_idx)
        suite = fit_suite(train, with_gbm=with_gbm, C=C)
        model = TrustModel(suite.additive.artifact(suite.tier, suite.rules))
        check_parity(suite.additive, model, test.rows, f"held-out fold {k}")
        for name, p in suite.predict(test).items():
            scores.setdefault(name, []).append(p)
        index.append(test_idx)
        fold.append(np.full(len(test_idx), k))
        base.append(np.full(len(test_idx), float(train.y.mean())))
        c_values.append(suite.additive.C)
        capacities.append(Capacity(suite.additive.C, suite.additive.slopes).name)
        c_losses.append(suite.c_losses)
    return Predictions(
        index=np.concatenate(index),
        scores={name: np.concatenate(parts) for name, parts in scores.items()},
        base_rate=np.concatenate(base),
        fold=np.concatenate(fold),
        c_values=c_values,
        c_losses=c_losses,
        capacities=capacities,
    )


def choose_thresholds(
    ds: Dataset, preds: Predictions, target: float = AUTO_PRECISION_TARGET
) -> dict[str, AutoThreshold]:
    y, safe = ds.y[preds.index], ds.safe[preds.index]
    return {name: choose_auto_threshold(y, p, safe, target) for name, p in preds.scores.items()}


def split_metrics(
    ds: Dataset,
    preds: Predictions,
    thresholds: Mapping[str, AutoThreshold | float],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    y, safe = ds.y[preds.index], ds.safe[preds.index]
    out = {}
    for name, p in preds.scores.items():
        t = thresholds[name]
        cut = t.threshold if isinstance(t, AutoThreshold) else float(t)
        metrics = score_forecast(y, p, safe, preds.base_rate, cut, resamples, seed)
        metrics["auto_threshold"] = cut
        metrics["share_98"] = float(np.mean(p >= 0.98)) if len(p) else float("nan")
        metrics.update(per_group_auc(y, p, preds.fold, "fold"))
        metrics.update(per_group_auc(y, p, ds.repo[preds.index], "repository"))
        out[name] = metrics
    return out


def per_group_auc(
    y: np.ndarray, p: np.ndarray, groups: np.ndarray | None, what: str
) -> dict[str, Any]:
    """ROC-AUC within each fold (or repository), and their mean and standard deviation.
    Pooled AUC mixes folds, and a model whose score level shifts from fold to fold (the tier
    baseline is a handful of constants refitted per fold) is ranked across folds by that shift;
    within-group AUC is free of it. Groups with one outcome only have no AUC and are skipped."""
    if groups is None:
        return {}
    values = []
    for g in sorted(set(groups.tolist())):
        mask = groups == g
        auc = roc_auc(y[mask], p[mask])
        if math.isfinite(auc):
            values.append(auc)
    mean = float(np.mean(values)) if values else float("nan")
    sd = float(np.std(values, ddof=1)) if len(values) >= 2 else float("nan")
    return {
        f"roc_auc_per_{what}": values,
        f"roc_auc_{what}_mean": mean,
        f"roc_auc_{what}_sd": sd,
    }


def family_metrics(ds: Dataset, preds: Predictions) -> list[dict[str, Any]]:
    """Per rule family: size, keep rate, and AUC / Brier of the model and the rule-rate
    baseline (AUC only where both outcomes occur)."""
    families = np.array([ds.family[i] for i in preds.index], dtype=object)
    y = ds.y[preds.index]
    out = []
    for fam in sorted(set(families.tolist())):
        mask = families == fam
        row: dict[str, Any] = {
            "family": fam,
            "n": int(mask.sum()),
            "keep_rate": float(y[mask].mean()),
        }
        for name in ("model", "rule_rate_baseline"):
            p = preds.scores[name][mask]
            row[f"{name}_roc_auc"] = roc_auc(y[mask], p)
            row[f"{name}_brier"] = brier(y[mask], p)
        out.append(row)
    return sorted(out, key=lambda r: -r["n"])


def reliability(ds: Dataset, preds: Predictions) -> dict[str, dict[str, list[float]]]:
    y = ds.y[preds.index].astype(float)
    return {name: reliability_curve(y, p) for name, p in preds.scores.items()}


def leak_warnings(splits: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    """ROC-AUC above 0.95 on fix-acceptance data means the features know the label."""
    out = []
    for split, models in splits.items():
        for name, metrics in models.items():
            auc = metrics.get("roc_auc")
            if isinstance(auc, float) and auc > LEAK_AUC:
                out.append(
                    f"{name} ROC-AUC {auc:.3f} on {split} is above {LEAK_AUC}: "
                    "treat as a label leak until proven otherwise"
                )
    return out


def evaluate(
    ds: Dataset,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    folds: int = FOLDS,
    with_gbm: bool = True,
) -> dict[str, Any]:
    """The full comparison on both splits, as the `surefix eval --json` object."""
    with single_threaded():
        return evaluate_splits(ds, resamples, seed, folds, with_gbm)


def evaluate_splits(
    ds: Dataset, resamples: int, seed: int, folds: int, with_gbm: bool
) -> dict[str, Any]:
    by_repo = heldout_predictions(ds, repository_folds(ds, folds), with_gbm)
    thresholds = choose_thresholds(ds, by_repo)
    by_time = heldout_predictions(ds, [time_split(ds)], with_gbm)
    preds = {"by_repository": by_repo, "by_time": by_time}
    splits = {name: split_metrics(ds, p, thresholds, resamples, seed) for name, p in preds.items()}
    warnings = leak_warnings(splits)
    cuts = {name: t.threshold for name, t in thresholds.items()}
    splits[WALK_FORWARD] = replay(ds, by_repo, cuts, resamples, seed)
    for line in warnings:
        print(f"surefix: warning: {line}", file=sys.stderr)
    return {
        "dataset": dataset_summary(ds),
        "splits": splits,
        "thresholds": {
            "rule": (
                f"auto = lowest score t with precision >= {AUTO_PRECISION_TARGET} among safe "
                "fixes scoring >= t, chosen per model (baselines included) on by_repository "
                "out-of-fold predictions and applied unchanged to every split; "
                f"review = {REVIEW_DEFAULT}"
            ),
            "auto": {name: t.to_dict() for name, t in thresholds.items()},
            "review": REVIEW_DEFAULT,
        },
        "families": {name: family_metrics(ds, p) for name, p in preds.items()},
        "reliability": {name: reliability(ds, p) for name, p in preds.items()},
        "model_selection": {
            name: {
                "C_per_fold": p.c_values,
                "capacity_per_fold": p.capacities,
                "log_loss_by_capacity": p.c_losses,
            }
            for name, p in preds.items()
        },
        "split_sizes": {
            name: {"test_events": len(p.index), "folds": len(p.c_values)}
            for name, p in preds.items()
        },
        "warnings": warnings,
    }


def evaluate_artifact(
    ds: Dataset, model: TrustModel, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> dict[str, Any]:
    """Score an existing artifact on another dataset without training: the model and the
    baselines stored with it, each at the thresholds stored with it."""
    art = model.artifact
    preds = Predictions(
        index=np.arange(len(ds)),
        scores={
            "model": model.score(ds.rows),
            "tier_baseline": art.tier_baseline.score(ds.applicability),
            "rule_rate_baseline": art.rule_baseline.score(ds.rule, ds.family),
        },
        base_rate=np.full(len(ds), art.tier_baseline.global_rate),
    )
    stored = art.manifest.get("baseline_thresholds", {})
    thresholds = {
        "model": art.thresholds.auto,
        "tier_baseline": float(stored.get("tier_baseline", art.thresholds.auto)),
        "rule_rate_baseline": float(stored.get("rule_rate_baseline", art.thresholds.auto)),
    }
    splits = {"external": split_metrics(ds, preds, thresholds, resamples, seed)}
    warnings = leak_warnings(splits)
    splits[WALK_FORWARD] = replay(ds, preds, thresholds, resamples, seed)
    for line in warnings:
        print(f"surefix: warning: {line}", file=sys.stderr)
    return {
        "dataset": dataset_summary(ds),
        "model": {"version": model.version, "thresholds": art.thresholds.to_dict()},
        "splits": splits,
        "families": {"external": family_metrics(ds, preds)},
        "reliability": {"external": reliability(ds, preds)},
        "warnings": warnings,
    }


def replay(
    ds: Dataset,
    preds: Predictions,
    thresholds: Mapping[str, float],
    resamples: int,
    seed: int,
) -> dict[str, Any]:
    """`walk_forward` on held-out predictions: every event was scored by a model that never
    saw its project."""
    idx = preds.index
    rules = ds.rule
    scores = {k: v for k, v in preds.scores.items() if k in ("model", "rule_rate_baseline")}
    return walk_forward(
        ds.y[idx],
        scores,
        ds.repo[idx],
        ds.ts[idx],
        [rules[i] for i in idx],
        ds.safe[idx],
        preds.base_rate,
        thresholds,
        resamples,
        seed,
    )


def dataset_summary(ds: Dataset) -> dict[str, Any]:
    summary = ds.summary()
    return {
        "events": summary["events"],
        "repositories": summary["repositories"],
        "positive_rate": summary["positive_rate"],
        "rules": summary["rules"],
    }


def jsonable(value: Any) -> Any:
    """Plain JSON: NaN/inf become null, numpy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def format_table(report: Mapping[str, Any]) -> str:
    """A readable summary: one block per split, one line per model, intervals in brackets."""
    ds = report["dataset"]
    lines = [
        f"{ds['events']} events from {ds['repositories']} repositories, "
        f"keep rate {ds['positive_rate']:.3f}",
    ]
    header = f"{'':<20}" + "".join(f"{k:>24}" for k in SUMMARY_KEYS)
    for split, models in report["splits"].items():
        if split == WALK_FORWARD:
            for step, entry in models.items():
                lines += [
                    "",
                    f"[{split}: {step.replace('_', ' ')} earlier outcomes of the project; "
                    f"{entry['events']} events, {entry['repositories']} repositories]",
                    header,
                ]
                lines += model_lines({k: v for k, v in entry.items() if isinstance(v, dict)})
            continue
        lines += ["", f"[{split}]", header]
        lines += model_lines(models)
    thresholds = report.get("thresholds", {}).get("auto")
    if thresholds:
        lines += ["", "auto-apply thresholds (chosen on by_repository out-of-fold scores):"]
        for name, t in thresholds.items():
            met = "" if t["target_met"] else f"  (target {t['target']} not reached)"
            lines.append(
                f"  {name:<20} t={t['threshold']:.3f} precision={t['precision']:.3f} "
                f"coverage={t['coverage']:.3f}{met}"
            )
    for warning in report.get("warnings", []):
        lines.append(f"WARNING: {warning}")
    return "\n".join(lines)


def model_lines(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = []
    for name in [*MODEL_NAMES, *sorted(set(models) - set(MODEL_NAMES))]:
        if name not in models:
            continue
        m = models[name]
        cells = "".join(f"{cell(m.get(k), m.get(k + '_ci')):>24}" for k in SUMMARY_KEYS)
        lines.append(f"{name:<20}{cells}{spread(m, 'fold')}{spread(m, 'repository')}")
    return lines


def spread(metrics: Mapping[str, Any], what: str) -> str:
    """`  AUC per fold 0.870±0.020 (n=5)` when there are at least two groups with an AUC."""
    values = metrics.get(f"roc_auc_per_{what}") or []
    mean, sd = metrics.get(f"roc_auc_{what}_mean"), metrics.get(f"roc_auc_{what}_sd")
    if len(values) < 2 or not isinstance(mean, float) or not isinstance(sd, float):
        return ""
    return f"  AUC per {what} {mean:.3f}±{sd:.3f} (n={len(values)})"


def cell(value: Any, ci: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if ci and all(isinstance(c, float) and math.isfinite(c) for c in ci):
        return f"{value:.3f} [{ci[0]:.3f},{ci[1]:.3f}]"
    return f"{value:.3f}"


def plot_reliability(report: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Reliability diagram, one panel per split: the model against both baselines (and
    gradient boosting when present), with the diagonal of perfect calibration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = report["reliability"]
    fig, axes = plt.subplots(1, len(curves), figsize=(5.2 * len(curves), 5), squeeze=False)
    styles = {
        "model": ("additive model", "o-"),
        "gbm": ("gradient boosting", "d:"),
        "tier_baseline": ("Ruff tier prior", "s--"),
        "rule_rate_baseline": ("per-rule rate", "^--"),
    }
    for ax, (split, models) in zip(axes[0], curves.items(), strict=True):
        ax.plot([0, 1], [0, 1], color="grey", lw=1, label="perfect calibration")
        for name, (label, style) in styles.items():
            if name not in models:
                continue
            c = models[name]
            ece = report["splits"][split][name].get("ece")
            suffix = f" (ECE {ece:.3f})" if isinstance(ece, float) else ""
            ax.plot(c["predicted"], c["observed"], style, label=label + suffix, ms=4)
        ax.set_title(split.replace("_", " "))
        ax.set_xlabel("predicted keep probability")
        ax.set_ylabel("observed keep rate")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
