"""`surefix train`: evaluate, refit on everything, export the artifact, prove it scores alike.

Order matters: the evaluation runs first because the artifact ships its thresholds (chosen on
out-of-fold predictions, never on the rows the final model saw) and its metrics. The final
additive model is then refitted on all events with C chosen by grouped CV on all events, written
(sealed: the manifest's checksum covers its thresholds and evidence as well as the parameters),
read back through the same loader the server uses, and compared with scikit-learn to 1e-9 — so a
serialisation slip fails the build instead of shipping. The artifact also carries the evidence
hover quotes: per rule, per family and overall, the events, kept and projects of `ds`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from surefix.model.files import write_json_atomic
from surefix.model.mining.miner import reserved_in
from surefix.model.scoring.artifact import (
    BUNDLED_EVENTS,
    Thresholds,
    load_artifact,
    params_digest,
    save_artifact,
)
from surefix.model.scoring.evidence import Evidence, count_evidence
from surefix.model.scoring.scorer import load_model
from surefix.model.training.dataset import Dataset
from surefix.model.training.evaluation import evaluate, jsonable, plot_reliability
from surefix.model.training.fit import (
    check_parity,
    fit_additive,
    fit_baselines,
    probe_rows,
    select_capacity,
    single_threaded,
)
from surefix.model.training.metrics import BOOTSTRAP_RESAMPLES, REVIEW_DEFAULT


def train_and_export(
    ds: Dataset,
    out: str | os.PathLike[str],
    reliability_path: str | os.PathLike[str] | None = None,
    metrics_path: str | os.PathLike[str] | None = None,
    ruff_version: str | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    with_gbm: bool = True,
    source: str | None = None,
) -> dict[str, Any]:
    """Evaluate, fit the final model on all of `ds`, write the artifact to `out`. Returns the
    metrics report (also written to `metrics_path` when given). Refuses a dataset holding any
    of the reserved evaluation projects: they must stay unseen to mean anything."""
    reserved = reserved_in(ds.repo.tolist())
    if reserved:
        raise ValueError(f"the dataset contains reserved evaluation projects {reserved}")
    with single_threaded():
        return export_after_evaluation(
            ds, out, reliability_path, metrics_path, ruff_version, resamples, seed, with_gbm, source
        )


def export_after_evaluation(
    ds: Dataset,
    out: str | os.PathLike[str],
    reliability_path: str | os.PathLike[str] | None,
    metrics_path: str | os.PathLike[str] | None,
    ruff_version: str | None,
    resamples: int,
    seed: int,
    with_gbm: bool,
    source: str | None,
) -> dict[str, Any]:
    report = jsonable(evaluate(ds, resamples=resamples, seed=seed, with_gbm=with_gbm))
    if reliability_path is not None:
        plot_reliability(report, reliability_path)
    auto = report["thresholds"]["auto"]
    thresholds = Thresholds(auto=float(auto["model"]["threshold"]), review=REVIEW_DEFAULT)

    capacity, losses = select_capacity(ds.rows, ds.y, ds.repo)
    C = capacity.C
    fit = fit_additive(ds.rows, ds.y, C, slopes=capacity.slopes)
    tier, rules = fit_baselines(ds)
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    draft = fit.artifact(tier, rules, thresholds)
    manifest = {
        "model_version": f"{created:%Y%m%d}-{params_digest(draft)[:10]}",
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "training_data": {**ds.summary(), "ruff_version": ruff_version, "source": source},
        "hyperparameters": {
            "C": C,
            "rule_slopes_min_events": capacity.slopes,
            "log_loss_by_capacity": losses,
        },
        "metrics": summary_metrics(report),
        "threshold_selection": report["thresholds"]["auto"],
        "baseline_thresholds": {
            name: auto[name]["threshold"] for name in ("tier_baseline", "rule_rate_baseline")
        },
    }
    artifact = replace(fit.artifact(tier, rules, thresholds, manifest), evidence=evidence_of(ds))
    save_artifact(artifact, out)
    if source is not None and Path(source).resolve() != (Path(out) / BUNDLED_EVENTS).resolve():
        shutil.copyfile(source, Path(out) / BUNDLED_EVENTS)  # what a local retrain starts from
    loaded = load_model(out)
    gap = max(
        check_parity(fit, loaded, ds.rows, "training rows of the exported model"),
        check_parity(fit, loaded, probe_rows(ds.rows), "probe rows of the exported model"),
    )
    report["export"] = {
        "path": str(Path(out)),
        "model_version": loaded.version,
        "C": C,
        "parity_max_abs_diff": gap,
        "thresholds": thresholds.to_dict(),
    }
    if metrics_path is not None:
        write_json_atomic(Path(metrics_path), report)
    return report


def evidence_of(ds: Dataset) -> Evidence:
    """What the training events say of each rule: the counts hover leads with."""
    return count_evidence(ds.rule, ds.family, ds.y.tolist(), ds.repo.tolist())


def add_evidence(directory: str | os.PathLike[str], ds: Dataset) -> Evidence:
    """Give an artifact trained on `ds` before artifacts carried evidence its `evidence`
    section, without refitting: the parameters, and so the model version, stay as they are."""
    artifact = load_artifact(directory)
    evidence = evidence_of(ds)
    save_artifact(replace(artifact, evidence=evidence), directory)
    return evidence


def summary_metrics(report: Mapping[str, Any]) -> dict[str, Any]:
    """The headline numbers for the manifest (no curves, no per-family tables)."""
    return {split: _headline(models) for split, models in report["splits"].items()}


def _headline(value: Any) -> Any:
    """`value` without its curves (the walk-forward split nests one level deeper)."""
    if isinstance(value, Mapping):
        return {k: _headline(v) for k, v in value.items() if not str(k).endswith("_curve")}
    return value
