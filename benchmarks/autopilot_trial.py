"""A trial of the autopilot (`surefix fix`) on real projects, rerunnable from pinned commits.

    make trial            # or: .venv/bin/python benchmarks/autopilot_trial.py [--json OUT]

For each project in `PROJECTS` the script exports the pinned commit from a bare mirror
(`--mirror-root`/owner+name/repo, brought there by the search tool's `fetch`) into a temporary
directory outside this repository, picks its busiest Python files, runs the real `surefix fix` on
them from the project root, and checks every file against the project's own choices:

* which rules' fixes were applied: `surefix fix` prints one summary line per file
  (`PATH: applied N (RULE xN, ...); skipped ...`); the script reads it, and flags a file whose
  text changed without a summary saying so, or the other way round;
* the file still parses (`ast.parse`);
* `ruff check` with the project's own configuration (run from the project root, no `--select`,
  the Ruff beside this interpreter) reports nothing that it did not report before: multisets of
  (rule, message) per file, line numbers taken out of messages, since lines move;
* each applied rule is one the project chose, by the product's own `project_facts` (with the
  default selection of the Ruff in use): this checks that the autopilot follows the facts, not
  that the facts are right; the `ruff check` and formatter checks are the independent ones;
* the formatters the project runs (`black --check`, `isort --check-only`, `ruff format --check`),
  before and after: a file they accepted before and reject after is a regression. black and isort
  are installed at the project's pinned versions into throwaway venvs under `--tools-dir`; when
  that fails the check is skipped and the reason printed.

"Busiest" means the most commits (merges excluded) touching the path up to the pinned commit,
among the `.py` files present there that parse: the files a project's developers edit most,
which is where an autopilot would run. Ties go to the longer file, then the path; so the pick is
deterministic for a commit. `--pick size` takes the longest files instead.

Exit status: 0 when every project met the three criteria (no rule outside the project's choice,
no file that stopped parsing, no new violation), 1 when one did not, 2 when a project could not be
run at all (no mirror, commit missing, `surefix fix` failed). It is not part of the test suite:
it needs the mirrors and takes minutes.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Adding a project: fetch it (`github:owner/name`), pin the commit the mirror has, say its shape
# and list the formatters its own checks run, at the versions it pins.


@dataclass(frozen=True)
class Formatter:
    name: str  # "black", "isort" or "ruff-format"
    version: str = ""  # the PyPI version to install; "" for ruff-format (the venv's Ruff)
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    repo: str  # owner/name on GitHub
    commit: str
    shape: str
    formatters: tuple[Formatter, ...] = ()


PROJECTS = (
    Project(
        "jazzband/pip-tools",
        "c58d5d945c0f20e9713e10f5fea2491a5c984f39",
        "flake8 (.flake8) + black + isort, no Ruff configuration; tests/ import the package",
        # .pre-commit-config.yaml at that commit
        (Formatter("black", "26.5.1", ("--target-version=py39",)), Formatter("isort", "9.0.0b5")),
    ),
    Project(
        "encode/uvicorn",
        "e6c7ce791fc634b6eedee40e0d0207faa8a9aefd",
        "Ruff in pyproject.toml (select E, F, I, FA, UP); `ruff format` (scripts/check)",
        (Formatter("ruff-format"),),
    ),
    Project(
        "jazzband/prettytable",
        "190af197c7b3f1c12e9bb266093610d559229ec3",
        "src/ layout; Ruff in pyproject.toml with `fix = true`; black (pre-commit)",
        (Formatter("black", "24.8.0"),),
    ),
    Project(
        "Pylons/pyramid",
        "5b13e4a61b479be17c1d97ab504154595813a8f8",
        "flake8 (.flake8) + black + isort with sections of its own (no standard-library one, no"
        " blank line before third-party imports), no Ruff configuration",
        # pyproject.toml's lint group at that commit: black ~= 26.1.0, isort ~= 5.12
        (Formatter("black", "26.1.0"), Formatter("isort", "5.13.2")),
    ),
    Project(
        "kennethreitz/records",
        "ea4273695cee6da42edf1cb294d1f2a4505470fc",
        "no lint or format configuration at all; one module and its tests",
    ),
)

FACTS_LABEL = "surefix.features.project.facts.project_facts"
_SUMMARY = re.compile(r": applied (\d+)(?: \(([^)]*)\))?;")
_RULE_COUNT = re.compile(r"([A-Z]+[0-9]+) x(\d+)")
_LINE_NUMBER = re.compile(r"\bline \d+")
RUFF_FILES = ("ruff.toml", ".ruff.toml", "pyproject.toml")


class Skip(Exception):
    """This project cannot be run; the message says why."""


# ---- getting the code -------------------------------------------------------------------------


def mirror_of(project: Project, mirror_root: Path) -> Path:
    git_dir = mirror_root / project.repo.replace("/", "+") / "repo"
    if not git_dir.is_dir():
        raise Skip(f"no mirror at {git_dir}: bring it with the fetch tool (github:{project.repo})")
    found = git(git_dir, "cat-file", "-t", project.commit, check=False)
    if found.strip() != "commit":
        raise Skip(f"{git_dir} has no commit {project.commit}; fetch it again or pin another")
    return git_dir


def git(git_dir: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise Skip(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def export(git_dir: Path, commit: str, dest: Path) -> None:
    """The tree at `commit`, as `git archive | tar -x` would write it, into `dest`."""
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise Skip(f"git archive failed: {proc.stderr.decode(errors='replace').strip()}")
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(dest, filter="data")


def outside_config(root: Path) -> Path | None:
    """A Ruff configuration above the temporary tree would leak into both Ruff and surefix."""
    for folder in root.parents:
        for name in RUFF_FILES:
            if (folder / name).is_file():
                return folder / name
    return None


def busiest(git_dir: Path, commit: str, root: Path, count: int, pick: str) -> list[str]:
    """The `count` busiest `.py` files present at `commit` that parse (see the module doc)."""
    lines: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            ast.parse(text)
        except SyntaxError:
            continue  # test data meant to be broken says nothing about the autopilot
        lines[path.relative_to(root).as_posix()] = text.count("\n")
    commits: Counter[str] = Counter()
    if pick == "commits":
        log = git(git_dir, "log", "--no-merges", "--format=", "--name-only", commit, "--", "*.py")
        commits.update(name for name in log.splitlines() if name in lines)
    ranked = sorted(lines, key=lambda p: (-commits[p], -lines[p], p))
    return ranked[:count]


# ---- what the project checks ------------------------------------------------------------------


def ruff_json(ruff: str, root: Path, files: Sequence[str]) -> dict[str, list[dict[str, object]]]:
    """`ruff check` as the project runs it: its configuration, no --select; by relative path."""
    cmd = [ruff, "check", "--output-format", "json", "--no-cache", "--no-fix", "--exit-zero"]
    proc = subprocess.run([*cmd, "--", *files], cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise Skip(f"ruff check failed: {proc.stderr.strip()}")
    grouped: dict[str, list[dict[str, object]]] = {f: [] for f in files}
    for item in json.loads(proc.stdout or "[]"):
        name = Path(str(item["filename"])).resolve().relative_to(root.resolve()).as_posix()
        grouped.setdefault(name, []).append(item)
    return grouped


def violation_keys(items: Iterable[dict[str, object]]) -> Counter[tuple[str, str]]:
    """(rule, message) of each rule violation; syntax errors are the parse check's business."""
    keys: Counter[tuple[str, str]] = Counter()
    for item in items:
        if item.get("code"):
            keys[(str(item["code"]), _LINE_NUMBER.sub("line N", str(item.get("message"))))] += 1
    return keys


@dataclass
class Choice:
    """Whether a project chose a rule for a file, and who says so."""

    label: str
    chooses: Callable[[str, str], bool]  # (file, rule)
    why_not: Callable[[str, str], str]


def project_choice(ruff: str, root: Path, sample: str) -> Choice:
    """The product's own answer (`project_facts`, with the Ruff in use's default selection):
    the trial checks the autopilot against the same facts the autopilot is meant to follow,
    so it proves they are followed, not that they are right — the formatter and `ruff check`
    columns are the independent checks."""
    from surefix.features.project.cache import FactsCache
    from surefix.features.ruff.run import RuffOptions, default_rules

    cache = FactsCache(default_rules(RuffOptions(executable=ruff)))
    return Choice(
        FACTS_LABEL,
        lambda file, rule: cache.get(root / file, root).chooses(rule),
        lambda file, rule: str(cache.get(root / file, root).why_not(rule)),
    )


def formatter_command(formatter: Formatter, tools: Path, ruff: str) -> list[str]:
    """The formatter's check command, installing it first; raises Skip with the reason."""
    if formatter.name == "ruff-format":
        return [ruff, "format", "--check", "--no-cache", *formatter.args]
    venv = tools / f"{formatter.name}-{formatter.version}"
    exe = venv / "bin" / formatter.name
    if not exe.is_file():
        shutil.rmtree(venv, ignore_errors=True)
        proc = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if proc.returncode == 0:
            pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
            proc = subprocess.run(
                [*pip, f"{formatter.name}=={formatter.version}"], capture_output=True, text=True
            )
        if proc.returncode != 0 or not exe.is_file():
            detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            shutil.rmtree(venv, ignore_errors=True)
            raise Skip(f"could not install {formatter.name}=={formatter.version}: {detail}")
    check = ["--check", "--quiet"] if formatter.name == "black" else ["--check-only", "--quiet"]
    return [str(exe), *check, *formatter.args]


def formatter_accepts(cmd: Sequence[str], root: Path, files: Sequence[str]) -> dict[str, bool]:
    return {
        f: subprocess.run([*cmd, f], cwd=root, capture_output=True).returncode == 0 for f in files
    }


# ---- one project ------------------------------------------------------------------------------


@dataclass
class FileResult:
    path: str
    applied: dict[str, int]
    summary: str
    changed: bool
    parses: bool
    outside: dict[str, int]
    new_violations: dict[str, int]
    added: int
    removed: int
    disagreement: str = ""


@dataclass
class ProjectResult:
    repo: str
    commit: str
    shape: str
    pick: str
    choice: str = ""
    command: str = ""
    seconds: float = 0.0
    exit_code: int | None = None
    files: list[FileResult] = field(default_factory=list)
    why_not: dict[str, str] = field(default_factory=dict)
    violations_before: int = 0
    violations_after: int = 0
    formatters: dict[str, dict[str, object]] = field(default_factory=dict)
    skipped: str = ""

    def total(self, attr: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        for f in self.files:
            counts.update(getattr(f, attr))
        return counts

    @property
    def broken(self) -> list[str]:
        return [f.path for f in self.files if not f.parses]

    @property
    def met(self) -> bool:
        return not (self.total("outside") or self.broken or self.total("new_violations"))


def parse_summaries(stdout: str, files: Sequence[str]) -> dict[str, tuple[str, dict[str, int]]]:
    """Each file's `surefix fix` summary line and the applied fixes by rule it states."""
    found: dict[str, tuple[str, dict[str, int]]] = {}
    for line in stdout.splitlines():
        for f in files:
            if line.startswith(f"{f}: applied ") and (m := _SUMMARY.match(line, len(f))):
                rules = {r: int(n) for r, n in _RULE_COUNT.findall(m.group(2) or "")}
                if sum(rules.values()) != int(m.group(1)):
                    rules["?"] = int(m.group(1)) - sum(rules.values())
                found[f] = (line, rules)
    return found


def run_project(project: Project, args: argparse.Namespace, work: Path) -> ProjectResult:
    result = ProjectResult(project.repo, project.commit, project.shape, args.pick)
    git_dir = mirror_of(project, args.mirror_root)
    root = work / project.repo.replace("/", "+")
    export(git_dir, project.commit, root)
    if leak := outside_config(root):
        raise Skip(f"{leak} is above the temporary tree and would configure Ruff there")
    files = busiest(git_dir, project.commit, root, args.files, args.pick)
    if not files:
        raise Skip("no Python file that parses")
    choice = project_choice(args.ruff, root, files[0])
    result.choice = choice.label

    before_text = {f: (root / f).read_text(encoding="utf-8") for f in files}
    before_lint = ruff_json(args.ruff, root, files)
    checks: dict[str, tuple[list[str], dict[str, bool]]] = {}
    for formatter in project.formatters:
        label = f"{formatter.name} {formatter.version}".strip()
        try:
            cmd = formatter_command(formatter, args.tools_dir, args.ruff)
        except Skip as exc:
            result.formatters[label] = {"skipped": str(exc)}
            continue
        checks[label] = (cmd, formatter_accepts(cmd, root, files))

    cmd = [args.surefix, "fix", "--ruff", args.ruff, *files]
    result.command = f"cd {root.name} && surefix fix --ruff RUFF {' '.join(files)}"
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    result.seconds = round(time.perf_counter() - start, 1)
    result.exit_code = proc.returncode
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise Skip(f"surefix fix exited {proc.returncode}: {tail}")
    summaries = parse_summaries(proc.stdout, files)

    after_lint = ruff_json(args.ruff, root, files)
    for label, (fmt_cmd, before) in checks.items():
        after = formatter_accepts(fmt_cmd, root, files)
        result.formatters[label] = {
            "accepted_before": sum(before.values()),
            "accepted_after": sum(after.values()),
            "newly_rejected": [f for f in files if before[f] and not after[f]],
        }
    for f in files:
        text = (root / f).read_text(encoding="utf-8")
        try:
            ast.parse(text)
            parses = True
        except SyntaxError:
            parses = False
        summary, applied = summaries.get(f, ("", {}))
        changed = text != before_text[f]
        disagreement = ""
        if not summary:
            disagreement = "no summary line from surefix fix"
        elif changed != bool(applied):
            disagreement = "summary and file disagree: " + (
                "file changed, summary applied none" if changed else "applied, file unchanged"
            )
        outside = {r: n for r, n in applied.items() if r != "?" and not choice.chooses(f, r)}
        for rule in outside:
            result.why_not.setdefault(rule, choice.why_not(f, rule))
        new = violation_keys(after_lint.get(f, [])) - violation_keys(before_lint.get(f, []))
        added = removed = 0
        for line in difflib.unified_diff(
            before_text[f].splitlines(), text.splitlines(), lineterm="", n=0
        ):
            if line.startswith(("+++", "---")):
                continue
            added += line.startswith("+")
            removed += line.startswith("-")
        new_by_rule: Counter[str] = Counter()
        for (rule, _), n in new.items():
            new_by_rule[rule] += n
        result.files.append(
            FileResult(
                f,
                applied,
                summary,
                changed,
                parses,
                outside,
                dict(new_by_rule),
                added,
                removed,
                disagreement,
            )
        )
        result.violations_before += sum(violation_keys(before_lint.get(f, [])).values())
        result.violations_after += sum(violation_keys(after_lint.get(f, [])).values())
    return result


# ---- output -----------------------------------------------------------------------------------


def counts(c: dict[str, int] | Counter[str]) -> str:
    return ", ".join(f"{r} {n}" for r, n in sorted(c.items())) or "none"


def print_project(r: ProjectResult) -> None:
    print(f"\n== {r.repo} @ {r.commit[:12]} — {r.shape}")
    if r.skipped:
        print(f"   SKIPPED: {r.skipped}")
        return
    print(f"   files: {len(r.files)}, the busiest by {r.pick}; surefix fix took {r.seconds} s")
    print(f"   command (from the project root): {r.command}")
    print(f"   chosen by: {r.choice}")
    width = max(len(f.path) for f in r.files)
    print(f"   {'file':<{width}}  {'+/-':>9}  parses  applied (outside choice) [new violations]")
    for f in r.files:
        off = f" (outside: {counts(f.outside)})" if f.outside else ""
        fresh = f" [new: {counts(f.new_violations)}]" if f.new_violations else ""
        note = f"  !! {f.disagreement}" if f.disagreement else ""
        diff = f"+{f.added} -{f.removed}"
        print(
            f"   {f.path:<{width}}  {diff:>9}  {'yes' if f.parses else 'NO':<6}  "
            f"{counts(f.applied)}{off}{fresh}{note}"
        )
    applied, outside, new = r.total("applied"), r.total("outside"), r.total("new_violations")
    print(f"   fixes applied by rule: {counts(applied)} (total {sum(applied.values())})")
    print(f"   rules outside the project's choice: {sum(outside.values())} ({counts(outside)})")
    for rule, why in sorted(r.why_not.items()):
        print(f"       {rule}: {why}")
    print(f"   files that no longer parse: {len(r.broken)} {' '.join(r.broken)}".rstrip())
    print(f"   new violations by rule: {sum(new.values())} ({counts(new)})")
    print(
        f"   project-config violations in these files: {r.violations_before} before, "
        f"{r.violations_after} after"
    )
    for label, outcome in r.formatters.items():
        if "skipped" in outcome:
            print(f"   {label} check: skipped: {outcome['skipped']}")
            continue
        rejected = outcome["newly_rejected"]
        assert isinstance(rejected, list)
        print(
            f"   {label} check: accepted {outcome['accepted_before']}/{len(r.files)} before, "
            f"{outcome['accepted_after']}/{len(r.files)} after; newly rejected {len(rejected)} "
            f"{' '.join(rejected)}".rstrip()
        )
    changed = [f for f in r.files if f.added or f.removed]
    print(
        f"   diff: {len(changed)} files changed, {sum(f.added for f in r.files)} insertions(+), "
        f"{sum(f.removed for f in r.files)} deletions(-)"
    )
    print(f"   criteria met: {'yes' if r.met else 'NO'}")


def main(argv: Sequence[str] | None = None) -> int:
    here = Path(sys.executable).parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--surefix", default=str(here / "surefix"), help="the surefix CLI")
    parser.add_argument("--ruff", default=str(here / "ruff"), help="Ruff for every check")
    parser.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"))
    parser.add_argument(
        "--tools-dir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "surefix-trial",
        help="where black and isort get their throwaway venvs",
    )
    parser.add_argument("--files", type=int, default=8, help="busiest files per project")
    parser.add_argument("--pick", choices=("commits", "size"), default="commits")
    parser.add_argument("--project", action="append", help="only this owner/name (repeatable)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary checkouts")
    args = parser.parse_args(argv)
    for tool in (args.surefix, args.ruff):
        if not Path(tool).is_file():
            parser.error(f"{tool} not found (make .venv/bin/surefix)")

    projects = [p for p in PROJECTS if not args.project or p.repo in args.project]
    work = Path(tempfile.mkdtemp(prefix="surefix-trial-"))
    results = []
    try:
        ruff_version = subprocess.run([args.ruff, "--version"], capture_output=True, text=True)
        print(f"surefix autopilot trial: {ruff_version.stdout.strip()}; temporary tree {work}")
        for project in projects:
            try:
                result = run_project(project, args, work)
            except Skip as exc:
                result = ProjectResult(project.repo, project.commit, project.shape, args.pick)
                result.skipped = str(exc)
            results.append(result)
            print_project(result)
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        head = subprocess.run(
            ["git", "-C", str(Path(__file__).parent), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
        )
        report = {
            "surefix_commit": head.stdout.strip(),
            "ruff": ruff_version.stdout.strip(),
            "projects": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    if any(r.skipped for r in results):
        return 2
    return 0 if all(r.met for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
