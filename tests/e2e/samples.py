"""Small files a user might open: the stories in the e2e tests are told on these."""

import json
from pathlib import Path

from surefix.features.ruff.project import DEFAULT_SELECT


def broad_ruff_config(root: Path) -> None:
    """A project that selects every rule family surefix lints by default, so that all of them
    are the project's own choice (tests/e2e/test_autopilot.py is about projects that choose
    fewer)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "ruff.toml").write_text(f"[lint]\nselect = {json.dumps(list(DEFAULT_SELECT))}\n")


MESSY = """import os
import sys
from typing import List, Optional


def load(path: Optional[str] = None) -> List[str]:
    with open(path, "r") as fh:
        lines = [line for line in fh]
    if len(lines) == 0:
        return list([])
    print("loaded %s lines" % len(lines))
    return lines
"""

UNUSED_IMPORT = "import os\n\nVALUE = 1\n"
