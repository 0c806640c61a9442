"""One analysis per document version, computed once and shared by every request.

Linting starts when a version appears — at once on open and save, after a quiet period while
typing — and runs Ruff off the event loop. Code actions, hover and fix-all await the analysis of
the version the editor has now: if it is still waiting out the debounce it starts at once, if it
is running they wait for it, and they never lint on their own. A newer version cancels the older
one's pending run, so a burst of keystrokes costs one Ruff run, not one per key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from surefix.features.ruff.noqa import Comments
from surefix.model.analysis import Analysis
from surefix.server.lsp.layout import Layout
from surefix.server.lsp.notebooks import Snapshot

Source: TypeAlias = str | Snapshot  # a file's text, or a notebook's state


@dataclass(frozen=True)
class Analyzed:
    """An analysis with the version it belongs to (a notebook's: our revision of it) and where
    its text lies in the editor (`layout`: positions, documents, versioned edits). `memo`
    keeps what requests derive from it (built actions), valid as long as it is."""

    uri: str
    version: int
    analysis: Analysis
    layout: Layout
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def comments(self) -> Comments:
        """Where a line's noqa comment starts (`noqa.Comments`), tokenized once if at all."""
        if "comments" not in self.memo:
            self.memo["comments"] = Comments(self.analysis.text)
        found: Comments = self.memo["comments"]
        return found


@dataclass
class _Run:
    version: int
    task: asyncio.Task[Analyzed | None]
    start_now: asyncio.Event = field(default_factory=asyncio.Event)


Runner = Callable[[str, int, Source], Awaitable[Analyzed | None]]


class Analyses:
    """The analysis cache of open documents, keyed by URI and valid for one version each."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._runs: dict[str, _Run] = {}

    def schedule(self, uri: str, version: int, text: Source, delay: float) -> None:
        """Analyse `text` (version `version`) after `delay` seconds unless a newer one comes."""
        old = self._runs.get(uri)
        if old is not None and old.version == version and not old.task.cancelled():
            if delay == 0:
                old.start_now.set()
            return
        if old is not None:
            old.task.cancel()
        start_now = asyncio.Event()
        task = asyncio.ensure_future(self._run(uri, version, text, delay, start_now))
        self._runs[uri] = _Run(version, task, start_now)

    async def _run(
        self, uri: str, version: int, text: Source, delay: float, start_now: asyncio.Event
    ) -> Analyzed | None:
        if delay > 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(start_now.wait(), delay)
        return await self._runner(uri, version, text)

    async def get(self, uri: str, version: int, text: Source) -> Analyzed | None:
        """The analysis of exactly this version, starting it now if it has not started. None
        once a newer version (or a close) supersedes it: an answer for old text is no answer,
        and re-running the old version would cancel the new one. A run cancelled for a fresh
        one of the same version (settings, the model or the user's record changed: every open
        document is analysed again) is waited for in its successor, so a request that came in
        between still gets its answer."""
        self.schedule(uri, version, text, 0)
        while True:
            run = self._runs.get(uri)
            if run is None or run.version != version:
                return None
            if run.task.cancelled():  # left behind cancelled: run this version again
                self.schedule(uri, version, text, 0)
                continue
            try:
                result = await asyncio.shield(run.task)
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # the request itself was cancelled
                continue
            return result if result is not None and result.version == version else None

    def cached(self, uri: str) -> Analyzed | None:
        """The newest finished analysis, whatever its version (for commands naming a version)."""
        run = self._runs.get(uri)
        if run is None or not run.task.done() or run.task.cancelled():
            return None
        return run.task.result()

    def forget(self, uri: str) -> None:
        run = self._runs.pop(uri, None)
        if run is not None:
            run.task.cancel()

    def invalidate_all(self, keep: str | None = None) -> list[str]:
        """Drop every analysis (settings or model changed) but `keep`'s; returns the URIs to
        analyse again. `keep` is a document whose running analysis already follows the change
        (it is the one that caused it): cancelling it would leave its requests unanswered."""
        uris = [uri for uri in self._runs if uri != keep]
        for uri in uris:
            self.forget(uri)
        return uris
