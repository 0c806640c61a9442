"""The one place LSP methods and commands are wired to handlers.

A handler turns params into one call on the server's parts and the answer into LSP types.
Anything that goes wrong below a handler is caught here, logged with its traceback, shown once
in words, and the request gets an empty answer: the server keeps serving.
"""

from __future__ import annotations

import asyncio
import functools
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from lsprotocol import types as t
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcInvalidParams

from surefix.features.ruff.run import RuffError
from surefix.model.scoring.scorer import ScoreError
from surefix.server.lsp import (
    code_actions,
    commands,
    fix_all,
    fix_rule,
    hover,
    organize,
    suggestions,
)
from surefix.server.lsp import tcp as tcp_session
from surefix.server.lsp.analyzer import MODEL_ATTEMPTS
from surefix.server.lsp.code_actions import RULE_CODE
from surefix.server.lsp.commands import BadArguments
from surefix.server.lsp.diagnostics import indices_named
from surefix.server.lsp.documents import Analyzed
from surefix.server.lsp.offers import brief
from surefix.server.lsp.protocol import Encoded
from surefix.server.lsp.server import SurefixServer
from surefix.server.lsp.settings import SECTION
from surefix.server.lsp.texts import document_key

F = TypeVar("F", bound=Callable[..., Any])
APPLY_EDIT_WAIT_S = 30.0  # an editor may ask the user first; one that never answers is told
ACTION_KINDS = [
    t.CodeActionKind.QuickFix,
    t.CodeActionKind.SourceFixAll,
    fix_all.FIX_ALL_KIND,
    *organize.KINDS,
]


def guarded(default: Any = None) -> Callable[[F], F]:
    """Catch what a handler raises: log it with its traceback, tell the user once, answer
    `default`. pygls would answer an error instead, which editors show as a failed request."""

    def wrap(handler: F) -> F:
        @functools.wraps(handler)  # keeps the signature pygls reads to inject `ls` and args
        async def run(ls: SurefixServer, *args: Any) -> Any:
            try:
                result = handler(ls, *args)
                return await result if asyncio.iscoroutine(result) else result
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except BadArguments as exc:  # the client's mistake: an error it can show, at once
                raise JsonRpcInvalidParams(f"{handler.__name__}: {exc}") from exc
            except Exception as exc:
                ls.log(traceback.format_exc(), t.MessageType.Error)
                ls.tell(f"surefix: {handler.__name__} failed ({exc!r}); please report this")
                return default

        return run  # type: ignore[return-value]

    return wrap


# -- lifecycle and documents --------------------------------------------------------------


def initialize(ls: SurefixServer, params: t.InitializeParams) -> None:
    ls.init_options = params.initialization_options
    ls.apply_settings(None)
    ls.adopt_legacy_data()
    if ls.settings.format_enable:  # pygls builds the capabilities after this handler
        wire(ls, FORMATTING)


async def initialized(ls: SurefixServer, params: t.InitializedParams) -> None:
    try:
        await refresh_settings(ls, None)
    finally:
        ls.configured.set()


async def did_change_configuration(
    ls: SurefixServer, params: t.DidChangeConfigurationParams
) -> None:
    await refresh_settings(ls, params.settings)


async def refresh_settings(ls: SurefixServer, pushed: Any) -> None:
    """Pull `surefix` settings when the client can answer, else take what it pushed."""
    config = pushed
    if get_capability(ls.client_capabilities, "workspace.configuration", False):
        try:
            (config,) = await ls.workspace_configuration_async(
                t.ConfigurationParams(items=[t.ConfigurationItem(section=SECTION)])
            )
        except Exception as exc:  # a client may announce the capability and still fail
            ls.log(f"workspace/configuration failed ({exc!r}); keeping the current settings")
            return
    changed = ls.apply_settings(config)
    await ls.outcomes.sync()  # this user's record with each rule scores fixes from the first lint
    ls.status_when_loaded()  # which also starts loading the model, beside the first lints
    if changed:
        ls.rescore_all()


def did_open(ls: SurefixServer, params: t.DidOpenTextDocumentParams) -> None:
    ls.recent.opened(params.text_document.uri, params.text_document.text)
    ls.schedule(params.text_document.uri, 0)


def did_change(ls: SurefixServer, params: t.DidChangeTextDocumentParams) -> None:
    doc = ls.texts.get(params.text_document.uri)
    if doc is None:
        return
    ours = ls.outcomes.changed(doc.uri, doc.source)
    ls.recent.changed(doc.uri, doc.source, typed=not ours)
    ls.schedule(doc.uri, ls.settings.debounce_ms / 1000)


def did_save(ls: SurefixServer, params: t.DidSaveTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


def did_close(ls: SurefixServer, params: t.DidCloseTextDocumentParams) -> None:
    ls.close(params.text_document.uri)


def notebook_did_open(ls: SurefixServer, params: t.DidOpenNotebookDocumentParams) -> None:
    notebook = ls.notebooks.get(params.notebook_document.uri)
    if notebook is None:
        return
    ls.recent.opened(notebook.uri, notebook.snapshot().text)
    ls.schedule(notebook.uri, 0)


def notebook_did_change(ls: SurefixServer, params: t.DidChangeNotebookDocumentParams) -> None:
    """A notebook changed as one document: an undo or a fix-all run shows in its joined text.
    VS Code sends a multi-cell edit as one change per cell, so a cell that now holds what a
    pending fix-all run gives it is on its way there, not typed; and only cell text is typed
    (cells added, moved or deleted are not)."""
    notebook = ls.notebooks.get(params.notebook_document.uri)
    if notebook is None:
        return
    cells = params.change.cells
    edited = {document_key(c.document.uri) for c in (cells.text_content if cells else None) or ()}
    for closed in (cells.structure.did_close if cells and cells.structure else None) or ():
        if not ls.notebooks.is_cell(closed.uri):
            ls.publisher.clear(closed.uri)
    text = notebook.snapshot().text
    ours = ls.outcomes.changed(notebook.uri, text)
    texts = [c.text.source for c in notebook.cells if document_key(c.text.uri) in edited]
    arriving = ls.outcomes.autopilot.arriving(notebook.uri, texts)
    ls.recent.changed(notebook.uri, text, typed=bool(edited) and not (ours or arriving))
    ls.schedule(notebook.uri, ls.settings.debounce_ms / 1000)


def notebook_did_save(ls: SurefixServer, params: t.DidSaveNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri, 0)


def notebook_did_close(ls: SurefixServer, params: t.DidCloseNotebookDocumentParams) -> None:
    ls.close_notebook(params.notebook_document.uri, [c.uri for c in params.cell_text_documents])


async def shutdown(ls: SurefixServer, *args: Any) -> None:
    await ls.outcomes.flush()  # outcomes the server detected itself are still queued


# -- code actions and hover ---------------------------------------------------------------


async def code_action(ls: SurefixServer, params: t.CodeActionParams) -> Encoded | None:
    analyzed = await ls.current(params.text_document.uri)
    if analyzed is None:
        return None
    only, found, shape = params.context.only, Encoded(), ls.protocol.unstructure
    uri = params.text_document.uri
    start = analyzed.layout.to_text(uri, params.range.start)
    end = analyzed.layout.to_text(uri, params.range.end)
    if (
        start is not None
        and end is not None
        and code_actions.wants(t.CodeActionKind.QuickFix, only)
    ):
        named = indices_named(params.context.diagnostics, analyzed.version)
        style = ls.settings.badge_style
        actions, shown = code_actions.quick_fixes(
            analyzed, ls.outcomes.offers, start, end, named, style, client_resolves_edits(ls)
        )
        ls.outcomes.shown(analyzed.uri, analyzed.analysis, shown)
        found += code_actions.encoded(analyzed, actions, shape)
        rules = {o.violation.rule for o in shown if o.candidate is not None}
        if rules:
            found += map(shape, suggestions.actions(await ls.suggestions.of(analyzed), rules))
    if code_actions.wants(fix_all.FIX_ALL_KIND, only):
        hold = ls.autopilot_hold(analyzed.uri)
        explicit = any(k.startswith(t.CodeActionKind.SourceFixAll) for k in only or ())
        if fix_all.worth_offering(analyzed, hold):
            run = await ls.fix_run(analyzed) if explicit else None
            found.append(shape(fix_all.action(analyzed, run, client_resolves_edits(ls))))
        elif explicit:
            invoked = params.context.trigger_kind == t.CodeActionTriggerKind.Invoked
            reason = fix_all.why_nothing(analyzed, fix_all.held_back(analyzed, hold))
            found += map(shape, nothing_to_fix(ls, analyzed, reason, invoked))
    remove_unused = ls.settings.organize_remove_unused
    if organize.offered(only) and analyzed.analysis.cells is None:  # files only, as yet
        asked = organize.explicit(only)
        if asked or only or organize.hinted(analyzed, remove_unused):
            invoked = params.context.trigger_kind == t.CodeActionTriggerKind.Invoked
            found += map(shape, await organize_imports(ls, analyzed, asked, invoked, remove_unused))
    return found or None


def nothing_to_fix(
    ls: SurefixServer, analyzed: Analyzed, reason: str, invoked: bool
) -> list[t.CodeAction]:
    """Fix-all asked for by its kind (a command, a save) where it would apply nothing: the
    action disabled with why where the client shows that; else a log line, once per version,
    and a message when the user invoked it, as organize imports says why it did nothing."""
    shows_disabled = client_shows_disabled(ls)
    ls.notes.once(analyzed.uri, analyzed.version, reason, invoked and not shows_disabled)
    return [fix_all.disabled(reason)] if shows_disabled else []


async def organize_imports(
    ls: SurefixServer, analyzed: Analyzed, asked: bool, invoked: bool, remove_unused: bool
) -> list[t.CodeAction]:
    """Organize imports, when it changes something or was `asked` for (see `organize`). Why
    it cannot is a disabled action where the client shows one, else a log line — and a
    message when the user invoked it by its kind (a command, not a save)."""
    done = await organize.organized(ls.analyzer, analyzed, remove_unused)
    if isinstance(done, RuffError) or done.unparsable is not None:
        reason = organize.not_organized(analyzed, done)
        shows_disabled = client_shows_disabled(ls)
        shown = asked and invoked and not shows_disabled
        ls.notes.once(analyzed.uri, analyzed.version, reason, shown)
        return [organize.disabled(reason)] if asked and shows_disabled else []
    changes = done.text != analyzed.analysis.text
    if changes:
        ls.produced(analyzed.uri, done.text)
    return [organize.action(analyzed, done)] if changes or asked else []


async def resolve(ls: SurefixServer, action: t.CodeAction) -> t.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    rule = data.get("rule") if data.get("fixRule") else None
    if not data.get("fixAll") and not (isinstance(rule, str) and RULE_CODE.match(rule)):
        return action
    analyzed = await ls.current(str(data.get("uri")))
    if analyzed is None or analyzed.version != data.get("version"):
        return action  # the text moved on: no edit rather than a wrong one
    if rule is None:
        return fix_all.action(analyzed, await ls.fix_run(analyzed), True)
    action.edit = fix_all.edit(analyzed, await ls.fix_run(analyzed, rule))
    return action


async def hover_at(ls: SurefixServer, params: t.HoverParams) -> t.Hover | None:
    style = hover.details_style(ls.client_capabilities)
    for _ in range(MODEL_ATTEMPTS):  # an explanation that is no number refuses its model
        analyzed = await ls.current(params.text_document.uri)
        if analyzed is None:
            return None
        directive = hover.noqa_directive(analyzed, params.text_document.uri, params.position)
        if directive is not None:  # the rules it names; a bare one names none: its fixes then
            book = await ls.rule_book()
            reader = ls.noqa_reader(analyzed.uri)
            docs = hover.rule_docs(analyzed, *directive, book, reader) if book else None
            if docs is not None:
                return docs
        more = suggestions.hover_words(await ls.suggestions.of(analyzed))
        try:
            return hover.hover(
                analyzed,
                params.text_document.uri,
                params.position,
                ls.models.model,
                ls.outcomes.record_words,
                style,
                more,
            )
        except ScoreError as exc:
            ls.refuse_model(exc)
    return None


# -- formatting ---------------------------------------------------------------------------


async def formatting(
    ls: SurefixServer, params: t.DocumentFormattingParams
) -> list[t.TextEdit] | None:
    return await format_document(ls, params.text_document.uri, None)


async def range_formatting(
    ls: SurefixServer, params: t.DocumentRangeFormattingParams
) -> list[t.TextEdit] | None:
    return await format_document(ls, params.text_document.uri, params.range)


async def format_document(
    ls: SurefixServer, uri: str, span: t.Range | None
) -> list[t.TextEdit] | None:
    await ls.settled()  # the client's Ruff path and arguments, not the defaults
    doc = ls.texts.get(uri)
    if doc is None:
        return None
    if not ls.settings.format_enable:
        ls.formatter.disabled(doc.uri, doc.version)
        return None
    encoding, limit = ls.position_encoding(), ls.settings.max_file_size
    return await ls.formatter.edits(doc, encoding, span, limit)


def client_shows_disabled(ls: SurefixServer) -> bool:
    return bool(
        get_capability(ls.client_capabilities, "text_document.code_action.disabled_support", False)
    )


def client_resolves_edits(ls: SurefixServer) -> bool:
    properties = get_capability(
        ls.client_capabilities, "text_document.code_action.resolve_support.properties", []
    )
    return "edit" in properties


# -- commands -----------------------------------------------------------------------------


async def record_outcome(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    return await ls.outcomes.answer(args[0] if len(args) == 1 else list(args))


async def trust_rule(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    target = args[0] if args and isinstance(args[0], dict) else {}
    rule = target.get("rule")
    if not isinstance(rule, str) or not RULE_CODE.match(rule):
        raise BadArguments(
            f"expected {{rule: CODE}} with a rule code such as F401, got {brief(target)}"
        )
    if rule not in ls.outcomes.demotions():
        reason = f"{rule} is not held back from automatic fixes, so there is nothing to undo"
    elif not await ls.outcomes.trust_again(rule):
        reason = "the outcome store could not be written"
    else:
        ls.tell(f"surefix: {rule} is trusted again", t.MessageType.Info)
        return {"trusted": True}
    ls.log(f"surefix: trust not changed: {reason}")
    return {"trusted": False, "reason": reason}


async def apply_trusted(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    target = args[0] if args else None
    uri = target.get("uri") if isinstance(target, dict) else target
    if not isinstance(uri, str):
        raise BadArguments("expected a document URI or {uri, version}")
    wanted = target.get("version") if isinstance(target, dict) else None
    return await fix_and_apply(ls, uri, wanted, None)


async def fix_all_of_rule(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    target = args[0] if args and isinstance(args[0], dict) else {}
    uri, rule = target.get("uri"), target.get("rule")
    if not isinstance(uri, str) or not isinstance(rule, str) or not RULE_CODE.match(rule):
        raise BadArguments(f"expected {{uri, version, rule}} with a rule code, got {brief(target)}")
    return await fix_and_apply(ls, uri, target.get("version"), rule)


async def fix_and_apply(
    ls: SurefixServer, uri: str, wanted: object, rule: str | None
) -> dict[str, Any]:
    """A fix run (apply-all-trusted, or every fix of `rule`) on the document as it is, if it is
    still version `wanted`, applied through `workspace/applyEdit`."""
    analyzed = await ls.current(uri)
    if analyzed is None:
        return {"applied": 0, "reason": "document not open"}
    if wanted is not None and wanted != analyzed.version:
        return {"applied": 0, "reason": "stale version"}
    run = await ls.fix_run(analyzed, rule)
    if not run.applied:
        reason = fix_all.why_nothing(analyzed, run.held, broke=bool(run.dropped))
        return {"applied": 0, "dropped": len(run.dropped), "rounds": run.rounds, "reason": reason}
    refused = await apply_edit(ls, fix_all.edit(analyzed, run))
    if refused is not None:
        return {"applied": 0, "reason": refused}
    return {"applied": len(run.applied), "dropped": len(run.dropped), "rounds": run.rounds}


async def apply_edit(ls: SurefixServer, edit: t.WorkspaceEdit) -> str | None:
    """Ask the editor to apply `edit`; None if it did, else why not, in its own words where it
    gave any. A command must not report fixes the editor never made."""
    params = t.ApplyWorkspaceEditParams(edit=edit, label="surefix")
    try:
        result = await asyncio.wait_for(ls.workspace_apply_edit_async(params), APPLY_EDIT_WAIT_S)
    except TimeoutError:
        return f"the editor did not answer workspace/applyEdit within {APPLY_EDIT_WAIT_S:g} s"
    except Exception as exc:  # an error answer, or one that is not an ApplyWorkspaceEditResult
        return f"the editor did not apply the edit ({getattr(exc, 'message', None) or exc!r})"
    if not isinstance(result, t.ApplyWorkspaceEditResult) or not result.applied:
        why = getattr(result, "failure_reason", None)
        return "the editor did not apply the edit" + (f": {why}" if why else "")
    return None


async def suggest_config(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    """`{uri}`: the Ruff settings suggested for that document, each with its diff; `{id,
    answer}`: the user's answer to one — `apply` (the server sends the edit through
    `workspace/applyEdit`), `applied` (the client applied the code action's edit) or
    `dismiss` (never suggest it again)."""
    target = args[0] if args and isinstance(args[0], dict) else None
    if target is None:
        raise BadArguments(f"expected {{uri}} or {{id, answer}}, got {brief(args)}")
    if "id" not in target:
        uri = target.get("uri")
        if not isinstance(uri, str):
            raise BadArguments(f"expected {{uri}} or {{id, answer}}, got {brief(target)}")
        analyzed = await ls.current(uri)
        if analyzed is None:
            return {"suggestions": [], "reason": "document not open"}
        return {"suggestions": [s.brief() for s in await ls.suggestions.of(analyzed)]}
    answer = target.get("answer")
    if answer not in suggestions.ANSWERS:
        raise BadArguments(f"expected an answer of apply, applied or dismiss, got {brief(answer)}")
    made = ls.suggestions.get(target.get("id"))
    if made is None:
        reason = f"no suggestion {brief(target.get('id'))}: this server did not make it"
        ls.log(f"surefix: suggestion not answered: {reason}")
        return {"recorded": False, "reason": reason}
    if answer == "apply":
        fresh = await ls.suggestions.fresh(made)
        if fresh is None:
            await ls.suggestions.answer(made, "accepted")
            return {"applied": False, "reason": f"{made.write.path.name} already says it"}
        if fresh.edit is None:
            return {"applied": False, "reason": fresh.why_not}
        refused = await apply_edit(ls, fresh.edit)
        if refused is not None:
            return {"applied": False, "reason": refused}
    recorded = await ls.suggestions.answer(made, suggestions.ANSWERS[answer])
    return {"applied": True, "recorded": recorded} if answer == "apply" else {"recorded": recorded}


async def retrain(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    return await ls.retrainer.retrain(ls)


def reset_model(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    return commands.reset_model(ls, args[0] if args else None)


async def show_report(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    return await commands.show_report(ls)


async def data_stats(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    return await commands.data_stats(ls)


async def data_export(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    return await commands.data_export(ls, args[0] if args else None)


async def data_purge(ls: SurefixServer, *args: Any) -> dict[str, Any]:
    return await commands.data_purge(ls)


FEATURES: list[tuple[str, Any, Callable[..., Any]]] = [
    (t.INITIALIZE, None, initialize),
    (t.INITIALIZED, None, initialized),
    (t.WORKSPACE_DID_CHANGE_CONFIGURATION, None, did_change_configuration),
    (t.TEXT_DOCUMENT_DID_OPEN, None, did_open),
    (t.TEXT_DOCUMENT_DID_CHANGE, None, did_change),
    (t.TEXT_DOCUMENT_DID_SAVE, None, did_save),
    (t.TEXT_DOCUMENT_DID_CLOSE, None, did_close),
    (t.NOTEBOOK_DOCUMENT_DID_OPEN, None, notebook_did_open),
    (t.NOTEBOOK_DOCUMENT_DID_CHANGE, None, notebook_did_change),
    (t.NOTEBOOK_DOCUMENT_DID_SAVE, None, notebook_did_save),
    (t.NOTEBOOK_DOCUMENT_DID_CLOSE, None, notebook_did_close),
    (t.SHUTDOWN, None, shutdown),
    (
        t.TEXT_DOCUMENT_CODE_ACTION,
        t.CodeActionOptions(code_action_kinds=ACTION_KINDS, resolve_provider=True),
        code_action,
    ),
    (t.CODE_ACTION_RESOLVE, None, resolve),
    (t.TEXT_DOCUMENT_HOVER, None, hover_at),
]
# Wired at `initialize` when `format.enable` is on: off, the server is no formatter at all, and
# an editor with another one never asks surefix (nor lists it among the formatters).
FORMATTING: list[tuple[str, Any, Callable[..., Any]]] = [
    (t.TEXT_DOCUMENT_FORMATTING, None, formatting),
    (t.TEXT_DOCUMENT_RANGE_FORMATTING, None, range_formatting),
]
COMMANDS: list[tuple[str, Callable[..., Any]]] = [
    (code_actions.RECORD_COMMAND, record_outcome),
    (code_actions.TRUST_COMMAND, trust_rule),
    (fix_all.APPLY_TRUSTED_COMMAND, apply_trusted),
    (suggestions.SUGGEST_COMMAND, suggest_config),
    (fix_rule.FIX_RULE_COMMAND, fix_all_of_rule),
    (commands.RETRAIN_COMMAND, retrain),
    (commands.RESET_COMMAND, reset_model),
    (commands.REPORT_COMMAND, show_report),
    (commands.STATS_COMMAND, data_stats),
    (commands.EXPORT_COMMAND, data_export),
    (commands.PURGE_COMMAND, data_purge),
]


def build_server() -> SurefixServer:
    """A server with every feature wired (formatting waits for `initialize`: `FORMATTING`)."""
    server = SurefixServer()
    wire(server, FEATURES)
    for name, handler in COMMANDS:
        server.command(name)(guarded()(handler))
    return server


def wire(server: SurefixServer, features: list[tuple[str, Any, Callable[..., Any]]]) -> None:
    for method, options, handler in features:
        server.feature(method, options)(guarded()(handler))


def start(tcp: str | None = None) -> None:
    """Serve on stdio, or, given HOST:PORT, one token-holding client over TCP (`tcp`)."""
    server = build_server()
    if tcp is None:
        server.start_io()
        return
    host, _, port = tcp.rpartition(":")
    tcp_session.start(server, host, int(port))
