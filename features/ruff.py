"""Ruff adapter: run `ruff check` and turn its JSON into typed violations and fixes.

One adapter serves the language server (one buffer through stdin), the CLI and the history miner
(many files in one process). Ruff reports 1-based rows and 1-based *code-point* columns; we keep
positions as 0-based (line, code-point column) and convert to string offsets or to the client's
position encoding only at the edge, so no caller ever does column arithmetic on its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

APPLICABILITIES = ("safe", "unsafe", "display-only")
SYNTAX_ERROR = "invalid-syntax"
_NEWLINE = re.compile("\r\n|\r|\n")  # the line breaks Ruff and LSP both count
_LINE = re.compile("[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_RULE_CODE = re.compile(r"^[A-Z]+[0-9]+$")


class RuffError(RuntimeError):
    """Ruff could not be run or gave output we cannot read; the message is meant for users."""


@dataclass(frozen=True, order=True)
class Position:
    """0-based line and 0-based column counted in Unicode code points."""

    line: int
    column: int


@dataclass(frozen=True)
class Edit:
    start: Position
    end: Position
    content: str


@dataclass(frozen=True)
class Fix:
    applicability: str
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Violation:
    rule: str
    name: str
    message: str
    start: Position
    end: Position
    fix: Fix | None
    noqa_line: int | None = None
    url: str | None = None

    @property
    def family(self) -> str:
        return rule_family(self.rule)


@dataclass(frozen=True)
class LintResult:
    """Ruff's answer for one file: rule violations, and the syntax errors that stopped parsing.

    Syntax errors come as `Violation`s with the rule `invalid-syntax` and no fix, kept apart so
    that nothing counting or featurizing rule violations ever sees them.
    """

    violations: tuple[Violation, ...]
    errors: tuple[Violation, ...] = ()

    @property
    def syntax_errors(self) -> int:
        return len(self.errors)


def rule_family(rule: str) -> str:
    """The linter prefix of a rule code (`UP` for `UP006`, `F` for `F401`, `PLR` for `PLR1714`)."""
    i = len(rule)
    while i > 0 and rule[i - 1].isdigit():
        i -= 1
    return rule[:i] or rule


@dataclass(frozen=True)
class RuffOptions:
    """How to invoke Ruff. `isolated` ignores the project's configuration (the miner wants the
    same rule set everywhere); the server leaves it off so users' own config is honoured."""

    executable: str | None = None
    isolated: bool = False
    select: tuple[str, ...] = ()
    target_version: str | None = None
    line_length: int | None = None
    config_overrides: tuple[str, ...] = ()
    extra_args: tuple[str, ...] = ()
    timeout: float = 30.0
    env: Mapping[str, str] = field(default_factory=dict)


def find_ruff(explicit: str | None = None) -> str:
    """Find Ruff: an explicit path, the one installed beside this interpreter, or PATH."""
    if explicit:
        if shutil.which(explicit) is None and not Path(explicit).is_file():
            raise RuffError(f"ruff not found at {explicit!r}")
        return explicit
    beside = Path(sys.executable).parent / ("ruff.exe" if os.name == "nt" else "ruff")
    if beside.is_file():
        return str(beside)
    found = shutil.which("ruff")
    if found is None:
        raise RuffError("ruff not found: install it with `pip install ruff` or set the Ruff path")
    return found


def ruff_version(options: RuffOptions | None = None) -> str:
    exe = find_ruff((options or RuffOptions()).executable)
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip().removeprefix("ruff ").strip()


def fixable_rules(options: RuffOptions | None = None) -> tuple[str, ...]:
    """Codes of every stable rule that can offer a fix, as this Ruff version says.

    Selecting only these is equivalent to `--select ALL` for anything about fixes, and several
    times cheaper: half of Ruff's rules never offer one.
    """
    exe = find_ruff((options or RuffOptions()).executable)
    out = subprocess.run(
        [exe, "rule", "--all", "--output-format", "json"], capture_output=True, timeout=60
    )
    try:
        rules = json.loads(out.stdout)
    except json.JSONDecodeError as exc:
        raise RuffError(f"cannot read `ruff rule --all`: {exc}") from exc
    codes = tuple(
        sorted(
            r["code"]
            for r in rules
            if "Stable" in (r.get("status") or ()) and r.get("fix_availability", "None") != "None"
        )
    )
    if not codes:
        raise RuffError("`ruff rule --all` listed no stable rule with a fix")
    return codes


def _command(options: RuffOptions) -> list[str]:
    cmd = [find_ruff(options.executable), "check", "--output-format", "json", "--no-cache"]
    cmd += ["--exit-zero", "--quiet"]
    if options.isolated:
        cmd.append("--isolated")
    if options.select:
        cmd += ["--select", ",".join(options.select)]
    if options.target_version:
        cmd += ["--target-version", options.target_version]
    if options.line_length:
        cmd += ["--line-length", str(options.line_length)]
    for override in options.config_overrides:
        cmd += ["--config", override]
    cmd += list(options.extra_args)
    return cmd


def _run(cmd: Sequence[str], options: RuffOptions, stdin: str | None, cwd: str | None) -> str:
    env = {**os.environ, **options.env}
    try:
        proc = subprocess.run(
            list(cmd),
            # A lone surrogate (a non-UTF-8 file decoded leniently) becomes one "?": Ruff needs
            # valid UTF-8, and one character for one keeps every position where it was.
            input=stdin.encode("utf-8", "replace") if stdin is not None else None,
            capture_output=True,
            timeout=options.timeout,
            cwd=cwd,
            env=env,
        )
    except FileNotFoundError as exc:
        raise RuffError(f"ruff not found: {exc.filename}") from exc
    except subprocess.TimeoutExpired as exc:
        raise RuffError(f"ruff took longer than {options.timeout:g}s and was stopped") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuffError(f"ruff failed (exit {proc.returncode}): {detail[-1] if detail else ''}")
    return proc.stdout.decode("utf-8", "replace")


def lint_text(
    text: str, path: str, options: RuffOptions | None = None, cwd: str | None = None
) -> LintResult:
    """Lint one buffer. `path` decides which project configuration and per-file rules apply."""
    options = options or RuffOptions()
    cmd = [*_command(options), "--stdin-filename", path, "-"]
    results = list(parse_output(_run(cmd, options, text, cwd)).values())
    # Ruff reads one buffer here, so every diagnostic belongs to it, whatever name it prints.
    violations = tuple(v for r in results for v in r.violations)
    errors = tuple(e for r in results for e in r.errors)
    return LintResult(tuple(sorted(violations, key=_sort_key)), errors)


def lint_tree(
    root: Path, options: RuffOptions, fixable_rules_only: bool = False
) -> dict[str, LintResult]:
    """Lint every Python file below `root` in one Ruff process; keys are paths relative to root.

    `fixable_rules_only` keeps just the rules that offered a fix somewhere in the output: the
    miner needs no others, and `--select ALL` reports ten times more that it would only parse.
    """
    raw = _run([*_command(options), "."], options, None, str(root))
    return parse_output(raw, root=root, fixable_rules_only=fixable_rules_only)


def parse_output(
    raw: str, root: Path | None = None, fixable_rules_only: bool = False
) -> dict[str, LintResult]:
    """Group Ruff's JSON diagnostics by file. Syntax errors (no rule code) are counted, not kept."""
    try:
        items = json.loads(raw or "[]")
    except json.JSONDecodeError as exc:
        raise RuffError(f"ruff printed output that is not JSON: {exc}") from exc
    if fixable_rules_only:
        fixable = {item.get("code") for item in items if item.get("fix")}
        items = [item for item in items if not _is_rule(item) or item["code"] in fixable]
    grouped: dict[str, list[Violation]] = {}
    errors: dict[str, list[Violation]] = {}
    prefix = str(root.resolve()) + os.sep if root is not None else ""
    for item in items:
        filename = os.path.normpath(item.get("filename") or "")
        if prefix and filename.startswith(prefix):
            filename = filename[len(prefix) :]
        grouped.setdefault(filename, [])
        if not _is_rule(item):
            errors.setdefault(filename, []).append(parse_syntax_error(item))
            continue
        grouped[filename].append(parse_violation(item))
    return {
        name: LintResult(tuple(sorted(vs, key=_sort_key)), tuple(errors.get(name, ())))
        for name, vs in grouped.items()
    }


def _is_rule(item: Mapping) -> bool:
    """Rule diagnostics have codes like `F401`; syntax errors come as `invalid-syntax` or null."""
    return bool(_RULE_CODE.match(str(item.get("code") or "")))


def _sort_key(v: Violation) -> tuple[Position, str]:
    return (v.start, v.rule)


def _position(loc: Mapping[str, int]) -> Position:
    return Position(int(loc["row"]) - 1, int(loc["column"]) - 1)


def parse_violation(item: Mapping) -> Violation:
    fix = item.get("fix")
    return Violation(
        rule=str(item["code"]),
        name=str(item.get("name") or ""),
        message=str(item.get("message") or ""),
        start=_position(item["location"]),
        end=_position(item["end_location"]),
        fix=_parse_fix(fix) if fix else None,
        noqa_line=int(item["noqa_row"]) - 1 if item.get("noqa_row") else None,
        url=item.get("url"),
    )


def parse_syntax_error(item: Mapping) -> Violation:
    start = _position(item["location"]) if item.get("location") else Position(0, 0)
    end = _position(item["end_location"]) if item.get("end_location") else start
    message = str(item.get("message") or "syntax error").removeprefix("SyntaxError: ")
    return Violation(SYNTAX_ERROR, "invalid-syntax", message, start, end, None)


def _parse_fix(fix: Mapping) -> Fix | None:
    edits = tuple(
        Edit(_position(e["location"]), _position(e["end_location"]), str(e.get("content") or ""))
        for e in fix.get("edits") or ()
    )
    if not edits:
        return None
    applicability = str(fix.get("applicability") or "unsafe").lower()
    if applicability == "displayonly":
        applicability = "display-only"
    return Fix(applicability, str(fix.get("message") or ""), tuple(sorted(edits, key=_edit_key)))


def _edit_key(e: Edit) -> tuple[Position, Position]:
    return (e.start, e.end)


class LineIndex:
    """Converts (line, code-point column) positions of one text to string offsets and back."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def offset(self, pos: Position) -> int:
        if pos.line >= len(self.starts):
            return len(self.text)
        return min(self.starts[pos.line] + pos.column, len(self.text))

    def position(self, offset: int) -> Position:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return Position(lo, offset - self.starts[lo])


def apply_edits(text: str, edits: Iterable[Edit], index: LineIndex | None = None) -> str:
    """Apply non-overlapping edits (Ruff guarantees this within one fix) from last to first.

    Insertions at the same offset keep the order Ruff gave them in: TC00x fixes insert
    `from typing import TYPE_CHECKING` and then the `if TYPE_CHECKING:` block at one point, and
    sorting by content would put the block before the import it needs.
    """
    index = index or LineIndex(text)
    spans = sorted(
        ((index.offset(e.start), index.offset(e.end), e.content) for e in edits),
        key=lambda span: span[:2],
    )
    out: list[str] = []
    cursor = 0
    for start, end, content in spans:
        if start < cursor:
            raise ValueError("overlapping edits")
        out.append(text[cursor:start])
        out.append(content)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def diff_edits(old: str, new: str) -> list[Edit]:
    """Whole-line edits turning `old` into `new`, touching only the lines that differ.

    Editors keep cursors, folds and marks outside the changed lines, which a whole-document
    replacement would reset.
    """
    from difflib import SequenceMatcher

    index = LineIndex(old)
    a, b = _lines(old), _lines(new)
    edits = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        start = index.position(_line_offset(index, i1))
        end = index.position(_line_offset(index, i2))
        edits.append(Edit(start, end, "".join(b[j1:j2])))
    return edits


def _lines(text: str) -> list[str]:
    """Lines with their breaks, split where Ruff and LSP split (`str.splitlines` splits more)."""
    return _LINE.findall(text)


def split_lines(text: str) -> list[str]:
    """Lines without their breaks, split where Ruff and LSP split (`\\x0c` is no line break)."""
    return _NEWLINE.split(text)


def _line_offset(index: LineIndex, line: int) -> int:
    return index.starts[line] if line < len(index.starts) else len(index.text)
