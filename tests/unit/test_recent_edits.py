"""Lines the user typed, as the autopilot's guard sees them."""

from __future__ import annotations

from surefix.features.ruff.edits import changed_lines
from surefix.server.lsp.recent import RecentEdits


def test_changed_lines_are_what_lies_between_the_common_ends() -> None:
    old = ["import os", "", "x = 1"]
    assert changed_lines(old, ["import os", "import sys", "", "x = 1"]) == ["import sys"]
    assert changed_lines(old, ["import os", "", "x = 12"]) == ["x = 12"]
    assert changed_lines(old, ["import os", "x = 1"]) == []  # a deletion types nothing
    assert changed_lines(old, old) == []


def test_typed_lines_are_kept_by_text_for_the_window_and_the_servers_own_text_is_not() -> None:
    recent = RecentEdits(window=600)
    recent.opened("u", "x = 1\n")
    assert recent.typed("u") == frozenset()  # what the file held when opened was not typed now
    recent.changed("u", "import os\nx = 1\n")
    assert recent.typed("u") == {"import os"}
    recent.changed("u", "import os\nx = 1\ny = 2\n", typed=False)  # fix-all's own result
    assert recent.typed("u") == {"import os"}
    recent.window = 0
    assert recent.typed("u") == frozenset()
