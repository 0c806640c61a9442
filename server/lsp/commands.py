"""The commands that act on the user's own model and data: retrain, reset, report, data.

A retrain runs `surefix retrain --json` in a child process: scikit-learn stays out of the
server, the fit runs on another core, and the event loop only reads progress lines — so the
server keeps answering while it trains. Progress goes to the client as work-done progress when
it supports that; the result always ends in a `window/showMessage`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as t
from pygls.capabilities import get_capability

from surefix.model.local.registry import Registry
from surefix.model.local.report import write_report
from surefix.model.local.store import Store, StoreError
from surefix.server.lsp.models import BUNDLED

if TYPE_CHECKING:
    from surefix.server.lsp.server import SurefixServer

RETRAIN_COMMAND = "surefix.retrain"
RESET_COMMAND = "surefix.resetModel"
REPORT_COMMAND = "surefix.showReport"
STATS_COMMAND = "surefix.dataStats"
EXPORT_COMMAND = "surefix.dataExport"
PURGE_COMMAND = "surefix.dataPurge"
ALREADY_RUNNING = "a retrain is already running"
RETRAIN_NICENESS = 10
# `capabilities.experimental.surefix.reportInEditor: true`: the client opens the report itself
# (VS Code in a webview, Neovim with vim.ui.open), from the command's `{path, uri}`. Hover's own
# flag (`hoverHtml`) is in `hover`.
CLIENT_FEATURES = "surefix"
REPORT_IN_EDITOR = "reportInEditor"


class BadArguments(ValueError):
    """A command's arguments are not what it takes: an Invalid Params error for the client,
    not a "please report this" for the user."""


class Retrainer:
    """One retrain at a time: a second request while one runs is answered at once."""

    def __init__(self) -> None:
        self.running = False

    async def retrain(self, ls: SurefixServer) -> dict[str, Any]:
        if self.running:
            ls.tell(f"surefix: {ALREADY_RUNNING}", t.MessageType.Info)
            return {"promoted": False, "message": ALREADY_RUNNING, "version": None}
        self.running = True
        progress = await Progress.start(ls, "surefix: retraining")
        try:
            result = await run_retrain(ls, progress.report)
        finally:
            self.running = False
        message = str(result.get("message") or result.get("error") or "retrain ended")
        progress.end(message)
        if result.get("promoted"):
            ls.model_changed()
        ok = "error" not in result
        ls.tell(f"surefix: {message}", t.MessageType.Info if ok else t.MessageType.Warning)
        return {"promoted": bool(result.get("promoted")), "message": message, **result}


async def run_retrain(ls: SurefixServer, report: Callable[[int, str], None]) -> dict[str, Any]:
    """Run the retrain process, forwarding its progress lines; its result (or an error)."""
    command = [sys.executable, "-m", "surefix.server.cli", "retrain", "--json"]
    command += ["--data-dir", str(ls.data_dir())]
    if ls.models.source not in (None, BUNDLED):
        command += ["--model", str(ls.models.source)]
    ls.outcomes.release()  # the child reads the store; ours reopens on the next job
    proc = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=background_priority if os.name == "posix" else None,
    )
    assert proc.stdout is not None and proc.stderr is not None
    result: dict[str, Any] | None = None
    async for raw in proc.stdout:
        line = parse_line(raw)
        if "progress" in line:
            report(int(line["progress"]), str(line.get("message", "")))
        elif isinstance(line.get("result"), dict):
            result = line["result"]
    errors = (await proc.stderr.read()).decode("utf-8", "replace").strip()
    await proc.wait()
    if result is None:
        tail = errors.splitlines()[-1] if errors else f"exit status {proc.returncode}"
        result = {"error": f"the retrain failed ({tail})"}
    return result


def background_priority() -> None:
    """The fit yields the CPU to the editor and the server: a background job should never be
    what makes typing slow (measured in `benchmarks/learning.py`)."""
    os.nice(RETRAIN_NICENESS)


def parse_line(raw: bytes) -> dict[str, Any]:
    try:
        line = json.loads(raw)
    except ValueError:
        return {}
    return line if isinstance(line, dict) else {}


class Progress:
    """Work-done progress under a server-created token, or nothing when the client can't show
    it (pygls never hands a command its `workDoneToken`)."""

    def __init__(self, ls: SurefixServer, token: str | None) -> None:
        self.ls, self.token = ls, token

    @classmethod
    async def start(cls, ls: SurefixServer, title: str) -> Progress:
        if not get_capability(ls.client_capabilities, "window.work_done_progress", False):
            return cls(ls, None)
        token = f"surefix-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception as exc:  # a client may advertise progress and still refuse a token
            ls.log(f"progress unavailable ({exc!r})")
            return cls(ls, None)
        ls.work_done_progress.begin(token, t.WorkDoneProgressBegin(title=title, percentage=0))
        return cls(ls, token)

    def report(self, percentage: int, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.report(
                self.token, t.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def end(self, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, t.WorkDoneProgressEnd(message=message))


def reset_model(ls: SurefixServer, target: Any) -> dict[str, Any]:
    """Back to the previous model, or (`{"to": "bundled"}`) straight to the bundled one."""
    registry = Registry(ls.data_dir())
    to_bundled = isinstance(target, dict) and target.get("to") == BUNDLED
    now = registry.reset() if to_bundled else registry.rollback()
    ls.model_changed()
    ls.tell(f"surefix: now using the model {ls.models.version} ({now})", t.MessageType.Info)
    return {"model": ls.models.version}


async def data_stats(ls: SurefixServer) -> dict[str, Any]:
    try:
        stats = await ls.outcomes.query(Store.stats)
    except StoreError:  # the user has been told why, once
        stats = None
    if stats is None:
        return {"outcomes": {}, "events": 0, "collecting": False}
    return {**stats, "collecting": True}


async def data_export(ls: SurefixServer, options: Any) -> dict[str, Any]:
    """Write every outcome to a file in the data directory (never anywhere else), on the
    store's thread: a large export does not hold up a request."""
    fmt = options.get("format", "json") if isinstance(options, dict) else "json"
    if fmt not in ("json", "csv"):
        raise BadArguments(f"export format must be json or csv, not {fmt!r}")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = ls.data_dir() / "exports" / f"outcomes-{stamp}.{fmt}"

    def export(store: Store) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(store.export(fmt))
        return int(store.stats()["events"])

    try:
        events = await ls.outcomes.query(export)
    except (StoreError, OSError) as exc:
        ls.tell(f"surefix: nothing exported: {exc}")
        return {"error": str(exc)}
    if events is None:
        ls.tell("surefix: nothing exported: outcome collection is off")
        return {"error": "outcome collection is off"}
    ls.tell(f"surefix: exported {events} outcomes to {path}", t.MessageType.Info)
    return {"path": str(path), "uri": Path(path).as_uri()}


async def data_purge(ls: SurefixServer) -> dict[str, Any]:
    """Delete every outcome; open documents re-score when the emptied records come back."""
    try:
        purged = await ls.outcomes.query(Store.purge, write=True)
    except StoreError as exc:
        ls.tell(f"surefix: nothing deleted: {exc}")
        return {"purged": 0, "error": str(exc)}
    if purged is None:
        return {"purged": 0}
    ls.tell(f"surefix: deleted {purged} recorded outcomes", t.MessageType.Info)
    return {"purged": purged}


def client_feature(capabilities: t.ClientCapabilities, name: str) -> bool:
    """Whether the client said `capabilities.experimental.surefix.<name>: true`: something
    our own editor clients do or render themselves."""
    experimental = capabilities.experimental
    ours = experimental.get(CLIENT_FEATURES) if isinstance(experimental, Mapping) else None
    return isinstance(ours, Mapping) and ours.get(name) is True


def client_shows_report(ls: SurefixServer) -> bool:
    """Whether the client said it opens the report itself (see `REPORT_IN_EDITOR`)."""
    return client_feature(ls.client_capabilities, REPORT_IN_EDITOR)


async def report_path(ls: SurefixServer) -> Path:
    """Write the report on the store's thread (it reads every outcome); without a usable
    store, with what there is, off the event loop all the same."""
    directory, model = ls.data_dir(), ls.models.model
    collecting, policy = ls.outcomes.collecting, ls.outcomes.collection.policy

    def write(store: Store | None) -> Path:
        return write_report(directory, model, store, collecting, policy)

    try:
        path = await ls.outcomes.query(write)
    except StoreError:
        path = None
    return path if path is not None else await asyncio.to_thread(write, None)


async def show_report(ls: SurefixServer) -> dict[str, Any]:
    """Write the report into the data directory and ask the client to open it, unless the
    client opens it itself: then it only gets the answer, and says nothing of its own."""
    path = await report_path(ls)
    uri = path.as_uri()
    if client_shows_report(ls):
        return {"path": str(path), "uri": uri}
    if get_capability(ls.client_capabilities, "window.show_document.support", False):
        shown = await ls.window_show_document_async(t.ShowDocumentParams(uri=uri, external=True))
        if not shown.success:
            ls.tell(f"surefix: the report is at {path}", t.MessageType.Info)
    else:
        ls.tell(f"surefix: the report is at {path}", t.MessageType.Info)
    return {"path": str(path), "uri": uri}
