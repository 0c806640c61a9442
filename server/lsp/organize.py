"""Organize imports: the `source.organizeImports.surefix` code action.

Ruff's import rules on the version the editor has (`features.ruff.organize`), run from the
project's root with its isort settings and the lint's Ruff (`Analyzer.ruff_run`), on the
analysis threads, once per version. The edit is line diffs, versioned like every quick fix, so
an editor whose text moved on rejects it.

When it is offered follows what the client asks (`context.only`):

* `source.organizeImports` or `source.organizeImports.surefix` — the editor's "Organize
  Imports" or a save: always the action, its edit empty when the imports are in order, so
  the command has an answer; for a text with a syntax error, an action `disabled` with the
  reason where the client shows that, else none (the log says why, once per version, and a
  message too when the user invoked it: Neovim shows no disabled action);
* another kind that includes it (`source`, the source-action menu): only when it changes
  something;
* no `only` (a menu asked at the cursor, as Neovim asks): only when the analysis already shows
  unsorted imports (or, removing unused ones, a fixable F401), so a plain menu costs no Ruff run.

Ruff's server offers it in every menu; a menu entry that changes nothing is noise here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types as t

from surefix.features.ruff.edits import diff_edits
from surefix.features.ruff.findings import SYNTAX_ERROR
from surefix.features.ruff.organize import UNUSED_IMPORT, Organized, organize, organize_rules
from surefix.features.ruff.run import RuffError, lint_text
from surefix.server.lsp.analyzer import Analyzer, ruff_failure
from surefix.server.lsp.code_actions import versioned_edit, wants
from surefix.server.lsp.documents import Analyzed

ORGANIZE_KIND = "source.organizeImports.surefix"
KINDS = [t.CodeActionKind.SourceOrganizeImports, ORGANIZE_KIND]
TITLE = "surefix: organize imports"


def offered(only: Sequence[str] | None) -> bool:
    return wants(ORGANIZE_KIND, only)


def explicit(only: Sequence[str] | None) -> bool:
    """Whether the client asked for organize imports itself (its command, or on save)."""
    return any(k.startswith(t.CodeActionKind.SourceOrganizeImports) for k in only or ())


def hinted(analyzed: Analyzed, remove_unused: bool) -> bool:
    """Whether the analysis already shows something to organize (with the project's rules)."""
    return any(
        v.rule == "I001" or (remove_unused and v.rule == UNUSED_IMPORT and v.fix is not None)
        for v in analyzed.analysis.violations
    )


async def organized(
    analyzer: Analyzer, analyzed: Analyzed, remove_unused: bool
) -> Organized | RuffError:
    """The version's imports organized (computed once per version and setting), or why Ruff
    could not."""
    key = ("organized", remove_unused)
    errors = analyzed.analysis.errors
    if errors:  # the lint has just parsed it: no Ruff run can organize it
        return Organized(analyzed.analysis.text, unparsable=errors[0])
    if key not in analyzed.memo:
        try:
            analyzed.memo[key] = await analyzer.in_pool(
                _organize, analyzer, analyzed.uri, analyzed.analysis.text, remove_unused
            )
        except RuffError as exc:
            analyzed.memo[key] = exc
    found: Organized | RuffError = analyzed.memo[key]
    return found


def _organize(analyzer: Analyzer, uri: str, text: str, remove_unused: bool) -> Organized:
    rules = organize_rules(remove_unused)
    run = analyzer.ruff_run(uri, rules)
    return organize(text, lambda now: lint_text(now, run.path, run.options, run.cwd), rules)


def action(analyzed: Analyzed, done: Organized) -> t.CodeAction:
    """Organize imports with its edit (empty when the imports are in order)."""
    edits = diff_edits(analyzed.analysis.text, done.text)
    return t.CodeAction(title=TITLE, kind=ORGANIZE_KIND, edit=versioned_edit(analyzed, edits))


def disabled(reason: str) -> t.CodeAction:
    """The action, not applicable now, with why: an editor shows it when the user asked."""
    return t.CodeAction(title=TITLE, kind=ORGANIZE_KIND, disabled=t.CodeActionDisabled(reason))


def not_organized(analyzed: Analyzed, done: Organized | RuffError) -> str:
    """Why a version's imports were not organized, for the log and a disabled action."""
    name = Path(analyzed.analysis.path).name
    if isinstance(done, RuffError):
        return f"imports of {name} not organized: {ruff_failure(done)}"
    error = done.unparsable
    assert error is not None and error.rule == SYNTAX_ERROR
    at = f"line {error.start.line + 1}, column {error.start.column + 1}"
    return f"imports of {name} not organized: it has a syntax error ({at}: {error.message})"
