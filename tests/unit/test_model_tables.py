"""Small synthetic event tables for the model tests (imported by the other test_model_* files).

Rows are built from `FEATURES` itself, so the tests follow the feature schema as it evolves;
labels depend on rule, tier and edit size, so a model has something real to learn.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np

from surefix.features.featurize import FEATURE_NAMES, FEATURES, Row
from surefix.features.ruff.findings import rule_family

RULES = ("F401", "I001", "UP006", "E711", "RUF100", "SIM108", "B006", "F841")
RULE_EFFECT = {"F401": 1.5, "I001": 2.0, "UP006": 1.0, "E711": 0.0, "RUF100": 0.5,
               "SIM108": -1.5, "B006": -1.0, "F841": -0.5}  # fmt: skip
TIERS = ("safe", "unsafe", "display-only")
TIER_EFFECT = {"safe": 1.0, "unsafe": -0.5, "display-only": -1.5}
RATES = ("loc_relative_line", "history_rate")


def numeric_value(name: str, rng: np.random.Generator) -> float:
    if name in RATES:
        return float(rng.random())
    flags = ("fix_whitespace", "fix_deletion", "fix_insertion", "fix_removes", "fix_touches")
    if name.startswith((*flags, "fix_far", "file_is", "project_", "loc_multiline")):
        return float(rng.random() < 0.3)
    return float(
        rng.poisson(3.0) * (1 + 10 * (name.endswith("chars_added") or name == "file_lines"))
    )


def make_rows(n: int, seed: int = 0) -> tuple[list[Row], np.ndarray]:
    rng = np.random.default_rng(seed)
    rows: list[Row] = []
    logits = []
    for _ in range(n):
        rule = str(rng.choice(RULES))
        tier = str(rng.choice(TIERS, p=(0.6, 0.3, 0.1)))
        row: Row = {}
        for spec in FEATURES:
            if spec.name == "rule":
                row["rule"] = rule
            elif spec.name == "family":
                row["family"] = rule_family(rule)
            elif spec.name == "applicability":
                row["applicability"] = tier
            elif spec.kind == "categorical":
                row[spec.name] = str(rng.choice(("module", "function", "class")))
            else:
                row[spec.name] = numeric_value(spec.name, rng)
        rows.append(row)
        edits = float(row.get("fix_edits", 0.0))
        logits.append(1.2 + RULE_EFFECT[rule] + TIER_EFFECT[tier] - 0.2 * edits)
    p = 1.0 / (1.0 + np.exp(-np.array(logits)))
    return rows, (rng.random(n) < p).astype(int)


def write_events(path: Path, n: int = 600, repos: int = 6, seed: int = 0) -> Path:
    """A gzip events CSV in the miner's format, `repos` repositories, increasing timestamps."""
    rows, y = make_rows(n, seed)
    with gzip.open(path, "wt", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["repo", "commit", "ts", "path_hash", "rule", "label", "detail", "n_raw",
                         *FEATURE_NAMES])  # fmt: skip
        for i, (row, label) in enumerate(zip(rows, y, strict=True)):
            repo = f"owner/repo{i % repos}"
            commit = f"{i // 3:040x}"
            writer.writerow([repo, commit, 1_600_000_000 + i * 60, f"{i:016x}", row["rule"], label,
                             "exact", 1, *(row[name] for name in FEATURE_NAMES)])  # fmt: skip
    return path


def test_tables_cover_every_feature_and_both_labels() -> None:
    rows, y = make_rows(200)
    assert all(set(row) == set(FEATURE_NAMES) for row in rows)
    assert 0 < y.mean() < 1
