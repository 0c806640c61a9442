"""Ruff settings suggested from the user's own record, offered where the rule is in view.

For an analysed document, `Suggestions.of` asks the store (on its thread) for the record of the
rules whose fixes the document shows, with the hashes of the document's folders below the
project's Ruff configuration, and finds the patterns (`model.local.suggestions`). Each becomes a
`Suggestion`: the configuration file's text before and after (`features.project.config_edit`),
the `WorkspaceEdit` that makes the change, and its unified diff.

The change is always the client's to show and make: a code action carrying the edit (VS Code's
lightbulb shows it, and the file it changes), or `surefix.suggestConfig`, which answers the diff
and, when asked, sends the same edit with `workspace/applyEdit`. The edit follows the client's
`workspace.workspaceEdit` capabilities: a `TextDocumentEdit` (versioned when the file is open in
the editor, versionless on disk) where it takes `documentChanges`, plain `changes` where not,
and a `CreateFile` before the text of a configuration that does not exist yet — only for a
client that lists `create` among its `resourceOperations`; others are told why not.

The user's answer (written, or "never suggest this") is a mark in the store: an answered
suggestion is not offered again, in this session or the next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.capabilities import get_capability

from surefix.features.project.config_edit import (
    ConfigUnreadable,
    ConfigWrite,
    Setting,
    config_target,
    write_setting,
)
from surefix.features.project.facts import ProjectFacts
from surefix.features.ruff.edits import diff_edits
from surefix.model.local.store import Store, StoreError
from surefix.model.local.suggestions import IGNORES, SAFE, Pattern, patterns
from surefix.server.lsp.documents import Analyzed
from surefix.server.lsp.outcomes import OutcomeTracker
from surefix.server.lsp.positions import Positions
from surefix.server.lsp.texts import Texts
from surefix.server.wording import suggestion_markdown, suggestion_reason

SUGGEST_COMMAND = "surefix.suggestConfig"
WRITE_TITLE = "Write Ruff configuration"
ANSWERS = {"apply": "accepted", "applied": "accepted", "dismiss": "dismissed"}


@dataclass(frozen=True)
class Suggestion:
    """One setting the user's record asks for, and how it would be written."""

    pattern: Pattern
    setting: Setting
    write: ConfigWrite
    place: str | None  # the folder a per-file ignore names, relative to the configuration's
    uri: str  # the configuration file's
    version: int | None  # its version in the editor, None when it is not open
    edit: t.WorkspaceEdit | None
    why_not: str | None  # why there is no edit for this client

    @property
    def id(self) -> str:
        return self.pattern.key

    @property
    def rule(self) -> str:
        return self.pattern.rule

    @property
    def title(self) -> str:
        return f"{WRITE_TITLE}: {self.setting.words()} in {self.write.path.name}"

    @property
    def reason(self) -> str:
        return suggestion_reason(self.pattern, self.place)

    def markdown(self) -> str:
        return suggestion_markdown(
            self.reason,
            self.setting.words(),
            self.write.table,
            self.write.path.name,
            f"{WRITE_TITLE}: …",
        )

    def brief(self) -> dict[str, Any]:
        """What `surefix.suggestConfig {uri}` answers for it: enough to show and to ask."""
        return {
            "id": self.id,
            "title": self.title,
            "rule": self.rule,
            "setting": self.setting.words(),
            "file": str(self.write.path),
            "table": self.write.table,
            "reason": self.reason,
            "diff": self.write.diff(),
            "creates": self.write.before is None,
            "applicable": self.edit is not None,
            **({"why_not": self.why_not} if self.why_not else {}),
        }


class Suggestions:
    """The suggestions made for each analysed version, by id, and the answers given."""

    def __init__(
        self,
        outcomes: OutcomeTracker,
        texts: Texts,
        facts_of: Callable[[str], ProjectFacts | None],
        path_of: Callable[[str], Path | None],
        client: Callable[[], tuple[t.ClientCapabilities, str | None]],
        in_pool: Callable[..., Any],
    ) -> None:
        self._outcomes, self._texts = outcomes, texts
        self._facts_of, self._path_of, self._client, self._in_pool = (
            facts_of,
            path_of,
            client,
            in_pool,
        )
        self._made: dict[str, Suggestion] = {}
        self._answered: set[str] = set()

    async def of(self, analyzed: Analyzed) -> list[Suggestion]:
        """The settings the record asks for, for the rules whose fixes this version shows;
        found once per version (the store is read on its own thread, files in the pool)."""
        if "suggestions" not in analyzed.memo:
            analyzed.memo["suggestions"] = await self._find(analyzed)
        found: list[Suggestion] = analyzed.memo["suggestions"]
        return [s for s in found if s.id not in self._answered]

    def get(self, suggestion_id: object) -> Suggestion | None:
        return self._made.get(suggestion_id) if isinstance(suggestion_id, str) else None

    async def answer(self, suggestion: Suggestion, answer: str) -> bool:
        """Keep the user's answer (`accepted` or `dismissed`): never offered again."""
        self._answered.add(suggestion.id)
        return await self._outcomes.answer_suggestion(suggestion.id, answer)

    async def fresh(self, suggestion: Suggestion) -> Suggestion | None:
        """`suggestion` against the configuration as it is now (the user may have edited it
        since); None when it already says the setting."""
        return await self._in_pool(self._rewrite, suggestion)

    async def _find(self, analyzed: Analyzed) -> list[Suggestion]:
        facts = self._facts_of(analyzed.uri)
        path = self._path_of(analyzed.uri)
        if facts is None or path is None or not self._outcomes.collecting:
            return []
        target = await self._in_pool(config_target, facts)
        base = target.parent
        if not path.parent.is_relative_to(base):
            return []
        parts = path.parent.relative_to(base).parts
        below = [base.joinpath(*parts[: n + 1]) for n in range(len(parts))]  # outermost first
        candidates = analyzed.analysis.candidates
        unsafe = {c.violation.rule for c in candidates if c.fix.applicability == "unsafe"}
        rules = sorted({c.violation.rule for c in candidates})
        try:
            found = await self._outcomes.query(lambda store: _patterns(store, rules, base, below))
        except StoreError:
            return []
        if not found:
            return []
        wanted = [(p, where) for p, where in found if p.setting != SAFE or p.rule in unsafe]
        made = await self._in_pool(self._build, target, wanted)
        for s in made:
            self._made[s.id] = s
        return made

    def _build(
        self, target: Path, found: Sequence[tuple[Pattern, Path | None]]
    ) -> list[Suggestion]:
        """Each pattern written into the configuration's text (the editor's, if it is open):
        those the file already says are left out."""
        out = []
        for pattern, where in found:
            place = where.relative_to(target.parent).as_posix() + "/" if where else None
            glob = f"{place}**" if place and pattern.setting == IGNORES else None
            setting = Setting(pattern.setting, pattern.rule, glob)
            made = self._suggestion(pattern, setting, place, target)
            if made is not None:
                out.append(made)
        return out

    def _rewrite(self, s: Suggestion) -> Suggestion | None:
        return self._suggestion(s.pattern, s.setting, s.place, s.write.path)

    def _suggestion(
        self, pattern: Pattern, setting: Setting, place: str | None, target: Path
    ) -> Suggestion | None:
        uri = target.as_uri()
        doc = self._texts.get(uri)
        before, version = (doc.source, doc.version) if doc is not None else (_read(target), None)
        try:
            write = write_setting(target, before, setting)
        except ConfigUnreadable:
            return None
        if write is None:
            return None
        capabilities, encoding = self._client()
        edit, why_not = workspace_edit(write, uri, version, capabilities, encoding)
        return Suggestion(pattern, setting, write, place, uri, version, edit, why_not)


def _patterns(
    store: Store, rules: Sequence[str], base: Path, below: Sequence[Path]
) -> list[tuple[Pattern, Path | None]]:
    """On the store's thread: the patterns of `rules` not yet answered, each with the folder
    it names (for a per-file ignore)."""
    project = store.folder_hashes(str(base))[0]
    folders = {store.folder_hashes(str(f))[0]: f for f in below}
    decisions = store.decisions(rules)
    answered = store.suggestion_answers()
    return [
        (p, folders.get(p.scope))
        for rule in rules
        for p in patterns(decisions, rule, project, list(folders))
        if p.key not in answered
    ]


def _read(path: Path) -> str | None:
    """The file's text exactly as it is (its line breaks too), None when there is none."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return ""  # unreadable: tomlkit refuses it below, so nothing is suggested


def workspace_edit(
    write: ConfigWrite,
    uri: str,
    version: int | None,
    capabilities: t.ClientCapabilities,
    encoding: str | None,
) -> tuple[t.WorkspaceEdit | None, str | None]:
    """The edit that makes `write`, as this client takes edits; or None and why not."""
    changes = get_capability(capabilities, "workspace.workspace_edit.document_changes", False)
    operations = get_capability(capabilities, "workspace.workspace_edit.resource_operations", [])
    document = t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    if write.before is None:
        if not (changes and t.ResourceOperationKind.Create in (operations or ())):
            return None, (
                f"{write.path.name} does not exist yet, and the editor does not take edits that "
                "create a file (workspace.workspaceEdit: documentChanges, resourceOperations)"
            )
        start = t.Position(line=0, character=0)
        insert = t.TextEdit(range=t.Range(start=start, end=start), new_text=write.after)
        create = t.CreateFile(uri=uri, options=t.CreateFileOptions(overwrite=False))
        return t.WorkspaceEdit(
            document_changes=[create, t.TextDocumentEdit(text_document=document, edits=[insert])]
        ), None
    positions = Positions(write.before, encoding)
    edits = [
        t.TextEdit(range=positions.range(e.start, e.end), new_text=e.content)
        for e in diff_edits(write.before, write.after)
    ]
    if not changes:
        return t.WorkspaceEdit(changes={uri: edits}), None
    return t.WorkspaceEdit(
        document_changes=[t.TextDocumentEdit(text_document=document, edits=edits)]
    ), None


def actions(found: Sequence[Suggestion], rules: set[str]) -> list[t.CodeAction]:
    """The code actions of the suggestions for `rules`: write it (the edit, then a command that
    records the answer), and never suggest it again."""
    out = []
    for s in found:
        if s.rule not in rules or s.edit is None:
            continue
        out.append(
            t.CodeAction(
                title=s.title,
                kind=t.CodeActionKind.QuickFix,
                edit=s.edit,
                command=t.Command(
                    title="Record that the configuration was written",
                    command=SUGGEST_COMMAND,
                    arguments=[{"id": s.id, "answer": "applied"}],
                ),
            )
        )
        out.append(
            t.CodeAction(
                title=f"Never suggest {s.setting.words()} again",
                kind=t.CodeActionKind.QuickFix,
                command=t.Command(
                    title="Never suggest this configuration again",
                    command=SUGGEST_COMMAND,
                    arguments=[{"id": s.id, "answer": "dismiss"}],
                ),
            )
        )
    return out


def hover_words(found: Sequence[Suggestion]) -> Callable[[str], str | None]:
    """What a diagnostic's hover adds for its rule: the suggestions for it."""

    def more(rule: str) -> str | None:
        said = [s.markdown() for s in found if s.rule == rule]
        return "\n\n".join(said) or None

    return more
