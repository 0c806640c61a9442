"""Local learning: outcome writes per second, retrain time, and code-action latency during a
retrain — each beside a peer measured in the same run.

    make bench-learning     # or: .venv/bin/python benchmarks/learning.py [--json]

Local outcomes are stand-ins: rows resampled from the bundled mined events, with their real
labels (kept → accepted, not kept → undone), written through the store's own API. Reported:

* committed writes/s in batches of 1,000 (`Store.record_many`), against one transaction per
  outcome (`Store.record`, what a single accepted fix costs);
* `surefix retrain` wall time (the process the server runs) on 10k and 100k outcomes;
* code-action p50/p99 on a 1,000-line file while that 100k retrain runs, against idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from lsprotocol import types as t
from run import Client, code_action_params, machine, ms, percentile, stdlib_modules

from surefix.features.ruff.project import DEFAULT_SELECT
from surefix.model.local.store import Outcome, Store
from surefix.model.scoring.artifact import bundled_events_path
from surefix.model.training.dataset import load_events

BATCH = 1000
SIZES = (10_000, 100_000)


def stand_in_outcomes(n: int, seed: int = 0) -> list[Outcome]:
    """`n` outcomes resampled from the bundled events, oldest first, one second apart."""
    events = load_events(bundled_events_path())
    picks = np.random.default_rng(seed).integers(0, len(events), n)
    start = time.time() - n
    return [
        Outcome(
            rule=str(events.rows[i]["rule"]),
            outcome="accepted" if events.y[i] else "undone",
            detected="benchmark",
            band="review-suggested",
            applicability=str(events.rows[i]["applicability"]),
            features=events.rows[i],
            score=0.5,
            model="benchmark",
            ts=start + k,
        )
        for k, i in enumerate(picks)
    ]


def writes(outcomes: list[Outcome], directory: Path) -> dict[str, float]:
    batched = Store.at(directory / "batched")
    began = time.perf_counter()
    for i in range(0, len(outcomes), BATCH):
        batched.record_many(outcomes[i : i + BATCH])
    batch_rate = len(outcomes) / (time.perf_counter() - began)
    batched.close()
    single = Store.at(directory / "single")
    sample = outcomes[:2000]
    began = time.perf_counter()
    for o in sample:
        single.record(o)
    single_rate = len(sample) / (time.perf_counter() - began)
    single.close()
    return {
        "batched_writes_per_s": round(batch_rate),
        "single_writes_per_s": round(single_rate),
        "batch_over_single": round(batch_rate / single_rate, 1),
    }


def fill(directory: Path, outcomes: list[Outcome]) -> None:
    store = Store.at(directory)
    for i in range(0, len(outcomes), BATCH):
        store.record_many(outcomes[i : i + BATCH])
    store.close()


def retrain_seconds(directory: Path) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "surefix.server.cli", "retrain", "--json"],
        env={**os.environ, "SUREFIX_DATA_DIR": str(directory)},
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - began
    result = json.loads(done.stdout.strip().splitlines()[-1])["result"]
    return elapsed, result


async def latency_during_retrain(directory: Path, project: Path, source: Path) -> dict[str, Any]:
    """Code-action latency on one file, idle and while the server retrains on `directory`."""
    os.environ["SUREFIX_DATA_DIR"] = str(directory)
    client = Client()
    await client.start([sys.executable, "-m", "surefix.server.cli", "serve"], project)
    uri, text = source.as_uri(), source.read_text(encoding="utf-8")
    client.open(uri, text)
    diagnostics = await client.diagnostics(uri, 1)
    params = code_action_params(uri, text, diagnostics, None)

    async def one() -> float:
        began = time.perf_counter()
        await client.lsp.text_document_code_action_async(params)
        return time.perf_counter() - began

    idle = [await one() for _ in range(300)]
    began = time.perf_counter()
    retrain = asyncio.ensure_future(
        client.lsp.workspace_execute_command_async(
            t.ExecuteCommandParams(command="surefix.retrain")
        )
    )
    busy = []
    while not retrain.done():
        busy.append(await one())
        await asyncio.sleep(0.01)  # an editor asks as the cursor moves, not in a tight loop
    retrain_s = time.perf_counter() - began
    result = retrain.result()
    await client.stop()
    return {
        "file": source.name,
        "idle_p50_ms": ms(percentile(idle, 0.5)),
        "idle_p99_ms": ms(percentile(idle, 0.99)),
        "during_retrain_p50_ms": ms(percentile(busy, 0.5)),
        "during_retrain_p99_ms": ms(percentile(busy, 0.99)),
        "p99_ratio": round(percentile(busy, 0.99) / percentile(idle, 0.99), 2),
        "requests_during_retrain": len(busy),
        "retrain_s": round(retrain_s, 2),
        "promoted": bool(result and result.get("promoted")),
    }


def main() -> dict[str, Any]:
    report: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="surefix-bench-") as tmp:
        root = Path(tmp)
        outcomes = stand_in_outcomes(max(SIZES))
        report["writes"] = writes(outcomes, root / "writes")
        report["retrain"] = {}
        for n in SIZES:
            directory = root / f"retrain-{n}"
            fill(directory, outcomes[:n])
            seconds, result = retrain_seconds(directory)
            report["retrain"][str(n)] = {
                "seconds": round(seconds, 2),
                "promoted": result.get("promoted"),
                "held_back": result.get("held_back"),
            }
        project = root / "project"
        project.mkdir()
        (project / "ruff.toml").write_text(f"[lint]\nselect = {json.dumps(list(DEFAULT_SELECT))}\n")
        source = project / stdlib_modules()[1].name
        shutil.copyfile(stdlib_modules()[1], source)
        busy_dir = root / "serve"
        fill(busy_dir, outcomes)
        report["latency"] = asyncio.run(latency_during_retrain(busy_dir, project, source))
    return report


def table(report: dict[str, Any]) -> str:
    w, r, lat = report["writes"], report["retrain"], report["latency"]
    lines = [
        "| measure | surefix | peer | ratio |",
        "|---|---|---|---|",
        f"| committed outcome writes/s, batches of {BATCH} | {w['batched_writes_per_s']:,} | "
        f"{w['single_writes_per_s']:,} (one per transaction) | {w['batch_over_single']}x |",
    ]
    for n, entry in r.items():
        lines.append(f"| retrain on {int(n):,} outcomes | {entry['seconds']} s | | |")
    lines.append(
        f"| code action p99 on {lat['file']}, during a 100k retrain | "
        f"{lat['during_retrain_p99_ms']} ms | {lat['idle_p99_ms']} ms (idle) | "
        f"{lat['p99_ratio']}x |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = main()
    print(json.dumps(result, indent=1) if args.json else table(result))
