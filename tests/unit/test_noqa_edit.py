"""`# noqa` edits, as a table: added, merged into an existing directive, or not needed."""

from __future__ import annotations

import pytest

from surefix.features.ruff.edits import apply_edits
from surefix.features.ruff.findings import Position, Violation
from surefix.features.ruff.noqa import noqa_edit


def violation(rule: str, line: int = 0, noqa_line: int | None = None) -> Violation:
    return Violation(rule, "", "", Position(line, 0), Position(line, 1), None, noqa_line)


@pytest.mark.parametrize(
    ("text", "rule", "expected"),
    [
        ("import os\n", "F401", "import os  # noqa: F401\n"),
        ("import os   \n", "F401", "import os  # noqa: F401\n"),
        ("import os\r\n", "F401", "import os  # noqa: F401\r\n"),
        ("import os", "F401", "import os  # noqa: F401"),
        ("x = 1  # why\n", "E501", "x = 1  # why  # noqa: E501\n"),
        ("x = 1  # noqa: E501\n", "F401", "x = 1  # noqa: E501, F401\n"),
        ("x = 1  # NOQA:E501 W291\n", "F401", "x = 1  # noqa: E501, W291, F401\n"),
        ("x = 1  # noqa: E501 -- reason\n", "F401", "x = 1  # noqa: E501, F401 -- reason\n"),
    ],
)
def test_directive_is_added_or_merged(text: str, rule: str, expected: str) -> None:
    edit = noqa_edit(text, violation(rule))
    assert edit is not None
    assert apply_edits(text, [edit]) == expected


@pytest.mark.parametrize(
    ("text", "rule"),
    [("import os  # noqa\n", "F401"), ("import os  # noqa: F401\n", "F401")],
)
def test_nothing_to_add_when_the_rule_is_already_silenced(text: str, rule: str) -> None:
    assert noqa_edit(text, violation(rule)) is None


def test_the_directive_goes_on_ruffs_noqa_line() -> None:
    text = 'x = """\n  a \n"""\n'
    edit = noqa_edit(text, violation("W291", line=1, noqa_line=2))
    assert edit is not None
    assert apply_edits(text, [edit]) == 'x = """\n  a \n"""  # noqa: W291\n'


def test_a_noqa_inside_a_string_is_not_a_directive() -> None:
    text = 'x = "# noqa: E501"; import os\n'
    edit = noqa_edit(text, violation("F401"))
    assert edit is not None
    assert apply_edits(text, [edit]) == 'x = "# noqa: E501"; import os  # noqa: F401\n'


def test_comments_tokenize_only_for_a_line_that_says_noqa() -> None:
    from surefix.features.ruff.noqa import Comments, comment_columns

    text = 'x = 1  # a comment\ns = "# noqa: E501"\ny = 2  # NOQA: F401\n'
    comments = Comments(text)
    assert comments.get(0) is None  # a comment, but no directive can be in it
    assert comments._columns is None  # and nothing was tokenized for it
    assert comments.get(1) is None  # "noqa" inside a string: no comment on the line
    assert comments.get(2) == comment_columns(text)[2] == text.split("\n")[2].index("#")
