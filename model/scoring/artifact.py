"""The model artifact on disk: plain JSON a person can read, checked before it is trusted.

A directory holds

* `params.json` — the fitted `Design`, the logistic-regression weights, the training mean of
  every design column (the reference point of explanations) and the two baselines;
* `manifest.json` — schema version, model version, created-at, a training-data summary,
  metrics, the recommendation thresholds, the sha256 of `params.json`, (`evidence`) the mined
  fixes per rule, per family and overall: events, kept, projects (`evidence.Evidence`), and
  (`seal`) the sha256 of everything else in the manifest. An artifact without `evidence`
  (written before it existed) still loads, with none.

Nothing here executes code from the artifact (no pickle, no joblib, ever): a model file is data
a user may have downloaded, and loading it must not be able to run anything. Nor may it make the
server misbehave, so loading checks the whole artifact before any of it is used:

* the seal covers every manifest field (thresholds, evidence, schema, metrics…) and, through the
  sha256 it lists, every byte of `params.json`: an edited threshold is as refused as an edited
  weight;
* every value has its type, shape and range: numbers finite (`NaN`, `Infinity` and overflowing
  literals such as `1e999` are refused while reading), thresholds in (0, 1], rates in [0, 1],
  one weight and one mean per design column, no weight beyond ±`WEIGHT_LIMIT` log-odds, so a
  score cannot overflow to inf or NaN through the weights.

Any failure is an `ArtifactError` whose message is one line that names the file and what is
wrong. Artifacts of format 1 predate the seal (their checksum covers `params.json` only); the
bundled one may still be of that format and loads, any other must be sealed first
(`seal_artifact`, `surefix model seal DIR`), which checks it the same way.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from surefix.features.featurize import SCHEMA_VERSION
from surefix.model.files import write_json_atomic
from surefix.model.scoring.baselines import RuleRateBaseline, TierBaseline
from surefix.model.scoring.design import Design, SchemaError
from surefix.model.scoring.evidence import Evidence

if TYPE_CHECKING:
    import numpy as np
else:
    from surefix.model.lazy_numpy import np

FORMAT_VERSION = 2  # of the manifest: sealed
UNSEALED_FORMAT = 1  # only params.json was checksummed: trusted for the bundled model alone
PARAMS_FORMAT = 1  # of params.json, unchanged by the seal (and part of the model version)
PARAMS_FILE = "params.json"
MANIFEST_FILE = "manifest.json"
MODEL_FAMILY = "additive-logistic"
EVIDENCE_KEY = "evidence"
SEAL_KEY = "seal"
# A weight is log-odds: ±100 is e^100 ≈ 1e43 to one, far beyond what any amount of evidence can
# say (the bundled model's largest is below 1), so a larger one is damage, not learning.
WEIGHT_LIMIT = 100.0


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
    source: str | None = field(default=None, compare=False)  # the directory it was read from

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
        "format_version": PARAMS_FORMAT,
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
    of the file as written, nor the seal, which is of the manifest."""
    canonical = json.dumps(params_to_dict(artifact), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def manifest_seal(manifest: Mapping[str, Any]) -> str:
    """The sha256 (hex) of every manifest field but the seal itself, as canonical JSON (sorted
    keys, no whitespace). It is of the parsed values, not the bytes, so re-indenting the file
    keeps it valid while changing any value — a threshold, one evidence count — breaks it.
    `files` holds the sha256 of `params.json`, so the seal vouches for that file too."""
    body = {k: v for k, v in manifest.items() if k != SEAL_KEY}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def save_artifact(artifact: Artifact, directory: str | os.PathLike[str]) -> Path:
    """Write `params.json` then `manifest.json` (with the params' sha256 and the seal) into
    `directory`. The artifact is checked first as the loader checks it, so nothing is written
    that the server would refuse. Files are written to a temporary name and renamed, so a
    crash never leaves a manifest that points at half a parameter file. Returns the directory."""
    out = Path(directory)
    try:
        check_artifact(artifact)
    except SchemaError as exc:
        raise ArtifactError(f"refusing to write the model to {out}: {exc}") from None
    out.mkdir(parents=True, exist_ok=True)
    params_path = out / PARAMS_FILE
    write_json_atomic(params_path, params_to_dict(artifact))
    manifest = {k: v for k, v in artifact.manifest.items() if k not in (EVIDENCE_KEY, SEAL_KEY)}
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
    write_sealed(out / MANIFEST_FILE, manifest)
    return out


def write_sealed(path: Path, manifest: dict[str, Any]) -> str:
    """Write `manifest` with its seal; returns the seal. The seal is computed on the manifest
    as it reads back from JSON (tuples become lists, numpy numbers plain ones), so the loader
    recomputes exactly it."""
    plain = json.loads(json.dumps(manifest, allow_nan=False))
    plain.pop(SEAL_KEY, None)
    seal = manifest_seal(plain)
    write_json_atomic(path, {**plain, SEAL_KEY: {"sha256": seal}})
    return seal


def artifact_dir(path: str | os.PathLike[str] | None) -> Path:
    """The artifact directory `path` names (it may name the manifest), or the bundled one."""
    directory = Path(path) if path is not None else bundled_model_dir()
    if directory.is_file() and directory.name == MANIFEST_FILE:
        directory = directory.parent
    return directory


def load_artifact(path: str | os.PathLike[str] | None = None) -> Artifact:
    """Read and verify an artifact directory (or its manifest.json): the feature schema, the
    seal, the checksum of `params.json`, then every value's type, shape and range. Raises
    `ArtifactError`."""
    directory = artifact_dir(path)
    manifest = read_json(directory / MANIFEST_FILE, "model manifest")
    check_format(manifest, directory)
    check_schema_version(manifest, directory)  # first: an old model is told to retrain
    check_seal(manifest, directory)
    check_params_file(manifest, directory)
    params = read_json(directory / PARAMS_FILE, "model parameters")
    return parse_artifact(params, manifest, directory)


def seal_artifact(path: str | os.PathLike[str]) -> str:
    """Seal the manifest of the artifact at `path`; returns the seal. For an artifact written
    before manifests were sealed (format 1) — the seal then vouches for what it holds now — or
    one whose manifest was changed on purpose. It is checked as the loader checks it (schema,
    the checksum of `params.json`, every value), so sealing cannot bless a broken one;
    `params.json` is not rewritten."""
    directory = artifact_dir(path)
    manifest = read_json(directory / MANIFEST_FILE, "model manifest")
    check_format(manifest, directory)
    manifest = {**manifest, "format_version": FORMAT_VERSION}
    manifest.pop(SEAL_KEY, None)
    check_schema_version(manifest, directory)
    check_params_file(manifest, directory)
    parse_artifact(read_json(directory / PARAMS_FILE, "model parameters"), manifest, directory)
    return write_sealed(directory / MANIFEST_FILE, manifest)


def read_json(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from `path`. `NaN`, `Infinity` and numbers too large for a float are
    refused here: they are not JSON (the writer refuses them too), and a weight read as inf
    would make every score NaN."""
    if not path.is_file():
        raise ArtifactError(f"{what} not found: {path}")
    try:
        data = json.loads(path.read_text(), parse_constant=_not_a_number, parse_float=_finite_float)
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise ArtifactError(f"{what} {path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ArtifactError(f"{what} {path} is not a JSON object")
    return data


def _not_a_number(token: str) -> NoReturn:
    raise ValueError(f"it holds {token}, which is not a number")


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"it holds {token}, which is too large for a number")
    return value


def check_format(manifest: Mapping[str, Any], directory: Path) -> None:
    if manifest.get("format_version") not in (FORMAT_VERSION, UNSEALED_FORMAT):
        raise ArtifactError(
            f"model at {directory} has artifact format {manifest.get('format_version')!r}; "
            f"this surefix reads formats {UNSEALED_FORMAT} and {FORMAT_VERSION}"
        )


def check_seal(manifest: Mapping[str, Any], directory: Path) -> None:
    """A sealed manifest must match its seal. An unsealed one (format 1) is trusted only as the
    bundled model, which surefix installed itself: anything else could have had its thresholds
    edited with nothing to show it."""
    if manifest.get("format_version") == UNSEALED_FORMAT:
        if is_bundled(directory):
            return
        raise ArtifactError(
            f"model at {directory} is not sealed (artifact format {UNSEALED_FORMAT}: its "
            f"checksum covers {PARAMS_FILE} but not the thresholds and evidence in "
            f"{MANIFEST_FILE}); if you trust it, run `surefix model seal {directory}`"
        )
    seal = manifest.get(SEAL_KEY)
    expected = seal.get("sha256") if isinstance(seal, Mapping) else None
    if not isinstance(expected, str):
        raise ArtifactError(f"model manifest {directory / MANIFEST_FILE} carries no seal")
    try:
        actual = manifest_seal(manifest)
    except (TypeError, ValueError) as exc:
        raise ArtifactError(
            f"model manifest {directory / MANIFEST_FILE} is malformed ({exc})"
        ) from None
    if actual != expected:
        raise ArtifactError(
            f"model manifest {directory / MANIFEST_FILE} does not match its seal (its "
            "thresholds, evidence or another field were changed after it was written); "
            f"reinstall or retrain the model, or if the change was yours, run "
            f"`surefix model seal {directory}`"
        )


def is_bundled(directory: Path) -> bool:
    try:
        return directory.resolve() == bundled_model_dir().resolve()
    except OSError:
        return False


def check_schema_version(manifest: Mapping[str, Any], directory: Path) -> None:
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise ArtifactError(
            f"model at {directory} was trained on feature schema "
            f"{manifest.get('schema_version')!r}, but this surefix builds schema "
            f"{SCHEMA_VERSION}: retrain it with `surefix train`"
        )


def check_params_file(manifest: Mapping[str, Any], directory: Path) -> None:
    files = manifest.get("files")
    listed = files.get(PARAMS_FILE) if isinstance(files, Mapping) else None
    if not isinstance(listed, Mapping):
        raise ArtifactError(f"model manifest in {directory} lists no checksum for {PARAMS_FILE}")
    params_path = directory / PARAMS_FILE
    if not params_path.is_file():
        raise ArtifactError(f"model parameters not found: {params_path}")
    if sha256_file(params_path) != str(listed.get("sha256", "")):
        raise ArtifactError(
            f"model parameters {params_path} do not match the manifest checksum "
            "(corrupt or modified); reinstall or retrain the model"
        )


def parse_artifact(
    params: Mapping[str, Any], manifest: Mapping[str, Any], directory: Path
) -> Artifact:
    """`artifact_from_dicts`, its failures worded as one `ArtifactError` naming `directory`."""
    try:
        return artifact_from_dicts(params, manifest, str(directory))
    except SchemaError as exc:
        raise ArtifactError(f"model at {directory} is unusable: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ArtifactError(f"model parameters in {directory} are malformed ({exc!r})") from None


def artifact_from_dicts(
    params: Mapping[str, Any], manifest: Mapping[str, Any], source: str | None = None
) -> Artifact:
    """The artifact the two files describe, every value checked (`check_artifact`). Raises
    `SchemaError` for a value out of its range, `KeyError` / `TypeError` / `ValueError` for a
    missing or mistyped one."""
    design = Design.from_dict(params["design"])
    if design.schema_version != manifest["schema_version"]:
        raise SchemaError("parameters and manifest disagree on the feature schema")
    thresholds = manifest.get("thresholds")
    if not isinstance(thresholds, Mapping):
        raise SchemaError("the manifest has no thresholds")
    evidence = manifest.get(EVIDENCE_KEY)
    artifact = Artifact(
        design=design,
        coef=finite_array(params["coef"], "coef"),
        intercept=number(params["intercept"], "intercept"),
        column_means=finite_array(params["column_means"], "column_means"),
        tier_baseline=TierBaseline.from_dict(params["baselines"]["tier"]),
        rule_baseline=RuleRateBaseline.from_dict(params["baselines"]["rule_rate"]),
        thresholds=Thresholds(
            number(thresholds.get("auto"), "thresholds.auto"),
            number(thresholds.get("review"), "thresholds.review"),
        ),
        manifest=dict(manifest),
        evidence=Evidence.from_dict(evidence) if isinstance(evidence, Mapping) else None,
        source=source,
    )
    check_artifact(artifact)
    return artifact


def check_artifact(artifact: Artifact) -> None:
    """Every range a score depends on: the thresholds in (0, 1], one finite weight and mean per
    design column, no weight beyond ±`WEIGHT_LIMIT`, a finite average log-odds, baseline rates
    in [0, 1]. Raises `SchemaError` naming the value."""
    for name, value in artifact.thresholds.to_dict().items():
        if not (math.isfinite(value) and 0.0 < value <= 1.0):
            raise SchemaError(f"thresholds.{name} is {value:g}; it must be in (0, 1]")
    design, coef, means = artifact.design, artifact.coef, artifact.column_means
    if coef.ndim != 1 or means.ndim != 1 or not (len(coef) == len(means) == design.width):
        raise SchemaError(
            f"{coef.size} weights and {means.size} means for {design.width} design columns"
        )
    for name, values in (("coef", coef), ("column_means", means)):
        if not np.all(np.isfinite(values)):
            raise SchemaError(f"{name} must be a list of finite numbers")
    too_big = np.flatnonzero(np.abs(coef) > WEIGHT_LIMIT)
    if too_big.size:
        i = int(too_big[0])
        column = design.columns[i]
        raise SchemaError(
            f"weight {i} ({column.feature}: {column.detail}) is {coef[i]:g}; a trust model's "
            f"weights stay within ±{WEIGHT_LIMIT:g} log-odds"
        )
    if not (math.isfinite(artifact.intercept) and abs(artifact.intercept) <= WEIGHT_LIMIT):
        raise SchemaError(
            f"intercept is {artifact.intercept:g}; it must be within ±{WEIGHT_LIMIT:g} log-odds"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        base = float(artifact.intercept + coef @ means)
    if not math.isfinite(base):
        raise SchemaError("the log-odds of the average training fix are not a finite number")
    check_rates(artifact.tier_baseline, artifact.rule_baseline)


def check_rates(tier: TierBaseline, rules: RuleRateBaseline) -> None:
    rates = {
        "tier baseline": [tier.global_rate, *tier.rates.values()],
        "rule-rate baseline": [
            rules.global_rate,
            *rules.rule_rates.values(),
            *rules.family_rates.values(),
        ],
    }
    for name, values in rates.items():
        if not all(math.isfinite(r) and 0.0 <= r <= 1.0 for r in values):
            raise SchemaError(f"the {name} holds a rate outside [0, 1]")
    if not (math.isfinite(rules.strength) and rules.strength > 0):
        raise SchemaError("the rule-rate baseline's prior strength is not a positive number")


def number(value: Any, name: str) -> float:
    """`value` as a float if it is a JSON number (not a string, not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"{name} must be a number, not {_short(value)}")
    return float(value)


def finite_array(values: Any, name: str) -> np.ndarray:
    """A list of JSON numbers as a 1-d float array; strings and booleans, which numpy would
    quietly convert, are refused."""
    if not isinstance(values, list):
        raise SchemaError(f"{name} must be a list of numbers, not {_short(values)}")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise SchemaError(f"{name} must be a list of numbers; {name}[{i}] is {_short(v)}")
    arr = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise SchemaError(f"{name} must be a list of finite numbers")
    return arr


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
