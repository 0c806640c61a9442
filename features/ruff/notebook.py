"""A notebook as Ruff lints it: its cells joined into one text, and positions both ways.

Ruff reads a notebook's JSON, joins the code cells it can parse with a newline after each, lints
that one text, and reports each finding relative to its cell. Everything surefix knows about a
fix (its features, its score, the autopilot's rounds) is computed on that joined text, exactly as
for a file; only the editor's edge goes back to cells. The join follows Ruff's own
(`ruff_notebook`): markdown and raw cells are left out, and so is a code cell Ruff will not parse,
one holding a cell magic (`%%bash`) or starting with an automagic (`pip install x`), so the lines
here are the lines Ruff counts.

The join cannot be split back by its text alone (a separator is a newline like any other), so
edits are applied to cells as `ruff check --fix` applies them (`Cells.apply`), and the editor is
sent, per cell, what changed in it.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from surefix.features.ruff.edits import LineIndex, split_lines
from surefix.features.ruff.findings import Edit, Position

CODE, MARKDOWN, RAW = "code", "markdown", "raw"
KINDS = (CODE, MARKDOWN, RAW)
NOTEBOOK_SUFFIX = ".ipynb"

# Line magics IPython runs without a `%` (automagic): a cell starting with one is not Python,
# and Ruff leaves the whole cell out (`ruff_notebook::Cell::is_magic_cell`).
# fmt: off
AUTOMAGICS = frozenset(
    (
        "alias", "alias_magic", "autoawait", "autocall", "automagic", "bookmark", "cd",
        "code_wrap", "colors", "conda", "config", "debug", "dhist", "dirs", "doctest_mode", "edit",
        "env", "gui", "history", "killbgscripts", "load", "load_ext", "loadpy", "logoff", "logon",
        "logstart", "logstate", "logstop", "lsmagic", "macro", "magic", "mamba", "matplotlib",
        "micromamba", "notebook", "page", "pastebin", "pdb", "pdef", "pdoc", "pfile", "pinfo",
        "pinfo2", "pip", "popd", "pprint", "precision", "prun", "psearch", "psource", "pushd",
        "pwd", "pycat", "pylab", "quickref", "recall", "rehashx", "reload_ext", "rerun", "reset",
        "reset_selective", "run", "save", "sc", "set_env", "sx", "system", "tb", "time", "timeit",
        "unalias", "unload_ext", "who", "who_ls", "whos", "xdel", "xmode",
    )
)
# fmt: on


def is_linted(kind: str, text: str) -> bool:
    """Whether Ruff lints a cell: a code cell whose first word is no automagic and that holds no
    cell magic (a line starting `%%`), the test `ruff_notebook` applies."""
    if kind != CODE:
        return False
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()  # Rust's `str::lines` yields no empty line after a final newline
    words = lines[0].split() if lines else []
    if words and words[0] in AUTOMAGICS:
        return False
    return not any(line.lstrip().startswith("%%") for line in lines)


@dataclass(frozen=True)
class Cells:
    """A notebook's cells in order — kind (`code`, `markdown`, `raw`) and text — with the text
    Ruff lints (`text`) and the conversions between its positions and the cells'."""

    kinds: tuple[str, ...]
    texts: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.kinds) != len(self.texts):
            raise ValueError("a kind for every cell")
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown cell kinds {sorted(unknown)}")

    @cached_property
    def linted(self) -> tuple[int, ...]:
        """The cells Ruff lints, by index, in order."""
        return tuple(
            i
            for i, (k, s) in enumerate(zip(self.kinds, self.texts, strict=True))
            if is_linted(k, s)
        )

    @cached_property
    def text(self) -> str:
        """The linted cells joined as Ruff joins them: a newline after each."""
        return "".join(self.texts[i] + "\n" for i in self.linted)

    @cached_property
    def _first_lines(self) -> list[int]:
        """The joined line each linted cell starts on."""
        firsts, line = [], 0
        for i in self.linted:
            firsts.append(line)
            line += len(split_lines(self.texts[i]))
        return firsts

    @cached_property
    def _slots(self) -> dict[int, int]:
        return {cell: k for k, cell in enumerate(self.linted)}

    @cached_property
    def _cell_lines(self) -> dict[int, list[str]]:
        return {i: split_lines(self.texts[i]) for i in self.linted}

    def to_json(self) -> str:
        """The notebook as nbformat 4 JSON with nothing but the cells' kinds and sources: what
        `ruff check --stdin-filename x.ipynb -` reads."""
        cells = []
        for kind, source in zip(self.kinds, self.texts, strict=True):
            cell: dict[str, object] = {"cell_type": kind, "metadata": {}, "source": source}
            if kind == CODE:
                cell |= {"execution_count": None, "outputs": []}
            cells.append(cell)
        notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        return json.dumps(notebook, ensure_ascii=False)

    def locate(self, pos: Position) -> tuple[int, Position]:
        """The cell (by index) a position of `text` is in, and the position within it. The
        line after the last cell (the join's final newline) is the end of the last cell."""
        if not self.linted:
            raise ValueError("no cell is linted")
        k = max(bisect.bisect_right(self._first_lines, pos.line) - 1, 0)
        cell = self.linted[k]
        lines = self._cell_lines[cell]
        line = pos.line - self._first_lines[k]
        if line >= len(lines):
            return cell, Position(len(lines) - 1, len(lines[-1]))
        return cell, Position(max(line, 0), min(pos.column, len(lines[max(line, 0)])))

    def joined(self, cell: int, pos: Position) -> Position:
        """A position within a linted cell as a position of `text` (clamped to the cell)."""
        k = self._slots.get(cell)
        if k is None:
            raise ValueError(f"cell {cell} is not linted")
        lines = self._cell_lines[cell]
        line = min(max(pos.line, 0), len(lines) - 1)
        return Position(self._first_lines[k] + line, min(max(pos.column, 0), len(lines[line])))

    def end_of(self, cell: int) -> Position:
        lines = self._cell_lines[cell]
        return self.joined(cell, Position(len(lines) - 1, len(lines[-1])))

    def clamped(self, start: Position, end: Position) -> Position:
        """`end`, or the end of `start`'s cell if it lies beyond: a range the editor shows
        lies in one cell."""
        cell, _ = self.locate(start)
        return min(end, self.end_of(cell))

    def apply(self, edits: Iterable[Edit]) -> Cells:
        """The notebook after `edits` (non-overlapping, in positions of `text`), as `ruff check
        --fix` (0.15.19 and later) writes it: the edits go into the joined text, each bound
        between cells moves with the nearest edit boundary at or before it (the first of those
        at the bound itself, which is also the next cell's start: text inserted there joins the
        next cell), and each cell loses the newline the join gave it. An edit that deletes a
        cell's last line with the newline after it thus takes the line break before it, where a
        cut at the cell's end would leave an empty line behind."""
        index = LineIndex(self.text)
        spans = sorted(
            ((index.offset(e.start), index.offset(e.end), e.content) for e in edits),
            key=lambda span: span[:2],
        )
        out: list[str] = []
        sources: list[int] = []  # Ruff's source map: (offset before, offset after) per bound
        dests: list[int] = []
        cursor = length = 0
        for start, end, content in spans:
            if start < cursor:
                raise ValueError("overlapping edits")
            out.append(self.text[cursor:start])
            length += start - cursor
            sources.append(start)
            dests.append(length)
            out.append(content)
            length += len(content)
            sources.append(end)
            dests.append(length)
            cursor = end
        out.append(self.text[cursor:])
        fixed = "".join(out)
        bounds, offset = [0], 0
        for n, cell in enumerate(self.linted, 1):
            offset += len(self.texts[cell]) + 1
            k = bisect.bisect_right(sources, offset) - 1
            if k >= 0 and sources[k] == offset and n < len(self.linted):
                k = bisect.bisect_left(sources, offset)  # also the next cell's start: its first
            bounds.append(offset + (dests[k] - sources[k]) if k >= 0 else offset)
        texts = list(self.texts)
        for k, cell in enumerate(self.linted):
            texts[cell] = fixed[bounds[k] : bounds[k + 1]].removesuffix("\n")
        return Cells(self.kinds, tuple(texts))


class Joins:
    """The cells of every joined text one fix-all run made from a notebook: the run's rounds
    see texts, and each must be linted again as the cells it stands for."""

    def __init__(self, cells: Cells) -> None:
        self._cells = {cells.text: cells}

    def apply(self, text: str, edits: Iterable[Edit]) -> str:
        after = self._cells[text].apply(edits)
        self._cells.setdefault(after.text, after)
        return after.text

    def cells(self, text: str) -> Cells:
        return self._cells[text]
