"""Telling "resolved another way" from deleting code, moving it, or taking the fix."""

from __future__ import annotations

from surefix.features.ruff.findings import Edit, Fix, Position
from surefix.model.local.outcome_watch import Offer, OfferWatch, line_map

BEFORE = "def f(x):\n    if x == None:\n        return 1\n    return 2\n"
FIX = Fix("unsafe", "Replace with `is`", (Edit(Position(1, 9), Position(1, 11), "is"),))


def watch() -> OfferWatch:
    w = OfferWatch()
    w.offered("m.py", BEFORE, [Offer("E711", 1, FIX, {"rule": "E711"})])
    return w


def test_an_edited_line_resolves_the_offer_once() -> None:
    w = watch()
    after = BEFORE.replace("x == None", "not x")
    assert w.resolved("m.py", after, [], 0) == [
        {"rule": "E711", "outcome": "resolved-otherwise", "detected": "edit"}
    ]
    assert w.resolved("m.py", after + "\n", [], 0) == []


def test_taking_the_fix_noqa_deleting_or_a_syntax_error_is_no_label() -> None:
    for after in (
        BEFORE.replace("x == None", "x is None"),  # the fix itself: its command records it
        BEFORE.replace("None:", "None:  # noqa: E711"),
        "VALUE = 1\n",
    ):
        assert watch().resolved("m.py", after, [], 0) == []
    assert watch().resolved("m.py", BEFORE.replace("None", "Non"), [], 1) == []


def test_an_offer_follows_its_line_while_the_violation_stays() -> None:
    w = watch()
    moved = "import os\n\n" + BEFORE
    assert w.resolved("m.py", moved, [("E711", 3)], 0) == []
    fixed = moved.replace("x == None", "not x")
    assert w.resolved("m.py", fixed, [], 0)[0]["outcome"] == "resolved-otherwise"


def test_line_map_pairs_only_similar_lines() -> None:
    old = ["a = 1", "if x == None:", "b = 2"]
    assert line_map(old, ["a = 1", "if not x:", "b = 2"], [1]) == {1: ("edited", 1)}
    assert line_map(old, ["a = 1", "totally different stuff", "b = 2"], [1]) == {}
    assert line_map(old, ["# new", *old], [0, 2]) == {0: ("same", 1), 2: ("same", 3)}


def test_a_text_our_fix_all_produced_is_no_label() -> None:
    w = watch()
    fixed = BEFORE.replace("x == None", "x is None").replace("return 2", "return 3")
    w.expect("m.py", fixed)
    assert w.resolved("m.py", fixed, [], 0) == []


def test_line_map_of_a_long_file_of_identical_lines_follows_each_line() -> None:
    """50,000 equal lines made the full diff run for minutes on the event loop; only the
    changed block is diffed now, and every line still lands where the edit moved it."""
    old = ["x = 1"] * 50_000
    new = [*old[:25_000], "y = 2", *old[25_000:]]
    found = line_map(old, new, [0, 24_999, 25_000, 49_999])
    assert found[0] == ("same", 0) and found[49_999] == ("same", 50_000)
    assert {found[24_999][1], found[25_000][1]} <= {24_999, 25_000, 25_001}
    rewritten = ["z = 3"] * 2_000
    assert line_map(old, rewritten, [10]) == {}  # a rewrite this large answers no fix
