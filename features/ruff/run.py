"""Run `ruff check` and turn its JSON into typed violations and fixes; run `ruff format`.

One adapter serves the language server (one buffer through stdin), the CLI and the history miner
(many files in one process).

Everything Ruff can do wrong ends here as one `RuffError` in words: the program that was run,
what went wrong, and who can put it right (`RuffError.fault`; `RuffError.remedy` words the fix
with the caller's own names for its settings). A program is checked to be a Ruff new enough for
our arguments (`ruff --version`, once per file state) before it is trusted with a lint, a failed
run is read for what Ruff said (a usage error, the project's configuration, a signal), and its
JSON is checked for the shape Ruff prints in one place (`_Json`), so neither a `KeyError` nor an
`AttributeError` ever leaves this module for a reply that is not what Ruff prints.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, TypeVar

from surefix.features.project.ruff_codes import RUFF_VERSION
from surefix.features.project.selectors import is_ruff_selector
from surefix.features.ruff.findings import SYNTAX_ERROR, Edit, Fix, LintResult, Position, Violation
from surefix.features.ruff.notebook import Cells

_RULE_CODE = re.compile(r"^[A-Z]+[0-9]+$")
R = TypeVar("R")

# The oldest Ruff our arguments work with: `--config KEY=VALUE` overrides came in 0.2.2.
MIN_VERSION = (0, 2, 2)
MIN_WORDS = ".".join(map(str, MIN_VERSION))

# Who can put a failure right (`RuffError.fault`).
INSTALL = "install"  # the program: missing, not runnable, not Ruff, too old or new, bad output
CRASH = "crash"  # killed or crashed mid-run: it may pass; if it does not, as INSTALL
ARGUMENTS = "arguments"  # an extra argument the user gave Ruff
PROJECT = "project"  # the project's own Ruff configuration
TIMEOUT = "timeout"  # slower than the time allowed
TEXT = "text"  # the text itself: Ruff reads only UTF-8


@dataclass(frozen=True)
class Knobs:
    """How the caller's user changes what a remedy names: the server's settings, the CLI's
    flags. `ruff_path` is a verb phrase ("set surefix.ruffPath to"), the rest are names."""

    ruff_path: str = "pass --ruff"
    unset: str = "leave --ruff out"
    ruff_args: str = "the extra Ruff arguments"
    timeout: str | None = None
    retry: str = "run the command again"


class RuffError(RuntimeError):
    """Ruff could not be run or gave output we cannot read.

    `problem` says what went wrong and names the program that was run; `fault` is who can put
    it right (`INSTALL`, `CRASH`, `ARGUMENTS`, `PROJECT`, `TIMEOUT`); `chosen` is whether the
    user named the program (else it is the Ruff installed with surefix, or the one on PATH).
    `str()` is the problem and the remedy in the CLI's words."""

    def __init__(self, problem: str, fault: str = INSTALL, chosen: bool = True) -> None:
        super().__init__(problem)
        self.problem, self.fault, self.chosen = problem, fault, chosen

    def __str__(self) -> str:
        return f"{self.problem}; {self.remedy()}"

    def remedy(self, knobs: Knobs | None = None) -> str:
        """What to do about it, in the words of `knobs` (lower case, no final stop)."""
        k = knobs or Knobs()
        if self.fault == ARGUMENTS:
            return f"correct or remove it in {k.ruff_args}"
        if self.fault == PROJECT:
            return "correct the project's Ruff configuration"
        if self.fault == TEXT:
            return "save the file as UTF-8"
        if self.fault == TIMEOUT:
            slow = "or find out what makes Ruff slow here (a huge configuration file, say)"
            return f"raise {k.timeout}, {slow}" if k.timeout else slow.removeprefix("or ")
        if self.chosen:
            install = (
                f"{k.ruff_path} Ruff {MIN_WORDS} or newer, or {k.unset} to use the Ruff "
                "installed with surefix"
            )
        else:
            install = (
                "reinstall surefix (`pip install --force-reinstall surefix`), which installs "
                f"Ruff beside it, or {k.ruff_path} Ruff {MIN_WORDS} or newer"
            )
        return f"{k.retry}; if it keeps failing, {install}" if self.fault == CRASH else install


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


@dataclass(frozen=True)
class Program:
    """A Ruff found and checked: its path, whether the user named it, and its version."""

    path: str
    chosen: bool
    version: str

    def error(self, problem: str, fault: str = INSTALL) -> RuffError:
        return RuffError(problem, fault, self.chosen)

    @property
    def words(self) -> str:
        """ "Ruff 0.17.6 at /usr/bin/ruff": how a problem names the program that was run."""
        return f"Ruff {self.version} at {self.path}"


_VERSION = re.compile(r"^ruff (\d+)\.(\d+)\.(\d+)\S*\s*$")
_CHECKED: dict[tuple[str, tuple[int, int, int]], str] = {}  # (path, stat) -> version
_PROBE_TIMEOUT = 30.0


def find_ruff(explicit: str | None = None) -> str:
    """Find Ruff: an explicit path, the one installed beside this interpreter, or PATH; and
    check that it is a Ruff surefix can drive (`ruff_program`)."""
    return ruff_program(explicit).path


def ruff_program(explicit: str | None = None) -> Program:
    """The Ruff to run, checked: it exists, is a program, says it is Ruff and is at least
    `MIN_VERSION`. Asked once per executable and state of its file, so a lint costs one `stat`
    here, and an upgrade in place is noticed."""
    path, chosen = _locate(explicit)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise RuffError(f"Ruff at {path} cannot be run: {_os_words(exc)}", INSTALL, chosen) from exc
    key = (path, (st.st_mtime_ns, st.st_size, st.st_ino))
    if key not in _CHECKED:
        _CHECKED[key] = _probe(path, chosen)
    return Program(path, chosen, _CHECKED[key])


def _locate(explicit: str | None) -> tuple[str, bool]:
    if explicit:
        found = shutil.which(explicit) if os.sep not in explicit else None
        if found is None and os.sep not in explicit:
            raise RuffError(f"Ruff not found: there is no {explicit!r} on PATH")
        path = Path(found or explicit).expanduser()
        try:
            st = os.stat(path)
        except OSError as exc:
            raise RuffError(f"Ruff not found at {path} ({_os_words(exc)})") from exc
        if stat.S_ISDIR(st.st_mode):
            raise RuffError(f"Ruff at {path} is a directory, not a program")
        if not os.access(path, os.X_OK):
            raise RuffError(f"Ruff at {path} cannot be run: it is not executable")
        return str(path), True
    beside = Path(sys.executable).parent / ("ruff.exe" if os.name == "nt" else "ruff")
    if beside.is_file():
        return str(beside), False
    found = shutil.which("ruff")
    if found is None:
        raise RuffError(
            f"Ruff not found: it is neither installed beside surefix ({beside}) nor on PATH",
            INSTALL,
            chosen=False,
        )
    return found, False


def _probe(path: str, chosen: bool) -> str:
    """`ruff --version`, read: the version, or why this program is not a Ruff we can drive."""
    try:
        out = subprocess.run(
            [path, "--version"],
            capture_output=True,
            timeout=_PROBE_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        problem = f"{path} is not Ruff (`--version` gave no answer in {_PROBE_TIMEOUT:g}s)"
        raise RuffError(problem, INSTALL, chosen) from exc
    except OSError as exc:
        raise RuffError(f"Ruff at {path} cannot be run: {_os_words(exc)}", INSTALL, chosen) from exc
    said = out.stdout.decode("utf-8", "replace").strip()
    found = _VERSION.match(said)
    if out.returncode != 0 or found is None:
        answer = f"printed {_quote(said)}" if said else _ended(out.returncode, out.stderr)
        raise RuffError(f"{path} is not Ruff (`--version` {answer})", INSTALL, chosen)
    version = tuple(int(part) for part in found.groups())
    if version < MIN_VERSION:
        problem = f"Ruff {'.'.join(found.groups())} at {path} is too old for surefix"
        raise RuffError(problem, INSTALL, chosen)
    return said.removeprefix("ruff ").strip()


def _os_words(exc: OSError) -> str:
    """An OS error as words for people, without its errno and path."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return (exc.strerror or type(exc).__name__).lower()


def _quote(text: str, limit: int = 80) -> str:
    """`text`'s first line in quotes, shortened: what a program printed, in a message."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return repr(line if len(line) <= limit else line[: limit - 1] + "…")


def _how(returncode: int) -> str:
    """ "was killed by signal 9 (SIGKILL)", "exited with status 2"."""
    if returncode >= 0:
        return f"exited with status {returncode}"
    try:
        name = f" ({signal.Signals(-returncode).name})"
    except ValueError:
        name = ""
    return f"was killed by signal {-returncode}{name}"


def _ended(returncode: int, stderr: bytes) -> str:
    """How a run ended that gave no usable answer: its signal or exit status, and its last
    words on stderr when it had any."""
    how = _how(returncode)
    said = _said(stderr.decode("utf-8", "replace"))
    return f"{how}: {said}" if said else f"{how} and printed nothing"


def _said(stderr: str) -> str:
    """The informative part of what Ruff printed on failing: its `error:` line, or the causes of
    a `ruff failed`, or the last line that is not "For more information, try '--help'"."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    error = next((line for line in lines if line.startswith("error:")), None)
    if error is not None:
        return _short(error.removeprefix("error:").strip())
    causes = [line.strip().removeprefix("Cause:").strip() for line in lines if "Cause:" in line]
    if causes:
        last = next(
            (line.strip() for line in reversed(lines) if not line.startswith((" ", "\t"))), ""
        )
        tail = [last] if last and last not in ("ruff failed", *causes) and "|" not in last else []
        return _short(": ".join(causes + tail))
    useful = [line for line in lines if "--help" not in line and not line.startswith("Usage:")]
    return _short(useful[-1].strip()) if useful else ""


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ruff_version(options: RuffOptions | None = None) -> str:
    """The version of the Ruff `options` name ("0.17.6"), as it says itself."""
    return ruff_program((options or RuffOptions()).executable).version


def fixable_rules(options: RuffOptions | None = None) -> tuple[str, ...]:
    """Codes of every stable rule that can offer a fix, as this Ruff version says.

    Selecting only these is equivalent to `--select ALL` for anything about fixes, and several
    times cheaper: half of Ruff's rules never offer one.
    """
    program, rules = listed_rules(options)
    codes = tuple(
        sorted(
            str(r["code"])
            for r in rules
            if "Stable" in _status(r.get("status")) and r.get("fix_availability", "None") != "None"
        )
    )
    if not codes:
        raise program.error(f"{program.words} listed no stable rule with a fix")
    return codes


def listed_rules(options: RuffOptions | None = None) -> tuple[Program, list[Mapping[str, Any]]]:
    """`ruff rule --all --output-format json` of the Ruff `options` name: the program, and its
    rule objects (those with a code), their shape checked as a list of objects."""
    program = ruff_program((options or RuffOptions()).executable)
    command = [program.path, "rule", "--all", "--output-format", "json"]
    raw = _run(program, command, options or RuffOptions(), None, None, timeout=60)
    try:
        return program, _Json.rules(raw)
    except _Unreadable as exc:
        raise program.error(f"{program.words} printed {exc} for `ruff rule --all`") from exc


def _status(value: object) -> str | list[str]:
    """A rule's `status`: "Stable", or a list or object naming it (versions differ)."""
    if isinstance(value, str | list):
        return value
    return list(value) if isinstance(value, dict) else []


_DEFAULTS: dict[str, tuple[str, ...]] = {}
_ENABLED = re.compile(r"^linter\.rules\.enabled = \[\n(.*?)^\]", re.MULTILINE | re.DOTALL)


def default_rules(options: RuffOptions | None = None) -> tuple[str, ...]:
    """The codes Ruff checks when nothing configures it — its own default selection, as this
    Ruff version has it (it grows between versions). Asked once per executable."""
    program = ruff_program((options or RuffOptions()).executable)
    if program.path not in _DEFAULTS:
        with tempfile.TemporaryDirectory() as folder:
            probe = Path(folder) / "probe.py"
            probe.touch()
            command = [program.path, "check", "--isolated", "--show-settings", str(probe)]
            out = _run(program, command, RuffOptions(), None, folder, timeout=30)
        found = _ENABLED.search(out)
        codes = re.findall(r"\(([A-Z]+[0-9]+)\)", found[1]) if found else []
        if not codes:
            raise program.error(
                f"{program.words} did not list its default rules "
                "(`ruff check --show-settings` printed no `linter.rules.enabled`)"
            )
        _DEFAULTS[program.path] = tuple(codes)
    return _DEFAULTS[program.path]


def _command(program: Program, options: RuffOptions, output: str = "json") -> list[str]:
    cmd = [program.path, "check", "--output-format", output, "--no-cache"]
    cmd += ["--exit-zero", "--quiet", "--no-fix"]  # a project's `fix = true` must not print code
    if options.select:
        cmd += ["--select", ",".join(options.select)]
    return cmd + _project_args(options)


def _project_args(options: RuffOptions) -> list[str]:
    """How the project runs Ruff, for `check` and `format` alike: isolated or not, the values
    its other tools declare, and the user's extra arguments last."""
    args = ["--isolated"] if options.isolated else []
    if options.target_version:
        args += ["--target-version", options.target_version]
    if options.line_length:
        args += ["--line-length", str(options.line_length)]
    for override in options.config_overrides:
        args += ["--config", override]
    return args + list(options.extra_args)


def _run(
    program: Program,
    cmd: Sequence[str],
    options: RuffOptions,
    stdin: str | None,
    cwd: str | None,
    timeout: float | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> str:
    """Ruff's standard output; a run that fails is read for why (`_failure`)."""
    proc = _exec(program, cmd, options, stdin, cwd, timeout, meanwhile)
    if proc.returncode != 0:
        raise _failure(program, proc.returncode, proc.stderr, options)
    return proc.stdout.decode("utf-8", "replace")


def _exec(
    program: Program,
    cmd: Sequence[str],
    options: RuffOptions,
    stdin: str | None,
    cwd: str | None,
    timeout: float | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """One Ruff process, whatever its exit status; only a run that could not finish (too
    slow, or the program gone since it was checked) raises here. `meanwhile` is the caller's
    work that does not need Ruff's answer (a fix-all round's parse): it runs while Ruff lints,
    and Ruff still has the whole timeout after it."""
    env = {**os.environ, **options.env}
    limit = timeout or options.timeout
    try:
        if meanwhile is not None:
            return _exec_while(list(cmd), _utf8(stdin or ""), cwd, env, limit, meanwhile)
        return subprocess.run(
            list(cmd),
            input=_utf8(stdin) if stdin is not None else None,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            timeout=limit,
            cwd=cwd,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        problem = f"{program.words} took longer than {limit:g}s and was stopped"
        raise program.error(problem, TIMEOUT) from exc
    except OSError as exc:  # gone or changed since it was checked
        raise program.error(f"Ruff at {program.path} cannot be run: {_os_words(exc)}") from exc


def _exec_while(
    cmd: list[str],
    data: bytes,
    cwd: str | None,
    env: dict[str, str],
    limit: float,
    meanwhile: Callable[[], object],
) -> subprocess.CompletedProcess[bytes]:
    """Ruff's run with `meanwhile` done in this thread while it lints. Ruff reads its input from
    a file, not a pipe this thread would have to keep feeding: a second thread feeding it would
    wait for the interpreter lock that `meanwhile` holds at every turn."""
    with _input_file(data) as stdin:
        proc = subprocess.Popen(
            cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env
        )
        with proc:
            try:
                meanwhile()
                out, err = proc.communicate(timeout=limit)
            except BaseException:
                proc.kill()
                proc.communicate()
                raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@contextlib.contextmanager
def _input_file(data: bytes) -> Iterator[IO[bytes]]:
    """`data` in an unnamed file at its start: in memory where the system has that (Linux),
    so a buffer's text is never written to disk."""
    memfd = getattr(os, "memfd_create", None)
    with (
        os.fdopen(memfd("surefix-ruff-input"), "w+b") if memfd else tempfile.TemporaryFile()
    ) as handle:
        handle.write(data)
        handle.seek(0)
        yield handle


def _utf8(text: str) -> bytes:
    """Ruff reads UTF-8; a lone surrogate has none, and a stand-in would move fixes onto it."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        at = f"a lone surrogate at offset {exc.start}"
        raise RuffError(f"the text is not valid UTF-8 ({at}); Ruff cannot read it", TEXT) from exc


_TOKEN = re.compile(r"['`]([^'`]+)['`]")
_PANIC = re.compile(r"panicked at [^\n]*\n\s*(\S[^\n]*)")  # the line after: what failed


def _failure(
    program: Program,
    returncode: int,
    stderr: bytes,
    options: RuffOptions,
    doing: str = "linting",
) -> RuffError:
    """Why a Ruff run failed, told apart by what it printed: a signal, an argument it does not
    take (a usage error ends "try '--help'"), the project's configuration, or anything else.
    `doing` names the run ("linting", "formatting"): `ruff format` takes fewer arguments than
    `ruff check`, so the same extra argument can be fine for one and rejected by the other."""
    text = stderr.decode("utf-8", "replace")
    said = _said(text)
    if returncode < 0:
        how = _how(returncode)
        return program.error(
            f"{program.words} {how} while {doing}" + (f": {said}" if said else ""), CRASH
        )
    panic = _PANIC.search(text)
    if panic is not None:  # Ruff's own bug, not our arguments: it prints `error:` all the same
        return program.error(f"{program.words} crashed while {doing} ({panic[1]})", CRASH)
    token = _TOKEN.search(said)
    bad = token[1] if token else ""
    users = any(bad and (arg == bad or arg.split("=")[0] == bad) for arg in options.extra_args)
    if "try '--help'" in text or re.search(r"^error: ", text, re.MULTILINE):
        if users:
            when = "" if doing == "linting" else f" for {doing}"
            return program.error(
                f"{program.words} rejects the extra argument {bad!r}{when} ({said})", ARGUMENTS
            )
        tested = f"surefix is tested with Ruff {RUFF_VERSION}"
        return program.error(
            f"{program.words} does not accept the arguments surefix gives it ({said}; {tested})"
        )
    if "Unknown rule selector" in said and "from the CLI" in said:
        if users or not is_ruff_selector(bad):  # a typo of the user's, not a Ruff too old for it
            return program.error(f"{program.words} rejects a rule selector: {said}", ARGUMENTS)
        tested = f"surefix is tested with Ruff {RUFF_VERSION}"
        return program.error(
            f"{program.words} does not know a rule surefix selects: {said}; {tested}"
        )
    if "Cause:" in text and re.search(r"Failed to (parse|read|load)|\.toml", said):
        return program.error(f"Ruff cannot use this project's configuration: {said}", PROJECT)
    return program.error(f"{program.words} failed: it {_ended(returncode, stderr)}")


def lint_text(
    text: str,
    path: str,
    options: RuffOptions | None = None,
    cwd: str | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> LintResult:
    """Lint one buffer. `path` decides which project configuration and per-file rules apply;
    `meanwhile` runs while Ruff lints (`_exec`)."""
    options = options or RuffOptions()
    program = ruff_program(options.executable)
    cmd = [*_command(program, options), "--stdin-filename", path, "-"]
    raw = _run(program, cmd, options, text, cwd, meanwhile=meanwhile)
    results = list(_parsed(program, raw).values())
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


def lint_notebook(
    cells: Cells, path: str, options: RuffOptions | None = None, cwd: str | None = None
) -> LintResult:
    """Lint a notebook's cells as Ruff lints the notebook at `path` (a `.ipynb`, which makes
    Ruff read its standard input as notebook JSON). Positions are of `cells.text`.

    Ruff's JSON names each finding's cell and places it within the cell, but not the cell of a
    fix's edits: a fix in one cell may add an import in another (UP017 extends the `from datetime
    import` two cells up), and both edits read "row 1"; and an edit that ends past its cell is
    cut at the cell's end, which is not what `--fix` does with it. Ruff's rdjson output gives the
    same findings and edits in positions of the joined text, so it is asked too whenever there
    is a finding, and the two answers must agree finding by finding (rule and cell): a Ruff that
    answers otherwise is a `RuffError`, never an edit put in the wrong cell.
    """
    options = options or RuffOptions()
    if not cells.linted:
        return LintResult(())
    program = ruff_program(options.executable)
    source = cells.to_json()
    json_run = [*_command(program, options), "--stdin-filename", path, "-"]
    items = _read(program, _Json.diagnostics, _run(program, json_run, options, source, cwd))
    if not items:
        return LintResult(())
    rdjson_run = [*_command(program, options, "rdjson"), "--stdin-filename", path, "-"]
    placed = _read(program, _Json.rdjson, _run(program, rdjson_run, options, source, cwd))
    if len(placed) != len(items):
        raise program.error(
            f"{program.words} printed {len(items)} findings as JSON and {len(placed)} as "
            "rdjson for the same notebook"
        )
    violations: list[Violation] = []
    errors: list[Violation] = []
    for item, where in zip(items, placed, strict=True):
        try:
            found = _in_notebook(item, cells, where)
        except ValueError as exc:
            raise program.error(f"{program.words} printed {exc}") from exc
        (violations if item.is_rule else errors).append(found)
    return LintResult(tuple(sorted(violations, key=_sort_key)), tuple(errors))


def _read(program: Program, read: Callable[[str], R], raw: str) -> R:
    """`read(raw)`, Ruff's output; output it cannot read is a `RuffError` naming the program."""
    try:
        return read(raw)
    except _Unreadable as exc:
        raise program.error(f"{program.words} printed {exc}") from exc


def _in_notebook(item: _Diagnostic, cells: Cells, placed: _Placed) -> Violation:
    """One finding of Ruff's notebook JSON, placed in the joined cells by its rdjson twin.
    Raises ValueError (in words) for a finding in no linted cell, or one the two outputs put in
    different cells or give different fixes."""
    cell = item.cell
    where = f"a {item.code or 'finding'} in cell {cell + 1 if cell is not None else '?'}"
    if cell is None or cell not in cells.linted:
        raise ValueError(f"{where}, a cell it does not lint")
    there = cells.locate(placed.start)[0]
    if placed.code != item.code or there != cell:
        raise ValueError(f"{where}, which its rdjson output puts in cell {there + 1}")
    found = item.violation() if item.is_rule else item.syntax_error()
    fix = found.fix
    if fix is not None:
        if sorted(e.content for e in placed.edits) != sorted(e.content for e in fix.edits):
            raise ValueError(f"{where} whose fix differs between its JSON and rdjson output")
        fix = replace(fix, edits=tuple(sorted(placed.edits, key=_edit_key)))
    noqa = found.noqa_line
    start, end = placed.start, cells.clamped(placed.start, placed.end)
    return replace(
        found,
        start=start,
        end=max(start, end),
        fix=fix,
        noqa_line=cells.joined(cell, Position(noqa, 0)).line if noqa is not None else None,
    )


@dataclass(frozen=True)
class Formatted:
    """What `ruff format` made of a text: the formatted text, or — for a text it cannot parse —
    None and where it stopped (`unparsable`, Ruff's words: "line 2, column 1: …")."""

    text: str | None
    unparsable: str | None = None


_UNPARSABLE = re.compile(r"^error: Failed to parse .*?:(\d+):(\d+): (.*)$", re.MULTILINE)


def format_text(
    text: str,
    path: str,
    options: RuffOptions | None = None,
    cwd: str | None = None,
    span: tuple[Position, Position] | None = None,
) -> Formatted:
    """`ruff format` on one buffer, as the file at `path` (its project's `[format]` settings,
    `exclude` and `format.exclude` apply: an excluded file comes back unchanged). `span`, in
    code points, formats only the logical lines it touches (`--range`, end exclusive).

    The options are the lint's: the user's program and extra arguments, and for a project
    without Ruff configuration the `--config` values its other tools declare (black's line
    length, say). Ruff drops a byte-order mark from what it prints and crashes on a range in
    a text that starts with one, so the mark is kept out of Ruff's sight and put back."""
    options = options or RuffOptions()
    program = ruff_program(options.executable)
    bom = text.startswith(BOM)
    body = text[1:] if bom else text
    cmd = [program.path, "format", "--no-cache", "--force-exclude", *_project_args(options)]
    if span is not None:
        start, end = (_before_bom(p) if bom else p for p in span)
        cmd.append(f"--range={start.line + 1}:{start.column + 1}-{end.line + 1}:{end.column + 1}")
    cmd += ["--stdin-filename", path, "-"]
    proc = _exec(program, cmd, options, body, cwd)
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace")
        stopped = _UNPARSABLE.search(stderr)
        if stopped is not None and proc.returncode == 2:
            line, column, message = stopped.groups()
            return Formatted(None, f"line {line}, column {column}: {message.strip()}")
        raise _failure(program, proc.returncode, proc.stderr, options, "formatting")
    formatted = proc.stdout.decode("utf-8", "replace")
    return Formatted(BOM + formatted if bom else formatted)


def _before_bom(p: Position) -> Position:
    """A buffer position in a text whose byte-order mark was taken off."""
    return Position(p.line, max(p.column - 1, 0)) if p.line == 0 else p


def lint_tree(
    root: Path, options: RuffOptions, fixable_rules_only: bool = False
) -> dict[str, LintResult]:
    """Lint every Python file below `root` in one Ruff process; keys are paths relative to root.

    `fixable_rules_only` keeps just the rules that offered a fix somewhere in the output: the
    miner needs no others, and `--select ALL` reports ten times more that it would only parse.
    """
    program = ruff_program(options.executable)
    raw = _run(program, [*_command(program, options), "."], options, None, str(root))
    return _parsed(program, raw, root, fixable_rules_only)


def _parsed(
    program: Program, raw: str, root: Path | None = None, fixable_rules_only: bool = False
) -> dict[str, LintResult]:
    try:
        return parse_output(raw, root, fixable_rules_only)
    except RuffError as exc:
        raise program.error(f"{program.words} {exc.problem}") from exc


def parse_output(
    raw: str, root: Path | None = None, fixable_rules_only: bool = False
) -> dict[str, LintResult]:
    """Group Ruff's JSON diagnostics by file. Syntax errors (no rule code) are counted, not kept.

    Raises `RuffError` ("printed …") for output that is not JSON or not shaped as Ruff prints it.
    """
    try:
        items = _Json.diagnostics(raw)
    except _Unreadable as exc:
        raise RuffError(f"printed {exc}") from exc
    if fixable_rules_only:
        fixable = {item.code for item in items if item.fix is not None}
        items = [item for item in items if not item.is_rule or item.code in fixable]
    grouped: dict[str, list[Violation]] = {}
    errors: dict[str, list[Violation]] = {}
    prefix = str(root.resolve()) + os.sep if root is not None else ""
    for item in items:
        filename = os.path.normpath(item.filename)
        if prefix and filename.startswith(prefix):
            filename = filename[len(prefix) :]
        grouped.setdefault(filename, [])
        if item.is_rule:
            grouped[filename].append(item.violation())
        else:
            errors.setdefault(filename, []).append(item.syntax_error())
    return {
        name: LintResult(tuple(sorted(vs, key=_sort_key)), tuple(errors.get(name, ())))
        for name, vs in grouped.items()
    }


def _sort_key(v: Violation) -> tuple[Position, str]:
    return (v.start, v.rule)


class _Unreadable(ValueError):
    """Ruff's JSON is not shaped as Ruff prints it; the message says where and how."""


@dataclass(frozen=True)
class _Diagnostic:
    """One diagnostic of Ruff's JSON, its shape checked: what the rest of the module reads."""

    code: str
    name: str
    message: str
    filename: str
    start: Position | None
    end: Position | None
    fix: Fix | None
    noqa_line: int | None
    url: str | None
    cell: int | None = None  # 0-based, in a notebook's JSON: positions are within the cell

    @property
    def is_rule(self) -> bool:
        """Rule diagnostics have codes like `F401`; syntax errors come as `invalid-syntax` or
        null."""
        return bool(_RULE_CODE.match(self.code))

    def violation(self) -> Violation:
        assert self.start is not None and self.end is not None  # checked for rules
        return Violation(
            self.code, self.name, self.message, self.start, self.end, self.fix, self.noqa_line,
            self.url,
        )  # fmt: skip

    def syntax_error(self) -> Violation:
        start = self.start or Position(0, 0)
        message = (self.message or "syntax error").removeprefix("SyntaxError: ")
        return Violation(SYNTAX_ERROR, "invalid-syntax", message, start, self.end or start, None)


@dataclass(frozen=True)
class _Placed:
    """One finding of Ruff's rdjson output: its code, and its range and fix edits in positions
    of the text Ruff linted (for a notebook, the joined cells)."""

    code: str
    start: Position
    end: Position
    edits: tuple[Edit, ...]


class _Json:
    """The one place Ruff's JSON is read: every value is checked for the type Ruff prints
    before it is used, and one that is not becomes `_Unreadable` naming where it was."""

    @staticmethod
    def diagnostics(raw: str) -> list[_Diagnostic]:
        """`ruff check --output-format json`: a list of diagnostic objects."""
        data = _loads(raw)
        try:
            if not isinstance(data, list):
                raise _Unreadable(f"expected a list of diagnostics, got {_kind(data)}")
            count = len(data)
            return [
                _Json.diagnostic(x, f"diagnostic {i + 1} of {count}") for i, x in enumerate(data)
            ]
        except _Unreadable as exc:
            raise _Unreadable(f"JSON surefix cannot read: {exc}") from exc

    @staticmethod
    def rules(raw: str) -> list[Mapping[str, Any]]:
        """`ruff rule --all --output-format json`: a list of rule objects, those with a code
        (a preview rule may have none yet)."""
        data = _loads(raw)
        try:
            if not isinstance(data, list):
                raise _Unreadable(f"expected a list of rules, got {_kind(data)}")
            count = len(data)
            rules = [_object(rule, f"rule {i + 1} of {count}") for i, rule in enumerate(data)]
            return [
                rule
                for i, rule in enumerate(rules)
                if _text(rule, "code", f"rule {i + 1} of {count}")
            ]
        except _Unreadable as exc:
            raise _Unreadable(f"JSON surefix cannot read: {exc}") from exc

    @staticmethod
    def diagnostic(value: object, where: str) -> _Diagnostic:
        item = _object(value, where)
        code = _text(item, "code", where) or ""
        where = f"{where} ({code})" if code else where
        is_rule = bool(_RULE_CODE.match(code))
        start = _position(item, "location", where, required=is_rule)
        fix = item.get("fix")
        return _Diagnostic(
            code=code,
            name=_text(item, "name", where) or "",
            message=_text(item, "message", where) or "",
            filename=_text(item, "filename", where) or "",
            start=start,
            end=_position(item, "end_location", where, required=is_rule),
            fix=_Json.fix(fix, f"{where}'s fix") if fix is not None and is_rule else None,
            noqa_line=_row(item, "noqa_row", where),
            url=_text(item, "url", where),
            cell=_row(item, "cell", where),
        )

    @staticmethod
    def rdjson(raw: str) -> list[_Placed]:
        """`ruff check --output-format rdjson`: `{"diagnostics": [...]}`, each with its code,
        range and the edits of its fix (`suggestions`), in lines of the text Ruff linted."""
        data = _loads(raw or "{}")
        try:
            found = _object(data, "the rdjson output").get("diagnostics") or []
            if not isinstance(found, list):
                raise _Unreadable(f'"diagnostics" is {_kind(found)}, not a list')
            count = len(found)
            return [_Json.placed(x, f"diagnostic {i + 1} of {count}") for i, x in enumerate(found)]
        except _Unreadable as exc:
            raise _Unreadable(f"rdjson surefix cannot read: {exc}") from exc

    @staticmethod
    def placed(value: object, where: str) -> _Placed:
        item = _object(value, where)
        code = item.get("code")
        name = _text(_object(code, f"{where}'s code"), "value", where) if code is not None else None
        start, end = _Json.span(item.get("location"), f"{where}'s location")
        suggestions = item.get("suggestions") or []
        if not isinstance(suggestions, list):
            raise _Unreadable(f"{where} has suggestions that are {_kind(suggestions)}, not a list")
        edits = []
        for i, suggestion in enumerate(suggestions):
            at = f"{where}, suggestion {i + 1}"
            entry = _object(suggestion, at)
            first, last = _Json.span(entry, at)
            edits.append(Edit(first, last, _text(entry, "text", at) or ""))
        return _Placed(name or "", start, end, tuple(edits))

    @staticmethod
    def span(value: object, where: str) -> tuple[Position, Position]:
        """rdjson's `{range: {start: {line, column}, end}}`, both 1-based; no end: the start."""
        range_ = _object(_object(value, where).get("range"), f"{where}'s range")
        start = _line_column(range_.get("start"), f"{where}'s start")
        end = _line_column(range_.get("end"), f"{where}'s end") if "end" in range_ else start
        return start, end

    @staticmethod
    def fix(value: object, where: str) -> Fix | None:
        fix = _object(value, where)
        edits = fix.get("edits")
        if edits is None:
            edits = []
        if not isinstance(edits, list):
            raise _Unreadable(f"{where} has edits that are {_kind(edits)}, not a list")
        parsed = []
        for i, edit in enumerate(edits):
            at = f"{where}, edit {i + 1}"
            entry = _object(edit, at)
            start = _position(entry, "location", at, required=True)
            end = _position(entry, "end_location", at, required=True)
            assert start is not None and end is not None
            parsed.append(Edit(start, end, _text(entry, "content", at) or ""))
        if not parsed:
            return None
        applicability = (_text(fix, "applicability", where) or "unsafe").lower()
        if applicability == "displayonly":
            applicability = "display-only"
        message = _text(fix, "message", where) or ""
        return Fix(applicability, message, tuple(sorted(parsed, key=_edit_key)))


def _loads(raw: str) -> Any:
    try:
        return json.loads(raw or "[]")
    except json.JSONDecodeError as exc:
        raise _Unreadable(
            f"output that is not JSON ({exc.msg}; it begins {_quote(raw, 40)})"
        ) from exc


def _kind(value: object) -> str:
    """What a JSON value is, in words: "an object", "a string", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    words = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return words.get(type(value), type(value).__name__)


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Unreadable(f"{where} is {_kind(value)}, not an object")
    return value


def _text(item: Mapping[str, Any], key: str, where: str, required: bool = False) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        got = "missing" if key not in item else _kind(value)
        raise _Unreadable(f'{where} has "{key}" {got}, not a string')
    return value


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _row(item: Mapping[str, Any], key: str, where: str) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if not _whole(value):
        raise _Unreadable(f'{where} has "{key}" {_kind(value)}, not a row number')
    return int(value) - 1


def _position(
    item: Mapping[str, Any], key: str, where: str, required: bool = False
) -> Position | None:
    """Ruff's `{row, column}`, both 1-based, as a 0-based `Position`."""
    loc = item.get(key)
    if loc is None and not required:
        return None
    if loc is None:
        raise _Unreadable(f'{where} has no "{key}"')
    if not isinstance(loc, dict) or not (_whole(loc.get("row")) and _whole(loc.get("column"))):
        raise _Unreadable(f'{where} has a "{key}" that is not a row and column from 1')
    return Position(int(loc["row"]) - 1, int(loc["column"]) - 1)


def _line_column(value: object, where: str) -> Position:
    if not isinstance(value, dict) or not all(_whole(value.get(k)) for k in ("line", "column")):
        raise _Unreadable(f"{where} is not a line and column from 1")
    return Position(int(value["line"]) - 1, int(value["column"]) - 1)


def _edit_key(e: Edit) -> tuple[Position, Position]:
    return (e.start, e.end)
