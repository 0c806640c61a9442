"""The design matrix: vocabularies, rare/unseen categories, hat splines, schema refusal."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_model_tables import make_rows

from surefix.features.featurize import FEATURES, GROUPS, SCHEMA_VERSION
from surefix.model.scoring.design import (
    CategoricalEncoding,
    Design,
    SchemaError,
    SlopeEncoding,
    dedupe_knots,
    fit_design,
    hat_basis,
)


@pytest.fixture(scope="module")
def design() -> Design:
    rows, _ = make_rows(400)
    return fit_design(rows)


def test_every_column_knows_its_feature_and_group(design: Design) -> None:
    groups = {s.name: s.group for s in FEATURES}
    assert len(design.columns) == design.width
    assert {c.feature for c in design.columns} == {s.name for s in FEATURES}
    assert all(c.group == groups[c.feature] and c.group in GROUPS for c in design.columns)


def test_unseen_category_goes_to_other_column(design: Design) -> None:
    rows, _ = make_rows(1, seed=5)
    row = dict(rows[0], rule="ZZZ999")
    x = design.transform([row])[0]
    cols = design.feature_slices()["rule"]
    rule_enc = next(e for e in design.encodings if e.name == "rule")
    assert isinstance(rule_enc, CategoricalEncoding)
    assert x[cols].tolist() == [0.0] * len(rule_enc.categories) + [1.0]


def test_rare_categories_collapse_to_other() -> None:
    rows, _ = make_rows(100)
    rows[0] = dict(rows[0], rule="RARE1")
    design = fit_design(rows, min_count=10)
    rule_enc = next(e for e in design.encodings if e.name == "rule")
    assert isinstance(rule_enc, CategoricalEncoding)
    assert "RARE1" not in rule_enc.categories


def test_hat_basis_interpolates_and_clips() -> None:
    knots = np.array([0.0, 1.0, 3.0])
    x = hat_basis(np.array([-5.0, 0.5, 2.0, 3.0, 9.0]), knots)
    expected = [[1, 0, 0], [0.5, 0.5, 0], [0, 0.5, 0.5], [0, 0, 1], [0, 0, 1]]
    np.testing.assert_allclose(x, expected)
    np.testing.assert_allclose(x.sum(axis=1), 1.0)


def test_knots_are_deduplicated() -> None:
    assert dedupe_knots(np.array([0.0, 0.0, 1.0, 1.0, 2.0])).tolist() == [0.0, 1.0, 2.0]


def test_flags_stay_single_raw_columns(design: Design) -> None:
    flags = [c for c in design.columns if c.feature == "file_is_test"]
    assert [c.detail for c in flags] == ["value"]


def test_round_trip_through_dict(design: Design) -> None:
    rows, _ = make_rows(50, seed=3)
    again = Design.from_dict(design.to_dict())
    np.testing.assert_array_equal(again.transform(rows), design.transform(rows))


def test_missing_feature_is_a_schema_error(design: Design) -> None:
    rows, _ = make_rows(1)
    row = dict(rows[0])
    del row["file_lines"]
    with pytest.raises(SchemaError, match="file_lines"):
        design.transform([row])


def test_other_schema_is_refused(design: Design) -> None:
    rows, _ = make_rows(1)
    with pytest.raises(SchemaError, match="schema"):
        design.transform(rows, schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(SchemaError, match="schema"):
        design.transform([dict(rows[0], schema_version=SCHEMA_VERSION + 1)])


def test_non_numeric_value_is_a_schema_error(design: Design) -> None:
    rows, _ = make_rows(1)
    with pytest.raises(SchemaError, match="number"):
        design.transform([dict(rows[0], file_lines="many")])


def test_per_rule_slopes_only_for_frequent_rules_and_zero_elsewhere() -> None:
    rows, _ = make_rows(400)
    rows[0] = {**rows[0], "rule": "RARE1"}
    design = fit_design(rows, slopes_by="rule", slope_min_count=30)
    slope = next(e for e in design.encodings if isinstance(e, SlopeEncoding))
    assert "RARE1" not in slope.rules and len(slope.rules) == 8
    x = design.transform(rows[:1])[0]
    assert not x[design.feature_slices()[slope.name]].any()  # a rare rule has no slope columns
    again = Design.from_dict(json.loads(json.dumps(design.to_dict())))
    assert np.array_equal(again.transform(rows), design.transform(rows))
    spec = next(s for s in again.specs if s.name == slope.name)
    assert spec.label.endswith(", for this rule") and spec.group != "slope"


def test_scoring_without_the_matrix_equals_the_matrix_times_the_weights() -> None:
    """`linear` looks weights up per distinct set of words and steps whole columns at once;
    on real rows of a real file, with one rule no model has seen, it must equal `transform`."""
    from pathlib import Path

    from surefix.model.analysis import analyze
    from surefix.model.scoring.scorer import load_model

    model = load_model()
    path = Path(json.__file__).with_name("decoder.py")
    rows = [c.row for c in analyze(path.read_text(), path, model).candidates]
    rows += [dict(rows[0], rule="ZZZ999"), dict(rows[-1], file_lines=123456.0)]
    design, coef = model.artifact.design, model.artifact.coef
    assert len({r["rule"] for r in rows}) > 3
    np.testing.assert_allclose(design.linear(rows, coef), design.transform(rows) @ coef, atol=1e-12)
    assert design.linear([], coef).shape == (0,)
    with pytest.raises(SchemaError, match="file_lines"):
        design.linear([{k: v for k, v in rows[0].items() if k != "file_lines"}], coef)
