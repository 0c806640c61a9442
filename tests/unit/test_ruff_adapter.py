"""The Ruff adapter against the real `ruff` binary: positions, fixes, errors."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from surefix.features.ruff.edits import LineIndex, apply_edits, longest_new_line
from surefix.features.ruff.findings import Edit, Position, rule_family
from surefix.features.ruff.run import (
    ARGUMENTS,
    INSTALL,
    PROJECT,
    RuffError,
    RuffOptions,
    find_ruff,
    fixable_rules,
    lint_text,
    lint_tree,
    parse_output,
)

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
    with pytest.raises(RuffError, match="Ruff not found at /nonexistent/ruff"):
        lint_text("x = 1\n", "t.py", RuffOptions(executable="/nonexistent/ruff"))


def test_fixable_rules_lists_only_stable_rules_with_fixes() -> None:
    rules = fixable_rules()
    assert "F401" in rules and "UP006" in rules
    assert "E501" not in rules  # line too long has no fix


# -- Ruff's JSON, checked at the boundary ------------------------------------------------------

REAL = "import os, sys\nprint(sys.argv)\n"  # a fix with one edit, a fix replacing a line
BROKEN = "def f(:\n"  # syntax errors: no code, no fix


def ruff_json(text: str) -> list[dict[str, Any]]:
    """What the Ruff installed with surefix prints for `text`, every field as Ruff has it."""
    cmd = [find_ruff(), "check", "--isolated", "--select", "F401,E401", "--output-format", "json"]
    out = subprocess.run(
        [*cmd, "--exit-zero", "--stdin-filename", "t.py", "-"],
        input=text, capture_output=True, text=True, check=True,
    )  # fmt: skip
    items: list[dict[str, Any]] = json.loads(out.stdout)
    return items


def real_output() -> list[dict[str, Any]]:
    items = ruff_json(REAL) + ruff_json(BROKEN)
    assert [i["code"] for i in items] == ["E401", "F401", "invalid-syntax", "invalid-syntax"]
    return items


def test_real_output_reads_as_lint_text_reads_it() -> None:
    (result,) = parse_output(json.dumps(real_output())).values()
    options = RuffOptions(isolated=True, select=("F401", "E401"))
    assert result.violations == lint_text(REAL, "t.py", options).violations
    assert result.errors == lint_text(BROKEN, "t.py", options).errors
    assert [v.rule for v in result.violations] == ["E401", "F401"] and result.syntax_errors == 2


def _older_forms(items: list[dict[str, Any]]) -> None:
    """What Ruff prints in other versions: a syntax error's null code and "SyntaxError: "
    prefix, no `cell`, `url` or `noqa_row`, a fix without edits, a camel-case applicability."""
    for item in items:
        item.pop("cell", None)
        if item["code"] == "invalid-syntax":
            item.update(code=None, message="SyntaxError: " + item["message"])
            item.pop("location")
        else:
            item.update(url=None, noqa_row=None)
    f401 = next(i for i in items if i["code"] == "F401")
    f401["fix"]["applicability"] = "DisplayOnly"
    next(i for i in items if i["code"] == "E401")["fix"]["edits"] = []


def test_the_forms_other_ruff_versions_print_are_read() -> None:
    items = real_output()
    _older_forms(items)
    (result,) = parse_output(json.dumps(items)).values()
    f401 = next(v for v in result.violations if v.rule == "F401")
    assert f401.fix is not None and f401.fix.applicability == "display-only"
    assert next(v for v in result.violations if v.rule == "E401").fix is None
    assert result.errors[0].start == Position(0, 0)
    assert not result.errors[0].message.startswith("SyntaxError")


def _first(code: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    return lambda items: next(i for i in items if i["code"] == code)


Mangle = Callable[[list[dict[str, Any]]], Any]


def _set(code: str, key: str, value: Any) -> Mangle:
    def mangle(items: list[dict[str, Any]]) -> Any:
        _first(code)(items)[key] = value
        return items

    return mangle


def _drop(code: str, key: str) -> Mangle:
    def mangle(items: list[dict[str, Any]]) -> Any:
        del _first(code)(items)[key]
        return items

    return mangle


def _edit(change: Callable[[dict[str, Any]], None]) -> Mangle:
    def mangle(items: list[dict[str, Any]]) -> Any:
        change(_first("F401")(items)["fix"]["edits"][0])
        return items

    return mangle


# Real output made wrong the ways a broken Ruff or wrapper would, and what the error says.
NOT_A_PLACE = "that is not a row and column from 1"
WRONG_SHAPES: dict[str, tuple[Mangle, str]] = {
    "an object": (lambda items: {"all": items}, "expected a list of diagnostics, got an object"),
    "null": (lambda items: None, "expected a list of diagnostics, got null"),
    "a string item": (lambda items: ["F401", *items], "diagnostic 1 of 5 is a string, not an"),
    "no location": (_drop("F401", "location"), '(F401) has no "location"'),
    "no end": (_drop("F401", "end_location"), '(F401) has no "end_location"'),
    "location a string": (
        _set("F401", "location", "1:8"),
        f'(F401) has a "location" {NOT_A_PLACE}',
    ),
    "row 0": (_set("F401", "location", {"row": 0, "column": 1}), NOT_A_PLACE),
    "row true": (_set("F401", "location", {"row": True, "column": 1}), NOT_A_PLACE),
    "code a number": (_set("F401", "code", 401), 'has "code" a number, not a string'),
    "message a list": (_set("F401", "message", ["x"]), '(F401) has "message" a list, not a'),
    "noqa row text": (_set("F401", "noqa_row", "1"), '(F401) has "noqa_row" a string, not a row'),
    "fix a list": (_set("F401", "fix", []), "(F401)'s fix is a list, not an object"),
    "edits an object": (_set("F401", "fix", {"edits": {}}), "fix has edits that are an object"),
    "edit without end": (_edit(lambda e: e.pop("end_location")), 'edit 1 has no "end_location"'),
    "content a number": (_edit(lambda e: e.update(content=0)), 'has "content" a number, not a'),
}


@pytest.mark.parametrize(("mangle", "said"), WRONG_SHAPES.values(), ids=WRONG_SHAPES)
def test_json_of_the_wrong_shape_is_one_ruff_error_saying_where(mangle: Mangle, said: str) -> None:
    raw = json.dumps(mangle(real_output()))
    with pytest.raises(RuffError) as caught:
        parse_output(raw)
    assert caught.value.problem.startswith("printed JSON surefix cannot read: ")
    assert said in caught.value.problem, caught.value.problem
    assert caught.value.fault == INSTALL


@pytest.mark.parametrize("raw", ["hello", '[{"code": "F401"', "\x00"])
def test_output_that_is_not_json_says_how_it_begins(raw: str) -> None:
    with pytest.raises(RuffError, match=r"printed output that is not JSON \(.*; it begins"):
        parse_output(raw)


# -- a failed run, read for who can put it right -------------------------------------------


def test_an_extra_argument_ruff_rejects_is_the_users_to_correct() -> None:
    options = RuffOptions(isolated=True, extra_args=("--no-such-flag",))
    with pytest.raises(RuffError) as caught:
        lint_text("x = 1\n", "t.py", options)
    assert caught.value.fault == ARGUMENTS
    assert (
        "rejects the extra argument '--no-such-flag' (unexpected argument" in caught.value.problem
    )
    assert caught.value.remedy() == "correct or remove it in the extra Ruff arguments"


def test_a_selector_no_ruff_knows_is_the_users_typo() -> None:
    with pytest.raises(RuffError) as caught:
        lint_text("x = 1\n", "t.py", RuffOptions(isolated=True, select=("XYZ1",)))
    assert caught.value.fault == ARGUMENTS
    assert "rejects a rule selector: Unknown rule selector `XYZ1`" in caught.value.problem


def test_a_broken_project_configuration_is_the_projects_to_correct(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ruff]\nline-length = "long"\n')
    with pytest.raises(RuffError) as caught:
        lint_text("x = 1\n", str(tmp_path / "m.py"), RuffOptions(), cwd=str(tmp_path))
    assert caught.value.fault == PROJECT
    problem = caught.value.problem
    assert problem.startswith("Ruff cannot use this project's configuration: Failed to parse")
    assert "pyproject.toml" in problem and "line 2" in problem
    assert caught.value.remedy() == "correct the project's Ruff configuration"


def test_the_cli_words_say_which_flag_to_pass() -> None:
    with pytest.raises(RuffError) as caught:
        lint_text("x = 1\n", "t.py", RuffOptions(executable=sys.executable))
    assert str(caught.value) == (
        f"{sys.executable} is not Ruff (`--version` printed 'Python {platform.python_version()}');"
        " pass --ruff Ruff 0.2.2 or newer, or leave --ruff out to use the Ruff installed with"
        " surefix"
    )


def test_work_done_while_ruff_lints_leaves_its_answer_as_it_was() -> None:
    text = (Path(__file__).parents[2] / "features" / "ruff" / "run.py").read_text() + "import os\n"
    done: list[int] = []
    alone = lint_text(text, "t.py", ISOLATED)
    overlapped = lint_text(text, "t.py", ISOLATED, meanwhile=lambda: done.append(len(text)))
    assert done == [len(text)] and alone.violations  # the whole text reached Ruff, as a file
    assert overlapped == alone


def test_ruff_still_times_out_and_the_work_meanwhile_still_fails_loudly(tmp_path: Path) -> None:
    real = find_ruff()
    slow_ruff = tmp_path / "ruff"  # a Ruff behind a wrapper that takes its time to lint
    slow_ruff.write_text(
        f'#!/bin/sh\ncase "$1" in --version) exec {real} "$@";; esac\n'
        f'sleep 5 </dev/null >/dev/null 2>&1\nexec {real} "$@"\n'
    )
    slow_ruff.chmod(0o755)
    slow = RuffOptions(executable=str(slow_ruff), isolated=True, select=("F401",), timeout=0.3)
    with pytest.raises(RuffError, match=r"took longer than 0\.3s and was stopped"):
        lint_text("import os\n", "t.py", slow, meanwhile=lambda: None)

    def broken() -> None:
        raise LookupError("the parse failed")

    with pytest.raises(LookupError, match="the parse failed"):
        lint_text("import os\n", "t.py", ISOLATED, meanwhile=broken)


def test_a_fix_is_measured_by_the_longest_line_it_leaves() -> None:
    lines = ["x = 1", "if a:", "    pass", "y = 2" + " " * 70 + "# long already"]
    at = Position

    def longest(*edits: Edit, limit: int = 20) -> int | None:
        return longest_new_line(edits, lines, limit)

    assert longest(Edit(at(0, 4), at(0, 5), "1" * 30)) == 34  # x = 111…
    assert longest(Edit(at(0, 4), at(0, 5), "2")) is None  # no longer than before
    assert longest(Edit(at(0, 4), at(0, 5), "2\n" + "z" * 25)) == 25  # the line it adds
    two = (Edit(at(0, 0), at(0, 1), "a" * 10), Edit(at(0, 4), at(0, 5), "b" * 10))
    assert longest(*two) == 23  # both edits on the line, together
    assert longest(Edit(at(1, 0), at(3, 0), "if a: pass\n")) is None  # y = 2 … not rewritten
    assert longest(Edit(at(3, 0), at(3, 1), "w")) is None  # too long already: not the fix's doing
    assert longest(Edit(at(4, 0), at(4, 0), "q" * 30)) == 30  # at the end of the text
    apart = (Edit(at(0, 4), at(0, 5), "1" * 30), Edit(at(2, 4), at(2, 8), "..."))
    assert longest(*apart) == 34
