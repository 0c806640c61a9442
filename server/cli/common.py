"""What the `surefix` commands share: how an expected failure ends a command, and the data
directory.

A handler that cannot go on raises: a `CommandError` it words itself, with the exit code it
carries, or one of the library's expected exceptions (`expected`), which exits 2. `main` prints
either as one line, `surefix: error: …`, on stderr — never a traceback. Anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_ERROR = 2


class CommandError(Exception):
    """A command failed in a way the user can act on; `code` is its exit status."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def expected(exc: BaseException) -> bool:
    """Bad input, Ruff or git missing, a broken artifact, dataset or store: said in one line.
    (`DatasetError`, `SchemaError` and `TooFewOutcomes` are `ValueError`s.)"""
    from surefix.features.ruff.run import RuffError
    from surefix.model.local.store import StoreError
    from surefix.model.mining.git import GitError
    from surefix.model.scoring.artifact import ArtifactError

    return isinstance(
        exc, CommandError | RuffError | GitError | ArtifactError | StoreError | OSError | ValueError
    )


def add_data_dir(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--data-dir", type=Path, help="default: SUREFIX_DATA_DIR, else the platform's"
    )
    return parser


def data_dir(args: argparse.Namespace) -> Path:
    """`--data-dir`, else the default data directory — into which the data of surefix's former
    name is moved first, the one time it is found (and the user told on stderr). A directory
    given with `--data-dir` is used as it is."""
    if args.data_dir:
        return Path(args.data_dir)
    from surefix.model.local.legacy import adopt_legacy_data
    from surefix.model.local.store import default_data_dir

    directory = default_data_dir()
    said = adopt_legacy_data(directory)
    if said:
        print(f"surefix: {said}", file=sys.stderr)
    return directory
