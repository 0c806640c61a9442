"""Where fixes are ranked (the quick-fix menu, `surefix check`, the fix-all rounds): most trusted
badge first, and badges that say the same percent by rule, then line, then column."""

from __future__ import annotations

from dataclasses import replace

from surefix.features.ruff.findings import Edit, Fix, Position, Violation, rule_family
from surefix.model.analysis import AUTO, Candidate, ranked, score_percent
from surefix.model.autofix import non_overlapping


def candidate(rule: str, line: int, column: int, score: float | None) -> Candidate:
    at, fix = Position(line, column), Fix("safe", "fix", ())
    v = Violation(rule, "", "", at, Position(line, column + 1), fix)
    return Candidate(v, fix, {"family": rule_family(rule)}, score, AUTO)


def test_equal_badges_rank_by_rule_then_line_then_column() -> None:
    fixes = [
        candidate("UP006", 3, 4, 0.9849),  # all four badges say 98%: they tie
        candidate("F401", 9, 0, 0.9812),
        candidate("F401", 2, 8, 0.9899),
        candidate("F401", 2, 1, 0.9803),
        candidate("B006", 7, 0, 0.5),
        candidate("C408", 1, 0, None),
        candidate("A001", 5, 0, None),
    ]
    order = [
        (c.violation.rule, c.violation.start.line, c.violation.start.column) for c in ranked(fixes)
    ]
    assert order == [
        ("F401", 2, 1), ("F401", 2, 8), ("F401", 9, 0), ("UP006", 3, 4), ("B006", 7, 0),
        ("A001", 5, 0), ("C408", 1, 0),
    ]  # fmt: skip
    assert ranked(list(reversed(fixes))) == ranked(fixes)
    assert (
        ranked([candidate("F401", 1, 0, 0.995), candidate("E711", 1, 0, 0.9999)])[0].violation.rule
        == "E711"
    )


def test_the_rank_follows_the_badge_not_the_last_digits() -> None:
    scores = (0.0, 0.004, 0.5, 0.8996, 0.9, 0.29, 0.9849, 0.995, 1.0)
    # rounded down: 0.8996 is below an auto-apply threshold of 0.9, and its badge says so
    assert [score_percent(s) for s in scores] == [1, 1, 50, 89, 90, 29, 98, 99, 99]


def test_of_two_overlapping_fixes_with_equal_badges_fix_all_takes_the_first_rule() -> None:
    """`fix_until_stable` chooses each round's fixes from `ranked`: the same one every time."""
    edit = (Edit(Position(1, 0), Position(1, 4), "x"),)
    sim = replace(candidate("SIM108", 1, 0, 0.991), fix=Fix("safe", "", edit))
    ruf = replace(candidate("RUF005", 1, 2, 0.9905), fix=Fix("safe", "", edit))
    assert non_overlapping(ranked([sim, ruf])) == [ruf] == non_overlapping(ranked([ruf, sim]))
