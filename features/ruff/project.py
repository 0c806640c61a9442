"""How Ruff should run for a file of the user's project: their config, or our default selection.

A project that configures Ruff gets exactly its own rules (Ruff finds the config from the path we
give it). A project without one gets `DEFAULT_SELECT`: a broad set of rule families whose fixes
are common and mostly uncontroversial, so that the first run shows something useful.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from surefix.features.ruff.run import RuffOptions

DEFAULT_SELECT = (
    "E4", "E7", "E9", "F", "W", "I", "UP", "B", "SIM", "C4", "RUF", "PIE", "RET", "PERF",
    "PT", "FA", "ISC", "T10", "LOG", "FLY", "FURB",
)  # fmt: skip
_RUFF_FILES = ("ruff.toml", ".ruff.toml")


def find_ruff_config(path: Path) -> Path | None:
    """The Ruff configuration file that governs `path`, the way Ruff itself looks for it."""
    for folder in [path.parent, *path.parent.parents] if path.suffix else [path, *path.parents]:
        for name in _RUFF_FILES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_ruff_table(pyproject):
            return pyproject
    return None


def _has_ruff_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "ruff" in tool


def options_for(
    path: Path, base: RuffOptions | None = None, default_select: Sequence[str] = ()
) -> tuple[RuffOptions, bool]:
    """Ruff options for linting `path`, and whether the project configures Ruff itself.

    `default_select` (or `DEFAULT_SELECT`) applies only where the project has no configuration:
    a project that chose its rules gets exactly those.
    """
    base = base or RuffOptions()
    if find_ruff_config(path.resolve()) is not None:
        return base, True
    return replace(base, select=tuple(default_select) or base.select or DEFAULT_SELECT), False
