"""Where a fix-all's milliseconds go, round by round, in-process (no server, no client).

    .venv/bin/python benchmarks/fix_all_rounds.py [--module NAME] [--runs N]

The module (by default the standard library's nearest to 5,500 lines, as `make bench` picks it)
is copied into a project whose `ruff.toml` selects surefix's default rules, analysed, and fixed
to a fixed point with `fix_until_stable`, as fix-all does, `--runs` times. Reported: the median
run, its rounds and fixes, and per round what Ruff's process took (the same command on the same
text, alone: the floor no Python-side work can go below), reading Ruff's JSON, scoring
(featurizing and the model) and the rest (choosing, applying, the parse Ruff did not hide).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sysconfig
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from run import stdlib_modules

from surefix.features.document import Document
from surefix.features.ruff import run as ruff_run
from surefix.features.ruff.project import DEFAULT_SELECT
from surefix.features.ruff.run import RuffOptions
from surefix.model.analysis import Analysis, analyze, assess, lint
from surefix.model.autofix import Parse, fix_until_stable
from surefix.model.scoring.scorer import load_model


def timed(spent: dict[str, float], part: str, work: Callable[[], Any]) -> Any:
    began = time.perf_counter()
    try:
        return work()
    finally:
        spent[part] += time.perf_counter() - began


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", help="a standard-library module, e.g. typing.py")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = parser.parse_args(argv)
    lib = Path(sysconfig.get_paths()["stdlib"])
    source = lib / args.module if args.module else stdlib_modules()[-1]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "ruff.toml").write_text(f"[lint]\nselect = {json.dumps(list(DEFAULT_SELECT))}\n")
        path = Path(shutil.copy(source, root / source.name))
        text = path.read_text(encoding="utf-8")
        model, options = load_model(), RuffOptions()
        reading = ruff_run.parse_output
        runs: list[tuple[float, dict[str, float], list[str], int, int]] = []
        for _ in range(args.runs + 1):  # the first warms the caches and is not counted
            spent: dict[str, float] = defaultdict(float)
            texts: list[str] = []

            def read(raw: str, *rest: Any, spent: dict[str, float] = spent) -> Any:
                return timed(spent, "json", lambda: reading(raw, *rest))

            def relint(
                new: str, parse: Parse, spent: dict[str, float] = spent, texts: list[str] = texts
            ) -> Analysis:
                texts.append(new)
                linted = timed(spent, "lint", lambda: lint(new, path, options, meanwhile=parse))
                document: Document = parse()

                def scoring() -> Analysis:
                    return assess(new, path, linted, model, document=document)

                return timed(spent, "score", scoring)

            start = analyze(text, path, model, options)
            ruff_run.parse_output = read
            try:
                began = time.perf_counter()
                run = fix_until_stable(start, relint)
                total = time.perf_counter() - began
            finally:
                ruff_run.parse_output = reading
            runs.append((total, dict(spent), texts, run.rounds, len(run.applied)))
        runs = sorted(runs[1:], key=lambda r: r[0])
        total, spent, texts, rounds, fixes = runs[len(runs) // 2]
        program = ruff_run.ruff_program(options.executable)
        command = [*ruff_run._command(program, options), "--stdin-filename", str(path), "-"]
        alone = 0.0
        for round_text in texts:
            times = []
            for _ in range(5):
                began = time.perf_counter()
                subprocess.run(command, input=round_text.encode(), capture_output=True, cwd=root)
                times.append(time.perf_counter() - began)
            alone += statistics.median(times)
    ruff_ms, json_ms = 1000 * alone, 1000 * spent.get("json", 0.0)
    lint_ms, score_ms = 1000 * spent.get("lint", 0.0), 1000 * spent.get("score", 0.0)
    report = {
        "module": source.name,
        "lines": text.count("\n"),
        "runs": args.runs,
        "fix_all_ms_median": round(1000 * total, 1),
        "rounds": rounds,
        "lints": len(texts),
        "fixes": fixes,
        "ruff_process_ms": round(ruff_ms, 1),
        "ruff_json_ms": round(json_ms, 1),
        "lint_other_ms": round(max(lint_ms - ruff_ms - json_ms, 0.0), 1),
        "score_ms": round(score_ms, 1),
        "rest_ms": round(1000 * total - lint_ms - score_ms, 1),
    }
    lints = max(len(texts), 1)
    print(
        f"{report['module']} ({report['lines']:,} lines): fix-all {report['fix_all_ms_median']} ms"
        f" (median of {args.runs}), {rounds} rounds, {len(texts)} lints, {fixes} fixes"
    )
    for key in ("ruff_process_ms", "ruff_json_ms", "lint_other_ms", "score_ms", "rest_ms"):
        print(f"  {key:<16} {report[key]:>7} ms  ({report[key] / lints:.1f} ms per lint)")
    if args.json:
        print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
