"""Facts about one document version that a fix's trust depends on: where code sits, what it is.

Computed once per document version with a single `ast` walk into per-line tables, so that looking
up any violation's location is O(1) — the server asks for dozens per keystroke, the miner for
thousands per repository.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from surefix.features.ruff.edits import split_lines

_COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.TryStar,
    ast.Match,
)
_SCOPES = {ast.FunctionDef: "function", ast.AsyncFunctionDef: "function", ast.ClassDef: "class"}
_NOQA = re.compile(r"#\s*noqa\b", re.IGNORECASE)
_TEST_PART = re.compile(r"(^|/)(tests?|testing)(/|$)|(^|/)test_[^/]*\.py$|_test\.py$|conftest\.py$")


@dataclass(frozen=True)
class Location:
    scope: str  # "module", "function" or "class": the innermost def/class around the line
    nesting: int  # compound statements around the line (def, class, if, for, with, try, ...)


class Document:
    """A parsed view of one text. Tolerates syntax errors: tables then fall back to one line."""

    def __init__(self, text: str, path: str = "untitled.py") -> None:
        self.text = text
        self.path = PurePosixPath(path.replace("\\", "/"))
        # Lines as Python and Ruff count them (a form feed is no break), without the empty
        # one after a final newline, as the mined rows were counted.
        self.lines = split_lines(text)
        if self.lines[-1] == "":
            self.lines.pop()
        n = max(len(self.lines), 1)
        self.statement_start = list(range(n + 1))
        self.statement_end = list(range(n + 1))
        self.nesting = [0] * (n + 1)
        self.scope = ["module"] * (n + 1)
        self.is_import = [False] * (n + 1)
        self.qualname = [""] * (n + 1)
        self.scope_names: set[str] = {""}
        self.parsed = self._index()

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def is_test(self) -> bool:
        return bool(_TEST_PART.search(str(self.path)))

    @property
    def is_init(self) -> bool:
        return self.path.name == "__init__.py"

    def noqa_count(self) -> int:
        return sum(1 for line in self.lines if _NOQA.search(line))

    def location(self, line: int) -> Location:
        i = self._clamp(line)
        return Location(self.scope[i], self.nesting[i])

    def statement_span(self, line: int) -> tuple[int, int]:
        """Lines (inclusive) of the simple statement, or compound-statement header, at `line`."""
        i = self._clamp(line)
        return self.statement_start[i], self.statement_end[i]

    def scope_name_at(self, line: int) -> str:
        """Qualified name of the innermost def/class around `line` ("" at module level)."""
        return self.qualname[self._clamp(line)]

    def _clamp(self, line: int) -> int:
        return min(max(line, 0), len(self.statement_start) - 1)

    def _index(self) -> bool:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(self.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        self._visit(tree.body, nesting=0, scope="module", qualname="")
        return True

    def _visit(self, body: list[ast.stmt], nesting: int, scope: str, qualname: str) -> None:
        for node in body:
            start = node.lineno - 1
            decorators = getattr(node, "decorator_list", None) or []
            if decorators:
                start = min(start, *(d.lineno - 1 for d in decorators))
            end = (node.end_lineno or node.lineno) - 1
            if isinstance(node, _COMPOUND):
                children = _child_bodies(node)
                first = min((c[0].lineno - 1 for c in children if c), default=end + 1)
                header_end = max(start, min(end, first - 1))
                inner_scope = _SCOPES.get(type(node), scope)
                inner_name = qualname
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    inner_name = f"{qualname}.{node.name}" if qualname else node.name
                    self.scope_names.add(inner_name)
                # `else:`, `except:` and blank lines inside are each their own one-line span
                self._assign_lines(start, end, nesting + 1, inner_scope, inner_name)
                self._assign(start, header_end, nesting, scope, qualname, False)
                for child in children:
                    self._visit(child, nesting + 1, inner_scope, inner_name)
            else:
                imports = isinstance(node, ast.Import | ast.ImportFrom)
                self._assign(start, end, nesting, scope, qualname, imports)

    def _assign(
        self, start: int, end: int, nesting: int, scope: str, qualname: str, imports: bool
    ) -> None:
        """Lines `start..end` form one statement (slice assignment: this runs per AST node)."""
        lo, hi = max(start, 0), min(end, len(self.statement_start) - 1) + 1
        if lo >= hi:
            return
        n = hi - lo
        self.statement_start[lo:hi] = [start] * n
        self.statement_end[lo:hi] = [end] * n
        self._fill(lo, hi, nesting, scope, qualname, imports)

    def _assign_lines(self, start: int, end: int, nesting: int, scope: str, qualname: str) -> None:
        """Lines `start..end` each form their own one-line span."""
        lo, hi = max(start, 0), min(end, len(self.statement_start) - 1) + 1
        if lo >= hi:
            return
        self.statement_start[lo:hi] = range(lo, hi)
        self.statement_end[lo:hi] = range(lo, hi)
        self._fill(lo, hi, nesting, scope, qualname, False)

    def _fill(
        self, lo: int, hi: int, nesting: int, scope: str, qualname: str, imports: bool
    ) -> None:
        n = hi - lo
        self.nesting[lo:hi] = [nesting] * n
        self.scope[lo:hi] = [scope] * n
        self.qualname[lo:hi] = [qualname] * n
        self.is_import[lo:hi] = [imports] * n


def _child_bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    bodies: list[list[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        part = getattr(node, name, None)
        if part:
            bodies.append(part)
    for handler in getattr(node, "handlers", None) or []:
        bodies.append(handler.body)
    for case in getattr(node, "cases", None) or []:
        bodies.append(case.body)
    return bodies
