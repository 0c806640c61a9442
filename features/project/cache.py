"""Facts per project, kept while the files they came from stay as they were.

The server lints on every keystroke; parsing a project's TOML, INI and YAML each time is not
acceptable (a 26 MB `pyproject.toml` takes tomllib 15 s). A cached answer is checked against its
`Stamp`: one `stat` per file its reading looked at — the ones it read and the ones it looked for
and did not find — and one listing per folder whose entries it looked through. Creating a
`.flake8`, editing `pyproject.toml` or deleting a pre-commit config is noticed on the next lint;
saving a module beside them, or git rewriting its index, is not a change, and nothing is parsed
again until one of those files changes.
"""

from __future__ import annotations

import threading
from pathlib import Path

from surefix.features.project.facts import ProjectFacts, read_facts
from surefix.features.project.reading import Stamp
from surefix.features.project.root import project_root, resolved


class FactsCache:
    """`project_facts`, remembered per (project root, workspace). Safe to share between
    threads: two lints that find the same project stale read it once, one after the other."""

    def __init__(self, defaults: tuple[str, ...] = ()) -> None:
        self.defaults = defaults  # see `ProjectFacts.defaults`
        self._entries: dict[tuple[Path, Path | None], tuple[ProjectFacts, Stamp]] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, workspace: Path | None = None) -> ProjectFacts:
        """The facts for the file `path`; read again only when a file they depend on changed.
        Raises `SymlinkLoop` for a path that leads through one (no project can be found)."""
        workspace = resolved(workspace) if workspace is not None else None
        key = (project_root(path, workspace), workspace)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1].fresh():
                return entry[0]
            facts, stamp = read_facts(*key, self.defaults)
            self._entries[key] = (facts, stamp)
            return facts

    def clear(self) -> None:
        """Forget everything (a workspace folder was removed, say)."""
        with self._lock:
            self._entries.clear()
