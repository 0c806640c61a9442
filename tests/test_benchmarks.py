"""The benchmarks run in CI as smoke runs: each must produce every row of its table. How large
the numbers are is never asserted here (timing belongs in `benchmarks/`, read by people)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_the_speed_benchmark_produces_every_row() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--rounds", "3", "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import run  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BENCHMARKS))
    assert run.produced_every_row(report) == []
    assert len(report["lines"]) == len(run.TARGET_LINES)
    table = run.table(report)
    assert table.count("\n| `") == len(run.TARGET_LINES)  # a row per file
    assert "spawn → `initialize`" in table and "documents open" in table


def test_the_fix_all_profile_accounts_for_every_part() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "fix_all_rounds.py"), "--module", "functools.py",
         "--runs", "1", "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.splitlines()[-1])
    parts = ("ruff_process_ms", "ruff_json_ms", "lint_other_ms", "score_ms", "rest_ms")
    assert report["module"] == "functools.py" and report["lints"] >= report["rounds"] >= 1
    assert all(isinstance(report[part], float) for part in parts)
    assert all(f"  {part}" in out.stdout for part in parts)  # a line of the table each
