"""`surefix` command line: one entry point, one sub-command module per area.

Every sub-command returns an exit code; expected failures (bad input, Ruff missing, a broken
artifact) print one line starting with `surefix: error:` and exit with the code the failure
carries, 2 unless it says otherwise (`common.CommandError`) — never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from surefix.server.cli import check as cli_check
from surefix.server.cli import data as cli_data
from surefix.server.cli import learn as cli_learn
from surefix.server.cli import mine as cli_mine
from surefix.server.cli import serve as cli_serve
from surefix.server.cli import train as cli_train
from surefix.server.cli.common import EXIT_ERROR, CommandError, expected


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="surefix", description="Ruff quick fixes, scored by how much you can trust them."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_check.register(commands)
    cli_serve.register(commands)
    cli_data.register(commands)
    cli_learn.register(commands)
    cli_mine.register(commands)
    cli_train.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
