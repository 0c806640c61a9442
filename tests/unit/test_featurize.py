"""Feature rows: one per fix, named, versioned, computed from the document alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from surefix.features.document import Document
from surefix.features.featurize import (
    FEATURE_NAMES,
    FEATURES,
    GROUPS,
    FileContext,
    RuleHistory,
    featurize,
)
from surefix.features.project.facts import ProjectFacts
from surefix.features.ruff.run import RuffOptions, lint_text

SOURCE = """import os
import sys


class Greeter:
    def greet(self, name):
        if name:
            return "hello %s" % name
        return sys.argv
"""


def rows_for(text: str, path: str = "pkg/mod.py") -> dict[str, dict[str, float | str]]:
    result = lint_text(text, path, RuffOptions(isolated=True, select=("F401", "UP031")))
    ctx = FileContext.build(Document(text, path), result.violations, ProjectFacts(Path(".")))
    return {v.rule: featurize(ctx, v, v.fix) for v in result.violations if v.fix}


def test_every_feature_is_present_named_and_grouped() -> None:
    row = rows_for(SOURCE)["F401"]
    assert set(row) == set(FEATURE_NAMES)
    assert all(spec.group in GROUPS and spec.label for spec in FEATURES)


def test_edit_shape_of_an_import_removal() -> None:
    row = rows_for(SOURCE)["F401"]
    assert row["applicability"] == "safe"
    assert row["fix_deletion_only"] == 1.0
    assert row["fix_removes_lines"] == 1.0
    assert row["fix_touches_import"] == 1.0
    assert row["fix_lines_removed"] == 1.0
    assert row["loc_scope"] == "module"


def test_location_inside_a_method() -> None:
    row = rows_for(SOURCE)["UP031"]
    assert row["loc_scope"] == "function"
    assert row["loc_nesting"] == 3.0  # class, def, if
    assert row["fix_touches_import"] == 0.0


def test_file_facts() -> None:
    row = rows_for(SOURCE, "tests/test_mod.py")["F401"]
    assert row["file_is_test"] == 1.0
    assert row["file_lines"] == float(len(SOURCE.splitlines()))


@pytest.mark.parametrize(
    ("kept", "total", "low", "high"), [(0, 0, 0.8, 0.9), (0, 20, 0.0, 0.2), (20, 20, 0.95, 1.0)]
)
def test_history_rate_is_smoothed_towards_the_prior(
    kept: int, total: int, low: float, high: float
) -> None:
    assert low <= RuleHistory(kept, total).rate <= high


def test_document_tolerates_syntax_errors() -> None:
    doc = Document("def f(:\n    pass\n", "x.py")
    assert not doc.parsed
    assert doc.statement_span(1) == (1, 1)
    assert doc.location(0).scope == "module"
