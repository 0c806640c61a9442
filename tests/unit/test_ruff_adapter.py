"""The Ruff adapter against the real `ruff` binary: positions, fixes, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from surefix.features.ruff.edits import LineIndex, apply_edits
from surefix.features.ruff.findings import Edit, Position, rule_family
from surefix.features.ruff.run import RuffError, RuffOptions, fixable_rules, lint_text, lint_tree

ISOLATED = RuffOptions(isolated=True, select=("F401", "UP", "E401", "I001", "Q000"))


def test_columns_are_code_points_on_a_line_with_non_bmp_characters() -> None:
    text = 'x = "😀é"; import os\n'
    (violation,) = [v for v in lint_text(text, "t.py", ISOLATED).violations if v.rule == "F401"]
    assert violation.start == Position(0, text.index("os"))
    assert text[LineIndex(text).offset(violation.start) :].startswith("os")


def test_fix_edits_apply_to_the_expected_text() -> None:
    text = "import os, sys\nprint(sys.argv)\n"
    result = lint_text(text, "t.py", ISOLATED)
    f401 = next(v for v in result.violations if v.rule == "F401")
    assert f401.fix is not None and f401.fix.applicability == "safe"
    assert apply_edits(text, f401.fix.edits) == "import sys\nprint(sys.argv)\n"


def test_multi_edit_fix_is_parsed_with_every_edit() -> None:
    text = 'def f(a, b):\n    return "%s %s" % (a, b)\n'
    up031 = next(v for v in lint_text(text, "t.py", ISOLATED).violations if v.rule == "UP031")
    assert up031.fix is not None and up031.fix.applicability == "unsafe"
    fixed = apply_edits(text, up031.fix.edits)
    assert '"{} {}".format(a, b)' in fixed


def test_insertions_at_one_point_keep_ruffs_order() -> None:
    text = (
        "from __future__ import annotations\n\nfrom pathlib import Path\n\n\ndef f(p: Path): ...\n"
    )
    options = RuffOptions(isolated=True, select=("TC003",), target_version="py38")
    (tc003,) = lint_text(text, "t.py", options).violations
    assert tc003.fix is not None
    fixed = apply_edits(text, tc003.fix.edits)
    assert fixed.index("from typing import TYPE_CHECKING") < fixed.index("if TYPE_CHECKING:")


def test_apply_edits_refuses_overlapping_edits() -> None:
    edits = [Edit(Position(0, 0), Position(0, 3), "x"), Edit(Position(0, 2), Position(0, 4), "y")]
    with pytest.raises(ValueError):
        apply_edits("abcdef", edits)


@pytest.mark.parametrize(
    ("offset", "position"), [(0, Position(0, 0)), (3, Position(1, 0)), (5, Position(1, 2))]
)
def test_line_index_round_trips(offset: int, position: Position) -> None:
    index = LineIndex("ab\ncd\n")
    assert index.position(offset) == position
    assert index.offset(position) == offset


@pytest.mark.parametrize(
    ("rule", "family"), [("F401", "F"), ("UP006", "UP"), ("PLR1714", "PLR"), ("RUF100", "RUF")]
)
def test_rule_family(rule: str, family: str) -> None:
    assert rule_family(rule) == family


def test_syntax_errors_are_counted_not_reported_as_rules() -> None:
    result = lint_text("def f(:\n", "t.py", ISOLATED)
    assert result.syntax_errors >= 1
    assert all(v.rule for v in result.violations)


def test_lint_tree_keys_files_by_relative_path(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("import os\n")
    results = lint_tree(tmp_path, ISOLATED)
    assert [v.rule for v in results["pkg/a.py"].violations] == ["F401"]


def test_missing_ruff_is_a_clear_error() -> None:
    with pytest.raises(RuffError, match="ruff not found"):
        lint_text("x = 1\n", "t.py", RuffOptions(executable="/nonexistent/ruff"))


def test_fixable_rules_lists_only_stable_rules_with_fixes() -> None:
    rules = fixable_rules()
    assert "F401" in rules and "UP006" in rules
    assert "E501" not in rules  # line too long has no fix
