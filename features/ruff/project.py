"""How Ruff runs for a file of the user's project: their config, or the broad default selection.

A project that configures Ruff gets exactly its own rules (Ruff finds the config from the path we
give it, run from the project's root). A project without one is linted with `DEFAULT_SELECT` — a
broad set of rule families whose fixes are common, so quick fixes have something to offer — plus
whatever its own tools declare (`ProjectFacts.select`), with the line length, isort settings and
target version they declare. What the autopilot may apply of that is `ProjectFacts.chooses`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from surefix.features.project.facts import ProjectFacts
from surefix.features.project.root import resolved
from surefix.features.ruff.run import RuffOptions

DEFAULT_SELECT = (
    "E4", "E7", "E9", "F", "W", "I", "UP", "B", "SIM", "C4", "RUF", "PIE", "RET", "PERF",
    "PT", "FA", "ISC", "T10", "LOG", "FLY", "FURB",
)  # fmt: skip


def options_for(
    facts: ProjectFacts, base: RuffOptions | None = None, default_select: Sequence[str] = ()
) -> RuffOptions:
    """Ruff options for a file of the project `facts` describe. Where the project has no Ruff
    configuration: `default_select` (the user's setting, else `DEFAULT_SELECT`) with Ruff's
    defaults and the rules the project declares — or exactly `base.select` when the caller
    names the rules itself (the miner and tests do)."""
    base = base or RuffOptions()
    if facts.configured:
        return base
    chosen = (*(tuple(default_select) or DEFAULT_SELECT), *sorted(facts.defaults), *facts.select)
    return replace(
        base,
        select=base.select or tuple(dict.fromkeys(chosen)),
        target_version=base.target_version or facts.target_version,
        config_overrides=(*facts.ruff_overrides, *base.config_overrides),
    )


@dataclass(frozen=True)
class RuffRun:
    """How Ruff runs on one buffer of the project: as the file `path` (resolved, so the
    configuration and per-file rules that govern it apply), with `options`, from `cwd` (the
    project's root, from which Ruff resolves `src` and first-party imports)."""

    path: str
    options: RuffOptions
    cwd: str | None


def run_for(
    path: Path,
    facts: ProjectFacts,
    base: RuffOptions | None = None,
    default_select: Sequence[str] = (),
) -> RuffRun:
    """The one reading of how Ruff runs for a file, shared by the lint, `ruff format` and
    organize imports, so all three see the project the same way. Raises `SymlinkLoop` for a
    path that leads through one."""
    options = options_for(facts, base, default_select)
    cwd = str(facts.root) if facts.root.is_dir() else None
    return RuffRun(str(resolved(path)), options, cwd)
