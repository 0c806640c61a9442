"""Run `ruff check` and turn its JSON into typed violations and fixes.

One adapter serves the language server (one buffer through stdin), the CLI and the history miner
(many files in one process).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from surefix.features.ruff.findings import SYNTAX_ERROR, Edit, Fix, LintResult, Position, Violation

_RULE_CODE = re.compile(r"^[A-Z]+[0-9]+$")


class RuffError(RuntimeError):
    """Ruff could not be run or gave output we cannot read; the message is meant for users."""


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


_DEFAULTS: dict[str, tuple[str, ...]] = {}
_ENABLED = re.compile(r"^linter\.rules\.enabled = \[\n(.*?)^\]", re.MULTILINE | re.DOTALL)


def default_rules(options: RuffOptions | None = None) -> tuple[str, ...]:
    """The codes Ruff checks when nothing configures it — its own default selection, as this
    Ruff version has it (it grows between versions). Asked once per executable."""
    exe = find_ruff((options or RuffOptions()).executable)
    if exe not in _DEFAULTS:
        with tempfile.TemporaryDirectory() as folder:
            probe = Path(folder) / "probe.py"
            probe.touch()
            out = subprocess.run(
                [exe, "check", "--isolated", "--show-settings", str(probe)],
                capture_output=True, text=True, timeout=30, cwd=folder,
            )  # fmt: skip
        found = _ENABLED.search(out.stdout)
        codes = re.findall(r"\(([A-Z]+[0-9]+)\)", found[1]) if found else []
        if not codes:
            raise RuffError("cannot read Ruff's default rules from `ruff check --show-settings`")
        _DEFAULTS[exe] = tuple(codes)
    return _DEFAULTS[exe]


def _command(options: RuffOptions) -> list[str]:
    cmd = [find_ruff(options.executable), "check", "--output-format", "json", "--no-cache"]
    cmd += ["--exit-zero", "--quiet", "--no-fix"]  # a project's `fix = true` must not print code
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
            input=_utf8(stdin) if stdin is not None else None,
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


def _utf8(text: str) -> bytes:
    """Ruff reads UTF-8; a lone surrogate has none, and a stand-in would move fixes onto it."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        at = f"a lone surrogate at offset {exc.start}"
        raise RuffError(f"the text is not valid UTF-8 ({at}); Ruff cannot read it") from exc


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
    if text.startswith(BOM):
        violations, errors = _past_bom(violations), _past_bom(errors)
    return LintResult(tuple(sorted(violations, key=_sort_key)), errors)


BOM = "\ufeff"


def _past_bom(found: tuple[Violation, ...]) -> tuple[Violation, ...]:
    """Ruff counts line 1's columns after a byte-order mark; the buffer holds it as a character."""

    def shift(p: Position) -> Position:
        return Position(p.line, p.column + 1) if p.line == 0 else p

    def edit(e: Edit) -> Edit:
        return replace(e, start=shift(e.start), end=shift(e.end))

    return tuple(
        replace(
            v,
            start=shift(v.start),
            end=shift(v.end),
            fix=replace(v.fix, edits=tuple(map(edit, v.fix.edits))) if v.fix else None,
        )
        for v in found
    )


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
