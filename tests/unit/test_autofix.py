"""The autopilot's guards, on real Ruff output: overlapping fixes wait a round, and a round that
breaks the file is undone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from surefix.features.ruff.findings import Edit, Fix, Position
from surefix.features.ruff.run import RuffOptions
from surefix.model.analysis import AUTO, Analysis, analyze
from surefix.model.autofix import (
    fix_until_stable,
    holding,
    non_overlapping,
    touched_lines,
    typed_hold,
    undone_hold,
)
from surefix.model.scoring.scorer import load_model

MODEL = load_model()
RUFF = RuffOptions(select=("F401", "UP015"))


def lint(text: str, tmp_path: Path) -> Analysis:
    return analyze(text, tmp_path / "m.py", MODEL, RUFF)


def everything(candidate: object, text: str) -> None:
    """A hold that holds nothing back."""
    return


def test_fixes_run_to_a_fixed_point(tmp_path: Path) -> None:
    text = 'import os\nimport sys\nopen("f", "r")\n'
    run = fix_until_stable(lint(text, tmp_path), lambda t, _: lint(t, tmp_path), everything)
    assert run.text == 'open("f")\n'
    assert sorted(c.violation.rule for c in run.applied) == ["F401", "F401", "UP015"]
    assert run.final.candidates == () and run.dropped == ()


def test_a_round_that_breaks_the_file_is_dropped(tmp_path: Path) -> None:
    analysis = lint("import os\n", tmp_path)
    (good,) = analysis.candidates
    opener = Edit(Position(0, 0), Position(0, 0), "(")
    breaking = replace(good, fix=Fix("safe", "break it", (opener,)))
    broken = replace(analysis, candidates=(replace(breaking, band=AUTO),))
    run = fix_until_stable(broken, lambda t, _: lint(t, tmp_path))
    assert run.text == "import os\n" and not run.applied
    assert [c.fix.message for c in run.dropped] == ["break it"]


def test_overlapping_fixes_keep_the_most_trusted(tmp_path: Path) -> None:
    (c,) = lint("import os\n", tmp_path).candidates
    rival = replace(c, score=0.1)
    assert non_overlapping([c, rival]) == [c]
    insert = replace(c, fix=Fix("safe", "", (Edit(Position(1, 0), Position(1, 0), "x"),)))
    assert non_overlapping([c, insert]) == [c]  # touching edits wait for the next round


def test_touching_deletions_wait_a_round_instead_of_emptying_a_block(tmp_path: Path) -> None:
    text = "if True:\n    import os\n    import sys\nimport re\n"
    run = fix_until_stable(lint(text, tmp_path), lambda t, _: lint(t, tmp_path), everything)
    assert run.dropped == () and run.final.syntax_errors == 0
    assert "import re" not in run.text


def test_a_fix_that_rewrites_a_typed_line_is_held_back_and_said_why(tmp_path: Path) -> None:
    text = "import os\nimport sys\n"
    typed = typed_hold({"import sys"}, "you typed it")
    run = fix_until_stable(lint(text, tmp_path), lambda t, _: lint(t, tmp_path), typed)
    assert run.text == "import sys\n"  # `os` went, the line just typed stayed
    assert [(c.violation.rule, why) for c, why in run.held] == [("F401", "you typed it")]


def test_an_insertion_before_a_line_does_not_touch_it(tmp_path: Path) -> None:
    (c,) = lint("import os\n", tmp_path).candidates
    insert = replace(c, fix=Fix("safe", "", (Edit(Position(0, 0), Position(0, 0), "x\n"),)))
    assert touched_lines(insert) == set()
    whole_line = replace(c, fix=Fix("safe", "", (Edit(Position(0, 0), Position(1, 0), ""),)))
    assert touched_lines(whole_line) == {0}


def test_an_undone_fix_is_not_reapplied_at_its_spot_but_elsewhere_it_is(tmp_path: Path) -> None:
    text = "import os\nimport sys\n"
    hold = holding(undone_hold({("F401", "import os")}))
    run = fix_until_stable(lint(text, tmp_path), lambda t, _: lint(t, tmp_path), hold)
    assert run.text == "import os\n"
    assert [why for _, why in run.held] == ["you undid this fix here"]
