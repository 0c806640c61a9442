"""Log lines said once per document version.

Formatting and organize imports run on save, and a file they cannot handle (a syntax error) is
handed to them at every save: why they did nothing is worth one log line per version of the
text, not one per request, and no popup (the diagnostics already show the syntax error).
"""

from __future__ import annotations

from collections.abc import Callable


class Notes:
    """What has been logged, per document and version."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self._log = log
        self._said: dict[str, tuple[int, set[str]]] = {}  # uri -> (version, messages)

    def once(self, uri: str, version: int, message: str) -> None:
        """Log `message` ("surefix: " first) unless it was logged for this version already."""
        said = self._said.get(uri)
        if said is None or said[0] != version:
            said = (version, set())
            self._said[uri] = said
        if message not in said[1]:
            said[1].add(message)
            self._log(f"surefix: {message}")

    def forget(self, uri: str) -> None:
        self._said.pop(uri, None)
