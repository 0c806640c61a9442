"""Outcomes that only show later: an accepted fix that is undone, or that broke the file.

After a fix is accepted its document is watched for a while. If the text returns to exactly what
it was before the fix (the editor's undo), the acceptance becomes `undone`; if the next analysis
has more syntax errors than the one the fix was offered on, it becomes `broke`. Both are
negatives: they teach more than any acceptance. Only hashes of texts are kept, in memory.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

UNDO_WINDOW_S = 120.0


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Accepted:
    row_id: int
    version: int  # the version the fix was offered on
    before: str  # hash of that version's text
    syntax_errors: int  # in that version
    deadline: float
    checked_broke: bool = False


class OutcomeWatch:
    """Accepted fixes still being watched, per document."""

    def __init__(self, undo_window: float = UNDO_WINDOW_S) -> None:
        self.undo_window = undo_window
        self._watched: dict[str, list[Accepted]] = {}

    def accepted(self, uri: str, row_id: int, version: int, before: str, errors: int) -> None:
        entry = Accepted(row_id, version, before, errors, time.monotonic() + self.undo_window)
        self._watched.setdefault(uri, []).append(entry)

    def watching(self, uri: str) -> bool:
        return bool(self._watched.get(uri))

    def undone(self, uri: str, text: str) -> list[int]:
        """Row ids whose fix this text undoes (their watch ends)."""
        now = time.monotonic()
        live = [a for a in self._watched.get(uri, ()) if a.deadline >= now]
        if not live:
            self._watched.pop(uri, None)
            return []
        digest = text_hash(text)
        hits = [a.row_id for a in live if a.before == digest]
        self._watched[uri] = [a for a in live if a.before != digest]
        return hits

    def broke(self, uri: str, version: int, syntax_errors: int) -> list[int]:
        """Row ids whose fix left more syntax errors in the first analysis after it."""
        hits = []
        for a in self._watched.get(uri, ()):
            if a.checked_broke or version <= a.version:
                continue
            a.checked_broke = True
            if syntax_errors > a.syntax_errors:
                hits.append(a.row_id)
        if hits:
            self._watched[uri] = [a for a in self._watched[uri] if a.row_id not in hits]
        return hits

    def forget(self, uri: str) -> None:
        self._watched.pop(uri, None)
