"""Facts per project, kept while the files they came from stay as they were.

The server lints on every keystroke; parsing a project's TOML, INI and YAML each time is not
acceptable. A cached answer is checked with one `stat` per file its reading looked at — the
ones it read and the ones it looked for and did not find — so creating a `.flake8`, editing
`pyproject.toml` or deleting a pre-commit config is noticed on the next lint, and nothing is
parsed until one of them changes.
"""

from __future__ import annotations

from pathlib import Path

from surefix.features.project.facts import ProjectFacts, read_facts
from surefix.features.project.reading import Stamp
from surefix.features.project.root import project_root


class FactsCache:
    """`project_facts`, remembered per (project root, workspace)."""

    def __init__(self, defaults: tuple[str, ...] = ()) -> None:
        self.defaults = defaults  # see `ProjectFacts.defaults`
        self._entries: dict[tuple[Path, Path | None], tuple[ProjectFacts, Stamp]] = {}

    def get(self, path: Path, workspace: Path | None = None) -> ProjectFacts:
        """The facts for the file `path`; read again only when a file they depend on changed."""
        workspace = workspace.resolve() if workspace is not None else None
        key = (project_root(path, workspace), workspace)
        entry = self._entries.get(key)
        if entry is not None and entry[1].fresh():
            return entry[0]
        facts, stamp = read_facts(*key, self.defaults)
        self._entries[key] = (facts, stamp)
        return facts

    def clear(self) -> None:
        """Forget everything (a workspace folder was removed, say)."""
        self._entries.clear()
