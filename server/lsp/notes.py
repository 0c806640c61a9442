"""What is said once per document version.

Formatting and organize imports run on save, and a file they cannot handle (a syntax error) is
handed to them at every save: why they did nothing is worth one log line per version of the
text, not one per request, and no popup (the diagnostics already show the syntax error). Only
a command the user invoked, on a client with no other way to show why, gets a message.
"""

from __future__ import annotations

from collections.abc import Callable


class Notes:
    """What has been said, per document and version."""

    def __init__(self, log: Callable[[str], None], tell: Callable[[str], None]) -> None:
        self._log, self._tell = log, tell
        self._said: dict[str, tuple[int, set[tuple[str, bool]]]] = {}  # uri -> (version, said)

    def once(self, uri: str, version: int, message: str, shown: bool = False) -> None:
        """Log `message` ("surefix: " first) unless it was said for this version already;
        `shown`: a message the user asked for by a command, shown (once) even if logged."""
        said = self._said.get(uri)
        if said is None or said[0] != version:
            said = (version, set())
            self._said[uri] = said
        if (message, shown) not in said[1]:
            said[1].add((message, shown))
            (self._tell if shown else self._log)(f"surefix: {message}")

    def forget(self, uri: str) -> None:
        self._said.pop(uri, None)
