"""The surefix language server: the parts it is made of, and how they are connected.

Each part owns one kind of state and is handed only what it needs:

* `Models` — the trust model in use and the thresholds that band its scores;
* `OutcomeTracker` — the outcome store, the per-rule records, the server's own offers and the
  watches on them;
* `Analyzer` and `Analyses` — one scored analysis per document version, linting only when the
  text or the Ruff settings changed, and `Publisher` for its diagnostics;
* `Formatter` — `ruff format` for the editor, and what it has said;
* `Retrainer` — the one retrain that may run.

This class holds them, the settings, and the messages to the user. The handlers that answer LSP
requests are wired in `wiring`. Try it: `surefix serve` (stdio) or `surefix serve --tcp :2087`.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.capabilities import get_capability
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from surefix.features.project.root import SymlinkLoop, resolved
from surefix.features.ruff.rules import RuleBook, rule_book
from surefix.features.ruff.run import RuffError, RuffOptions
from surefix.model.analysis import Analysis
from surefix.model.autofix import (
    FixRun,
    Hold,
    holding,
    rule_hold,
    typed_hold,
    unchanged,
    undone_hold,
)
from surefix.model.local.demotion import Policy
from surefix.model.local.legacy import adopt_legacy_data
from surefix.model.local.store import default_data_dir
from surefix.model.scoring.scorer import ScoreError
from surefix.server.lsp import fix_all, fix_rule
from surefix.server.lsp.analyzer import (
    MODEL_ATTEMPTS,
    Analyzer,
    LintSetup,
    Scoring,
    ruff_failure,
)
from surefix.server.lsp.commands import Retrainer
from surefix.server.lsp.diagnostics import Publisher
from surefix.server.lsp.documents import Analyses, Analyzed, Source
from surefix.server.lsp.formatting import Formatter
from surefix.server.lsp.memory import Trim
from surefix.server.lsp.models import Models
from surefix.server.lsp.notebooks import Notebooks
from surefix.server.lsp.notes import Notes
from surefix.server.lsp.outcomes import Collection, OutcomeTracker
from surefix.server.lsp.protocol import SurefixProtocol, read_frames
from surefix.server.lsp.recent import RecentEdits
from surefix.server.lsp.settings import Settings, parse_settings
from surefix.server.lsp.suggestions import Suggestions
from surefix.server.lsp.texts import Texts

VERSION = "0.1.0"
STATUS_NOTIFICATION = "surefix/status"
CONFIGURATION_WAIT_S = 5.0
# Jupyter notebooks' Python cells, synchronised as notebooks (LSP 3.17). pygls advertises it only
# to a client whose capabilities have `notebookDocument`: any other keeps sending files only.
NOTEBOOK_SYNC = t.NotebookDocumentSyncOptions(
    notebook_selector=[
        t.NotebookDocumentFilterWithNotebook(
            notebook="jupyter-notebook", cells=[t.NotebookCellLanguage(language="python")]
        )
    ],
    save=True,
)


class SurefixServer(LanguageServer):
    """The server's parts, its settings, and what it says to the user."""

    protocol: SurefixProtocol

    def __init__(self) -> None:
        super().__init__(
            "surefix", VERSION, protocol_cls=SurefixProtocol, notebook_document_sync=NOTEBOOK_SYNC
        )
        self.texts = Texts()
        self.protocol.texts = self.texts
        self.notebooks = Notebooks()
        self.protocol.notebooks = self.notebooks
        self.init_options: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._status: asyncio.Task[None] | None = None
        self.settings = Settings()
        self.configured = asyncio.Event()  # set once the client's settings have been read
        self.models = Models(self._say)
        self.outcomes = OutcomeTracker(
            say=self.tell,
            log=self.log,
            project_root=lambda: self.root() or "",
            learned_through=self.models.learned_through,
            records_changed=self.rescore_all,
            latest=self._latest,
            folder_of=self.folder_of,
        )
        self.publisher = Publisher(self.text_document_publish_diagnostics, self._say)
        self.analyzer = Analyzer(
            self,
            self.publisher,
            self.lint_setup,
            self.scoring,
            self.settled,
            self._log_error,
            self.refuse_model,
            self.models_loaded,
        )
        self.documents = Analyses(self._analyze)
        self.suggestions = Suggestions(
            self.outcomes,
            self.texts,
            self.analyzer.facts_of,
            self.file_of,
            lambda: (self.client_capabilities, self.position_encoding()),
            self.analyzer.in_pool,
        )
        self.recent = RecentEdits(self.settings.recent_edit_window)
        self.trim = Trim()  # what analyses and closed documents freed goes back to the system
        self.notes = Notes(lambda message: self.log(message, t.MessageType.Warning), self.tell)
        self.formatter = Formatter(
            self.analyzer,
            self.is_current,
            self.produced,
            lambda message: self.tell(message, t.MessageType.Error),
            self.notes,
        )
        self.retrainer = Retrainer()
        self._told: set[str] = set()  # messages said once a session

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """pygls' stdio loop with our frame reader (a size limit, every request answered)."""
        self._stop_event = threading.Event()
        reader = StdinAsyncReader(stdin or sys.stdin.buffer, self.thread_pool)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(read_frames(reader, self.protocol, self._stop_event))
        except (BrokenPipeError, KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    # -- messages -------------------------------------------------------------------------

    def tell(self, message: str, kind: t.MessageType = t.MessageType.Warning) -> None:
        self.window_show_message(t.ShowMessageParams(type=kind, message=message))
        self.log(message, kind)

    def log(self, message: str, kind: t.MessageType = t.MessageType.Info) -> None:
        self.window_log_message(t.LogMessageParams(type=kind, message=message))

    def _say(self, message: str, error: bool) -> None:
        """A model's problem, said from whichever thread loaded it: the wire is the loop's."""
        kind = t.MessageType.Error if error else t.MessageType.Warning
        if self._loop is not None and threading.current_thread() is not threading.main_thread():
            self._loop.call_soon_threadsafe(self.tell, message, kind)
        else:
            self.tell(message, kind)

    async def models_loaded(self) -> None:
        """The model in use is loaded (off the event loop: numpy and the artifact take a few
        hundred milliseconds, which no request should wait for)."""
        self._loop = asyncio.get_running_loop()
        await self._loop.run_in_executor(None, self.models.ensure)

    def status_when_loaded(self) -> None:
        """Send the status line once the model it names is loaded, without holding up lints."""

        async def send() -> None:
            await self.models_loaded()
            self.send_status()

        self._status = asyncio.get_running_loop().create_task(send())

    def _log_error(self, message: str) -> None:
        self.log(message, t.MessageType.Error)

    # -- settings -------------------------------------------------------------------------

    def apply_settings(self, raw_config: Any) -> bool:
        """Settings = defaults < initializationOptions < workspace configuration. Returns
        whether anything changed."""
        base = parse_settings(self.init_options)
        parsed = parse_settings(raw_config, base.settings) if raw_config is not None else base
        problems = dict.fromkeys(base.problems + parsed.problems)
        if problems:
            self.tell("surefix settings: " + "; ".join(problems))
        new, old = parsed.settings, self.settings
        self.settings = new
        self.models.auto, self.models.review = new.auto_threshold, new.review_threshold
        directory = Path(new.data_dir) if new.data_dir else None
        policy = Policy(new.demotion_min_outcomes, new.undo_limit, new.wrong_demotes)
        self.outcomes.configure(
            Collection(directory, new.collect_outcomes, new.undo_window, policy)
        )
        self.recent.window = new.recent_edit_window
        if new.model_path != old.model_path or not self.models.named:
            self.models.load(new.model_path, self.data_dir())
        return new != old

    async def settled(self) -> None:
        """A document opened right after `initialized` must not be linted with the defaults
        while the client's settings (its Ruff path, selection) are still on their way."""
        try:
            await asyncio.wait_for(self.configured.wait(), CONFIGURATION_WAIT_S)
        except TimeoutError:
            self.configured.set()  # a client that never sends `initialized`: go with defaults

    def adopt_legacy_data(self) -> None:
        """Once: a store and models left in trustfix's data directory move to the default one."""
        if self.settings.data_dir:
            return
        said = adopt_legacy_data(self.data_dir())
        if said:
            self.tell(f"surefix: {said}", t.MessageType.Info)
            self.models.load(self.settings.model_path, self.data_dir())  # a moved retrained one

    def data_dir(self) -> Path:
        return Path(self.settings.data_dir) if self.settings.data_dir else default_data_dir()

    def lint_setup(self) -> LintSetup:
        s = self.settings
        ruff = RuffOptions(executable=s.ruff_path, extra_args=s.ruff_args, timeout=s.lint_timeout)
        return LintSetup(ruff, s.select, s.max_file_size)

    def scoring(self) -> Scoring:
        return Scoring(
            self.models.model,
            self.models.thresholds(),
            self.outcomes.history(),
            self.outcomes.demotions(),
        )

    # -- what the analyzer asks of the client ---------------------------------------------

    def position_encoding(self) -> str | None:
        return self.workspace.position_encoding

    def takes_document_changes(self) -> bool:
        return bool(
            get_capability(
                self.client_capabilities, "workspace.workspace_edit.document_changes", False
            )
        )

    def is_current(self, uri: str, version: int) -> bool:
        notebook = self.notebooks.get(uri)
        if notebook is not None:
            return notebook.revision == version
        doc = self.texts.get(uri)
        return doc is not None and doc.version == version

    def root(self) -> str | None:
        return self.workspace.root_path

    def workspace_of(self, path: Path) -> Path | None:
        """The workspace folder holding `path` (the innermost), else the root; the project root
        is never looked for above it."""
        folders = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
        inside = [Path(f) for f in folders if f and path.is_relative_to(f)]
        if inside:
            return max(inside, key=lambda f: len(f.parts))
        root = self.root()
        return Path(root) if root and path.is_relative_to(root) else None

    def file_of(self, uri: str) -> Path | None:
        """The file a `file:` document is, its folders' symlinks resolved (as the project's
        root is): None for other URIs, and for a path through a symlink loop."""
        if not uri.startswith("file:"):
            return None
        try:
            return resolved(self.analyzer.path_of(uri))
        except (SymlinkLoop, OSError):
            return None

    def folder_of(self, uri: str) -> str | None:
        """The folder of a document's file, for its outcome rows (kept only as hashes)."""
        path = self.file_of(uri)
        return str(path.parent) if path is not None else None

    # -- documents ------------------------------------------------------------------------

    async def _analyze(self, uri: str, version: int, text: Source) -> Analyzed | None:
        await self.settled()  # the data directory in the settings, not the default
        await self.outcomes.sync()  # the records it scores with, as the store has them now
        analyzed = await self.analyzer.analyze(uri, version, text)
        self.trim.after_work()
        if analyzed is not None:  # outcomes it reveals are recorded after it is served
            asyncio.get_running_loop().call_soon(
                self.outcomes.observe, uri, version, analyzed.analysis
            )
        return analyzed

    def schedule(self, uri: str, delay: float) -> None:
        notebook = self.notebooks.get(uri)
        if notebook is not None:
            self.documents.schedule(notebook.uri, notebook.revision, notebook.snapshot(), delay)
            return
        doc = self.texts.get(uri)
        if doc is not None:
            self.documents.schedule(doc.uri, doc.version, doc.source, delay)

    async def current(self, uri: str) -> Analyzed | None:
        """The analysis of the document as the editor has it now; None if it is not open.
        Whatever spelling of its URI a request uses, the analysis carries the one it was
        opened with: every part keys its state by that one. A notebook's cell (or the notebook
        itself) gets the notebook's analysis, keyed by the notebook's URI."""
        notebook = self.notebooks.get(uri)
        if notebook is not None:
            return await self.documents.get(notebook.uri, notebook.revision, notebook.snapshot())
        doc = self.texts.get(uri)
        if doc is None:
            return None
        return await self.documents.get(doc.uri, doc.version, doc.source)

    def _latest(self, uri: str) -> tuple[int, Analysis] | None:
        cached = self.documents.cached(uri)
        return (cached.version, cached.analysis) if cached is not None else None

    def rescore_all(self) -> None:
        """Analyse every open document again; Ruff runs only where its input changed."""
        for uri in self.documents.invalidate_all():
            self.schedule(uri, 0)

    def close(self, uri: str) -> None:
        doc = self.texts.close(uri)
        if doc is not None:
            self._forget(doc.uri, [doc.uri])

    def close_notebook(self, uri: str, cells: list[str]) -> None:
        """A notebook closed: its cells' diagnostics go, with everything kept for it."""
        notebook = self.notebooks.close(uri)
        if notebook is not None:
            self._forget(notebook.uri, [*(c.text.uri for c in notebook.cells), *cells])

    def _forget(self, uri: str, documents: list[str]) -> None:
        self.documents.forget(uri)
        self.analyzer.forget(uri)
        self.outcomes.forget(uri)
        self.recent.forget(uri)
        self.notes.forget(uri)
        self.publisher.withdraw(uri, documents)
        self.trim.after_work()

    def produced(self, uri: str, text: str) -> None:
        """The server computed `text` for the document (a formatting, organized imports):
        when the document becomes it, nobody typed its lines and nobody resolved by hand
        the violations it removes."""
        self.recent.produced(uri, text)
        self.outcomes.produced(uri, text)

    def autopilot_hold(self, uri: str) -> Hold:
        """What keeps a fix of this document from the autopilot, beyond its band: an undo of
        it at that spot, or code the user has just typed."""
        minutes = self.recent.window / 60
        typed = f"you typed this code in the last {minutes:g} minute{'' if minutes == 1 else 's'}"
        return holding(
            undone_hold(self.outcomes.undone_here(uri)),
            typed_hold(self.recent.typed(uri), typed),
        )

    async def fix_run(self, analyzed: Analyzed, rule: str | None = None) -> FixRun:
        """Apply-all-trusted on `analyzed`, or — given `rule` — every fix of that rule, which
        the user asked for (`fix_rule`); computed once per analysis and rule: a client that
        asks for the action and then resolves it, or asks again on save, waits for the same
        run. (What holds a fix back changes only with a new analysis: an edit, an outcome, a
        model.)"""
        key = ("fix_run", rule)
        pending = analyzed.memo.get(key)
        if pending is None:
            pending = analyzed.memo[key] = asyncio.ensure_future(self._fix_run(analyzed, rule))
        run: FixRun = await asyncio.shield(pending)
        return run

    async def _fix_run(self, analyzed: Analyzed, rule: str | None) -> FixRun:
        """A round that meets a model whose score is not a number refuses it, and the run
        starts again from the document re-scored by the next model (or changes nothing, if
        the document has moved on meanwhile)."""
        for _ in range(MODEL_ATTEMPTS):
            hold = self.autopilot_hold(analyzed.uri) if rule is None else rule_hold(rule)
            try:
                run = await fix_all.run(self.analyzer, analyzed, hold)
                break
            except ScoreError as exc:
                self.refuse_model(exc)
                fresh = await self.current(analyzed.uri)
                if fresh is None or fresh.version != analyzed.version:
                    return unchanged(analyzed.analysis)
                analyzed = fresh
        else:
            return unchanged(analyzed.analysis)
        if rule is None:
            self.outcomes.computed(analyzed.uri, analyzed.version, analyzed.analysis, run)
            self.log(fix_all.summary(run))
            message = fix_all.dropped_message(run)
        else:
            detected = fix_rule.DETECTED
            self.outcomes.computed(analyzed.uri, analyzed.version, analyzed.analysis, run, detected)
            self.log(fix_rule.summary(rule, run))
            message = fix_rule.dropped_message(rule, run)
        if message:
            self.tell(message)
        return run

    # -- what Ruff says of its rules --------------------------------------------------------

    async def rule_book(self) -> RuleBook | None:
        """The rules of the Ruff in use (`features.ruff.rules`), read off the event loop once
        per program; None, with the failure said once as a lint's is, when Ruff cannot list
        them."""
        try:
            return await self.analyzer.in_pool(rule_book, self.lint_setup().ruff)
        except RuffError as exc:
            message = f"surefix: cannot describe Ruff's rules: {ruff_failure(exc)}"
            if message not in self._told:
                self._told.add(message)
                self.tell(message)
            return None

    def noqa_reader(self, uri: str) -> Callable[[str], str | None]:
        """Which of the project's tools other than Ruff reads a `# noqa` code, by name."""
        facts = self.analyzer.facts_of(uri)
        tools = facts.noqa_tools if facts is not None else ()
        return lambda code: next((tool.name for tool in tools if tool.uses(code)), None)

    # -- the model ------------------------------------------------------------------------

    def refuse_model(self, problem: ScoreError, analysing: str | None = None) -> None:
        """The model in use gave a score that is not a number: the next model takes over (the
        user is told once) and every open document but `analysing`, whose analysis is already
        scoring again, is re-scored with it."""
        if not self.models.refuse(problem):
            return
        self.outcomes.refresh()
        for uri in self.documents.invalidate_all(keep=analysing):
            self.schedule(uri, 0)
        self.send_status()

    def model_changed(self) -> None:
        """After a retrain, reset or rollback: load the model now in use and re-score."""
        self.models.load(self.settings.model_path, self.data_dir())
        self.outcomes.refresh()
        self.rescore_all()
        self.send_status()

    def send_status(self) -> None:
        self.protocol.notify(STATUS_NOTIFICATION, self.models.status(self.outcomes.collecting))
