"""`surefix` command line: one entry point, one sub-command module per area.

Every sub-command returns an exit code; expected failures (bad input, Ruff missing, a broken
artifact) print one line starting with `surefix: error:` and exit with the code the failure
carries, 2 unless it says otherwise (`common.CommandError`) — never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from surefix.server.cli.common import EXIT_ERROR, CommandError, expected

# Each sub-command's module, in `--help` order. Only the module of the command being run is
# imported: `serve` must not pay for numpy, scikit-learn or the miner before its `initialize`.
MODULES = {
    "check": "check", "fix": "check", "demo": "check", "serve": "serve", "data": "data",
    "retrain": "learn", "model": "learn", "report": "learn", "mine": "mine", "dataset": "mine",
    "audit": "mine", "train": "train", "eval": "train",
}  # fmt: skip


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for every sub-command, or for `command` alone when it is one of them."""
    parser = argparse.ArgumentParser(
        prog="surefix", description="Ruff quick fixes, scored by how much you can trust them."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = [MODULES[command]] if command in MODULES else list(dict.fromkeys(MODULES.values()))
    for name in wanted:
        importlib.import_module(f"surefix.server.cli.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(given[0] if given else None).parse_args(given)
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # `surefix check … | head`: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter shutdown quiet
        return 0
    except KeyboardInterrupt:
        print("surefix: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not expected(exc):
            raise
        print(f"surefix: error: {exc}", file=sys.stderr)
        return exc.code if isinstance(exc, CommandError) else EXIT_ERROR
