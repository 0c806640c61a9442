"""`textDocument/formatting` and `rangeFormatting`: `ruff format` on the editor's text.

As Ruff's own server formats: with the project's configuration, from its root, with the Ruff
program, extra arguments and timeout the lint uses (`Analyzer.ruff_run`), on the analysis threads.
A text Ruff cannot parse is left as it is; that is logged once per version and never shown in
a popup, since format on save would repeat it at every save and the diagnostics already show
the syntax error (ruff#11745 made the same choice). A Ruff that fails is said once per distinct
problem, in the lint's words.

The answer is line diff edits (`edits.diff_edits`), not one replacement of the document, so the
editor keeps cursors, folds and marks outside the lines that changed. LSP gives formatting edits
no version: they are computed on the server's copy of the text, and a document that changed
while Ruff ran gets no edits, since they would land on text they were not made for.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types as t

from surefix.features.project.root import SymlinkLoop
from surefix.features.ruff.edits import diff_edits
from surefix.features.ruff.run import RuffError, format_text
from surefix.server.lsp.analyzer import Analyzer, ruff_failure
from surefix.server.lsp.notes import Notes
from surefix.server.lsp.positions import Positions
from surefix.server.lsp.settings import SECTION
from surefix.server.lsp.texts import Text


class Formatter:
    """Formats open documents, and keeps the last Ruff problem it said (said once, until
    formatting works again); why a version was not formatted goes to `notes`, once."""

    def __init__(
        self,
        analyzer: Analyzer,
        is_current: Callable[[str, int], bool],
        produced: Callable[[str, str], None],
        tell: Callable[[str], None],
        notes: Notes,
    ) -> None:
        self._analyzer, self._is_current, self._produced = analyzer, is_current, produced
        self._tell, self._notes = tell, notes
        self._last_problem: str | None = None

    async def edits(
        self, doc: Text, encoding: str | None, span: t.Range | None, max_size: int
    ) -> list[t.TextEdit] | None:
        """The edits that format `doc` (only the lines `span` touches, when given), or None:
        nothing to change, a text Ruff cannot parse, a failure, or a document that moved on."""
        uri, version, text = doc.uri, doc.version, doc.source
        name = uri.rsplit("/", 1)[-1]
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > max_size:
            self._once(uri, version, f"{name} is larger than {SECTION}.maxFileSize: not formatted")
            return None
        positions = Positions(text, encoding)
        where = None
        if span is not None:
            where = (positions.from_client(span.start), positions.from_client(span.end))
        try:
            run = await self._analyzer.in_pool(self._analyzer.ruff_run, uri)
            done = await self._analyzer.in_pool(
                format_text, text, run.path, run.options, run.cwd, where
            )
        except RuffError as exc:
            self._failed(ruff_failure(exc))
            return None
        except SymlinkLoop as exc:
            self._once(uri, version, f"{exc}; it cannot be formatted until the loop is broken")
            return None
        self._last_problem = None
        if done.text is None:
            why = f"Ruff cannot parse it ({done.unparsable})"
            self._once(uri, version, f"{name} not formatted: {why}")
            return None
        if done.text == text or not self._is_current(uri, version):
            return None
        self._produced(uri, done.text)
        return [
            t.TextEdit(range=positions.range(e.start, e.end), new_text=e.content)
            for e in diff_edits(text, done.text)
        ]

    def disabled(self, uri: str, version: int) -> None:
        """A formatting request while `format.enable` is off (turned off after start)."""
        self._once(uri, version, f"formatting is off ({SECTION}.format.enable is false)")

    def _failed(self, message: str) -> None:
        if message != self._last_problem:
            self._tell(f"surefix: {message}")
        self._last_problem = message

    def _once(self, uri: str, version: int, message: str) -> None:
        self._notes.once(uri, version, message)
