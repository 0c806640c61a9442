"""The serving path stays light: scikit-learn (and matplotlib) are for training only."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from pathlib import Path
from surefix.server.lsp.wiring import build_server
from surefix.model.analysis import analyze
from surefix.model.scoring.artifact import load_model
build_server()
analyze("import os\\n", Path("m.py"), load_model())
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"sklearn", "scipy", "matplotlib"})
print(heavy)
"""


def test_the_server_never_imports_training_libraries() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
