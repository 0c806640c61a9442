"""The numpy scorer against scikit-learn, exact explanations, and the artifact on disk: what
loading refuses (a changed threshold, an overflowing weight, NaN, a wrong shape — even with
every checksum recomputed) and the scorer's refusal of a score that is not a number."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_model_tables import make_rows

from surefix.features.featurize import GROUPS, SCHEMA_VERSION
from surefix.model.scoring.artifact import (
    SEAL_KEY,
    UNSEALED_FORMAT,
    ArtifactError,
    Thresholds,
    bundled_model_dir,
    load_artifact,
    manifest_seal,
    params_digest,
    save_artifact,
    seal_artifact,
    sha256_file,
)
from surefix.model.scoring.baselines import RuleRateBaseline, TierBaseline
from surefix.model.scoring.design import SchemaError, SlopeEncoding
from surefix.model.scoring.scorer import ScoreError, TrustModel, load_model, sigmoid
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
    with pytest.raises(ArtifactError, match="trained on feature schema"):
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


def forge(
    directory: Path,
    params: Callable[[dict[str, Any]], None] | None = None,
    manifest: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Edit an artifact the way someone who knows the format would: change the files, then
    recompute the params checksum and the seal, so only the values themselves can give it away."""
    params_path, manifest_path = directory / "params.json", directory / "manifest.json"
    if params is not None:
        data = json.loads(params_path.read_text())
        params(data)
        params_path.write_text(json.dumps(data))
    meta = json.loads(manifest_path.read_text())
    if manifest is not None:
        manifest(meta)
    meta["files"]["params.json"]["sha256"] = sha256_file(params_path)
    meta[SEAL_KEY] = {"sha256": manifest_seal(meta)}
    manifest_path.write_text(json.dumps(meta))


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def set_auto(value: float) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["thresholds"].update(auto=value)


def test_a_changed_threshold_breaks_the_seal(artifact_dir: Path) -> None:
    edit_json(artifact_dir / "manifest.json", set_auto(0.0))
    with pytest.raises(ArtifactError, match="does not match its seal") as info:
        load_model(artifact_dir)
    assert str(artifact_dir / "manifest.json") in str(info.value)


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m["evidence"]["overall"].update(kept=m["evidence"]["overall"]["kept"] - 1),
        lambda m: m.update(model_version="someone-else"),
        lambda m: m["thresholds"].update(review=0.6),
    ],
    ids=["evidence", "version", "review"],
)
def test_every_manifest_field_is_sealed(
    fitted, tmp_path: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    fit, tier, rules = fitted
    art = fit.artifact(tier, rules, Thresholds(0.9, 0.5), {"model_version": "test-1"})
    directory = save_artifact(replace(art, evidence=evidence_of_rows()), tmp_path / "model")
    load_model(directory)
    edit_json(directory / "manifest.json", change)
    with pytest.raises(ArtifactError, match="does not match its seal"):
        load_model(directory)


def evidence_of_rows() -> Any:
    from surefix.model.scoring.evidence import count_evidence

    return count_evidence(["F401", "E711"], ["F", "E"], [1, 0], ["a", "b"])


def test_the_seal_is_of_the_values_not_the_layout(artifact_dir: Path) -> None:
    manifest = artifact_dir / "manifest.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text()), indent=4))
    assert load_model(artifact_dir).thresholds == Thresholds(0.9, 0.5)


@pytest.mark.parametrize(
    ("auto", "review"), [(0.0, 0.5), (1.5, 0.5), (-0.2, 0.5), (0.9, 0.0), ("0.9", 0.5)]
)
def test_thresholds_outside_zero_to_one_are_refused_even_resealed(
    artifact_dir: Path, auto: Any, review: Any
) -> None:
    forge(artifact_dir, manifest=lambda m: m["thresholds"].update(auto=auto, review=review))
    with pytest.raises(ArtifactError, match=r"thresholds\.(auto|review)") as info:
        load_model(artifact_dir)
    assert str(artifact_dir) in str(info.value)


def test_an_unsealed_artifact_is_refused_unless_bundled_and_can_be_sealed(
    artifact_dir: Path,
) -> None:
    """Format 1 checksummed params.json alone: a downgrade must not let a threshold through."""

    def downgrade(m: dict[str, Any]) -> None:
        m.update(format_version=UNSEALED_FORMAT)
        m.pop(SEAL_KEY)

    edit_json(artifact_dir / "manifest.json", downgrade)
    with pytest.raises(ArtifactError, match="not sealed") as info:
        load_model(artifact_dir)
    assert f"surefix model seal {artifact_dir}" in str(info.value)
    params = (artifact_dir / "params.json").read_bytes()
    seal = seal_artifact(artifact_dir)
    assert (artifact_dir / "params.json").read_bytes() == params  # only the manifest is written
    manifest = json.loads((artifact_dir / "manifest.json").read_text())
    assert manifest[SEAL_KEY] == {"sha256": seal} and manifest["format_version"] == 2
    assert load_model(artifact_dir).thresholds == Thresholds(0.9, 0.5)


def test_sealing_checks_what_it_seals(artifact_dir: Path) -> None:
    edit_json(artifact_dir / "manifest.json", set_auto(0.0))
    with pytest.raises(ArtifactError, match=r"thresholds\.auto is 0"):
        seal_artifact(artifact_dir)
    edit_json(artifact_dir / "params.json", lambda p: p.update(intercept=p["intercept"] + 1))
    with pytest.raises(ArtifactError, match="checksum"):
        seal_artifact(artifact_dir)


def test_the_bundled_artifact_loads_sealed_or_not() -> None:
    """It may still be of format 1 (the shipped file predates the seal); either way it loads."""
    manifest = json.loads((bundled_model_dir() / "manifest.json").read_text())
    assert manifest["format_version"] in (UNSEALED_FORMAT, 2)
    art = load_artifact()
    assert art.source == str(bundled_model_dir())
    assert 0 < art.thresholds.auto <= 1 and 0 < art.thresholds.review <= 1


def test_a_weight_of_1e308_is_refused_even_resealed(artifact_dir: Path) -> None:
    forge(artifact_dir, params=lambda p: p["coef"].__setitem__(3, 1e308))
    with pytest.raises(ArtifactError, match=r"weight 3 \(.*\) is 1e\+308") as info:
        load_model(artifact_dir)
    assert str(artifact_dir) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("literal", "words"),
    [
        ("NaN", "holds NaN, which is not a number"),
        ("Infinity", "holds Infinity, which is not a number"),
        ("1e999", "holds 1e999, which is too large for a number"),
    ],
)
def test_non_finite_numbers_are_not_json(artifact_dir: Path, literal: str, words: str) -> None:
    params = artifact_dir / "params.json"
    data = json.loads(params.read_text())
    data["intercept"] = "@"
    params.write_text(json.dumps(data).replace('"@"', literal))
    forge(artifact_dir)
    with pytest.raises(ArtifactError, match=words) as info:
        load_model(artifact_dir)
    assert str(params) in str(info.value)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda p: p.update(coef=p["coef"][:-1]), "weights and"),
        (lambda p: p.update(coef=[p["coef"]]), "coef must be a list of numbers"),
        (lambda p: p["coef"].__setitem__(0, "0.5"), r"coef\[0\] is '0.5'"),
        (lambda p: p["coef"].__setitem__(0, True), r"coef\[0\] is True"),
        (lambda p: p.update(column_means={"a": 1}), "column_means must be a list"),
        (lambda p: p.update(intercept="2.5"), "intercept must be a number"),
        (lambda p: p.update(intercept=500.0), "intercept is 500"),
        (lambda p: p["baselines"]["tier"].update(global_rate=3.0), "outside"),
        (lambda p: p.pop("baselines"), "malformed"),
    ],
    ids=["short", "nested", "string", "bool", "dict", "intercept", "huge", "rate", "missing"],
)
def test_wrong_shapes_and_types_are_refused(
    artifact_dir: Path, change: Callable[[dict[str, Any]], None], words: str
) -> None:
    forge(artifact_dir, params=change)
    with pytest.raises(ArtifactError, match=words) as info:
        load_model(artifact_dir)
    assert str(artifact_dir) in str(info.value)


def test_nothing_is_written_that_the_loader_would_refuse(fitted, tmp_path: Path) -> None:
    fit, tier, rules = fitted
    art = fit.artifact(tier, rules, Thresholds(auto=0.0, review=0.5))
    with pytest.raises(ArtifactError, match="refusing to write"):
        save_artifact(art, tmp_path / "model")
    assert not (tmp_path / "model").exists()


def tiny_spreads(p: dict[str, Any]) -> None:
    """Every per-rule slope divides by a spread of 1e-308: each weight is sane, yet a fix's
    standardised value overflows to inf."""
    for feature in p["design"]["features"]:
        if feature["kind"] == "slope":
            feature["spread"] = 1e-308


def test_a_model_that_overflows_in_use_raises_instead_of_scoring_nan(artifact_dir: Path) -> None:
    forge(artifact_dir, params=tiny_spreads)
    model = load_model(artifact_dir)  # every value is in range: only using it shows the fault
    assert any(isinstance(e, SlopeEncoding) for e in model.artifact.design.encodings)
    rows, _ = make_rows(20, seed=3)
    with pytest.raises(ScoreError, match="not a finite number") as info:
        model.score(rows)
    message = str(info.value)
    assert f"the model at {artifact_dir}" in message and "a fix of " in message
    assert info.value.model is model
    slope = next(e for e in model.artifact.design.encodings if isinstance(e, SlopeEncoding))
    row = next(r for r in rows if r["rule"] in slope.rules and r[slope.feature] != 0)
    with pytest.raises(ScoreError):
        model.explain(row)


def test_scores_are_finite_or_refused_whatever_the_weights(artifact_dir: Path) -> None:
    art = load_artifact(artifact_dir)
    signs = np.where(np.arange(len(art.coef)) % 2 == 0, 1.0, -1.0)
    huge = TrustModel(replace(art, coef=signs * 1e308, column_means=np.zeros_like(art.coef)))
    rows, _ = make_rows(5)
    with pytest.raises(ScoreError, match=rf"a fix of {rows[0]['rule']} "):
        huge.score(rows)
