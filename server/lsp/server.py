"""The surefix language server: its state, and the one place handlers are wired to LSP methods.

Handlers are thin: they find the document's cached analysis, make one call into `actions`,
`present` or `model.autofix`, and return lsprotocol values. Anything that goes wrong below a
handler is caught at this boundary, logged with its traceback, shown once in words, and the
request gets an empty answer: the server keeps serving.

Try it: `surefix serve` (stdio) or `surefix serve --tcp 127.0.0.1:2087`.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as t
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from surefix.features.featurize import RuleHistory
from surefix.features.ruff.findings import SYNTAX_ERROR, Violation
from surefix.features.ruff.run import RuffError, RuffOptions
from surefix.model.analysis import Analysis, assess, demote, lint
from surefix.model.autofix import FixRun, fix_until_stable
from surefix.model.local.outcome_watch import OfferWatch, OutcomeWatch
from surefix.model.local.registry import Registry
from surefix.model.local.store import (
    Outcome,
    Store,
    StoreError,
    default_data_dir,
    demotions,
    record_words,
)
from surefix.model.scoring.artifact import ArtifactError, Thresholds, load_model
from surefix.model.scoring.scorer import TrustModel
from surefix.server.lsp import code_actions as actions
from surefix.server.lsp import commands as learning
from surefix.server.lsp.diagnostics import diagnostic
from surefix.server.lsp.documents import Analyses, Analyzed
from surefix.server.lsp.positions import Positions
from surefix.server.lsp.settings import SECTION, Settings, parse_settings
from surefix.server.wording import hover_markdown

VERSION = "0.1.0"
STATUS_NOTIFICATION = "surefix/status"
CONFIGURATION_WAIT_S = 5.0
F = TypeVar("F", bound=Callable[..., Any])


class TrustServer(LanguageServer):
    """Server state: settings, the loaded model, the analysis cache and a pool for Ruff runs."""

    def __init__(self) -> None:
        super().__init__("surefix", VERSION)
        self.init_options: Any = None
        self.settings = Settings()
        self.model: TrustModel | None = None
        self.model_source: str | None = None
        self.analyses = Analyses(self._analyze_and_publish)
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="surefix")
        self._last_lint_error: str | None = None
        self._skipped_large: set[str] = set()
        self._store: Store | None = None
        self._store_problem: str | None = None
        self._records: dict[str, dict[str, int]] = {}  # per-rule outcome counts, from the store
        self._fresh: dict[str, dict[str, int]] = {}  # those the model has not learned from
        self.retraining = False
        self.configured = asyncio.Event()  # set once the client's settings have been read
        self.watch = OutcomeWatch()
        self.offers = OfferWatch()

    # -- messages -------------------------------------------------------------------------

    def tell(self, message: str, kind: t.MessageType = t.MessageType.Warning) -> None:
        self.window_show_message(t.ShowMessageParams(type=kind, message=message))
        self.log(message, kind)

    def log(self, message: str, kind: t.MessageType = t.MessageType.Info) -> None:
        self.window_log_message(t.LogMessageParams(type=kind, message=message))

    # -- settings and model ---------------------------------------------------------------

    def apply_settings(self, raw_config: Any) -> bool:
        """Settings = defaults < initializationOptions < workspace configuration. Returns
        whether anything changed."""
        base = parse_settings(self.init_options)
        parsed = parse_settings(raw_config, base.settings) if raw_config is not None else base
        problems = dict.fromkeys(base.problems + parsed.problems)
        if problems:
            self.tell("surefix settings: " + "; ".join(problems))
        changed = parsed.settings != self.settings
        reload = parsed.settings.model_path != self.settings.model_path or self.model is None
        where = (parsed.settings.data_dir, parsed.settings.collect_outcomes)
        if where != (self.settings.data_dir, self.settings.collect_outcomes):
            self.close_store()
        self.settings = parsed.settings
        if reload:
            self.load_model()
        return changed

    def data_dir(self) -> Path:
        return Path(self.settings.data_dir) if self.settings.data_dir else default_data_dir()

    def load_model(self) -> None:
        """The configured model, else the user's promoted one, else the bundled one, else none
        (fixes are then unscored)."""
        path = self.settings.model_path
        if path:
            try:
                self.model, self.model_source = load_model(path), path
                return
            except ArtifactError as exc:
                self.tell(
                    f"surefix: cannot load the model at {path} ({exc}); using the bundled one"
                )
        local = Registry(self.data_dir()).active()
        if local is not None and not path:
            try:
                self.model, self.model_source = load_model(local), str(local)
                return
            except ArtifactError as exc:
                self.tell(
                    f"surefix: cannot load your retrained model {local.name} ({exc}); "
                    "using the bundled one (`surefix model rollback` returns to the previous)"
                )
        try:
            self.model, self.model_source = load_model(), "bundled"
        except ArtifactError as exc:
            self.model, self.model_source = None, None
            self.tell(
                f"surefix: no trust model could be loaded ({exc}); fixes are shown without "
                "scores and none is applied automatically",
                t.MessageType.Error,
            )

    def learned_through(self) -> float | None:
        """Time of the newest local outcome the model in use was trained on (None: none)."""
        if self.model is None:
            return None
        through = self.model.artifact.manifest.get("training_data", {}).get("local_through")
        return float(through) if isinstance(through, int | float) else None

    def status(self) -> dict[str, Any]:
        """What an editor's status line shows: the model in use and whether outcomes are kept."""
        return {
            "model": self.model.version if self.model is not None else "none",
            "source": "bundled" if self.model_source == "bundled" else "local",
            "collecting": self.settings.collect_outcomes and self._store_problem is None,
        }

    def send_status(self) -> None:
        self.protocol.notify(STATUS_NOTIFICATION, self.status())

    def thresholds(self) -> Thresholds | None:
        if self.model is None:
            return None
        card = self.model.thresholds
        return Thresholds(
            auto=self.settings.auto_threshold
            if self.settings.auto_threshold is not None
            else card.auto,
            review=self.settings.review_threshold
            if self.settings.review_threshold is not None
            else card.review,
        )

    # -- outcomes ---------------------------------------------------------------------------

    def store(self) -> Store | None:
        """The local outcome store, opened on first use; None when collection is off or the
        store cannot be opened (the user is told once, and fixes keep working)."""
        if not self.settings.collect_outcomes or self._store_problem is not None:
            return None
        if self._store is None:
            directory = Path(self.settings.data_dir) if self.settings.data_dir else None
            try:
                self._store = Store.at(directory)
            except (OSError, sqlite3.Error, StoreError) as exc:
                self._store_failed(f"cannot open the local outcome store ({exc})")
                return None
            if self._store.notice:
                self.tell(f"surefix: {self._store.notice}")
            self.refresh_records()
        return self._store

    def refresh_records(self) -> None:
        """Re-read the per-rule counts: all of them (hover, demotion) and those newer than the
        model (the score's shift — a retrained model has already learned from the older ones)."""
        if self._store is None:
            self._records, self._fresh = {}, {}
            return
        self._records = self._store.rule_records()
        through = self.learned_through()
        self._fresh = self._records if through is None else self._store.rule_records(through)

    def _store_failed(self, problem: str) -> None:
        self._store_problem = problem
        self.tell(f"surefix: {problem}; outcomes are not recorded, everything else works")

    def close_store(self) -> None:
        if self._store is not None:
            self._store.close()
        self._store, self._store_problem, self._records, self._fresh = None, None, {}, {}

    def record(self, facts: Any, relint: bool = True) -> bool:
        """Commit one outcome reported by a client command; True once it is on disk. Scores
        react at once: open documents are analysed again with the new record."""
        store = self.store()
        if store is None:
            return False
        root = self.workspace.root_path or ""
        outcome = outcome_from(facts, store.project_hash(root))
        try:
            row_id = store.record(outcome)
        except StoreError as exc:
            self._store_failed(str(exc))
            return False
        if outcome.outcome == "accepted":
            self._watch_accepted(facts, row_id)
        if isinstance(facts.get("line"), int):
            self.offers.settled(str(facts.get("uri")), outcome.rule, facts["line"])
        self.refresh_records()
        if relint:
            self.relint_all()
        return True

    def _watch_accepted(self, facts: dict[str, Any], row_id: int) -> None:
        uri, version = str(facts.get("uri")), facts.get("version")
        before, errors = facts.get("before"), facts.get("syntax_errors")
        if not isinstance(version, int) or not isinstance(before, str):
            return
        others = facts.get("others")
        self.watch.undo_window = self.settings.undo_window
        self.watch.accepted(
            uri,
            row_id,
            version,
            before,
            errors if isinstance(errors, int) else 0,
            str(facts.get("rule")),
            others if isinstance(others, int) else 0,
        )
        cached = self.analyses.cached(uri)  # the fixed text may be analysed already
        if cached is not None:
            analysis = cached.analysis
            found = self.watch.broke(
                uri, cached.version, analysis.syntax_errors, rule_counts(analysis)
            )
            self.revise(found, "broke")

    def revise(self, row_ids: list[int], outcome: str) -> None:
        """Accepted fixes that were undone or broke the file become negatives."""
        store = self.store()
        if store is None or not row_ids:
            return
        try:
            for row_id in row_ids:
                store.revise(row_id, outcome, "undo" if outcome == "undone" else "syntax-error")
        except StoreError as exc:
            self._store_failed(str(exc))
            return
        self.refresh_records()
        self.log(f"{len(row_ids)} accepted fix(es) recorded as {outcome}")

    def record_words(self, rule: str) -> str | None:
        counts = self._records.get(rule)
        return record_words(rule, counts) if counts else None

    def history(self) -> Callable[[str], RuleHistory]:
        """This user's record per rule, as the scorer reads it (a snapshot for one analysis)."""
        records = dict(self._fresh)

        def of(rule: str) -> RuleHistory:
            counts = records.get(rule)
            if not counts:
                return RuleHistory()
            return RuleHistory(kept=counts.get("accepted", 0), total=sum(counts.values()))

        return of

    def personalise(self, analysis: Analysis) -> Analysis:
        return demote(analysis, demotions(self._records, self.settings.demotion_min_outcomes))

    # -- analysis ---------------------------------------------------------------------------

    def path_of(self, uri: str) -> Path:
        """Where Ruff should think the buffer lives (its config and per-file rules follow)."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if path:
            return Path(path)
        root = self.workspace.root_path or str(Path.cwd())
        name = uri.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "untitled"
        return Path(root) / (name if name.endswith(".py") else f"{name}.py")

    def ruff_options(self) -> RuffOptions:
        s = self.settings
        return RuffOptions(executable=s.ruff_path, extra_args=s.ruff_args, timeout=s.lint_timeout)

    def analyze_text(self, uri: str, text: str) -> Analysis:
        """Lint and score `text` as the document `uri` (blocking: runs in the pool)."""
        path = self.path_of(uri)
        linted = lint(text, path, self.ruff_options(), self.settings.select)
        analysis = assess(text, path, linted, self.model, self.history(), self.thresholds())
        return self.personalise(analysis)

    async def _analyze_and_publish(self, uri: str, version: int, text: str) -> Analyzed | None:
        """Ruff's diagnostics go out as soon as Ruff answers; scoring (for code actions and
        hover) follows. Parsing the document in parallel with Ruff was measured slower: the
        parse holds the GIL and delays reading Ruff's output more than it saves."""
        await self.settled_configuration()
        if len(text.encode("utf-8", "surrogatepass")) > self.settings.max_file_size:
            self._skip_large(uri, version, text)
            return None
        if self._store is not None and self._store.changed_elsewhere():
            self.refresh_records()  # another editor or `surefix data purge` wrote the store
        loop = asyncio.get_running_loop()
        path = self.path_of(uri)
        try:
            linted = await loop.run_in_executor(
                self.pool, lint, text, path, self.ruff_options(), self.settings.select
            )
            positions = Positions(text, self.workspace.position_encoding)
            if self._is_current(uri, version):
                self.publish(
                    uri, version, linted.result.violations, linted.result.errors, positions
                )
            analysis = await loop.run_in_executor(
                self.pool, assess, text, path, linted, self.model, self.history(), self.thresholds()
            )
            analysis = self.personalise(analysis)
            found = self.watch.broke(uri, version, analysis.syntax_errors, rule_counts(analysis))
            self.revise(found, "broke")
            self.notice_resolved(uri, analysis)
        except RuffError as exc:
            self._lint_failed(uri, version, str(exc))
            return None
        except Exception as exc:  # a bug of ours must not take the editor down with it
            self.log(traceback.format_exc(), t.MessageType.Error)
            self._lint_failed(uri, version, f"internal error while analysing ({exc!r})")
            return None
        self._last_lint_error = None
        return Analyzed(uri, version, analysis, positions, client_takes_document_changes(self))

    async def settled_configuration(self) -> None:
        """A document opened right after `initialized` must not be linted with the defaults
        while the client's settings (its Ruff path, selection) are still on their way."""
        try:
            await asyncio.wait_for(self.configured.wait(), CONFIGURATION_WAIT_S)
        except TimeoutError:
            self.configured.set()  # a client that never sends `initialized`: go with defaults

    def notice_resolved(self, uri: str, analysis: Analysis) -> None:
        """Offered fixes whose violation this version resolved by another edit."""
        present = [(v.rule, v.start.line) for v in analysis.violations]
        found = self.offers.resolved(uri, analysis.text, present, analysis.syntax_errors)
        recorded = [facts for facts in found if self.record(facts, relint=False)]
        if recorded:
            self.log(f"{len(recorded)} offered fix(es) recorded as resolved another way")

    def _is_current(self, uri: str, version: int) -> bool:
        doc = self.workspace.text_documents.get(uri)
        return doc is not None and doc.version == version

    def _lint_failed(self, uri: str, version: int, message: str) -> None:
        if message != self._last_lint_error:
            self.tell(f"surefix: {message}", t.MessageType.Error)
        self._last_lint_error = message
        self._clear(uri, version)

    def _clear(self, uri: str, version: int | None = None) -> None:
        self.text_document_publish_diagnostics(
            t.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=[])
        )

    def _skip_large(self, uri: str, version: int, text: str) -> None:
        if uri not in self._skipped_large:
            self._skipped_large.add(uri)
            size = len(text.encode("utf-8", "surrogatepass")) / 1e6
            self.tell(
                f"surefix: {uri.rsplit('/', 1)[-1]} is {size:.1f} MB; files above "
                f"{self.settings.max_file_size / 1e6:g} MB are not linted "
                f"(setting {SECTION}.maxFileSize)",
                t.MessageType.Info,
            )
        self._clear(uri, version)

    def publish(
        self,
        uri: str,
        version: int,
        violations: Sequence[Violation],
        errors: Sequence[Violation],
        positions: Positions,
    ) -> None:
        diagnostics = [
            diagnostic(v, positions, actions.diagnostic_data(version, i, v))
            for i, v in enumerate(violations)
        ] + [diagnostic(e, positions, None) for e in errors]
        self.text_document_publish_diagnostics(
            t.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics)
        )

    def schedule(self, uri: str, delay: float) -> None:
        doc = self.workspace.text_documents.get(uri)
        if doc is not None:
            self.analyses.schedule(uri, doc.version or 0, doc.source, delay)

    async def current(self, uri: str) -> Analyzed | None:
        """The analysis of the document as the editor has it now; None if it is not open."""
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return None
        return await self.analyses.get(uri, doc.version or 0, doc.source)

    def relint_all(self) -> None:
        for uri in self.analyses.invalidate_all():
            self.schedule(uri, 0)

    async def fix_run(self, analyzed: Analyzed) -> FixRun:
        """Apply-all-trusted from the cached analysis (re-linting happens between rounds)."""
        loop = asyncio.get_running_loop()

        def relint(text: str) -> Analysis:
            return self.analyze_text(analyzed.uri, text)

        run = await loop.run_in_executor(self.pool, fix_until_stable, analyzed.analysis, relint)
        self.offers.expect(analyzed.uri, run.text)
        message = actions.dropped_message(run)
        if message:
            self.tell(message)
        return run


def guarded(default: Any = None) -> Callable[[F], F]:
    """Catch what a handler raises: log it with its traceback, tell the user once, answer
    `default`. pygls would answer an error instead, which editors show as a failed request."""

    def wrap(handler: F) -> F:
        @functools.wraps(handler)  # keeps the signature pygls reads to inject `ls` and args
        async def run(ls: TrustServer, *args: Any) -> Any:
            try:
                result = handler(ls, *args)
                return await result if asyncio.iscoroutine(result) else result
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:
                ls.log(traceback.format_exc(), t.MessageType.Error)
                ls.tell(f"surefix: {handler.__name__} failed ({exc!r}); please report this")
                return default

        return run  # type: ignore[return-value]

    return wrap


def client_supports_resolve(ls: TrustServer) -> bool:
    properties = get_capability(
        ls.client_capabilities, "text_document.code_action.resolve_support.properties", []
    )
    return "edit" in properties


def rule_counts(analysis: Analysis) -> Counter[str]:
    return Counter(v.rule for v in analysis.violations if v.rule != SYNTAX_ERROR)


def client_takes_document_changes(ls: TrustServer) -> bool:
    return bool(
        get_capability(ls.client_capabilities, "workspace.workspace_edit.document_changes", False)
    )


def client_supports_configuration(ls: TrustServer) -> bool:
    return bool(get_capability(ls.client_capabilities, "workspace.configuration", False))


def build_server() -> TrustServer:
    """A server with every feature wired; the only place that calls `@server.feature`."""
    server = TrustServer()

    @server.feature(t.INITIALIZE)
    @guarded()
    def initialize(ls: TrustServer, params: t.InitializeParams) -> None:
        ls.init_options = params.initialization_options
        ls.apply_settings(None)

    @server.feature(t.INITIALIZED)
    @guarded()
    async def initialized(ls: TrustServer, params: t.InitializedParams) -> None:
        try:
            await refresh_settings(ls, None)
        finally:
            ls.configured.set()

    @server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded()
    async def did_change_configuration(
        ls: TrustServer, params: t.DidChangeConfigurationParams
    ) -> None:
        await refresh_settings(ls, params.settings)

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    @guarded()
    def did_open(ls: TrustServer, params: t.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    @guarded()
    def did_change(ls: TrustServer, params: t.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if ls.watch.watching(uri):
            ls.revise(ls.watch.undone(uri, ls.workspace.get_text_document(uri).source), "undone")
        ls.schedule(uri, ls.settings.debounce_ms / 1000)

    @server.feature(t.TEXT_DOCUMENT_DID_SAVE)
    @guarded()
    def did_save(ls: TrustServer, params: t.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    @guarded()
    def did_close(ls: TrustServer, params: t.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.analyses.forget(uri)
        ls.watch.forget(uri)
        ls.offers.forget(uri)
        ls._clear(uri)

    @server.feature(
        t.TEXT_DOCUMENT_CODE_ACTION,
        t.CodeActionOptions(
            code_action_kinds=[
                t.CodeActionKind.QuickFix,
                t.CodeActionKind.SourceFixAll,
                actions.FIX_ALL_KIND,
            ],
            resolve_provider=True,
        ),
    )
    @guarded(default=None)
    async def code_action(ls: TrustServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
        analyzed = await ls.current(params.text_document.uri)
        if analyzed is None:
            return None
        only = params.context.only
        start = analyzed.positions.from_client(params.range.start)
        end = analyzed.positions.from_client(params.range.end)
        found: list[t.CodeAction] = []
        if actions.wants(t.CodeActionKind.QuickFix, only):
            found += actions.quick_fixes(analyzed, start, end, ls.settings.badge_style)
            found += actions.noqa_actions(analyzed, start, end)
            found += actions.not_useful_actions(analyzed, start, end)
            ls.offers.offered(
                analyzed.uri, analyzed.analysis.text, actions.offers(analyzed, start, end)
            )
        if actions.wants(actions.FIX_ALL_KIND, only) and analyzed.analysis.candidates:
            explicit = any(k.startswith(t.CodeActionKind.SourceFixAll) for k in only or ())
            run = await ls.fix_run(analyzed) if explicit else None
            found.append(actions.fix_all_action(analyzed, run, client_supports_resolve(ls)))
        return found or None

    @server.feature(t.CODE_ACTION_RESOLVE)
    @guarded(default=None)
    async def resolve(ls: TrustServer, action: t.CodeAction) -> t.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        if not data.get("fixAll"):
            return action
        analyzed = await ls.current(str(data.get("uri")))
        if analyzed is None or analyzed.version != data.get("version"):
            return action  # the text moved on: no edit rather than a wrong one
        return actions.fix_all_action(analyzed, await ls.fix_run(analyzed), True)

    @server.feature(t.TEXT_DOCUMENT_HOVER)
    @guarded(default=None)
    async def hover(ls: TrustServer, params: t.HoverParams) -> t.Hover | None:
        analyzed = await ls.current(params.text_document.uri)
        if analyzed is None:
            return None
        at = analyzed.positions.from_client(params.position)
        found = [
            c for c in analyzed.analysis.candidates if c.violation.start <= at <= c.violation.end
        ]
        if not found:
            return None
        text = "\n\n---\n\n".join(
            hover_markdown(c, ls.model, ls.record_words(c.violation.rule)) for c in found
        )
        v = found[0].violation
        return t.Hover(
            contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text),
            range=analyzed.positions.range(v.start, v.end),
        )

    @server.command(actions.RECORD_COMMAND)
    @guarded(default=None)
    def record_outcome(ls: TrustServer, *args: Any) -> dict[str, Any]:
        return {"recorded": ls.record(args[0] if args else None)}

    @server.command(actions.APPLY_TRUSTED_COMMAND)
    @guarded(default=None)
    async def apply_trusted(ls: TrustServer, *args: Any) -> dict[str, Any]:
        target = args[0] if args else None
        uri = target.get("uri") if isinstance(target, dict) else target
        if not isinstance(uri, str):
            raise ValueError("expected a document URI or {uri, version}")
        analyzed = await ls.current(uri)
        if analyzed is None:
            return {"applied": 0, "reason": "document not open"}
        wanted = target.get("version") if isinstance(target, dict) else None
        if wanted is not None and wanted != analyzed.version:
            return {"applied": 0, "reason": "stale version"}
        run = await ls.fix_run(analyzed)
        if run.applied:
            edit = actions.fix_all_edit(analyzed, run)
            await ls.workspace_apply_edit_async(
                t.ApplyWorkspaceEditParams(edit=edit, label="surefix")
            )
        return {"applied": len(run.applied), "dropped": len(run.dropped), "rounds": run.rounds}

    @server.command(learning.RETRAIN_COMMAND)
    @guarded(default=None)
    async def retrain(ls: TrustServer, *args: Any) -> dict[str, Any]:
        return await learning.retrain(ls)

    @server.command(learning.RESET_COMMAND)
    @guarded(default=None)
    def reset_model(ls: TrustServer, *args: Any) -> dict[str, Any]:
        return learning.reset_model(ls, args[0] if args else None)

    @server.command(learning.REPORT_COMMAND)
    @guarded(default=None)
    async def show_report(ls: TrustServer, *args: Any) -> dict[str, Any]:
        return await learning.show_report(ls)

    @server.command(learning.STATS_COMMAND)
    @guarded(default=None)
    def data_stats(ls: TrustServer, *args: Any) -> dict[str, Any]:
        return learning.data_stats(ls)

    @server.command(learning.EXPORT_COMMAND)
    @guarded(default=None)
    def data_export(ls: TrustServer, *args: Any) -> dict[str, Any]:
        return learning.data_export(ls, args[0] if args else None)

    @server.command(learning.PURGE_COMMAND)
    @guarded(default=None)
    def data_purge(ls: TrustServer, *args: Any) -> dict[str, Any]:
        return learning.data_purge(ls)

    return server


def outcome_from(facts: Any, project: str) -> Outcome:
    """An `Outcome` from a record command's arguments, checked: they come back from a client."""
    if not isinstance(facts, dict):
        raise ValueError(f"expected the outcome's facts as an object, got {facts!r}")
    features = facts.get("features")
    if not isinstance(features, dict) or not all(
        isinstance(v, int | float | str) for v in features.values()
    ):
        raise ValueError("expected `features` to map feature names to numbers or words")
    score = facts.get("score")
    return Outcome(
        rule=str(facts.get("rule") or ""),
        outcome=str(facts.get("outcome") or ""),
        detected=str(facts.get("detected") or "command"),
        band=str(facts.get("band") or "none"),
        applicability=str(facts.get("applicability") or "none"),
        features=features,
        score=float(score) if isinstance(score, int | float) else None,
        model=str(facts["model"]) if facts.get("model") else None,
        project=project,
    )


async def refresh_settings(ls: TrustServer, pushed: Any) -> None:
    """Pull `surefix` settings when the client can answer, else take what it pushed."""
    config = pushed
    if client_supports_configuration(ls):
        try:
            (config,) = await ls.workspace_configuration_async(
                t.ConfigurationParams(items=[t.ConfigurationItem(section=SECTION)])
            )
        except Exception as exc:  # a client may announce the capability and still fail
            ls.log(f"workspace/configuration failed ({exc!r}); keeping the current settings")
            return
    changed = ls.apply_settings(config)
    ls.store()  # this user's record with each rule scores every fix from the first lint on
    ls.send_status()
    if changed:
        ls.relint_all()


def start(tcp: str | None = None) -> None:
    server = build_server()
    if tcp is None:
        server.start_io()
        return
    host, _, port = tcp.rpartition(":")
    server.start_tcp(host, int(port))
