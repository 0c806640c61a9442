"""`surefix check`, `fix` and `demo`: the language server's analysis, in a terminal.

They call the same `analyze` and `fix_until_stable` the server calls and word scores with the same
badges, so a number in the terminal is the number in the editor.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from surefix.features.project.cache import FactsCache
from surefix.features.project.facts import ProjectFacts
from surefix.features.ruff.run import RuffOptions, default_rules
from surefix.features.sources import is_python_source
from surefix.model.analysis import (
    AUTO,
    MANUAL,
    REVIEW,
    UNSCORED,
    Analysis,
    Candidate,
    analyze,
    ranked,
)
from surefix.model.autofix import FixRun, Hold, Parse, band_hold, fix_until_stable
from surefix.model.scoring.scorer import TrustModel, load_model
from surefix.server.cli.formats import as_json, github_lines, json_lines, sarif_log
from surefix.server.wording import applied_words, badge, explanation_lines, held_lines

_SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "node_modules", "build", "dist", ".tox"}
BANDS = (AUTO, REVIEW, MANUAL, UNSCORED)
FORMATS = ("text", "json", "json-lines", "github", "sarif")


def register(commands: Any) -> None:
    check = commands.add_parser("check", help="score the fixes Ruff offers for Python files")
    check.add_argument("paths", nargs="+", type=Path)
    _add_common(check)
    check.add_argument("--explain", action="store_true", help="show what moved each score")
    check.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="json-lines: a finding per line; github: Actions annotations; sarif: SARIF 2.1.0",
    )
    check.set_defaults(handler=run_check)

    fix = commands.add_parser(
        "fix", help="apply trusted fixes until nothing changes (default: the auto-apply band)"
    )
    fix.add_argument("paths", nargs="+", type=Path)
    _add_common(fix)
    fix.add_argument(
        "--min-trust", type=_probability, metavar="X", help="apply safe fixes scoring at least X"
    )
    fix.add_argument("--unsafe-fixes", action="store_true", help="with --min-trust: unsafe too")
    fix.add_argument("--diff", action="store_true", help="print a diff instead of writing files")
    fix.add_argument(
        "--exit-non-zero-on-fix",
        action="store_true",
        help="exit 1 when a file was changed (as a pre-commit hook that modifies files does)",
    )
    fix.set_defaults(handler=run_fix)

    demo = commands.add_parser("demo", help="run `check --explain` on the bundled sample project")
    _add_common(demo)
    demo.set_defaults(handler=run_demo, paths=None, format="text", explain=True)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="a model directory (default: the bundled one)")
    parser.add_argument("--ruff", help="path of the ruff binary")
    parser.add_argument("--ascii", action="store_true", help="plain ASCII badges")


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text}")
    return value


def sample_project() -> Path:
    return Path(__file__).resolve().parents[1] / "sample_project"


def run_demo(args: argparse.Namespace) -> int:
    args.paths = [sample_project()]
    run_check(args)
    return 0


def run_check(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    ruff = RuffOptions(executable=args.ruff)
    analyses, failed = analyze_files(args.paths, model, ruff, FactsCache(default_rules(ruff)))
    style = "ascii" if args.ascii else "unicode"
    root = Path.cwd()
    if args.format == "json":
        json.dump([as_json(a, model, args.explain) for a in analyses], sys.stdout, indent=1)
        print()
    elif args.format == "json-lines":
        for line in json_lines(analyses, model, args.explain):
            print(line)
    elif args.format == "github":
        for line in github_lines(analyses, model, args.explain, style, root):
            print(line)
    elif args.format == "sarif":
        log = sarif_log(analyses, model, args.explain, style, root, succeeded=not failed)
        json.dump(log, sys.stdout, indent=1)
        print()
    else:
        _print_text(analyses, model, args.explain, style)
    if failed:
        return 2
    return 1 if any(a.candidates for a in analyses) else 0


def analyze_files(
    paths: list[Path], model: TrustModel, ruff: RuffOptions, projects: FactsCache
) -> tuple[list[Analysis], int]:
    """Analyses of every readable file, each as its own project runs Ruff; an unreadable one
    is reported on stderr and skipped."""
    analyses, failed = [], 0
    for path in python_files(paths):
        text = read_source(path)
        if text is None:
            failed += 1
            continue
        analyses.append(analyze(text, path, model, ruff, facts=projects.get(path, None)))
    return analyses, failed


def read_source(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8", newline="") as fh:  # keep CRLF as it is
            return fh.read()
    except UnicodeDecodeError as exc:
        print(f"surefix: error: {path}: not UTF-8 text ({exc.reason}); skipped", file=sys.stderr)
    except OSError as exc:
        print(f"surefix: error: {path}: {exc.strerror}; skipped", file=sys.stderr)
    return None


def python_files(paths: list[Path]) -> Iterator[Path]:
    """The Python files `paths` name: each named file that is Python source (another, such as a
    README a hook runner or a glob passed, is skipped with a note on stderr and changes no exit
    code), and every `*.py` under a named directory."""
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or directory")
        if path.is_file():
            if is_python_source(path):
                yield path
            else:
                print(f"surefix: {path}: not a Python file; skipped", file=sys.stderr)
            continue
        for child in sorted(path.rglob("*.py")):
            if not _SKIP_DIRS.intersection(child.relative_to(path).parts):
                yield child


def _print_text(analyses: list[Analysis], model: TrustModel, explain: bool, style: str) -> None:
    totals = dict.fromkeys(BANDS, 0)
    for analysis in analyses:
        for c in ranked(analysis.candidates):
            totals[c.band] += 1
            v = c.violation
            print(f"{analysis.path}:{v.start.line + 1}:{v.start.column + 1}: {v.rule} {v.message}")
            print(
                f"    {badge(c, style):>6}  {c.band:<16} {c.fix.message or 'Apply fix'} "
                f"[ruff: {c.fix.applicability}]"
            )
            if explain:
                for line in explanation_lines(model, c):
                    print(f"        {line}")
    t = model.thresholds
    print(
        f"\n{sum(totals.values())} fixes: {totals[AUTO]} auto-apply, {totals[REVIEW]} "
        f"review-suggested, {totals[MANUAL]} manual-only  (model {model.version}; "
        f"auto ≥ {t.auto:.2f} and safe, review ≥ {t.review:.2f})"
    )


def trust_rule(args: argparse.Namespace) -> Hold:
    """Which fixes `fix` applies: the auto-apply band (which the project's own rules and the
    user's record already shape), or `--min-trust` (safe unless told), which asks for more."""
    if args.min_trust is None:
        return band_hold
    tiers = ("safe", "unsafe") if args.unsafe_fixes else ("safe",)

    def hold(c: Candidate, text: str) -> str | None:
        if c.fix.applicability not in tiers:
            return f"Ruff marks the fix {c.fix.applicability}"
        if c.score is None or c.score < args.min_trust:
            return f"its trust score is below {args.min_trust:g}"
        return None

    return hold


def run_fix(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    ruff = RuffOptions(executable=args.ruff)
    hold = trust_rule(args)
    report = sys.stderr if args.diff else sys.stdout
    projects = FactsCache(default_rules(ruff))
    analyses, failed = analyze_files(args.paths, model, ruff, projects)
    changed = 0
    for analysis in analyses:
        path = Path(analysis.path)
        facts = projects.get(path, None)

        def relint(
            text: str, parse: Parse, path: Path = path, facts: ProjectFacts = facts
        ) -> Analysis:
            return analyze(text, path, model, ruff, facts=facts, parse=parse)

        run = fix_until_stable(analysis, relint, hold)
        if run.changed and run.final.syntax_errors <= analysis.syntax_errors:
            changed += 1
            if args.diff:
                sys.stdout.writelines(_diff(analysis.path, analysis.text, run.text))
            else:
                with path.open("w", encoding="utf-8", newline="") as fh:
                    fh.write(run.text)
        print(fix_summary(analysis.path, run), file=report)
    if failed:
        return 2
    return 1 if (args.diff or args.exit_non_zero_on_fix) and changed else 0


def fix_summary(path: str, run: FixRun) -> str:
    """`path: applied 3 (F401 x2, I001 x1); skipped 2 review-suggested`, then a line per
    reason the rest was not applied."""
    left = Counter(c.band for c in run.remaining)
    parts = [f"{path}: {applied_words(run)}"]
    skipped = ", ".join(f"{left[b]} {b}" for b in BANDS if left[b])
    parts.append(f"skipped {skipped}" if skipped else "skipped none")
    if run.dropped:
        parts.append(f"dropped {len(run.dropped)} that broke the file")
    return "\n".join(["; ".join(parts), *held_lines(run)])


def _diff(path: str, old: str, new: str) -> list[str]:
    return list(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), path, path
        )
    )
