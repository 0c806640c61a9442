"""The model artifact on disk: plain JSON a person can read, checked before it is trusted.

A directory holds

* `params.json` — the fitted `Design`, the logistic-regression weights, the training mean of
  every design column (the reference point of explanations) and the two baselines;
* `manifest.json` — schema version, model version, created-at, a training-data summary,
  metrics, the recommendation thresholds, the sha256 of `params.json`, and (`evidence`) the
  mined fixes per rule, per family and overall: events, kept, projects (`evidence.Evidence`).
  An artifact without `evidence` (written before it existed) still loads, with none.

Nothing here executes code from the artifact (no pickle, no joblib, ever): a model file is data
a user may have downloaded, and loading it must not be able to run anything. Loading verifies
the checksum and the feature-schema version; any mismatch is an `ArtifactError` whose message is
one line a user can act on.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from surefix.features.featurize import SCHEMA_VERSION
from surefix.model.files import write_json_atomic
from surefix.model.scoring.baselines import RuleRateBaseline, TierBaseline
from surefix.model.scoring.design import Design, SchemaError
from surefix.model.scoring.evidence import Evidence

FORMAT_VERSION = 1
PARAMS_FILE = "params.json"
MANIFEST_FILE = "manifest.json"
MODEL_FAMILY = "additive-logistic"
EVIDENCE_KEY = "evidence"


class ArtifactError(RuntimeError):
    """The model artifact is missing, corrupt, tampered with or built for another schema."""


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs of the recommendation bands: ≥ `auto` (and safe) → auto-apply,
    ≥ `review` → offer, below → offer with a warning."""

    auto: float
    review: float

    def to_dict(self) -> dict[str, float]:
        return {"auto": self.auto, "review": self.review}


@dataclass(frozen=True)
class Artifact:
    """Everything the numpy scorer needs, plus the manifest as written."""

    design: Design
    coef: np.ndarray
    intercept: float
    column_means: np.ndarray
    tier_baseline: TierBaseline
    rule_baseline: RuleRateBaseline
    thresholds: Thresholds
    manifest: dict[str, Any] = field(default_factory=dict)
    evidence: Evidence | None = None  # the training counts hover quotes; None in older artifacts

    @property
    def version(self) -> str:
        return str(self.manifest.get("model_version", "unversioned"))


BUNDLED_ENV = "SUREFIX_BUNDLED_MODEL"


def bundled_model_dir() -> Path:
    """Where the model shipped with surefix lives: package data of `surefix.model`, unless
    `SUREFIX_BUNDLED_MODEL` names another directory (for packagers who relocate data)."""
    override = os.environ.get(BUNDLED_ENV)
    return Path(override) if override else Path(__file__).resolve().parents[1] / "bundled"


BUNDLED_EVENTS = "events.csv.gz"


def bundled_events_path() -> Path:
    """The mined events the bundled model was trained on; a retrain starts from them."""
    return bundled_model_dir() / BUNDLED_EVENTS


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def params_to_dict(artifact: Artifact) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "model_family": MODEL_FAMILY,
        "design": artifact.design.to_dict(),
        "coef": [float(w) for w in artifact.coef],
        "intercept": float(artifact.intercept),
        "column_means": [float(m) for m in artifact.column_means],
        "baselines": {
            "tier": artifact.tier_baseline.to_dict(),
            "rule_rate": artifact.rule_baseline.to_dict(),
        },
    }


def params_digest(artifact: Artifact) -> str:
    """The sha256 (hex) of the parameters (design, weights, baselines) in canonical JSON, without
    the manifest: what a model version is named by. Not the checksum of `params.json`, which is
    of the file as written."""
    canonical = json.dumps(params_to_dict(artifact), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def save_artifact(artifact: Artifact, directory: str | os.PathLike[str]) -> Path:
    """Write `params.json` then `manifest.json` (with the params' sha256) into `directory`.
    Files are written to a temporary name and renamed, so a crash never leaves a manifest that
    points at half a parameter file. Returns the directory."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    params_path = out / PARAMS_FILE
    write_json_atomic(params_path, params_to_dict(artifact))
    manifest = dict(artifact.manifest)
    manifest.pop(EVIDENCE_KEY, None)
    if artifact.evidence is not None:
        manifest[EVIDENCE_KEY] = artifact.evidence.to_dict()
    manifest.update(
        {
            "format_version": FORMAT_VERSION,
            "model_family": MODEL_FAMILY,
            "schema_version": artifact.design.schema_version,
            "thresholds": artifact.thresholds.to_dict(),
            "files": {
                PARAMS_FILE: {
                    "sha256": sha256_file(params_path),
                    "bytes": params_path.stat().st_size,
                }
            },
        }
    )
    write_json_atomic(out / MANIFEST_FILE, manifest)
    return out


def load_artifact(path: str | os.PathLike[str] | None = None) -> Artifact:
    """Read and verify an artifact directory (or its manifest.json). Raises `ArtifactError`."""
    directory = Path(path) if path is not None else bundled_model_dir()
    if directory.is_file() and directory.name == MANIFEST_FILE:
        directory = directory.parent
    manifest = read_json(directory / MANIFEST_FILE, "model manifest")
    check_manifest(manifest, directory)
    params = read_json(directory / PARAMS_FILE, "model parameters")
    try:
        return artifact_from_dicts(params, manifest)
    except SchemaError as exc:
        raise ArtifactError(f"model at {directory} is unusable: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"model parameters in {directory} are malformed ({exc!r})") from None


def read_json(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise ArtifactError(f"{what} not found: {path}")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{what} {path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ArtifactError(f"{what} {path} is not a JSON object")
    return data


def check_manifest(manifest: Mapping[str, Any], directory: Path) -> None:
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"model at {directory} has artifact format {manifest.get('format_version')!r}; "
            f"this surefix reads format {FORMAT_VERSION}"
        )
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise ArtifactError(
            f"model at {directory} was trained on feature schema "
            f"{manifest.get('schema_version')!r}, but this surefix builds schema "
            f"{SCHEMA_VERSION}: retrain it with `surefix train`"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or PARAMS_FILE not in files:
        raise ArtifactError(f"model manifest in {directory} lists no checksum for {PARAMS_FILE}")
    params_path = directory / PARAMS_FILE
    if not params_path.is_file():
        raise ArtifactError(f"model parameters not found: {params_path}")
    expected = str(files[PARAMS_FILE].get("sha256", ""))
    if sha256_file(params_path) != expected:
        raise ArtifactError(
            f"model parameters {params_path} do not match the manifest checksum "
            "(corrupt or modified); reinstall or retrain the model"
        )


def artifact_from_dicts(params: Mapping[str, Any], manifest: Mapping[str, Any]) -> Artifact:
    design = Design.from_dict(params["design"])
    if design.schema_version != manifest["schema_version"]:
        raise SchemaError("parameters and manifest disagree on the feature schema")
    coef = finite_array(params["coef"], "coef")
    means = finite_array(params["column_means"], "column_means")
    if not (len(coef) == len(means) == design.width):
        raise SchemaError(
            f"{len(coef)} weights and {len(means)} means for {design.width} design columns"
        )
    intercept = float(params["intercept"])
    if not np.isfinite(intercept):
        raise SchemaError("intercept is not finite")
    thresholds = manifest.get("thresholds") or {}
    evidence = manifest.get(EVIDENCE_KEY)
    return Artifact(
        design=design,
        coef=coef,
        intercept=intercept,
        column_means=means,
        tier_baseline=TierBaseline.from_dict(params["baselines"]["tier"]),
        rule_baseline=RuleRateBaseline.from_dict(params["baselines"]["rule_rate"]),
        thresholds=Thresholds(float(thresholds["auto"]), float(thresholds["review"])),
        manifest=dict(manifest),
        evidence=Evidence.from_dict(evidence) if isinstance(evidence, Mapping) else None,
    )


def finite_array(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise SchemaError(f"{name} must be a list of finite numbers")
    return arr
