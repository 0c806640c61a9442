"""The numpy scorer against scikit-learn, exact explanations, and the artifact on disk."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_model_tables import make_rows

from surefix.features.featurize import GROUPS, SCHEMA_VERSION
from surefix.model.scoring.artifact import (
    ArtifactError,
    Thresholds,
    bundled_model_dir,
    load_artifact,
    params_digest,
    save_artifact,
)
from surefix.model.scoring.baselines import RuleRateBaseline, TierBaseline
from surefix.model.scoring.design import SchemaError
from surefix.model.scoring.scorer import TrustModel, load_model, sigmoid
from surefix.model.training.fit import AdditiveFit, check_parity, fit_additive, probe_rows


@pytest.fixture(scope="module")
def fitted() -> tuple[AdditiveFit, TierBaseline, RuleRateBaseline]:
    rows, y = make_rows(500)
    apps = [str(r["applicability"]) for r in rows]
    return (
        fit_additive(rows, y, C=1.0),
        TierBaseline.fit(apps, y),
        RuleRateBaseline.fit([str(r["rule"]) for r in rows], [str(r["family"]) for r in rows], y),
    )


@pytest.fixture
def artifact_dir(
    tmp_path: Path, fitted: tuple[AdditiveFit, TierBaseline, RuleRateBaseline]
) -> Path:
    fit, tier, rules = fitted
    art = fit.artifact(tier, rules, Thresholds(auto=0.9, review=0.5), {"model_version": "test-1"})
    return save_artifact(art, tmp_path / "model")


def test_numpy_matches_scikit_learn_on_heldout_rows(fitted, artifact_dir: Path) -> None:
    fit, _, _ = fitted
    model = load_model(artifact_dir)
    heldout, _ = make_rows(300, seed=42)
    gap = np.max(np.abs(model.score(heldout) - fit.predict(heldout)))
    assert gap <= 1e-9
    assert check_parity(fit, model, probe_rows(heldout), "probe rows") <= 1e-9


def test_sigmoid_is_stable_at_extremes() -> None:
    p = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert p.tolist() == [0.0, 0.5, 1.0]


def test_explanation_adds_up_to_the_logit(artifact_dir: Path) -> None:
    model = load_model(artifact_dir)
    rows, _ = make_rows(40, seed=7)
    rows.append(dict(rows[0], rule="NEW1", loc_scope="lambda", file_lines=1e6))
    for row, score in zip(rows, model.score(rows), strict=True):
        e = model.explain(row)
        assert set(e.groups) <= set(GROUPS)
        assert e.base + sum(e.groups.values()) == pytest.approx(
            math.log(score / (1 - score)), abs=1e-9
        )
        assert e.score == pytest.approx(score, abs=1e-15)
        assert 0 < len(e.top) <= 3
        assert all(f.label for f in e.top)
        assert not any(re.search(r"\d[eE][+-]?\d", f.label) for f in e.features)


def test_average_training_row_explains_to_zero(fitted, artifact_dir: Path) -> None:
    fit, _, _ = fitted
    model = load_model(artifact_dir)
    z = float(fit.column_means @ fit.lr.coef_[0] + fit.lr.intercept_[0])
    assert model._base == pytest.approx(z, abs=1e-12)


def test_artifact_round_trip_keeps_everything(fitted, artifact_dir: Path) -> None:
    fit, tier, rules = fitted
    art = load_artifact(artifact_dir)
    np.testing.assert_array_equal(art.coef, fit.lr.coef_[0])
    assert art.intercept == fit.lr.intercept_[0]
    assert art.tier_baseline == tier and art.rule_baseline.rule_rates == rules.rule_rates
    assert art.thresholds == Thresholds(0.9, 0.5)
    model = TrustModel(art)
    assert model.version == "test-1" and model.thresholds.auto == 0.9
    manifest = json.loads((artifact_dir / "manifest.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert len(manifest["files"]["params.json"]["sha256"]) == 64


def test_no_pickle_in_artifact(artifact_dir: Path) -> None:
    assert sorted(p.name for p in artifact_dir.iterdir()) == ["manifest.json", "params.json"]


def test_tampered_parameters_are_refused(artifact_dir: Path) -> None:
    params = artifact_dir / "params.json"
    data = json.loads(params.read_text())
    data["intercept"] += 1.0
    params.write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match="checksum"):
        load_model(artifact_dir)


def test_other_schema_artifact_is_refused(artifact_dir: Path) -> None:
    manifest = artifact_dir / "manifest.json"
    data = json.loads(manifest.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    manifest.write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match="schema"):
        load_model(artifact_dir)


@pytest.mark.parametrize("victim", ["manifest.json", "params.json"])
def test_missing_file_is_refused(artifact_dir: Path, victim: str) -> None:
    (artifact_dir / victim).unlink()
    with pytest.raises(ArtifactError, match="not found"):
        load_model(artifact_dir)


def test_corrupt_manifest_is_refused(artifact_dir: Path) -> None:
    (artifact_dir / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactError) as info:
        load_model(artifact_dir)
    assert "\n" not in str(info.value)


def test_scoring_rows_of_another_schema_is_refused(artifact_dir: Path) -> None:
    rows, _ = make_rows(2)
    with pytest.raises(SchemaError):
        load_model(artifact_dir).score(rows, schema_version=SCHEMA_VERSION + 1)


def test_the_bundled_version_names_its_parameters() -> None:
    bundled = load_artifact()
    assert bundled.version.endswith("-" + params_digest(bundled)[:10])
    assert params_digest(replace(bundled, manifest={})) == params_digest(bundled)
    moved = replace(bundled, intercept=bundled.intercept + 1)
    assert params_digest(moved) != params_digest(bundled)


def test_bundled_dir_is_inside_the_package() -> None:
    assert bundled_model_dir().parent.name == "model"
