"""`surefix train` and `surefix eval`: the model's command-line surface.

The main CLI calls `register(subparsers)` and dispatches to `args.handler(args)`. Bad input
(missing or malformed dataset, an artifact with the wrong schema or a bad checksum) raises, and
`main` prints one `surefix: error: …` line and exits 2 — a user who typed a wrong path needs
that line, not a traceback. Training code (scikit-learn) is imported inside the handlers, so
loading the CLI for other commands never pays for it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from surefix.model.mining.dataset import DatasetError
from surefix.model.scoring.design import SchemaError
from surefix.model.scoring.scorer import load_model
from surefix.model.training.dataset import load_events
from surefix.server.cli.common import CommandError

# The training events ship beside the bundled model (package data: a local retrain starts from
# them); this is that file in a checkout, where `surefix dataset` writes it.
DEFAULT_DATA = "model/bundled/events.csv.gz"


def register(subparsers: Any) -> None:
    """Add `train` and `eval` to the main CLI's subparsers."""
    train = subparsers.add_parser(
        "train",
        help="fit the trust model on mined events and export the artifact",
        description="Evaluate (grouped-by-repository CV and a time split), refit on all "
        "events, and export the artifact with thresholds and metrics in its manifest.",
    )
    train.add_argument(
        "--data", default=DEFAULT_DATA, help=f"events table (default {DEFAULT_DATA})"
    )
    train.add_argument("--out", default="model/bundled", help="artifact directory to write")
    train.add_argument(
        "--reliability", default="docs/reliability.png", help="reliability diagram PNG to write"
    )
    train.add_argument(
        "--metrics", default="docs/model_metrics.json", help="metrics JSON for the model card"
    )
    train.add_argument(
        "--ruff-version", default=None, help="Ruff version the events were mined with"
    )
    add_common(train)
    train.set_defaults(handler=handle_train)

    ev = subparsers.add_parser(
        "eval",
        help="compare the trust model with the Ruff-tier and per-rule baselines",
        description="Without --model: cross-validate every model on --data. With --model: "
        "score an existing artifact (and its stored baselines) on --data without training.",
    )
    ev.add_argument("--data", default=DEFAULT_DATA, help=f"events table (default {DEFAULT_DATA})")
    ev.add_argument("--model", default=None, help="artifact directory to score instead of training")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--reliability", default=None, help="also write a reliability diagram PNG")
    add_common(ev)
    ev.set_defaults(handler=handle_eval)


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap", type=int, default=500, help="bootstrap resamples for intervals (default 500)"
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument(
        "--no-gbm", action="store_true", help="skip the gradient-boosting comparison"
    )


def handle_train(args: argparse.Namespace) -> int:
    try:
        ds = load_events(args.data)
        from surefix.model.training.export import train_and_export

        report = train_and_export(
            ds,
            args.out,
            reliability_path=args.reliability,
            metrics_path=args.metrics,
            ruff_version=args.ruff_version or detect_ruff_version(args.data),
            resamples=args.bootstrap,
            seed=args.seed,
            with_gbm=not args.no_gbm,
            source=str(args.data),
        )
    except (DatasetError, SchemaError):
        raise  # they name the file and line themselves
    except ValueError as exc:  # e.g. one repository only: no grouped split possible
        raise CommandError(f"cannot train on {args.data}: {exc}") from None
    from surefix.model.training.evaluation import format_table

    print(format_table(report))
    export = report["export"]
    print(
        f"\nexported model {export['model_version']} to {export['path']} "
        f"(C={export['C']}, numpy/scikit-learn max diff {export['parity_max_abs_diff']:.1e})"
    )
    return 0


def handle_eval(args: argparse.Namespace) -> int:
    try:
        ds = load_events(args.data)
        from surefix.model.training.evaluation import (
            evaluate,
            evaluate_artifact,
            format_table,
            jsonable,
            plot_reliability,
        )

        if args.model is not None:
            report = evaluate_artifact(ds, load_model(args.model), args.bootstrap, args.seed)
        else:
            report = evaluate(ds, args.bootstrap, args.seed, with_gbm=not args.no_gbm)
        report = jsonable(report)
        if args.reliability:
            plot_reliability(report, args.reliability)
    except (DatasetError, SchemaError):
        raise
    except ValueError as exc:
        raise CommandError(f"cannot evaluate {args.data}: {exc}") from None
    if args.json:
        print(json.dumps(report, allow_nan=False))
    else:
        print(format_table(report))
    return 0


def detect_ruff_version(data: str) -> str | None:
    """The Ruff version the events were mined with, for the manifest: the dataset's
    `MANIFEST.json` beside it when it says, else the installed Ruff, else None."""
    from surefix.features.ruff.run import ruff_version

    manifest = Path(data).parent / "MANIFEST.json"
    try:
        recorded = json.loads(manifest.read_text())
        found = recorded.get("ruff_version") or recorded.get("ruff")
        if isinstance(found, str) and found:
            return found
    except (OSError, ValueError, AttributeError):
        pass

    try:
        return ruff_version() or None
    except Exception:  # a missing or broken Ruff must not stop training
        return None
