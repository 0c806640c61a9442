"""The design matrix: how a feature row becomes the numbers the trust model multiplies.

Numpy only (this module is on the serving path; scikit-learn never is). A `Design` is fitted once
at training time and stored in the artifact, so the language server turns rows into exactly the
columns the weights were learned on.

* Categorical features become one-hot columns over a vocabulary learned from training rows.
  Categories seen fewer than `min_count` times share one `other` column (a weight learned from
  three events is noise), and so does any category never seen in training.
* Numeric features stay additive but not linear: counts are `log1p`-compressed, then expanded
  into a piecewise-linear "hat" basis on knots at training quantiles. Logistic regression on that
  basis can learn a bend (e.g. "one edit is fine, five is suspicious") while every column still
  belongs to exactly one feature — which is what makes hover explanations exact sums.
  0/1 flags stay a single 0/1 column.
* Per-rule slopes (`SlopeEncoding`, optional): for each frequent rule, a column holding a numeric
  feature's standardised value on that rule's rows and 0 elsewhere, so that "the fix deletes
  whole lines" can mean one thing for F401 and another for ERA001. This is the varying-
  coefficient form of an interaction: still linear in the columns, so explanations stay exact;
  its contribution is reported as its own feature ("…, for this rule") in the base feature's
  group.

Every column records its feature and the feature's group (`FeatureSpec.group`), so the scorer
can add contributions up per group without knowing how a feature was encoded.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from surefix.features.featurize import FEATURES, SCHEMA_VERSION, FeatureSpec

if TYPE_CHECKING:
    import numpy as np
else:
    from surefix.model.lazy_numpy import np

MIN_CATEGORY_COUNT = 10
KNOT_QUANTILES = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
OTHER = "other"


class SchemaError(ValueError):
    """A feature row does not match what the model was trained on (missing feature, bad value,
    or another schema version). Scoring it would silently produce a wrong number."""


@dataclass(frozen=True)
class Column:
    """One design column: which feature it encodes, the feature's group, and a short description
    (`F401` for a one-hot, `knot 2.30` for a hat)."""

    feature: str
    group: str
    detail: str


@dataclass(frozen=True)
class CategoricalEncoding:
    """One-hot over `categories`, plus a final `other` column for rare and unseen values."""

    name: str
    categories: tuple[str, ...]

    @property
    def width(self) -> int:
        return len(self.categories) + 1

    @cached_property
    def index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.categories)}

    def encode(self, values: Sequence[str]) -> np.ndarray:
        index = self.index
        out = np.zeros((len(values), self.width))
        cols = [index.get(v, len(self.categories)) for v in values]
        out[np.arange(len(values)), cols] = 1.0
        return out

    def details(self) -> list[str]:
        return [*self.categories, OTHER]


@dataclass(frozen=True)
class NumericEncoding:
    """`log1p` (for non-negative counts) then either the raw value (flags, constants) or a hat
    basis on `knots`. Values outside the knots are clipped: the model extrapolates flat rather
    than linearly, which is the safe failure for a file ten times longer than any seen."""

    name: str
    log: bool
    knots: tuple[float, ...]  # empty: the transformed value is used as a single column

    @property
    def width(self) -> int:
        return len(self.knots) if len(self.knots) >= 2 else 1

    def prepared(self, values: np.ndarray) -> np.ndarray:
        return np.log1p(np.maximum(values, 0.0)) if self.log else values

    def encode(self, values: np.ndarray) -> np.ndarray:
        x = self.prepared(values)
        if len(self.knots) < 2:
            return x.reshape(-1, 1)
        return hat_basis(x, np.asarray(self.knots))

    def details(self) -> list[str]:
        if len(self.knots) < 2:
            return ["value"]
        prefix = "log1p " if self.log else ""
        return [f"{prefix}knot {k:.3g}" for k in self.knots]


def hat_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Piecewise-linear B-spline (degree 1) basis: column j is 1 at knot j, falls linearly to 0
    at its neighbours; each row's columns sum to 1. `knots` must be strictly increasing."""
    seg, t = hat_parts(x, knots)
    out = np.zeros((len(x), len(knots)))
    rows = np.arange(len(x))
    out[rows, seg] = 1.0 - t
    out[rows, seg + 1] += t
    return out


def hat_parts(x: np.ndarray, knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's segment `seg` and position `t` in it: the hat basis is `1 - t` in column
    `seg` and `t` in column `seg + 1`, zero elsewhere (the two non-zeros a sparse matrix needs).
    """
    x = np.clip(x, knots[0], knots[-1])
    seg = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, len(knots) - 2)
    left, right = knots[seg], knots[seg + 1]
    return seg, (x - left) / (right - left)


@dataclass(frozen=True)
class SlopeEncoding:
    """A numeric feature's per-rule slope: one column per rule in `rules`, holding the feature's
    standardised value (`log1p` first when `log`) on rows of that rule and 0 on all others."""

    feature: str
    by: str
    rules: tuple[str, ...]
    log: bool
    center: float
    spread: float

    @property
    def name(self) -> str:
        return slope_name(self.feature, self.by)

    @property
    def width(self) -> int:
        return len(self.rules)

    @cached_property
    def index(self) -> dict[str, int]:
        return {r: i for i, r in enumerate(self.rules)}

    def standardised(self, values: np.ndarray) -> np.ndarray:
        x = np.log1p(np.maximum(values, 0.0)) if self.log else values
        return (x - self.center) / self.spread

    def encode(self, keys: Sequence[str], values: np.ndarray) -> np.ndarray:
        z = self.standardised(values)
        index = self.index
        cols = np.fromiter((index.get(k, -1) for k in keys), dtype=int, count=len(keys))
        rows = np.nonzero(cols >= 0)[0]
        out = np.zeros((len(keys), self.width))
        out[rows, cols[rows]] = z[rows]
        return out

    def details(self) -> list[str]:
        return [f"{self.by}={r}" for r in self.rules]


class Distinct:
    """A text column as its distinct values and each row's position among them: lookups then
    run once per distinct value (a file has a few dozen rules, not hundreds). With `at`, the
    values are tuples of several columns and lookups read one of them."""

    def __init__(self, values: Sequence[Any]) -> None:
        first: dict[Any, int] = {}  # each value's first row, found at C speed
        rows = np.fromiter(map(first.setdefault, values, itertools.count()), int, len(values))
        firsts, self.inverse = np.unique(rows, return_inverse=True)
        self.values = [values[i] for i in firsts.tolist()]

    def lookup(self, index: dict[str, int], missing: int, at: int | None = None) -> np.ndarray:
        """Each distinct value's code: its position in `index`, or `missing`."""
        values = self.values if at is None else [v[at] for v in self.values]
        return np.array([index.get(str(v), missing) for v in values], dtype=int)

    def codes(self, index: dict[str, int], missing: int) -> np.ndarray:
        """Each row's code."""
        if not self.values:
            return np.zeros(0, dtype=int)
        return self.lookup(index, missing)[self.inverse]


def slope_name(feature: str, by: str) -> str:
    return f"{feature}|{by}"


def slope_spec(name: str) -> FeatureSpec | None:
    """The spec of a per-rule slope column group, derived from its base feature's spec."""
    feature, _, by = name.partition("|")
    base = {s.name: s for s in FEATURES}.get(feature)
    if not by or base is None or base.kind != "numeric":
        return None
    return FeatureSpec(name, "slope", base.group, f"{base.label}, for this {by}")


Encoding = CategoricalEncoding | NumericEncoding | SlopeEncoding


@dataclass(frozen=True)
class Design:
    """Fitted row → matrix transform. Build with `fit_design`; store with `to_dict`."""

    schema_version: int
    encodings: tuple[Encoding, ...]
    specs: tuple[FeatureSpec, ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        groups = {s.name: s.group for s in self.specs}
        return tuple(
            Column(enc.name, groups[enc.name], detail)
            for enc in self.encodings
            for detail in enc.details()
        )

    @property
    def width(self) -> int:
        return sum(enc.width for enc in self.encodings)

    def feature_slices(self) -> dict[str, slice]:
        """Which columns belong to each feature (contiguous by construction)."""
        out: dict[str, slice] = {}
        start = 0
        for enc in self.encodings:
            out[enc.name] = slice(start, start + enc.width)
            start += enc.width
        return out

    def transform(
        self, rows: Sequence[Mapping[str, Any]], schema_version: int = SCHEMA_VERSION
    ) -> np.ndarray:
        """The design matrix of `rows` (n x width). `schema_version` is the schema the caller's
        rows were built with; a row may also carry its own `schema_version` key."""
        check_schema(self.schema_version, schema_version, rows)
        blocks = []
        words: dict[str, list[str]] = {}  # each raw column is read from the rows once
        numbers: dict[str, np.ndarray] = {}

        def text(name: str) -> list[str]:
            if name not in words:
                words[name] = categorical_column(rows, name)
            return words[name]

        def number(name: str) -> np.ndarray:
            if name not in numbers:
                numbers[name] = numeric_column(rows, name)
            return numbers[name]

        for enc in self.encodings:
            if isinstance(enc, CategoricalEncoding):
                blocks.append(enc.encode(text(enc.name)))
            elif isinstance(enc, SlopeEncoding):
                blocks.append(enc.encode(text(enc.by), number(enc.feature)))
            else:
                blocks.append(enc.encode(number(enc.name)))
        if not blocks:
            return np.zeros((len(rows), 0))
        return np.hstack(blocks)

    def linear(
        self,
        rows: Sequence[Mapping[str, Any]],
        coef: np.ndarray,
        schema_version: int = SCHEMA_VERSION,
    ) -> np.ndarray:
        """`transform(rows) @ coef` without building the design matrix, in a few whole-column
        steps (serving scores many rows at once, and a step per feature costs more than the
        arithmetic). Rows of a file share most of their words (rule, family, the project's
        facts), so every word's weight is looked up once per distinct combination of words."""
        check_schema(self.schema_version, schema_version, rows)
        plan = self._plan
        keys = Distinct(text_rows(rows, plan.texts))
        x = numeric_matrix(rows, plan.numbers)[:, plan.inputs]
        if len(rows) == 0:
            return np.zeros(0)
        x[:, plan.logged] = np.log1p(np.maximum(x[:, plan.logged], 0.0))
        per_key = np.zeros(len(keys.values))
        slope_weights = np.zeros((len(keys.values), len(plan.slopes)))
        total = np.zeros(len(rows))
        for enc, part, column in zip(self.encodings, plan.parts, plan.columns, strict=True):
            weights = coef[part]
            if isinstance(enc, CategoricalEncoding):
                per_key += weights[keys.lookup(enc.index, len(enc.categories), column)]
            elif isinstance(enc, NumericEncoding):
                if len(enc.knots) < 2:
                    total += x[:, column] * weights[0]
                else:
                    total += np.interp(x[:, column], enc.knots, weights)
        for by, where in plan.slope_weights.items():  # each key's weight in every slope
            for k, key in enumerate(keys.values):
                found = where.get(str(key[plan.at[by]]))
                if found is not None:
                    slope_weights[k, found[0]] = coef[found[1]]
        z = (x[:, plan.slope_columns] - plan.centers) / plan.spreads
        total += np.einsum("ij,ij->i", z, slope_weights[keys.inverse])
        return total + per_key[keys.inverse]

    @cached_property
    def _plan(self) -> _Plan:
        return _Plan.of(self)

    def text_features(self) -> list[str]:
        names = (
            e.by if isinstance(e, SlopeEncoding) else e.name
            for e in self.encodings
            if not isinstance(e, NumericEncoding)
        )
        return list(dict.fromkeys(names))

    def numeric_features(self) -> list[str]:
        names = (
            e.feature if isinstance(e, SlopeEncoding) else e.name
            for e in self.encodings
            if not isinstance(e, CategoricalEncoding)
        )
        return list(dict.fromkeys(names))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "features": [encoding_to_dict(enc) for enc in self.encodings],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Design:
        """Rebuild from `to_dict` output. Feature groups and labels come from the installed
        feature schema, so an artifact naming a feature this version does not know is refused."""
        specs = {s.name: s for s in FEATURES}
        encodings = tuple(encoding_from_dict(d) for d in data["features"])
        for enc in encodings:
            derived = slope_spec(enc.name) if isinstance(enc, SlopeEncoding) else None
            if derived is not None:
                specs[enc.name] = derived
        unknown = [e.name for e in encodings if e.name not in specs]
        if unknown:
            raise SchemaError(f"model uses features this surefix does not know: {unknown}")
        return cls(
            schema_version=int(data["schema_version"]),
            encodings=encodings,
            specs=tuple(specs[e.name] for e in encodings),
        )


@dataclass(frozen=True)
class _Plan:
    """Where `Design.linear` finds each encoding's input: the text features as positions in a
    row's tuple of words, the numeric ones as prepared columns of one matrix (`logged` of them
    `log1p` first), the per-rule slopes' among them standardised together."""

    texts: list[str]
    at: dict[str, int]
    numbers: list[str]  # read from the rows, each once
    inputs: np.ndarray  # the numbers' column behind each prepared column
    logged: np.ndarray
    parts: list[slice]
    columns: list[int]  # per encoding: its text position or numeric column (-1 for a slope)
    slopes: list[tuple[SlopeEncoding, slice]]
    slope_weights: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]  # by → key → (slopes, coef)
    slope_columns: np.ndarray
    centers: np.ndarray
    spreads: np.ndarray

    @classmethod
    def of(cls, design: Design) -> _Plan:
        texts = design.text_features()
        at = {name: i for i, name in enumerate(texts)}
        plain = [e for e in design.encodings if isinstance(e, NumericEncoding)]
        numbers = [e.name for e in plain]
        logged = [e.log for e in plain]
        slopes = []
        columns = []
        slope_columns = []
        parts = list(design.feature_slices().values())
        for enc, part in zip(design.encodings, parts, strict=True):
            if isinstance(enc, CategoricalEncoding):
                columns.append(at[enc.name])
            elif isinstance(enc, NumericEncoding):
                columns.append(numbers.index(enc.name))
            else:
                columns.append(-1)
                slopes.append((enc, part))
                # a slope standardises its own copy of the feature (log1p or not as it says)
                numbers.append(enc.feature)
                logged.append(enc.log)
                slope_columns.append(len(numbers) - 1)
        read = list(dict.fromkeys(numbers))
        found: dict[str, dict[str, tuple[list[int], list[int]]]] = {}
        for j, (enc, part) in enumerate(slopes):
            for rule, i in enc.index.items():
                js, offsets = found.setdefault(enc.by, {}).setdefault(rule, ([], []))
                js.append(j)
                offsets.append(part.start + i)
        return cls(
            texts=texts,
            at=at,
            numbers=read,
            inputs=np.array([read.index(n) for n in numbers], dtype=int),
            logged=np.flatnonzero(np.array(logged, dtype=bool)),
            parts=parts,
            columns=columns,
            slopes=slopes,
            slope_weights={
                by: {key: (np.array(js), np.array(offsets)) for key, (js, offsets) in keys.items()}
                for by, keys in found.items()
            },
            slope_columns=np.array(slope_columns, dtype=int),
            centers=np.array([enc.center for enc, _ in slopes]),
            spreads=np.array([enc.spread for enc, _ in slopes]),
        )


def check_schema(expected: int, given: int, rows: Sequence[Mapping[str, Any]]) -> None:
    if given != expected:
        raise SchemaError(
            f"feature rows use schema {given} but the model was trained on schema {expected}"
        )
    for row in rows:
        row_schema = row.get("schema_version")
        if row_schema is not None and int(row_schema) != expected:
            raise SchemaError(
                f"a feature row uses schema {row_schema} but the model was trained on "
                f"schema {expected}"
            )


def text_rows(rows: Sequence[Mapping[str, Any]], names: list[str]) -> list[tuple[Any, ...]]:
    """Each row's values of the text features `names`, as one tuple per row."""
    if not names:
        return [()] * len(rows)
    get = itemgetter(*names)
    try:
        values = list(map(get, rows))
    except KeyError as exc:
        raise SchemaError(f"feature row lacks the feature {exc.args[0]!r}") from None
    return values if len(names) > 1 else [(v,) for v in values]


def categorical_column(rows: Sequence[Mapping[str, Any]], name: str) -> list[str]:
    try:
        return [str(row[name]) for row in rows]
    except KeyError:
        raise SchemaError(f"feature row lacks the feature {name!r}") from None


def numeric_matrix(rows: Sequence[Mapping[str, Any]], names: list[str]) -> np.ndarray:
    """The numeric features `names` of every row (n x len(names)), finite or `SchemaError`."""
    if not names or not rows:
        return np.zeros((len(rows), len(names)))
    get = itemgetter(*names)
    try:
        values = list(map(get, rows))
        matrix = np.array(values, dtype=float).reshape(len(rows), len(names))
    except KeyError as exc:
        raise SchemaError(f"feature row lacks the feature {exc.args[0]!r}") from None
    except (TypeError, ValueError):
        return _column_by_column(rows, names)
    if not np.all(np.isfinite(matrix)):
        return _column_by_column(rows, names)
    return matrix


def _column_by_column(rows: Sequence[Mapping[str, Any]], names: list[str]) -> np.ndarray:
    """The slow way, one checked column at a time: it names the feature that is no number."""
    return np.column_stack([numeric_column(rows, n) for n in names])


def numeric_columns(rows: Sequence[Mapping[str, Any]], names: list[str]) -> dict[str, np.ndarray]:
    """Several numeric columns in one pass over the rows (the per-row cost is what counts)."""
    matrix = numeric_matrix(rows, names)
    return {n: matrix[:, i] for i, n in enumerate(names)}


def numeric_column(rows: Sequence[Mapping[str, Any]], name: str) -> np.ndarray:
    try:
        values = np.array([float(row[name]) for row in rows], dtype=float)
    except KeyError:
        raise SchemaError(f"feature row lacks the feature {name!r}") from None
    except (TypeError, ValueError):
        raise SchemaError(f"feature {name!r} must be a number") from None
    if not np.all(np.isfinite(values)):
        raise SchemaError(f"feature {name!r} must be a finite number")
    return values


def fit_design(
    rows: Sequence[Mapping[str, Any]],
    specs: Sequence[FeatureSpec] = FEATURES,
    min_count: int = MIN_CATEGORY_COUNT,
    knot_quantiles: Sequence[float] = KNOT_QUANTILES,
    schema_version: int = SCHEMA_VERSION,
    slopes_by: str | None = None,
    slope_min_count: int = 0,
) -> Design:
    """Learn vocabularies and knots from training rows. With `slopes_by` (a categorical feature,
    in practice "rule"), add a per-category slope for every numeric feature, for the
    categories with at least `slope_min_count` rows (default: `min_count`)."""
    if not rows:
        raise SchemaError("cannot fit a design on zero rows")
    encodings: list[Encoding] = []
    for spec in specs:
        if spec.kind == "categorical":
            encodings.append(
                fit_categorical(spec.name, categorical_column(rows, spec.name), min_count)
            )
        else:
            encodings.append(
                fit_numeric(spec.name, numeric_column(rows, spec.name), knot_quantiles)
            )
    all_specs = list(specs)
    if slopes_by is not None:
        keys = categorical_column(rows, slopes_by)
        counts = Counter(keys)
        frequent = tuple(
            sorted(k for k, n in counts.items() if n >= (slope_min_count or min_count))
        )
        for enc in list(encodings):
            if isinstance(enc, NumericEncoding):
                slope = fit_slope(enc, slopes_by, frequent, numeric_column(rows, enc.name))
                derived = slope_spec(slope.name)
                assert derived is not None
                encodings.append(slope)
                all_specs.append(derived)
    return Design(schema_version, tuple(encodings), tuple(all_specs))


def fit_slope(
    base: NumericEncoding, by: str, rules: tuple[str, ...], values: np.ndarray
) -> SlopeEncoding:
    x = np.log1p(np.maximum(values, 0.0)) if base.log else values
    spread = float(np.std(x))
    return SlopeEncoding(
        base.name, by, rules, base.log, float(np.mean(x)), spread if spread > 0 else 1.0
    )


def fit_categorical(name: str, values: Sequence[str], min_count: int) -> CategoricalEncoding:
    counts = Counter(values)
    kept = sorted(c for c, n in counts.items() if n >= min_count and c != OTHER)
    return CategoricalEncoding(name, tuple(kept))


def fit_numeric(name: str, values: np.ndarray, knot_quantiles: Sequence[float]) -> NumericEncoding:
    """Flags (only 0/1 seen) stay raw; non-negative values with anything above 1 are counts and
    get `log1p`; rates in [0, 1] and signed values are used as they are."""
    unique = np.unique(values)
    if np.all(np.isin(unique, (0.0, 1.0))):
        return NumericEncoding(name, log=False, knots=())
    log = bool(values.min() >= 0.0 and values.max() > 1.0)
    x = np.log1p(values) if log else values
    knots = dedupe_knots(np.quantile(x, knot_quantiles))
    return NumericEncoding(name, log=log, knots=tuple(float(k) for k in knots))


def dedupe_knots(knots: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Strictly increasing knots: heavy ties (most fixes have one edit) collapse quantiles."""
    out: list[float] = []
    for k in np.sort(knots):
        if not out or k - out[-1] > tol * max(1.0, abs(k)):
            out.append(float(k))
    return np.array(out)


def encoding_to_dict(enc: Encoding) -> dict[str, Any]:
    if isinstance(enc, CategoricalEncoding):
        return {"name": enc.name, "kind": "categorical", "categories": list(enc.categories)}
    if isinstance(enc, SlopeEncoding):
        return {
            "name": enc.name,
            "kind": "slope",
            "feature": enc.feature,
            "by": enc.by,
            "rules": list(enc.rules),
            "log": enc.log,
            "center": enc.center,
            "spread": enc.spread,
        }
    return {"name": enc.name, "kind": "numeric", "log": enc.log, "knots": list(enc.knots)}


def encoding_from_dict(data: Mapping[str, Any]) -> Encoding:
    if data["kind"] == "categorical":
        return CategoricalEncoding(str(data["name"]), tuple(str(c) for c in data["categories"]))
    if data["kind"] == "slope":
        center, spread = float(data["center"]), float(data["spread"])
        if not (math.isfinite(center) and math.isfinite(spread) and spread > 0):
            raise SchemaError(f"standardisation of {data['name']!r} is not finite and positive")
        return SlopeEncoding(
            str(data["feature"]),
            str(data["by"]),
            tuple(str(r) for r in data["rules"]),
            bool(data["log"]),
            center,
            spread,
        )
    knots = tuple(float(k) for k in data["knots"])
    if any(not math.isfinite(k) for k in knots) or any(b <= a for a, b in pairwise(knots)):
        raise SchemaError(f"knots of {data['name']!r} are not strictly increasing")
    return NumericEncoding(str(data["name"]), bool(data["log"]), knots)
