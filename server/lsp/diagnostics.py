"""Ruff's findings as LSP diagnostics, and the one place they are published.

Each diagnostic's `data` is `{"version", "index", "fixable"}`: the analysed version, the
violation's index in it, and whether Ruff offers a fix. It is the contract with code actions:
a client that asks for the actions of the diagnostics it shows (`context.diagnostics`, as Neovim
does for the cursor's line) gets exactly those violations' actions, whatever range it sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types as t

from surefix.features.ruff.findings import SYNTAX_ERROR, Violation
from surefix.server.lsp.layout import Layout

SOURCE = "surefix"

_ERROR_RULES = ("F821", "F822", "F823", "F631", "F632", "F633", "F701", "F702", "F704", "F706")

_UNNECESSARY = ("F401", "F811", "F841", "ERA001", "RUF100", "F504", "F522", "F523")

_DEPRECATED = ("UP",)


def severity(violation: Violation) -> t.DiagnosticSeverity:
    if violation.rule == SYNTAX_ERROR or violation.rule.startswith("E9"):
        return t.DiagnosticSeverity.Error
    if violation.rule in _ERROR_RULES:
        return t.DiagnosticSeverity.Error
    return t.DiagnosticSeverity.Warning


def tags(violation: Violation) -> list[t.DiagnosticTag] | None:
    if violation.rule in _UNNECESSARY:
        return [t.DiagnosticTag.Unnecessary]
    if violation.rule.startswith(_DEPRECATED) and violation.rule[2:].isdigit():
        return [t.DiagnosticTag.Deprecated]
    return None


def diagnostic(violation: Violation, where: t.Range, data: dict | None) -> t.Diagnostic:
    """One Ruff finding as an LSP diagnostic at `where` (see `layout`); `data` lets code
    actions and hover find its fix."""
    is_rule = violation.rule != SYNTAX_ERROR
    return t.Diagnostic(
        range=where,
        message=violation.message,
        severity=severity(violation),
        code=violation.rule if is_rule else None,
        code_description=t.CodeDescription(href=violation.url) if violation.url else None,
        source=SOURCE,
        tags=tags(violation),
        data=data,
    )


def diagnostic_data(version: int, index: int, v: Violation) -> dict[str, object]:
    """Which violation of which version this is, and whether it has a fix (for clients that
    mark fixable diagnostics)."""
    return {"version": version, "index": index, "fixable": v.fix is not None}


def indices_named(diagnostics: Sequence[t.Diagnostic], version: int) -> set[int]:
    """The violations (by index) that a request's `context.diagnostics` name for `version`."""
    out = set()
    for d in diagnostics:
        data: Any = d.data
        if isinstance(data, dict) and data.get("version") == version:
            index = data.get("index")
            if isinstance(index, int) and not isinstance(index, bool):
                out.add(index)
    return out


class Publisher:
    """Publishes each version's diagnostics, and says once when linting fails or is skipped,
    or a project's configuration file had to be left out.

    What is analysed as one (a file, a notebook) may lie in several documents (its cells): each
    gets its own list, an empty one included, and a document that held diagnostics and no longer
    belongs to it (a cell deleted) has them cleared."""

    def __init__(
        self, send: Callable[[t.PublishDiagnosticsParams], None], say: Callable[[str, bool], None]
    ) -> None:
        self._send, self._say = send, say  # say(message, is_error)
        self._last_error: str | None = None
        self._skipped: set[str] = set()
        self._told: set[str] = set()
        self._sent: dict[str, set[str]] = {}  # analysed URI -> the documents given diagnostics

    def publish(
        self,
        uri: str,
        layout: Layout,
        version: int,
        violations: Sequence[Violation],
        errors: Sequence[Violation],
    ) -> None:
        self._last_error = None
        documents = layout.documents()
        found: dict[str, list[t.Diagnostic]] = {doc: [] for doc, _ in documents}
        for i, v in enumerate(violations):
            doc, where = layout.place(v.start, v.end)
            found.setdefault(doc, []).append(diagnostic(v, where, diagnostic_data(version, i, v)))
        for e in errors:
            doc, where = layout.place(e.start, e.end)
            found.setdefault(doc, []).append(diagnostic(e, where, None))
        versions = dict(documents)
        self._withdraw(uri, keep=found.keys())
        for doc, diagnostics in found.items():
            self._send(
                t.PublishDiagnosticsParams(
                    uri=doc, version=versions.get(doc), diagnostics=diagnostics
                )
            )
        self._sent[uri] = set(found)

    def clear(self, uri: str, version: int | None = None) -> None:
        self._send(t.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=[]))

    def withdraw(self, uri: str, documents: Iterable[str] = ()) -> None:
        """`uri` is closed: clear every document its diagnostics went to, and `documents`."""
        for doc in dict.fromkeys([*self._sent.pop(uri, ()), *documents]):
            self.clear(doc)

    def _withdraw(self, uri: str, keep: Iterable[str]) -> None:
        kept = set(keep)
        for doc in self._sent.get(uri, set()) - kept:
            self.clear(doc)

    def failed(self, uri: str, documents: Sequence[tuple[str, int]], message: str) -> None:
        if message != self._last_error:
            self._say(f"surefix: {message}", True)
        self._last_error = message
        self._cleared(uri, documents)

    def project_problems(self, root: Path, problems: Sequence[str]) -> None:
        """Configuration files a project's facts left out (a TOML typo, a symlink loop), each
        said once a session: linting goes on without them, so they are warnings."""
        for problem in problems:
            message = f"surefix: in {root}, {problem}"
            if message not in self._told:
                self._told.add(message)
                self._say(message, False)

    def skipped(self, uri: str, documents: Sequence[tuple[str, int]], why: str) -> None:
        if uri not in self._skipped:
            self._skipped.add(uri)
            self._say(why, False)
        self._cleared(uri, documents)

    def _cleared(self, uri: str, documents: Sequence[tuple[str, int]]) -> None:
        self._withdraw(uri, keep=(doc for doc, _ in documents))
        for doc, version in documents:
            self.clear(doc, version)
        self._sent[uri] = {doc for doc, _ in documents}
