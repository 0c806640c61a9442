"""`trustfix` command line: one entry point, one sub-command module per area.

Every sub-command returns an exit code; expected failures (bad input, Ruff missing, a broken
artifact) print one line starting with `trustfix: error:` and exit 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import cli_check, cli_data, cli_learn, cli_mine, cli_model, cli_serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trustfix", description="Ruff quick fixes, scored by how much you can trust them."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_check.register(commands)
    cli_serve.register(commands)
    cli_data.register(commands)
    cli_learn.register(commands)
    cli_mine.register(commands)
    cli_model.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # `trustfix check … | head`: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter shutdown quiet
        return 0
    except KeyboardInterrupt:
        print("trustfix: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _expected(exc):
            raise
        print(f"trustfix: error: {exc}", file=sys.stderr)
        return 2


def _expected(exc: Exception) -> bool:
    from ..features.ruff import RuffError
    from ..model.artifact import ArtifactError
    from ..model.mining.git import GitError
    from ..model.store import StoreError

    expected = (RuffError, GitError, ArtifactError, StoreError, OSError, ValueError)
    return isinstance(exc, expected)


if __name__ == "__main__":
    sys.exit(main())
