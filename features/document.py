"""Facts about one document version that a fix's trust depends on: where code sits, what it is.

One `ast.parse` per document version, kept only as its statements (`Statement`: lines, kind,
bodies; expressions are dropped at once). The server asks where a few dozen lines sit
(`location`, `import_at`): each is found by descending that tree, a binary search per level, so
a fix-all round on a long file does not walk every node. The miner asks about thousands of lines
and about statement spans: the per-line tables are built by one walk, on first use, and answer in
O(1). Both give the same answers (`tests/unit/test_document.py` checks every line of real
modules).

A fix-all round changes a few statements of a long file, and parsing all of it again was most
of what a round cost. `Document.edited` parses again only the statements a round's edits touch,
each on its own, and keeps the rest of the tree with its lines moved: the same tree a whole
parse gives, or — wherever that cannot be made sure of — a whole parse.
"""

from __future__ import annotations

import ast
import bisect
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from pathlib import PurePosixPath
from typing import NamedTuple

from surefix.features.ruff.edits import NEWLINE, LineIndex, common_ends, split_lines
from surefix.features.ruff.findings import Edit, Position

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
_KINDS: dict[type[ast.stmt], str] = {kind: _SCOPES.get(kind, "compound") for kind in _COMPOUND}
_IMPORTS = (ast.Import, ast.ImportFrom)
_NOQA = re.compile(r"#\s*noqa\b", re.IGNORECASE)
_TEST_PART = re.compile(r"(^|/)(tests?|testing)(/|$)|(^|/)test_[^/]*\.py$|_test\.py$|conftest\.py$")
_INDENT = re.compile(r"[ \t\f]*")

SIMPLE, IMPORT, COMPOUND = "simple", "import", "compound"  # with "function" and "class"


@dataclass(frozen=True)
class Location:
    scope: str  # "module", "function" or "class": the innermost def/class around the line
    nesting: int  # compound statements around the line (def, class, if, for, with, try, ...)


class Statement(NamedTuple):
    """One statement, as much of it as where-is-this-line answers need (0-based lines). A
    tuple: a long file has thousands, and every parse builds them all."""

    start: int  # its first line, decorators included
    line: int  # the line of its keyword (a decorated def's `def`)
    end: int
    col: int  # where it starts on `line`, in UTF-8 bytes, as `ast` counts
    kind: str  # SIMPLE, IMPORT, COMPOUND, "function" or "class"
    name: str = ""  # a def's or class's
    bodies: tuple[tuple[Statement, ...], ...] = ()  # a compound statement's, in `_bodies` order

    @property
    def compound(self) -> bool:
        return bool(self.bodies)

    @property
    def scope(self) -> str | None:
        return self.kind if self.kind in _SCOPE_KINDS else None

    @property
    def first_child_line(self) -> int:
        """Where its header ends: the keyword line of its first statement inside (any body)."""
        return min((body[0].line for body in self.bodies), default=self.end + 1)

    def inner_name(self, qualname: str) -> str:
        if self.kind in _SCOPE_KINDS:
            return f"{qualname}.{self.name}" if qualname else self.name
        return qualname

    def shifted(self, by: int) -> Statement:
        """The same statement `by` lines further down."""
        if not by:
            return self
        return Statement(
            self.start + by,
            self.line + by,
            self.end + by,
            self.col,
            self.kind,
            self.name,
            tuple(tuple(s.shifted(by) for s in body) for body in self.bodies),
        )


_SCOPE_KINDS = frozenset(_SCOPES.values())
Body = tuple[Statement, ...]


class Document:
    """A parsed view of one text. Tolerates syntax errors: tables then fall back to one line."""

    def __init__(self, text: str, path: str = "untitled.py") -> None:
        self._setup(text, PurePosixPath(path.replace("\\", "/")), split_lines(text))
        self._body: Body = ()
        self.parsed = self._parse()

    def _setup(self, text: str, path: PurePosixPath, raw: list[str]) -> None:
        self.text = text
        self.path = path
        self._raw = raw  # every line, the empty one after a final newline included
        # Lines as Python and Ruff count them (a form feed is no break), without the empty
        # one after a final newline, as the mined rows were counted.
        self.lines = raw[:-1] if raw[-1] == "" else raw
        self._starts: dict[int, list[int]] = {}  # id(body) -> each statement's first line

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
        if not _NOQA.search(self.text):  # most files: one scan, no walk over their lines
            return 0
        return sum(1 for line in self.lines if _NOQA.search(line))

    def location(self, line: int) -> Location:
        nesting, scope, _, _ = self._find(self._clamp(line))
        return Location(scope, nesting)

    def import_at(self, line: int) -> bool:
        """Whether `line` is part of an import statement."""
        return self._find(self._clamp(line))[3]

    def import_between(self, first: int, last: int) -> bool:
        """Whether any line `first..last` is part of an import statement: `import_at` of each,
        asked only of the lines of the imports the range meets, so a fix that re-indents a
        long block does not descend the tree once per line."""
        first, last = self._clamp(first), self._clamp(last)
        for node in self._imports_meeting(self._body, first, last):
            lines = range(max(first, node.start), min(last, node.end) + 1)
            if any(self.import_at(line) for line in lines):
                return True
        return False

    @cached_property
    def index(self) -> LineIndex:
        """Offsets of this text's positions: scoring and a fix-all round's edits both need them."""
        return LineIndex(self.text)

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

    @staticmethod
    def recent(text: str, path: str) -> Document | None:
        """The document of this very string, if one of the last few `remember`ed is."""
        return _RECENT.get(text, PurePosixPath(path.replace("\\", "/")))

    def remember(self) -> Document:
        """Keep this document among the last few parsed: a fix-all asked for just after an
        analysis starts from that analysis's parse instead of parsing the text again."""
        _RECENT.put(self)
        return self

    def edited(self, text: str, edits: Sequence[Edit]) -> Document:
        """This document once `edits` (positions in this text) have made it `text`, as
        `Document(text, path)` would have it, parsing again only what the edits touch."""
        return self._edited(text, split_lines(text), edits)

    def revised(self, text: str) -> Document:
        """This document once edited into `text`, wherever that was: the lines between the
        ones both texts begin and end with are the edit (`edited`). The editor's next version
        of a file is most often one such edit, and a whole parse of a long file is the
        largest part of scoring its fixes."""
        if text == self.text:  # a re-score: the same text, perhaps held by another string
            return self if text is self.text else self._with(text, self._raw, self._body)
        raw = split_lines(text)
        start, end_old, end_new = common_ends(self._raw, raw)
        content = "".join(f"{line}\n" for line in raw[start:end_new])
        return self._edited(text, raw, [Edit(Position(start, 0), Position(end_old, 0), content)])

    def _edited(self, text: str, raw: list[str], edits: Sequence[Edit]) -> Document:
        body = _Rebuild(self, raw, edits).body() if self.parsed else None
        if body is None:
            return Document(text, str(self.path))
        return self._with(text, raw, body)

    def _with(self, text: str, raw: list[str], body: Body) -> Document:
        """A document of `text` (split: `raw`) at this one's path, its statements `body`."""
        doc = Document.__new__(Document)
        doc._setup(text, self.path, raw)
        doc._body, doc.parsed = body, self.parsed
        return doc

    def _clamp(self, line: int) -> int:
        return min(max(line, 0), max(len(self.lines), 1))

    def _parse(self) -> bool:
        body = parse_statements(self.text, 0)
        if body is None:
            return False
        self._body = body
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
            if not node.compound:
                return nesting, scope, qualname, node.kind == IMPORT
            inner = (nesting + 1, node.scope or scope, node.inner_name(qualname), False)
            inside = next((c for c in node.bodies if self._containing(c, i) is not None), None)
            if inside is not None:
                body, found = inside, inner
                continue
            if i <= max(node.start, min(node.end, node.first_child_line - 1)):
                return nesting, scope, qualname, False
            return inner

    def _imports_meeting(self, body: Body, first: int, last: int) -> Iterator[Statement]:
        """The import statements of `body`, at any depth, with a line in `first..last`."""
        for node in body[max(bisect.bisect_right(self._starts_of(body), first) - 1, 0) :]:
            if node.start > last:
                return
            if node.end < first:
                continue
            if node.kind == IMPORT:
                yield node
            for inner in node.bodies:
                yield from self._imports_meeting(inner, first, last)

    def _starts_of(self, body: Body) -> list[int]:
        starts = self._starts.get(id(body))
        if starts is None:
            starts = self._starts[id(body)] = [node.start for node in body]
        return starts

    def _containing(self, body: Body, i: int) -> Statement | None:
        """The last statement of `body` whose lines include `i` (siblings do not overlap; of
        two on one line, the later one, as the tables' walk leaves it)."""
        at = bisect.bisect_right(self._starts_of(body), i) - 1
        if at < 0 or body[at].end < i:
            return None
        return body[at]

    @cached_property
    def _tables(self) -> _Tables:
        return _Tables(self)


class _Recent:
    """The last few documents remembered, by the identity of their text (which each holds, so
    no other string can take its place)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._documents: OrderedDict[int, Document] = OrderedDict()
        self._lock = threading.Lock()  # analyses run on two threads

    def get(self, text: str, path: PurePosixPath) -> Document | None:
        with self._lock:
            found = self._documents.get(id(text))
        return found if found is not None and found.text is text and found.path == path else None

    def put(self, document: Document) -> None:
        with self._lock:
            self._documents[id(document.text)] = document
            self._documents.move_to_end(id(document.text))
            while len(self._documents) > self._size:
                self._documents.popitem(last=False)


_RECENT = _Recent(4)


def parse_statements(text: str, offset: int) -> Body | None:
    """`text`'s statements, their lines `offset` further down; None if it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nodes = ast.parse(text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return _statements(nodes, offset)


def _statements(nodes: list[ast.stmt], offset: int) -> Body:
    return tuple(_statement(node, offset) for node in nodes)


def _statement(node: ast.stmt, offset: int) -> Statement:
    line = node.lineno - 1 + offset
    end = (node.end_lineno or node.lineno) - 1 + offset
    kind = _KINDS.get(type(node))
    if kind is None:  # a simple statement: most of them, so the quick way
        simple = IMPORT if type(node) in _IMPORTS else SIMPLE
        return Statement(line, line, end, node.col_offset, simple)
    start = line
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        start = min(line, *(d.lineno - 1 + offset for d in decorators))
    name = getattr(node, "name", "") if kind != COMPOUND else ""
    bodies = tuple(_statements(body, offset) for body in _bodies(node))
    return Statement(start, line, end, node.col_offset, kind, name, bodies)


def _bodies(node: ast.stmt) -> list[list[ast.stmt]]:
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


@dataclass(frozen=True)
class _Region:
    """Old lines `first..last` (inclusive) became `lines` lines; everything around them is as
    it was."""

    first: int
    last: int
    lines: int

    @property
    def delta(self) -> int:
        return self.lines - (self.last - self.first + 1)


class _Rebuild:
    """The statements of a text an edit made from a parsed one, sharing what the edits left.

    A statement the edits do not touch is kept, moved by the lines added above it. A compound
    statement they touch only inside one of its bodies keeps its header and is rebuilt body by
    body. Anything else they touch — a header, a `case` or `else:` line, several neighbours,
    the lines between statements — is a piece, parsed again on its own: at module level as it
    is, deeper behind an `if 1:` line, and kept only if it is what a whole parse would find
    there (its lines alone, at the indentation of the statements around it). A piece that is
    not is taken up to the statement around it; at module level that is a whole parse. So the
    text outside the edits must be exactly the old text: if it is not, all of it is parsed.
    """

    def __init__(self, doc: Document, raw: list[str], edits: Sequence[Edit]) -> None:
        self.old, self.new = doc._raw, raw
        self.regions = _regions(edits, len(self.old))
        self._ends = [r.last for r in self.regions]
        self._shift = [0, *accumulate(r.delta for r in self.regions)]
        self._doc = doc

    def body(self) -> Body | None:
        if not self.regions or not self._outside_unchanged():
            return None
        return self._body(self._doc._body, self.regions, nested=False)

    def _outside_unchanged(self) -> bool:
        old, new, at = self.old, self.new, 0
        for region, shift in zip(self.regions, self._shift, strict=False):
            if old[at : region.first] != new[at + shift : region.first + shift]:
                return False
            at = region.last + 1
        shift = self._shift[-1]
        return len(new) == len(old) + shift and old[at:] == new[at + shift :]

    def moved(self, line: int) -> int:
        """How far the edits move the old line `line`, which no edit touched."""
        return self._shift[bisect.bisect_left(self._ends, line)]

    def _body(self, body: Body, regions: Sequence[_Region], nested: bool) -> Body | None:
        out: list[Statement] = []
        kept = 0
        for lo, hi, first, last, inside in self._pieces(body, regions):
            out += (s.shifted(self.moved(s.start)) for s in body[kept:lo])
            kept = hi
            if hi - lo == 1 and body[lo].compound:
                rebuilt = self._compound(body[lo], inside, body, nested)
                if rebuilt is not None:
                    out.append(rebuilt)
                    continue
            parsed = self._piece(body, lo, hi, first, last, inside, nested)
            if parsed is None:
                return None
            out += parsed
        out += (s.shifted(self.moved(s.start)) for s in body[kept:])
        return tuple(out)

    def _pieces(
        self, body: Body, regions: Sequence[_Region]
    ) -> list[tuple[int, int, int, int, list[_Region]]]:
        """The statements of `body` the regions touch, as runs `lo..hi` (exclusive) with the old
        lines they cover and their regions; a run takes in a neighbour that shares a line."""
        starts = [s.start for s in body]
        ends = [s.end for s in body]
        pieces: list[tuple[int, int, int, int, list[_Region]]] = []
        for region in regions:
            first, last, inside = region.first, region.last, [region]
            while True:
                lo = bisect.bisect_left(ends, first)
                hi = bisect.bisect_right(starts, last)
                if lo < hi:
                    grown = min(first, body[lo].start), max(last, body[hi - 1].end)
                    if grown != (first, last):
                        first, last = grown
                        continue
                if pieces and (pieces[-1][3] >= first or pieces[-1][1] > lo):
                    _, _, before_first, before_last, before = pieces.pop()
                    first, last = min(first, before_first), max(last, before_last)
                    inside = [*before, *inside]
                    continue
                break
            pieces.append((lo, hi, first, last, inside))
        return pieces

    def _compound(
        self, node: Statement, regions: list[_Region], around: Body, nested: bool
    ) -> Statement | None:
        """`node` (a statement of `around`) rebuilt body by body, if every region lies inside
        one of its bodies or in its header (a class's `(object)`: parsed again with a stand-in
        body, so a class of thousands of lines is not parsed again for its first line)."""
        spans = [(body[0].start, body[-1].end) for body in node.bodies]
        head_end = min(a for a, _ in spans) - 1
        head = [r for r in regions if node.start <= r.first and r.last <= head_end]
        rest = [r for r in regions if not (node.start <= r.first and r.last <= head_end)]
        if not all(any(a <= r.first and r.last <= b for a, b in spans) for r in rest):
            return None
        header = _INDENT.match(self.old[node.line]).group()  # type: ignore[union-attr]
        bodies = []
        for body, (a, b) in zip(node.bodies, spans, strict=True):
            inside = [r for r in rest if a <= r.first and r.last <= b]
            if inside and not self._indented(body, header):
                return None  # an `elif`: its `if` is no block of its own, an edit may end it
            rebuilt = self._body(body, inside, nested=True) if inside else body
            if rebuilt is None:
                return None
            bodies.append(rebuilt if inside else _moved(body, self.moved(body[0].start)))
        by = self.moved(node.start)
        end = node.end + by + sum(r.delta for r in regions)
        if not head:
            return node._replace(start=node.start + by, line=node.line + by, end=end,
                                 bodies=tuple(bodies))  # fmt: skip
        new = self._header(node, head, head_end, around, nested, header)
        if new is None:
            return None
        return new._replace(end=end, bodies=tuple(bodies))

    def _header(
        self,
        node: Statement,
        regions: list[_Region],
        head_end: int,
        around: Body,
        nested: bool,
        header: str,
    ) -> Statement | None:
        """`node`'s header lines as the edits left them, parsed over a `pass` at its first
        body's indentation: its new lines, kind and name, if it is still one such header."""
        first = node.bodies[0]
        if not self._indented(first, header):
            return None
        stub = self._indent(first)
        top = node.start + self.moved(node.start)
        count = head_end - node.start + 1 + sum(r.delta for r in regions)
        lines = [*self.new[top : top + count], f"{stub}pass"]
        parsed = self._parsed(top, lines, nested, around)
        if parsed is None or len(parsed) != 1:
            return None
        (new,) = parsed
        inner = new.bodies[0] if len(new.bodies) == 1 else ()
        if len(inner) != 1 or inner[0].line != top + count or not new.compound:
            return None
        return new

    def _piece(
        self,
        body: Body,
        lo: int,
        hi: int,
        first: int,
        last: int,
        regions: list[_Region],
        nested: bool,
    ) -> Body | None:
        """The new text of old lines `first..last` parsed alone, or None if what it gives may
        not be what a whole parse gives there."""
        if lo < hi and not self._starts_line(body[lo]):
            return None
        top = first + self.moved(first)
        count = last - first + 1 + sum(r.delta for r in regions)
        return self._parsed(top, self.new[top : top + count], nested, body)

    def _parsed(self, top: int, lines: list[str], nested: bool, body: Body) -> Body | None:
        """`lines`, new lines from `top` on, parsed as statements of `body`: at module level as
        they are; deeper behind `if 1:`, kept only at `body`'s own indentation."""
        text = "\n".join(lines) + "\n"
        if not nested:
            return parse_statements(text, top)
        indent = self._indent(body)
        parsed = parse_statements("if 1:\n" + text, top - 1)
        if indent is None or parsed is None or len(parsed) != 1:
            return None
        wrapper = parsed[0]
        if len(wrapper.bodies) != 1:  # an `else:` at column 0 joined the `if 1:`
            return None
        inner = wrapper.bodies[0]
        if _INDENT.match(self.new[inner[0].start]).group() != indent:  # type: ignore[union-attr]
            return None
        return inner

    def _starts_line(self, node: Statement) -> bool:
        """Nothing but indentation comes before `node` on its first line (a statement after a
        `;`, or on the line of the `if x:` it belongs to, is not on a line of its own)."""
        if node.compound:
            return True  # a compound statement always begins its line
        indent = _INDENT.match(self.old[node.start]).group()  # type: ignore[union-attr]
        return len(indent.encode()) == node.col

    def _indented(self, body: Body, header: str) -> bool:
        """Whether `body` is a block indented under a header that begins with `header`."""
        indent = self._indent(body)
        return indent is not None and len(indent) > len(header) and indent.startswith(header)

    def _indent(self, body: Body) -> str | None:
        """The indentation every statement of `body` begins its line with."""
        for node in body:
            if self._starts_line(node):
                return _INDENT.match(self.old[node.start]).group()  # type: ignore[union-attr]
        return None


def _moved(body: Body, by: int) -> Body:
    return tuple(s.shifted(by) for s in body)


def _regions(edits: Sequence[Edit], lines: int) -> list[_Region]:
    """The old lines the edits touch, merged where they share a line, with how many lines each
    group became."""
    spans = sorted(
        ((min(e.start.line, lines - 1), min(e.end.line, lines - 1), e) for e in edits),
        key=lambda span: span[:2],
    )
    regions: list[_Region] = []
    for first, last, edit in spans:
        delta = len(NEWLINE.findall(edit.content)) - (edit.end.line - edit.start.line)
        if regions and first <= regions[-1].last:
            prev = regions.pop()
            last = max(last, prev.last)
            lines_now = prev.lines + delta + (last - prev.last)
            regions.append(_Region(prev.first, last, lines_now))
        else:
            regions.append(_Region(first, last, last - first + 1 + delta))
    return regions


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

    def _visit(self, body: Body, nesting: int, scope: str, qualname: str) -> None:
        for node in body:
            start, end = node.start, node.end
            if node.compound:
                header_end = max(start, min(end, node.first_child_line - 1))
                inner_scope = node.scope or scope
                inner_name = node.inner_name(qualname)
                self.scope_names.add(inner_name)
                # `else:`, `except:` and blank lines inside are each their own one-line span
                self._assign_lines(start, end, nesting + 1, inner_scope, inner_name)
                self._assign(start, header_end, nesting, scope, qualname, False)
                for child in node.bodies:
                    self._visit(child, nesting + 1, inner_scope, inner_name)
            else:
                self._assign(start, end, nesting, scope, qualname, node.kind == IMPORT)

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
