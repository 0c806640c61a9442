"""`surefix data stats|export|purge`: the local outcome store, in the user's hands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from surefix.model.local.store import Store
from surefix.server.cli.common import CommandError, add_data_dir, data_dir


def register(commands: Any) -> None:
    data = commands.add_parser("data", help="what the local outcome store holds, and purging it")
    verbs = data.add_subparsers(dest="verb", required=True, metavar="VERB")
    stats = verbs.add_parser("stats", help="count outcomes by kind")
    stats.add_argument("--json", action="store_true")
    export = verbs.add_parser("export", help="print every stored outcome (no code, ever)")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    purge = verbs.add_parser("purge", help="delete every stored outcome")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for verb in (stats, export, purge):
        add_data_dir(verb).set_defaults(handler=run_data)


def run_data(args: argparse.Namespace) -> int:
    store = Store.at(data_dir(args))
    if store.notice:
        print(f"surefix: {store.notice}", file=sys.stderr)
    try:
        if args.verb == "stats":
            stats = store.stats()
            if args.json:
                print(json.dumps(stats, indent=1))
            else:
                counts = ", ".join(f"{n} {kind}" for kind, n in stats["outcomes"].items())
                print(f"{stats['events']} outcomes ({counts}) in {stats['path']}")
        elif args.verb == "export":
            sys.stdout.write(store.export(args.format))
        elif args.verb == "purge":
            if not args.yes and not _confirm(store):
                print("nothing deleted")
                return 1
            print(f"deleted {store.purge()} outcomes from {store.path}")
    finally:
        store.close()
    return 0


def _confirm(store: Store) -> bool:
    if not sys.stdin.isatty():
        raise CommandError("purge needs --yes when not run interactively")
    answer = input(f"delete all {store.stats()['events']} outcomes in {store.path}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")
