"""Facts about one document version that a fix's trust depends on: where code sits, what it is.

One `ast.parse` per document version. The server asks where a few dozen lines sit (`location`,
`import_at`): each is found by descending the tree, a binary search per level, so a fix-all
round on a long file does not walk every node. The miner asks about thousands of lines and about
statement spans: the per-line tables are built by one walk, on first use, and answer in O(1).
Both give the same answers (`tests/unit/test_document.py` checks every line of real modules).
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from dataclasses import dataclass
from functools import cached_property
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
        self._body: list[ast.stmt] = []
        self._starts: dict[int, list[int]] = {}  # id(body) -> each statement's first line
        self.parsed = self._parse()

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
        nesting, scope, _, _ = self._find(self._clamp(line))
        return Location(scope, nesting)

    def import_at(self, line: int) -> bool:
        """Whether `line` is part of an import statement."""
        return self._find(self._clamp(line))[3]

    def statement_span(self, line: int) -> tuple[int, int]:
        """Lines (inclusive) of the simple statement, or compound-statement header, at `line`."""
        i = self._clamp(line)
        return self._tables.statement_start[i], self._tables.statement_end[i]

    def scope_name_at(self, line: int) -> str:
        """Qualified name of the innermost def/class around `line` ("" at module level)."""
        return self._tables.qualname[self._clamp(line)]

    @property
    def is_import(self) -> list[bool]:
        return self._tables.is_import

    @property
    def scope_names(self) -> set[str]:
        return self._tables.scope_names

    def _clamp(self, line: int) -> int:
        return min(max(line, 0), max(len(self.lines), 1))

    def _parse(self) -> bool:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._body = ast.parse(self.text).body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        return True

    def _find(self, i: int) -> tuple[int, str, str, bool]:
        """(nesting, scope, qualname, is_import) of line `i`, as `_Tables` would have it: the
        innermost statement containing it decides; inside a compound statement, its header
        lines belong to the outside and the rest (blank lines, `else:`) to the inside."""
        body, found = self._body, (0, "module", "", False)
        while True:
            node = self._containing(body, i)
            if node is None:
                return found
            nesting, scope, qualname, _ = found
            if not isinstance(node, _COMPOUND):
                return nesting, scope, qualname, isinstance(node, ast.Import | ast.ImportFrom)
            start, end = _span(node)
            children = _child_bodies(node)
            inner = (
                nesting + 1,
                _SCOPES.get(type(node), scope),
                _inner_name(node, qualname),
                False,
            )
            inside = next((c for c in children if self._containing(c, i) is not None), None)
            if inside is not None:
                body, found = inside, inner
                continue
            first = min((c[0].lineno - 1 for c in children if c), default=end + 1)
            if i <= max(start, min(end, first - 1)):
                return nesting, scope, qualname, False
            return inner

    def _containing(self, body: list[ast.stmt], i: int) -> ast.stmt | None:
        """The last statement of `body` whose lines include `i` (siblings do not overlap; of
        two on one line, the later one, as the tables' walk leaves it)."""
        starts = self._starts.get(id(body))
        if starts is None:
            starts = self._starts[id(body)] = [_span(node)[0] for node in body]
        at = bisect.bisect_right(starts, i) - 1
        if at < 0 or _span(body[at])[1] < i:
            return None
        return body[at]

    @cached_property
    def _tables(self) -> _Tables:
        return _Tables(self)


def _span(node: ast.stmt) -> tuple[int, int]:
    """A statement's first line (its decorators included) and last line, 0-based."""
    start = node.lineno - 1
    decorators = getattr(node, "decorator_list", None) or []
    if decorators:
        start = min(start, *(d.lineno - 1 for d in decorators))
    return start, (node.end_lineno or node.lineno) - 1


def _inner_name(node: ast.stmt, qualname: str) -> str:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return f"{qualname}.{node.name}" if qualname else node.name
    return qualname


class _Tables:
    """Every line's statement span, nesting, scope, qualified name and import flag, from one
    walk of the whole tree: what the miner asks of thousands of lines."""

    def __init__(self, doc: Document) -> None:
        n = max(len(doc.lines), 1)
        self.statement_start = list(range(n + 1))
        self.statement_end = list(range(n + 1))
        self.nesting = [0] * (n + 1)
        self.scope = ["module"] * (n + 1)
        self.is_import = [False] * (n + 1)
        self.qualname = [""] * (n + 1)
        self.scope_names: set[str] = {""}
        self._visit(doc._body, nesting=0, scope="module", qualname="")

    def _visit(self, body: list[ast.stmt], nesting: int, scope: str, qualname: str) -> None:
        for node in body:
            start, end = _span(node)
            if isinstance(node, _COMPOUND):
                children = _child_bodies(node)
                first = min((c[0].lineno - 1 for c in children if c), default=end + 1)
                header_end = max(start, min(end, first - 1))
                inner_scope = _SCOPES.get(type(node), scope)
                inner_name = _inner_name(node, qualname)
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
