"""Which Ruff settings a user's record asks for, and how one is written into a project's TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from surefix.features.project.config_edit import (
    ConfigUnreadable,
    Setting,
    write_setting,
)
from surefix.model.local.store import Outcome, Store
from surefix.model.local.suggestions import (
    IGNORES,
    SAFE,
    UNFIXABLE,
    Decision,
    patterns,
    wilson,
)

ROOT, TESTS, UNIT, SRC = "root", "tests", "tests/unit", "src"  # stand-ins for folder hashes


def rows(outcome: str, n: int, *folders: str, tier: str = "unsafe") -> list[Decision]:
    return [Decision("F841", outcome, tier, frozenset({ROOT, *folders}))] * n


def found(decisions: list[Decision], folders: list[str] | None = None) -> list[tuple[str, str]]:
    return [(p.setting, p.scope) for p in patterns(decisions, "F841", ROOT, folders or [])]


def test_wilson_interval_matches_its_formula_at_the_edges() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(10, 10)
    assert round(low, 3) == 0.722 and high == 1.0
    assert round(wilson(9, 10)[0], 3) == 0.596 and round(wilson(8, 10)[0], 3) == 0.490


def test_nine_of_ten_rejected_under_one_folder_and_kept_elsewhere_is_a_per_file_ignore() -> None:
    record = rows("undone", 5, TESTS) + rows("not-useful", 4, TESTS) + rows("accepted", 1, TESTS)
    record += rows("accepted", 12, SRC) + rows("undone", 1, SRC)
    (p,) = patterns(record, "F841", ROOT, [TESTS])
    assert (p.setting, p.scope, p.inside.hits, p.inside.total) == (IGNORES, TESTS, 9, 10)
    assert p.outside is not None and (p.outside.hits, p.outside.total) == (1, 13)
    assert p.key == f"{IGNORES}:F841:{TESTS}"


def test_eight_of_ten_is_not_enough_and_nor_is_too_little_outside() -> None:
    eight = rows("undone", 8, TESTS) + rows("accepted", 2, TESTS) + rows("accepted", 10, SRC)
    assert found(eight, [TESTS]) == []
    one_outside = rows("undone", 10, TESTS) + rows("accepted", 1, SRC)
    assert found(one_outside, [TESTS]) == [(UNFIXABLE, ROOT)]  # 10 of 11: the rule, anywhere
    two_outside = rows("undone", 10, TESTS) + rows("accepted", 2, SRC)
    assert found(two_outside, [TESTS]) == [(IGNORES, TESTS)]  # [0, 0.66] below [0.72, 1]


def test_the_outermost_folder_that_stands_out_is_the_one_suggested() -> None:
    record = (
        rows("undone", 6, TESTS, UNIT) + rows("suppressed", 6, TESTS) + rows("accepted", 5, SRC)
    )
    assert found(record, [TESTS, UNIT]) == [(IGNORES, TESTS)]
    mixed = rows("undone", 10, TESTS, UNIT) + rows("accepted", 10, TESTS) + rows("accepted", 5, SRC)
    assert found(mixed, [TESTS, UNIT]) == [(IGNORES, UNIT)]


def test_a_violation_resolved_by_hand_keeps_the_rule_but_not_the_fix() -> None:
    by_hand = rows("resolved-otherwise", 10, TESTS) + rows("accepted", 5, SRC)
    assert found(by_hand, [TESTS]) == []  # the rule matters there: no per-file ignore
    everywhere = rows("resolved-otherwise", 10) + rows("undone", 2)
    assert found(everywhere) == [(UNFIXABLE, ROOT)]  # but Ruff's fix is never kept


def test_unfixable_needs_ten_outcomes_of_fixes_in_this_project() -> None:
    assert found(rows("not-useful", 9)) == []
    assert found(rows("not-useful", 10)) == [(UNFIXABLE, ROOT)]
    no_fix = rows("suppressed", 20, tier="none")  # silenced, but never offered a fix
    assert found(no_fix) == []
    elsewhere = [Decision("F841", "undone", "unsafe", frozenset({"other"}))] * 20
    assert found(elsewhere) == []  # outcomes of another project


def test_an_unsafe_fix_always_kept_is_suggested_safe_from_sixteen_on() -> None:
    assert found(rows("accepted", 15)) == []
    assert found(rows("accepted", 16)) == [(SAFE, ROOT)]
    assert found(rows("accepted", 23) + rows("undone", 1)) == []
    assert found(rows("accepted", 24) + rows("undone", 1)) == [(SAFE, ROOT)]
    assert found(rows("accepted", 40, tier="safe")) == []  # safe already


def test_the_store_hashes_folders_and_finds_the_same_hashes_again(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    folder = "/home/someone/project/tests/unit"
    store.record(Outcome("F841", "undone", "undo", "review-suggested", "unsafe", {}, folder=folder))
    (decision,) = store.decisions(["F841"])
    hashes = store.folder_hashes(folder)
    assert decision.folders == frozenset(hashes) and len(hashes) == 6  # the folder and 5 above
    assert store.folder_hashes("/home/someone/project")[0] in decision.folders
    assert "someone" not in "".join(str(r) for r in store.outcomes())
    store.answer_suggestion(f"{UNFIXABLE}:F841:{hashes[0]}", "dismissed")
    assert store.suggestion_answers() == {f"{UNFIXABLE}:F841:{hashes[0]}": "dismissed"}
    store.purge()
    assert store.suggestion_answers() == {} and store.decisions(["F841"]) == []


PYPROJECT = """\
[project]
name = "x"   # the name

[tool.ruff.lint]
select = ["F"]  # pyflakes
unfixable = [
  "B",  # bugbear
]

[tool.ruff.lint.per-file-ignores]
"docs/*" = ["E501"]   # docs

[tool.mypy]
strict = true
"""


def write(text: str | None, setting: Setting, name: str = "pyproject.toml") -> str | None:
    done = write_setting(Path(name), text, setting)
    return done.after if done is not None else None


def added_lines(before: str, after: str) -> list[str]:
    """The lines `after` adds; every line of `before` must still be in it, in order."""
    old, new = before.splitlines(), after.splitlines()
    it = iter(new)
    assert all(line in it for line in old), "a line of the file was changed"
    left = list(new)
    for line in old:
        left.remove(line)
    return left


def test_entries_merge_into_the_arrays_and_tables_the_file_has() -> None:
    after = write(PYPROJECT, Setting(UNFIXABLE, "F841"))
    assert after is not None and added_lines(PYPROJECT, after) == ['  "F841",']
    after = write(PYPROJECT, Setting(IGNORES, "F841", "tests/**"))
    assert after is not None and added_lines(PYPROJECT, after) == ['"tests/**" = ["F841"]']
    after = write(PYPROJECT, Setting(SAFE, "F841"))
    assert after is not None and added_lines(PYPROJECT, after) == ['extend-safe-fixes = ["F841"]']
    assert tomllib.loads(after)["tool"]["ruff"]["lint"]["extend-safe-fixes"] == ["F841"]


@pytest.mark.parametrize(
    "setting",
    [
        Setting(UNFIXABLE, "B006"),  # `B` covers it
        Setting(IGNORES, "E501", "docs/*"),
        Setting(IGNORES, "E502", "docs/*"),  # `E501` does not cover E502: written
    ],
)
def test_what_the_file_already_says_is_not_written_twice(setting: Setting) -> None:
    after = write(PYPROJECT, setting)
    if setting.rule == "E502":
        assert after is not None and '"docs/*" = ["E501", "E502"]' in after
    else:
        assert after is None


def test_a_key_kept_at_the_top_level_is_extended_there() -> None:
    text = '[tool.ruff]\nunfixable = ["B"]\n'
    assert write(text, Setting(UNFIXABLE, "F841")) == '[tool.ruff]\nunfixable = ["B", "F841"]\n'


def test_a_file_that_extends_another_adds_to_its_per_file_ignores() -> None:
    after = write('extend = "../ruff.toml"\n', Setting(IGNORES, "F841", "tests/**"), "ruff.toml")
    assert after is not None
    assert tomllib.loads(after)["lint"]["extend-per-file-ignores"] == {"tests/**": ["F841"]}


def test_new_files_and_tables() -> None:
    assert write(None, Setting(UNFIXABLE, "F841"), "ruff.toml") == '[lint]\nunfixable = ["F841"]\n'
    text = "[tool.ruff]\nline-length = 100\n\n[tool.mypy]\nstrict = true\n"
    after = write(text, Setting(UNFIXABLE, "F841"))
    assert after == (
        '[tool.ruff]\nline-length = 100\n\n[tool.ruff.lint]\nunfixable = ["F841"]\n\n'
        "[tool.mypy]\nstrict = true\n"
    )


def test_line_breaks_of_the_file_are_kept() -> None:
    text = '[lint]\r\nselect = ["F"]\r\n'
    after = write(text, Setting(UNFIXABLE, "F841"), "ruff.toml")
    assert after == '[lint]\r\nselect = ["F"]\r\nunfixable = ["F841"]\r\n'


def test_a_file_that_is_not_toml_or_holds_another_type_is_left_alone() -> None:
    with pytest.raises(ConfigUnreadable):
        write("[lint\n", Setting(UNFIXABLE, "F841"), "ruff.toml")
    with pytest.raises(ConfigUnreadable):
        write('[lint]\nunfixable = "F"\n', Setting(UNFIXABLE, "F841"), "ruff.toml")
