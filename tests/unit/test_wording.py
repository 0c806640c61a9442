"""The hover and `surefix check --explain` word a score's factors the same way."""

from __future__ import annotations

from pathlib import Path

from surefix.model.analysis import analyze
from surefix.model.scoring.scorer import load_model
from surefix.server.wording import explanation_lines, factor_table


def test_the_terminal_lines_are_the_top_rows_of_the_hover_table(tmp_path: Path) -> None:
    model = load_model()
    analysis = analyze('import os\nx = "%s" % 1\n', tmp_path / "m.py", model)
    assert analysis.candidates
    for candidate in analysis.candidates:
        base, *lines = explanation_lines(model, candidate)
        table = factor_table(candidate, model)
        assert base.endswith("(an average fix)") and "| an average fix |" in table[2]
        rows = [row.split(" | ")[0].removeprefix("| ") for row in table[3 : 3 + len(lines)]]
        assert [line.split(" ", 1)[1] for line in lines] == rows
