"""What the user typed in this editor session, and when: the autopilot never rewrites it.

Fix-on-save that deletes the import someone just added, or the variable they just assigned and
are about to use, is the commonest complaint about fix-on-save (ruff-vscode#260, ruff#12709).
Every change the user makes marks the lines it inserted or rewrote, by their text (stripped),
with the time; a fix that touches such a line within `window` seconds stays a quick fix. Lines
are kept by text, not number, so the marks follow the code through later edits and through
fix-all's own rounds; a mark on a line that merely looks the same errs on the side of not
touching it. Only the last text of each document and the marked lines live here, in memory.

Text the server itself computed — a formatting, organized imports — is no one's typing: when
the document becomes such a text (`produced`), none of its changed lines is marked.
"""

from __future__ import annotations

import time

from surefix.features.ruff.edits import changed_lines, split_lines
from surefix.model.local.outcome_watch import text_hash

PRODUCED_KEPT = 4  # texts computed for a document and not (yet) applied, newest last


class RecentEdits:
    """Lines typed per open document, with the time they were last typed."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._texts: dict[str, str] = {}  # the text itself, shared with `Texts`: not its lines
        self._typed: dict[str, dict[str, float]] = {}
        self._produced: dict[str, list[str]] = {}  # hashes of texts the server computed

    def opened(self, uri: str, text: str) -> None:
        self._texts[uri] = text

    def changed(self, uri: str, text: str, typed: bool = True) -> None:
        """The document is now `text`; `typed` is False for a text the server itself produced."""
        old = self._texts.get(uri)
        self._texts[uri] = text
        expected = self._produced.get(uri)
        if typed and expected and (found := text_hash(text)) in expected:
            expected.remove(found)
            typed = False
        if old is None or not typed:
            return
        now = time.monotonic()
        marks = self._typed.setdefault(uri, {})
        for line in changed_lines(split_lines(old), split_lines(text)):
            if line.strip():
                marks[line.strip()] = now

    def produced(self, uri: str, text: str) -> None:
        """The server computed `text` for the document (an edit it is about to send): once the
        document is exactly that, the change was the server's, not the user's."""
        expected = self._produced.setdefault(uri, [])
        expected.append(text_hash(text))
        del expected[:-PRODUCED_KEPT]

    def typed(self, uri: str) -> frozenset[str]:
        """Lines (stripped) typed within the window."""
        marks = self._typed.get(uri)
        if not marks:
            return frozenset()
        since = time.monotonic() - self.window
        fresh = {line: at for line, at in marks.items() if at >= since}
        self._typed[uri] = fresh
        return frozenset(fresh)

    def forget(self, uri: str) -> None:
        self._texts.pop(uri, None)
        self._typed.pop(uri, None)
        self._produced.pop(uri, None)
