"""Writing a file so that no reader ever sees half of it: the one way surefix replaces a file.

Everything surefix writes for later reading — model artifacts, the registry's `active.json`,
metrics, mined rows and statistics, the dataset — is written to `<name>.partial` beside its
target and renamed over it only once complete. A crash leaves either the old file or the new
one, plus at most a stray `.partial`, which the next write replaces.

Standard library only, and below every other module of `surefix.model`, so any of them may
use it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PARTIAL_SUFFIX = ".partial"


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; when the block ends without an exception
    it replaces `path` in one rename, else it is removed. Creates the parent directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + PARTIAL_SUFFIX)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Mapping[str, Any] | list[Any]) -> None:
    """`data` as indented JSON with sorted keys (diffable), replacing `path` atomically.
    NaN and infinities are refused: they are not JSON."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n")
