"""Which files surefix lints: Python source, whatever a caller hands it.

A hook runner (pre-commit) or a shell glob may name any file. Ruff lints any text it is given as
Python, so a README or a `setup.cfg` would come back with findings whose fixes make no sense, and
a notebook's findings count lines within its cells, not in the JSON text that `surefix fix` would
edit. So a named file is linted only when it is Python the way pre-commit's `python` and `pyi`
types say: by its suffix, or, for a file without a known suffix, by a shebang naming Python.
"""

from __future__ import annotations

import re
from pathlib import Path

PYTHON_SUFFIXES = frozenset({".py", ".pyi", ".pyw"})
NOT_PYTHON_SOURCE = frozenset({".ipynb"})  # JSON: Ruff's positions count within cells
# `#!/usr/bin/python3`, `#!/usr/bin/env python3.12`, `#!/usr/bin/env -S pypy3 -u`.
_SHEBANG = re.compile(rb"#!(?:.*?[/\s])?(?:python|pypy)[\d.]*(?:\s|$)")


def is_python_source(path: Path) -> bool:
    """Whether surefix lints the file at `path` when it is named explicitly."""
    suffix = path.suffix.lower()
    if suffix in PYTHON_SUFFIXES:
        return True
    if suffix in NOT_PYTHON_SOURCE:
        return False
    return has_python_shebang(path)


def has_python_shebang(path: Path) -> bool:
    """Whether the file's first line is a shebang that runs Python (a file that cannot be read
    has none: reading it for real reports why)."""
    try:
        with path.open("rb") as fh:
            first = fh.readline(256)
    except OSError:
        return False
    return _SHEBANG.match(first.rstrip(b"\r\n")) is not None
