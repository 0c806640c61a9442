"""A notebook's cells as Ruff lints them, against the real `ruff`: which cells it joins, where
each finding is, and what a fix makes of each cell, compared with `ruff check --fix` on the same
`.ipynb` written to disk."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from surefix.features.ruff.findings import Position
from surefix.features.ruff.notebook import CODE, MARKDOWN, RAW, Cells, Joins, is_linted
from surefix.features.ruff.run import RuffOptions, find_ruff, lint_notebook

OPTIONS = RuffOptions(isolated=True, target_version="py311")


def notebook_file(path: Path, cells: Cells) -> Path:
    path.write_text(cells.to_json(), encoding="utf-8")
    return path


def ruff_fixed(path: Path, rule: str) -> tuple[str, ...]:
    """The cells after `ruff check --fix --select RULE` on the file."""
    subprocess.run(
        [find_ruff(), "check", "--isolated", "--no-cache", "--fix", "--unsafe-fixes", "--quiet",
         "--exit-zero", "--target-version", "py311", "--select", rule, str(path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return tuple("".join(c["source"]) for c in json.loads(path.read_text())["cells"])


@pytest.mark.parametrize(
    ("kind", "text", "linted"),
    [
        (CODE, "import os\n", True),
        (CODE, "", True),
        (CODE, "%matplotlib inline\nimport os", True),  # a line magic: Ruff parses it
        (CODE, "%%bash\necho hi", False),  # a cell magic: the cell is not Python
        (CODE, "x = 1\n  %%timeit\n", False),
        (CODE, "pip install ruff", False),  # an automagic
        (MARKDOWN, "import os", False),
        (RAW, "import os", False),
    ],
)
def test_ruff_lints_only_the_python_code_cells(kind: str, text: str, linted: bool) -> None:
    assert is_linted(kind, text) is linted


def test_findings_are_placed_in_the_joined_cells_as_ruff_counts_their_lines(
    tmp_path: Path,
) -> None:
    cells = Cells(
        (CODE, MARKDOWN, CODE, CODE, RAW, CODE),
        ("import os\n", "# hi", "%%bash\nls", "x = 1\nimport sys", "raw", 'print("😀", x)   '),
    )
    assert cells.linted == (0, 3, 5)
    assert cells.text == 'import os\n\nx = 1\nimport sys\nprint("😀", x)   \n'
    options = RuffOptions(isolated=True, select=("F401", "W291"))
    result = lint_notebook(cells, str(tmp_path / "n.ipynb"), options)
    found = {(v.rule, v.start, cells.locate(v.start)) for v in result.violations}
    spaces = len('print("😀", x)')  # in code points, the emoji one of them
    assert found == {
        ("F401", Position(0, 7), (0, Position(0, 7))),
        ("F401", Position(3, 7), (3, Position(1, 7))),
        ("W291", Position(4, spaces), (5, Position(0, spaces))),
    }


@pytest.mark.parametrize(
    ("cells", "rule"),
    [
        pytest.param(("import os", "x = 1"), "F401", id="a-cells-only-line"),
        pytest.param(("x = 1\nimport os", "y = 2"), "F401", id="the-last-line-and-its-break"),
        pytest.param(("import os\n\n\n\n",), "F401", id="one-cell"),
        pytest.param(("import sys\nimport os\n", "print(os, sys)"), "I001", id="sorting"),
        pytest.param(
            ("import os\n", "from datetime import timezone\n", "print(timezone.utc)"),
            "UP017",
            id="an-edit-in-another-cell",
        ),
        pytest.param(("import os", "exit(0)"), "PLR1722", id="an-import-at-a-cell-start"),
        pytest.param(("x = 1", "import os\n", "exit(0)"), "PLR1722", id="after-a-cell-end"),
    ],
)
def test_a_fix_makes_of_each_cell_what_ruff_fix_makes(
    tmp_path: Path, cells: tuple[str, ...], rule: str
) -> None:
    notebook = Cells((CODE, MARKDOWN, *[CODE] * (len(cells) - 1)), (cells[0], "# t", *cells[1:]))
    path = notebook_file(tmp_path / "n.ipynb", notebook)
    options = RuffOptions(isolated=True, target_version="py311", select=(rule,))
    (fixable,) = [v for v in lint_notebook(notebook, str(path), options).violations if v.fix]
    assert fixable.fix is not None
    assert notebook.apply(fixable.fix.edits).texts == ruff_fixed(path, rule)


def test_a_fix_loop_keeps_the_cells_of_every_text_it_made(tmp_path: Path) -> None:
    cells = Cells((CODE, CODE), ("import os\nimport sys\n", "print(sys)"))
    joins = Joins(cells)
    (f401,) = lint_notebook(cells, str(tmp_path / "n.ipynb"), OPTIONS).violations
    assert f401.fix is not None
    text = joins.apply(cells.text, f401.fix.edits)
    assert joins.cells(text).texts == ("import sys\n", "print(sys)")


def test_a_notebook_without_python_is_not_run_through_ruff(tmp_path: Path) -> None:
    cells = Cells((MARKDOWN, CODE), ("# only words", "%%bash\nls"))
    missing = RuffOptions(executable=str(tmp_path / "no-ruff-here"))
    assert lint_notebook(cells, str(tmp_path / "n.ipynb"), missing).violations == ()


def test_the_json_is_a_notebook_ruff_reads_from_a_file_too(tmp_path: Path) -> None:
    cells = Cells((CODE, MARKDOWN), ("import os", "text"))
    path = notebook_file(tmp_path / "n.ipynb", cells)
    out = subprocess.run(
        [find_ruff(), "check", "--isolated", "--no-cache", "--output-format", "json",
         "--exit-zero", "--select", "F401", str(path)],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    (finding,) = json.loads(out.stdout)
    assert finding["cell"] == 1 and finding["code"] == "F401"
