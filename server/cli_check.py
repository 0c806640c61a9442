"""`trustfix check` and `trustfix demo`: every fixable violation with its fixes' trust."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..features.ruff import RuffOptions
from ..model.analysis import AUTO, MANUAL, REVIEW, Analysis, Candidate, analyze, ranked
from ..model.scorer import TrustModel, load_model

BADGES = {
    "unicode": {AUTO: "✓", REVIEW: "?", MANUAL: "✗"},
    "ascii": {AUTO: "+", REVIEW: "?", MANUAL: "-"},
}
_SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "node_modules", "build", "dist", ".tox"}


def register(commands: Any) -> None:
    check = commands.add_parser("check", help="score the fixes Ruff offers for Python files")
    check.add_argument("paths", nargs="+", type=Path)
    _add_common(check)
    check.set_defaults(handler=run_check)

    demo = commands.add_parser("demo", help="run `check --explain` on the bundled sample project")
    _add_common(demo)
    demo.set_defaults(handler=run_demo, paths=None)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--explain", action="store_true", help="show what moved each score")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--model", type=Path, help="a model directory (default: the bundled one)")
    parser.add_argument("--ruff", help="path of the ruff binary")
    parser.add_argument("--ascii", action="store_true", help="plain ASCII badges")


def sample_project() -> Path:
    return Path(__file__).resolve().parent / "sample_project"


def run_demo(args: argparse.Namespace) -> int:
    args.paths = [sample_project()]
    args.explain = True
    run_check(args)
    return 0


def run_check(args: argparse.Namespace) -> int:
    files = list(python_files(args.paths))
    model = load_model(args.model)
    analyses = [_analyze(path, model, RuffOptions(executable=args.ruff)) for path in files]
    if args.format == "json":
        json.dump([_as_json(a, model, args.explain) for a in analyses], sys.stdout, indent=1)
        print()
    else:
        _print_text(analyses, model, args.explain, BADGES["ascii" if args.ascii else "unicode"])
    return 1 if any(a.candidates for a in analyses) else 0


def python_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or directory")
        if path.is_file():
            yield path
            continue
        for child in sorted(path.rglob("*.py")):
            if not _SKIP_DIRS.intersection(child.relative_to(path).parts):
                yield child


def _analyze(path: Path, model: TrustModel, ruff: RuffOptions) -> Analysis:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return analyze(text, path, model, ruff)


def badge(candidate: Candidate, marks: dict[str, str]) -> str:
    return f"{marks[candidate.band]} {round(100 * candidate.score):>3d}%"


def _print_text(
    analyses: list[Analysis], model: TrustModel, explain: bool, marks: dict[str, str]
) -> None:
    totals = {AUTO: 0, REVIEW: 0, MANUAL: 0}
    for analysis in analyses:
        for c in ranked(analysis.candidates):
            totals[c.band] += 1
            v = c.violation
            print(f"{analysis.path}:{v.start.line + 1}:{v.start.column + 1}: {v.rule} {v.message}")
            print(
                f"    {badge(c, marks)}  {c.band:<16} {c.fix.message or 'Apply fix'} "
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


def explanation_lines(model: TrustModel, candidate: Candidate) -> list[str]:
    """The factors that moved a score most, signed in log-odds, in plain words."""
    e = model.explain(candidate.row)
    lines = [f"base {e.base:+.2f} (an average fix)"]
    for f in e.top:
        direction = "raises" if f.contribution > 0 else "lowers"
        lines.append(f"{f.contribution:+.2f} {f.label} {direction} trust")
    return lines


def _as_json(analysis: Analysis, model: TrustModel, explain: bool) -> dict[str, object]:
    fixes = []
    for c in ranked(analysis.candidates):
        item: dict[str, object] = {
            "rule": c.violation.rule,
            "message": c.violation.message,
            "line": c.violation.start.line + 1,
            "column": c.violation.start.column + 1,
            "fix": c.fix.message,
            "applicability": c.fix.applicability,
            "score": round(c.score, 4),
            "band": c.band,
        }
        if explain:
            e = model.explain(c.row)
            item["explanation"] = {
                "base": e.base,
                "groups": e.groups,
                "top": [{"feature": f.label, "contribution": f.contribution} for f in e.top],
            }
        fixes.append(item)
    return {"path": analysis.path, "model": model.version, "fixes": fixes}
