"""`surefix retrain`, `surefix model list|rollback|reset|seal` and `surefix report`: the user's
own model, from the command line and — `retrain --json` — for the language server, which runs
the retrain in this separate process so that scikit-learn never enters the server and the
server's event loop never waits on a fit. `model seal DIR` seals the manifest of an artifact
written before manifests were sealed, after checking it as the loader does.

`--json` prints one JSON object per line: `{"progress": pct, "message": …}` while working, then
`{"result": {…}}` (the `Decision`, or `{"error": …}`). A retrain that could not be done exits 1,
with or without `--json`, after the one `surefix: error: …` line every command ends with.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from surefix.model.local.demotion import Policy
from surefix.model.local.registry import BUNDLED, Registry
from surefix.model.local.store import Store
from surefix.model.scoring.artifact import bundled_events_path, load_artifact
from surefix.server.cli.common import CommandError, add_data_dir, data_dir, expected

EXIT_NOT_DONE = 1


def register(commands: Any) -> None:
    retrain = commands.add_parser(
        "retrain",
        help="refit the trust model on your recorded outcomes; promote it only if it is better",
    )
    retrain.add_argument("--model", type=Path, help="model to start from (default: the one in use)")
    retrain.add_argument("--json", action="store_true", help="JSON lines, for editors")
    add_data_dir(retrain)
    retrain.set_defaults(handler=run_retrain)

    model = commands.add_parser("model", help="list your models, roll back, or reset")
    verbs = model.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, text in (
        ("list", "the model in use and every model you have had"),
        ("rollback", "return to the previous model (the bundled one at the end)"),
        ("reset", "return to the bundled model (your models stay on disk)"),
    ):
        add_data_dir(verbs.add_parser(verb, help=text)).set_defaults(handler=run_model)
    seal = verbs.add_parser(
        "seal", help="check a model directory and seal its manifest (for one written unsealed)"
    )
    seal.add_argument("directory", type=Path, help="the artifact: manifest.json and params.json")
    seal.set_defaults(handler=run_seal)

    report = commands.add_parser("report", help="write the model report (HTML) and print its path")
    add_data_dir(report).set_defaults(handler=run_report)


def run_retrain(args: argparse.Namespace) -> int:
    emit = json_emitter() if args.json else text_emitter()
    try:
        result = retrain_in(data_dir(args), args.model, emit)
    except Exception as exc:
        if not expected(exc):
            raise
        if args.json:  # the editor reads the reason from the result line
            emit(None, {"error": str(exc)})
        raise CommandError(str(exc), EXIT_NOT_DONE) from None
    emit(None, result)
    return 0


def retrain_in(directory: Path, model: Path | None, emit: Any) -> dict[str, Any]:
    """Load what a retrain needs, run it, promote on success; the decision as a dict."""
    from surefix.model.training.dataset import load_events
    from surefix.model.training.retrain import MIN_OUTCOMES, TooFewOutcomes, local_outcomes, retrain

    registry = Registry(directory)
    store = Store.at(directory)
    try:
        local = local_outcomes(store.outcomes())
    finally:
        store.close()
    if len(local) < MIN_OUTCOMES:  # the usual first answer: one line, before any progress
        raise TooFewOutcomes(
            f"retraining needs at least {MIN_OUTCOMES} recorded outcomes; there are "
            f"{len(local)} ({MIN_OUTCOMES - len(local)} more needed)"
        )
    emit(0, f"read {len(local)} outcomes of yours")
    current = load_artifact(model or registry.active())
    emit(5, "reading the bundled events")
    bundled = load_events(bundled_events_path())
    decision = retrain(bundled, local, current, lambda pct, msg: emit(pct, msg))
    if decision.promoted and decision.candidate is not None:
        emit(95, f"saving {decision.candidate.version}")
        registry.promote(decision.candidate, decision.message)
    return {**decision.to_dict(), "skipped": local.skipped}


def json_emitter() -> Any:
    def emit(pct: int | None, payload: Any) -> None:
        line = {"result": payload} if pct is None else {"progress": pct, "message": payload}
        print(json.dumps(line), flush=True)

    return emit


def text_emitter() -> Any:
    def emit(pct: int | None, payload: Any) -> None:
        if pct is not None:
            print(f"[{pct:3d}%] {payload}", file=sys.stderr, flush=True)
        else:
            print(payload["message"])

    return emit


def run_model(args: argparse.Namespace) -> int:
    registry = Registry(data_dir(args))
    if args.verb == "rollback":
        print(f"now using {registry.rollback()}")
    elif args.verb == "reset":
        print(f"now using {registry.reset()}")
    else:
        active = registry.stack()
        print(f"in use: {active[-1].version if active else BUNDLED}")
        for entry in reversed(active):
            print(f"  {entry.version}  promoted {entry.promoted_at}: {entry.note}")
        others = [v for v in registry.versions() if v not in {e.version for e in active}]
        if others:
            print("rolled back (kept on disk): " + ", ".join(others))
    return 0


def run_seal(args: argparse.Namespace) -> int:
    from surefix.model.scoring.artifact import seal_artifact

    print(f"sealed {args.directory} (manifest sha256 {seal_artifact(args.directory)})")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from surefix.model.local.report import write_report
    from surefix.model.scoring.scorer import load_model

    directory = data_dir(args)
    model = load_model(Registry(directory).active())
    store = Store.at(directory)
    try:
        path = write_report(directory, model, store, True, Policy())
    finally:
        store.close()
    print(path)
    return 0
