"""Label one resolved violation: did the developer make Ruff's fix, choose another, or neither?

A fixable violation present before a commit and gone after it was *resolved*. We compare three
versions of the code around it — before (P), P with Ruff's fix applied (F), after (C) — at the
token level, so whitespace, a formatter's trailing commas and unrelated edits elsewhere do not
matter:

* **kept** (1): C reads as F around every change the fix makes; for fixes whose layout is
  incidental (imports, docstring layout — see `canonical.py`), C equals F once the order of
  imports or the whitespace inside the docstring is forgotten;
* **not kept** (0): a `# noqa` for the rule appeared on the line Ruff reads it from for this
  violation; or the developer made a *deliberate alternative*: changed exactly the tokens the fix
  changes, all of them and little else, into another spelling of the same content (the same
  names, numbers and string words, as often) — an f-string where Ruff offers `.format`,
  `strict=True` where it offers `strict=False`;
* **dropped** (None, with a reason): everything that only looks like a decision — the code was
  deleted or its scope removed, a large rewrite around it, content changed (a new value, a
  removed argument, `List` swapped for `Sequence`), the edit left part of what the fix changes
  untouched or spread beyond it, the edit did not touch what the fix touches, code commented
  out, or a same-content rewrite of an import or docstring-layout fix (there the layout is not
  the fix, so another layout is no choice against it: `layout_equivalent`).

The history study found that most "resolved differently" events are incidental (the developer
changed the flagged code for another reason), and a blind audit found 40 % of the negatives
wrong when any same-content change near the fix counted; hence the narrow definition of an
alternative. A dropped event costs a little data, a wrong negative teaches the model that good
fixes are bad.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property

from surefix.features.document import Document
from surefix.features.ruff.edits import LineIndex, apply_edits
from surefix.features.ruff.findings import Edit, Fix, Position, Violation, rule_family
from surefix.features.ruff.noqa import noqa_line
from surefix.model.mining.canonical import layout_kind, same_canonical
from surefix.model.mining.tokens import (
    COMMON_NAMES,
    atoms,
    is_comment,
    string_body,
    tokens,
    without_magic_commas,
)

NEAR_LINES = 3  # fix edits further than this from the violation are checked on their own
MAX_EXTRA_HUNK_LINES = 10  # developer hunks this much larger than the statement: a rewrite
MAX_IMPORT_SPAN = 60  # lines an import fix's edits may spread over and still be one region
SPOT_SLACK = 4  # half-token steps (two tokens) a deliberate alternative may reach past the fix
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)


@dataclass(frozen=True)
class Hunk:
    """One `git diff -U0` hunk, 0-based. With `p_len == 0`, `p_start` is the insertion point."""

    p_start: int
    p_len: int
    c_start: int
    c_len: int


class Side:
    """One version of a file; its parse (and the line index that comes with it) is built only
    if a label needs it."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.lines = text.splitlines()

    @cached_property
    def document(self) -> Document:
        return Document(self.text, self.path)

    @property
    def index(self) -> LineIndex:
        """The parse's own: the miner parses the side it labels and featurizes from it."""
        return self.document.index


@dataclass(frozen=True)
class Outcome:
    label: int | None  # 1 kept, 0 not kept, None dropped
    detail: str  # how it was matched, or why it was dropped


def drop(reason: str) -> Outcome:
    return Outcome(None, reason)


class LineMap:
    """Where each unchanged line of P sits in C, from the commit's hunks."""

    def __init__(self, hunks: Sequence[Hunk], p_count: int, c_count: int) -> None:
        self.hunks = sorted(hunks, key=lambda h: (h.p_start, h.p_len))
        self.p_to_c: list[int | None] = []
        c = 0
        p = 0
        for h in self.hunks:
            while p < h.p_start and p < p_count:
                self.p_to_c.append(c)
                p += 1
                c += 1
            self.p_to_c.extend([None] * h.p_len)
            p += h.p_len
            c = h.c_start + h.c_len
        while p < p_count:
            self.p_to_c.append(c if c < c_count else None)
            p += 1
            c += 1
        self.c_count = c_count

    def unchanged(self, line: int) -> int | None:
        return self.p_to_c[line] if 0 <= line < len(self.p_to_c) else None

    def aligned(self, line: int) -> int | None:
        """The C line standing where changed P line `line` stood, if its hunk kept the count."""
        for h in self.hunks:
            if h.p_start <= line < h.p_start + h.p_len and h.p_len == h.c_len:
                return h.c_start + line - h.p_start
        return None

    def touching(self, a: int, b: int) -> list[Hunk]:
        """Hunks that change lines a..b, or insert strictly inside them."""
        return [h for h in self.hunks if _changes(h, a, b)]

    def c_range(self, a: int, b: int) -> tuple[int, int]:
        """C lines standing where P lines a..b stood (bounded by the nearest unchanged lines)."""
        before = next(
            (self.p_to_c[i] for i in range(a - 1, -1, -1) if self.p_to_c[i] is not None), None
        )
        after = next(
            (self.p_to_c[i] for i in range(b + 1, len(self.p_to_c)) if self.p_to_c[i] is not None),
            None,
        )
        start = 0 if before is None else before + 1
        end = self.c_count - 1 if after is None else after - 1
        return start, end


def _changes(h: Hunk, a: int, b: int) -> bool:
    if h.p_len:
        return h.p_start <= b and h.p_start + h.p_len - 1 >= a
    return a < h.p_start <= b


@dataclass(frozen=True)
class Region:
    first: int
    last: int
    edits: tuple[Edit, ...]


def clusters(doc: Document, violation: Violation, fix: Fix) -> tuple[Region, list[Region]]:
    """The statement(s) around the violation and its near edits, and one region per far edit.

    An import fix within one import block is a single region however far its edits lie apart:
    TC00x deletes the import at the violation and adds `if TYPE_CHECKING:` after the block, and
    a developer who puts that block elsewhere in it made the same fix (judged in `canonical.py`).
    """
    lines = [violation.start.line, *(e.start.line for e in fix.edits)]
    one_block = max(lines) - min(lines) <= MAX_IMPORT_SPAN
    if one_block and layout_kind(violation.rule, fix, doc) == "imports":
        return _region(doc, [violation.start.line, violation.end.line], list(fix.edits)), []
    near = [e for e in fix.edits if abs(e.start.line - violation.start.line) <= NEAR_LINES]
    far = [e for e in fix.edits if e not in near]
    primary = _region(doc, [violation.start.line, violation.end.line], near)
    return primary, [_region(doc, [], [e]) for e in far]


def _edit_last_line(e: Edit) -> int:
    return e.end.line - 1 if e.end.column == 0 and e.end.line > e.start.line else e.end.line


def _region(doc: Document, lines: list[int], edits: list[Edit]) -> Region:
    points = lines + [e.start.line for e in edits] + [_edit_last_line(e) for e in edits]
    spans = [doc.statement_span(line) for line in points]
    return Region(min(s[0] for s in spans), max(s[1] for s in spans), tuple(edits))


def region_text(lines: Sequence[str], first: int, last: int) -> str:
    return "".join(line + "\n" for line in lines[first : last + 1])


def apply_in_region(p: Side, region: Region, first: int, last: int) -> str | None:
    """The region's text with the fix's edits applied, or None when an edit leaves the region."""
    base = p.index.offset(Position(first, 0))
    text = region_text(p.lines, first, last)
    shifted = []
    for e in region.edits:
        start, end = p.index.offset(e.start) - base, p.index.offset(e.end) - base
        if start < 0 or end > len(text):
            return None
        shifted.append((start, end, e.content))
    index = LineIndex(text)
    return apply_edits(
        text, [Edit(index.position(s), index.position(t), c) for s, t, c in shifted], index
    )


def label_resolution(
    p: Side,
    c: Side,
    line_map: LineMap,
    violation: Violation,
    fix: Fix,
    sibling_fixes: Sequence[Fix] = (),
    new_violations: Sequence[Violation] = (),
) -> Outcome:
    """Label a violation of P that no longer appears in C. `sibling_fixes`: fixes of the other
    violations resolved in the same file pair (a formatter sweep makes several at once)."""
    primary, far = clusters(p.document, violation, fix)
    if p.document.scope_name_at(violation.start.line) not in c.document.scope_names:
        return drop("scope_removed")
    outcome = _label_region(p, c, line_map, violation, primary, fix, sibling_fixes, new_violations)
    if outcome.label != 1:
        return outcome
    for region in far:
        other = _label_region(p, c, line_map, violation, region, fix, sibling_fixes, ())
        if other.label != 1:
            return drop("far_edit_missing")
    return outcome


def _label_region(
    p: Side,
    c: Side,
    line_map: LineMap,
    violation: Violation,
    region: Region,
    fix: Fix,
    sibling_fixes: Sequence[Fix],
    new_violations: Sequence[Violation],
) -> Outcome:
    hunks = line_map.touching(region.first, region.last)
    if not hunks:
        return drop("indirect")
    first = min([region.first] + [h.p_start for h in hunks if h.p_len])
    last = max([region.last] + [h.p_start + h.p_len - 1 for h in hunks if h.p_len])
    c_first, c_last = line_map.c_range(first, last)
    extra = max(last - first, c_last - c_first) - (region.last - region.first)
    if extra > MAX_EXTRA_HUNK_LINES:
        return drop("big_hunk")

    p_text = region_text(p.lines, first, last)
    c_text = region_text(c.lines, c_first, c_last)
    f_text = apply_in_region(p, region, first, last)
    if f_text is None:
        return drop("edit_outside_region")
    if _layout(f_text) == _layout(c_text):
        return Outcome(1, "exact")  # includes a fix that deletes lines the developer deleted
    if not c_text.strip():
        return drop("deleted")
    rule = violation.rule
    pt, ft, ct = _comparable(p_text, rule), _comparable(f_text, rule), _comparable(c_text, rule)
    if _noqa_on_violation_line(p, c, line_map, violation, c_first, c_last):
        return Outcome(0, "noqa")
    if pt == ft:  # a whitespace-only fix that the developer did not make exactly
        return drop("whitespace_other")
    if _code(ft) == _code(ct):
        return Outcome(1, "tokens")
    if _changes_present(pt, ft, ct):
        return Outcome(1, "anchored")
    if not violation.rule.startswith("Q") and _joined_strings(ft) == _joined_strings(ct):
        return Outcome(1, "strings_rewrapped")
    combined = _combined(p, region, fix, sibling_fixes, first, last)
    if combined is not None:
        bt = _comparable(combined, rule)
        if _code(bt) == _code(ct) or _changes_present(pt, bt, ct):
            return Outcome(1, "combined")
    kind = layout_kind(rule, fix, p.document)
    moved = _layout(p_text) != _layout(c_text)
    if kind is not None and moved and same_canonical(kind, p_text, f_text, c_text, c.text):
        return Outcome(1, "canonical")
    outcome = _judge_alternative(
        p_text, c_text, pt, ft, ct, violation, new_violations, c_first, c_last
    )
    if outcome.label == 0 and outcome.detail != "noqa" and kind is not None:
        # Same content, other layout, for a fix whose layout is incidental: no choice against it.
        return drop("layout_equivalent")
    return outcome


def _comparable(text: str, rule: str) -> list[str]:
    """Tokens of `text`; outside COM rules, without the trailing commas a formatter adds when it
    explodes a call (for COM812 that comma is the fix itself)."""
    return tokens(text if rule_family(rule) == "COM" else without_magic_commas(text))


def _judge_alternative(
    p_text: str,
    c_text: str,
    pt: list[str],
    ft: list[str],
    ct: list[str],
    violation: Violation,
    new_violations: Sequence[Violation],
    c_first: int,
    c_last: int,
) -> Outcome:
    """The fix's change is not in C. Decide whether C is a deliberate alternative."""
    if _layout(p_text) == _layout(c_text):
        return drop("kept_intact")
    if _commented_out(pt, ct):
        return drop("commented_out")
    family = rule_family(violation.rule)
    if any(
        rule_family(v.rule) == family and c_first <= v.start.line <= c_last for v in new_violations
    ):
        return drop("morphed_same_family")
    p_atoms, f_atoms, c_atoms = atoms(pt), atoms(ft), atoms(ct)
    if _code(pt) == _code(ct):
        # Only the layout changed, and that resolved it (a formatter collapsing a call instead of
        # adding the trailing comma). Meaningful only for fixes that are themselves spelling.
        return Outcome(0, "relayout") if p_atoms == f_atoms else drop("indirect_relayout")
    dev_touched, dev_size = _touched(pt, ct)
    fix_touched, fix_size = _touched(pt, ft)
    if not _near(dev_touched, fix_touched):
        return drop("unfocused")
    if dev_size > 2 * fix_size + 8:
        return drop("big_rewrite")
    new = [atom for atom in c_atoms - (p_atoms | f_atoms) if atom not in COMMON_NAMES]
    lost = (p_atoms & f_atoms) - c_atoms
    if new or lost:
        return drop("content_changed")
    if _deletion_only(pt, ct):
        return drop("deletion_only")
    fix_spots, dev_spots = _spots(pt, ft), _spots(pt, ct)
    if not _covers(dev_spots, pt, ft):
        return drop("fix_spot_kept")
    if not _confined(dev_spots, fix_spots, pt):
        return drop("edit_spread")
    return Outcome(0, "rewritten")


def _joined_strings(toks: list[str]) -> list[str]:
    """Code tokens with each run of adjacent string literals joined into one, quotes dropped.

    A developer who makes Ruff's f-string but wraps it as implicit concatenation to stay within
    the line length made the fix; only quote rules care about the spelling this forgets.
    """
    out: list[str] = []
    run: list[str] = []
    formatted = False
    for tok in [*_code(toks), ""]:
        body = string_body(tok) if tok else None
        if body is not None:
            run.append(body)
            formatted |= "f" in tok[: len(tok) - len(tok.lstrip("rRbBuUfFtT"))].lower()
            continue
        if run:
            out.append(("f:" if formatted else "s:") + "".join(run))
            run, formatted = [], False
        if tok:
            out.append(tok)
    for i in range(len(out) - 2, 0, -1):  # `("a" "b")` wrapping adds parentheses: drop them
        wrapped = out[i - 1] == "(" and out[i + 1] == ")" and out[i][:2] in ("f:", "s:")
        called = i >= 2 and (out[i - 2][:1].isalnum() or out[i - 2] in (")", "]"))
        if wrapped and not called:
            del out[i + 1], out[i - 1]
    return out


def _layout(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def _code(toks: list[str]) -> list[str]:
    return [t for t in toks if not is_comment(t)]


def _noqa_on_violation_line(
    p: Side, c: Side, line_map: LineMap, violation: Violation, c_first: int, c_last: int
) -> bool:
    """A `# noqa` covering the rule appeared on the line Ruff reads it from for this violation.

    That is the violation's start line, or the end of a multi-line string (Ruff's `noqa_row`).
    A directive added on another line of the statement silences something else; this violation
    went away for another reason. The line is found again in C by its code (comment aside), or
    by its place in a hunk that replaced as many lines as it removed.
    """
    line = noqa_line(violation)
    if line >= len(p.lines) or line_map.unchanged(line) is not None:
        return False
    before = p.lines[line]
    code = _code(tokens(before))
    aligned = line_map.aligned(line)
    already = _covering_noqa(before, violation.rule)
    return any(
        _covering_noqa(c.lines[j], violation.rule) > already
        and (j == aligned or _code(tokens(c.lines[j])) == code)
        for j in range(max(c_first, 0), min(c_last, len(c.lines) - 1) + 1)
    )


def _covering_noqa(text: str, rule: str) -> int:
    """How many `# noqa` directives in `text` silence `rule` (bare ones silence every rule)."""
    count = 0
    for match in _NOQA.finditer(text):
        codes = match.group("codes")
        if codes is None or rule in re.split(r"[\s,]+", codes.upper()):
            count += 1
    return count


def _changes_present(pt: list[str], ft: list[str], ct: list[str]) -> bool:
    """Every change P→F appears in C between the same unchanged neighbours."""
    pc = SequenceMatcher(None, pt, ct, autojunk=False)
    p_to_c: dict[int, int] = {}
    for block in pc.get_matching_blocks():
        for k in range(block.size):
            p_to_c[block.a + k] = block.b + k
    changes = SequenceMatcher(None, pt, ft, autojunk=False).get_opcodes()
    if all(op[0] == "equal" for op in changes):
        return False
    for tag, i1, i2, j1, j2 in changes:
        if tag == "equal":
            continue
        left = p_to_c.get(i1 - 1) if i1 > 0 else -1
        right = p_to_c.get(i2) if i2 < len(pt) else len(ct)
        if left is None or right is None or ct[left + 1 : right] != ft[j1:j2]:
            return False
    return True


def _touched(a: list[str], b: list[str]) -> tuple[set[int], int]:
    """Indices of `a` that an edit a→b changes (insertions mark both neighbours), and its size."""
    touched: set[int] = set()
    size = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        touched.update(range(i1, i2) if i2 > i1 else (i1 - 1, i1))
        size += max(i2 - i1, j2 - j1)
    return touched, size


def _spots(a: list[str], b: list[str]) -> set[int]:
    """Where an edit a→b changes `a`, in half-token steps: 2i+1 for token i replaced or deleted,
    2i for an insertion just before token i."""
    spots: set[int] = set()
    for i1, i2 in _changed_runs(a, b):
        spots.update(range(2 * i1 + 1, 2 * i2, 2) if i2 > i1 else (2 * i1,))
    return spots


def _changed_runs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [(i1, i2) for tag, i1, i2, _, _ in ops if tag != "equal"]


def _covers(dev: set[int], pt: list[str], ft: list[str]) -> bool:
    """The developer changed something inside every run of tokens the fix changes, and beside
    every point where it only inserts. Within a run any part will do (`data = f()` → `_ = f()`
    against deleting `data =`); the alignment of an insertion is arbitrary (`% x` → `.format(x)`
    may match `)` before or after `x`), hence the token of leeway."""
    for i1, i2 in _changed_runs(pt, ft):
        if i2 > i1 and not any(2 * i1 < d < 2 * i2 for d in dev):
            return False
        if i2 == i1 and not any(abs(2 * i1 - d) <= 3 for d in dev):
            return False
    return True


def _confined(dev: set[int], fix: set[int], toks: list[str]) -> bool:
    """The developer changed nothing beyond a couple of tokens around what the fix changes, or
    a bracket group right beside it: `"%s" % (a, b)` → `f"{a}"...` consumes the tuple that the
    `.format(a, b)` fix keeps, while a quote fix does not reach the closing brace of the dict."""
    if not dev or not fix:
        return False
    lo, hi = min(fix), max(fix)
    after = (hi + 1) // 2  # the first token past the fix
    if after < len(toks) and toks[after] in _OPENING:
        hi = 2 * _partner(toks, after, 1) + 1
    before = (lo - 1) // 2 - lo % 2  # the last token before the fix
    if before >= 0 and toks[before] in _CLOSING:
        lo = 2 * _partner(toks, before, -1) + 1
    return lo - SPOT_SLACK <= min(dev) and max(dev) <= hi + SPOT_SLACK


def _partner(toks: list[str], i: int, step: int) -> int:
    """Index of the bracket matching toks[i], walking by `step`; the region's edge if none."""
    depth = 0
    j = i
    while 0 <= j < len(toks):
        if toks[j] in _OPENING:
            depth += step
        elif toks[j] in _CLOSING:
            depth -= step
        if depth == 0:
            return j
        j += step
    return j - step


def _near(a: set[int], b: set[int]) -> bool:
    return any(i + d in b for i in a for d in (-1, 0, 1))


def _deletion_only(pt: list[str], ct: list[str]) -> bool:
    ops = SequenceMatcher(None, pt, ct, autojunk=False).get_opcodes()
    return all(tag in ("equal", "delete") for tag, *_ in ops)


def _commented_out(pt: list[str], ct: list[str]) -> bool:
    code = " ".join(_code(pt))[:40]
    comments = " ".join(tokens(" ".join(t.lstrip("# ") for t in ct if is_comment(t))))
    return bool(code) and code in comments


def _combined(
    p: Side, region: Region, fix: Fix, siblings: Sequence[Fix], first: int, last: int
) -> str | None:
    """The region with this fix and every non-overlapping sibling fix inside it applied."""
    edits = list(region.edits)
    lo = p.index.offset(Position(first, 0))
    hi = p.index.offset(Position(last + 1, 0))
    taken = [(p.index.offset(e.start), p.index.offset(e.end)) for e in edits]
    added = False
    for sibling in siblings:
        if sibling is fix:
            continue
        spans = [(p.index.offset(e.start), p.index.offset(e.end)) for e in sibling.edits]
        if not all(lo <= s and t <= hi for s, t in spans):
            continue
        if any((s < t2 and s2 < t) or (s == t == s2 == t2) for s, t in spans for s2, t2 in taken):
            continue
        edits.extend(sibling.edits)
        taken.extend(spans)
        added = True
    if not added:
        return None
    return apply_in_region(p, Region(region.first, region.last, tuple(edits)), first, last)
