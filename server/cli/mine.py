"""`surefix mine`, `surefix dataset` and `surefix audit`: building and checking the data."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from surefix.server.cli.common import CommandError
from surefix.server.cli.train import DEFAULT_DATA


def register(commands: Any) -> None:
    mine = commands.add_parser(
        "mine", help="mine fix decisions from the git history of repositories"
    )
    mine.add_argument("repos", nargs="+", type=Path, help="git directories (bare or .git)")
    mine.add_argument("--out", type=Path, default=None, help="default data/mined (data/holdout)")
    mine.add_argument("--max-commits", type=int, default=1500)
    mine.add_argument("--max-seconds", type=float, default=900.0, help="time budget per repository")
    mine.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    mine.add_argument(
        "--file-seconds", type=int, default=20, help="time limit for labelling one file"
    )
    mine.add_argument("--force", action="store_true", help="re-mine repositories already done")
    mine.add_argument(
        "--holdout",
        action="store_true",
        help="mine the reserved evaluation projects (only them) into data/holdout",
    )
    mine.set_defaults(handler=run_mine)

    dataset = commands.add_parser(
        "dataset", help="merge mined repositories into the de-duplicated training dataset"
    )
    dataset.add_argument("--mined", type=Path, default=Path("data/mined"))
    dataset.add_argument("--out", type=Path, default=Path(DEFAULT_DATA))
    dataset.add_argument("--manifest", type=Path, default=Path("data/MANIFEST.json"))
    dataset.set_defaults(handler=run_dataset)

    audit = commands.add_parser(
        "audit", help="write blind before/fix/after cards of random events for a label audit"
    )
    audit.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    audit.add_argument("--mirrors", type=Path, required=True, help="folder of owner+name/repo")
    audit.add_argument("--out", type=Path, default=Path("audit"), help="local, never committed")
    audit.add_argument("--per-label", type=int, default=50)
    audit.add_argument("--seed", type=int, default=2026)
    audit.add_argument(
        "--retention",
        type=int,
        default=0,
        help="start the not-kept cards with up to N fixes a later commit undid",
    )
    audit.set_defaults(handler=run_audit)


def run_mine(args: argparse.Namespace) -> int:
    from surefix.model.mining.git import GitError, Repository
    from surefix.model.mining.miner import MineConfig, enrich_mined, mine_repository

    for repo in args.repos:
        Repository(repo)  # fail fast on a path that is not git, before any work starts
    config = MineConfig(
        max_commits=args.max_commits,
        max_seconds=args.max_seconds,
        workers=args.workers,
        file_seconds=args.file_seconds,
    )
    out = args.out or Path("data/holdout" if args.holdout else "data/mined")
    out.mkdir(parents=True, exist_ok=True)
    total = len(args.repos)
    for k, repo in enumerate(args.repos, 1):
        try:
            stats = mine_repository(repo, out, config, force=args.force, holdout=args.holdout)
            if stats is None:  # mined before: bring an older feature schema up to date
                stats = enrich_mined(repo, out)
        except GitError as exc:
            raise CommandError(f"{repo}: {exc}") from None
        if stats is None:
            print(f"[{k}/{total}] {repo}: already mined (use --force to redo)", file=sys.stderr)
            continue
        c = stats.counts
        print(
            f"[{k}/{total}] {stats.repo}: {stats.commits_scanned} commits, {c['resolved']} "
            f"resolved, {c['kept']} kept, {c['not_kept']} not kept "
            f"({c['retention_negatives']} undone later), {stats.seconds:.0f}s",
            file=sys.stderr,
        )
    return 0


def run_audit(args: argparse.Namespace) -> int:
    from surefix.model.mining.audit import write_audit

    cards = write_audit(
        args.data, args.mirrors, args.out, args.per_label, args.seed, args.retention
    )
    print(f"{cards} cards in {args.out / 'cards.txt'}; the labels are in {args.out / 'key.json'}")
    return 0


def run_dataset(args: argparse.Namespace) -> int:
    from surefix.model.mining.dataset import build_dataset

    summary = build_dataset(args.mined, args.out, args.manifest)
    print(
        f"{summary['events']} events ({summary['raw_events']} raw) from "
        f"{summary['repositories']} repositories -> {args.out}"
    )
    return 0
