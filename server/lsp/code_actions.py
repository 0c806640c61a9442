"""Code actions from a cached analysis: trust-badged quick fixes, `# noqa`, apply-all-trusted.

Every edit is a `TextDocumentEdit` carrying the version it was computed for, so an editor whose
text has moved on rejects it instead of applying it in the wrong place (clients that cannot take
versioned edits get plain `changes`).
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types as t

from surefix.features.ruff.edits import LineIndex, diff_edits
from surefix.features.ruff.findings import SYNTAX_ERROR, Edit, Position, Violation
from surefix.features.ruff.noqa import comment_columns, noqa_edit
from surefix.model.analysis import AUTO, Candidate, ranked
from surefix.model.autofix import FixRun
from surefix.model.local.outcome_watch import Offer, text_hash
from surefix.server.lsp.diagnostics import diagnostic
from surefix.server.lsp.documents import Analyzed
from surefix.server.wording import fix_title

FIX_ALL_KIND = "source.fixAll.surefix"
RECORD_COMMAND = "surefix.recordOutcome"
APPLY_TRUSTED_COMMAND = "surefix.applyTrustedFixes"
FIX_ALL_TITLE = "surefix: apply all trusted fixes"
NOT_USEFUL_TITLE = "This fix is wrong"


def wants(kind: str, only: Sequence[str] | None) -> bool:
    """Whether a request's `context.only` asks for `kind` (kinds are dot-separated hierarchies)."""
    if not only:
        return True
    return any(kind == k or kind.startswith(f"{k}.") for k in only)


def overlaps(v: Violation, start: Position, end: Position) -> bool:
    return v.start <= end and start <= v.end


def versioned_edit(analyzed: Analyzed, edits: Sequence[Edit]) -> t.WorkspaceEdit:
    """A `TextDocumentEdit` pinned to the analysed version, or — for a client that does not
    take `documentChanges` — plain `changes` (such a client cannot be told the version)."""
    positions = analyzed.positions
    text_edits = [
        t.TextEdit(range=positions.range(e.start, e.end), new_text=e.content) for e in edits
    ]
    if not analyzed.versioned:
        return t.WorkspaceEdit(changes={analyzed.uri: text_edits})
    document = t.OptionalVersionedTextDocumentIdentifier(uri=analyzed.uri, version=analyzed.version)
    return t.WorkspaceEdit(
        document_changes=[t.TextDocumentEdit(text_document=document, edits=text_edits)]
    )


def quick_fixes(
    analyzed: Analyzed, start: Position, end: Position, style: str
) -> list[t.CodeAction]:
    """One action per fixable violation in the range, most trusted first."""
    return [a for v, a in _all_fixes(analyzed, style) if overlaps(v, start, end)]


def _all_fixes(analyzed: Analyzed, style: str) -> list[tuple[Violation, t.CodeAction]]:
    """Every quick fix of the version, built once: editors ask again at every cursor move."""
    key = ("fixes", style)
    if key not in analyzed.memo:
        index = {id(v): i for i, v in enumerate(analyzed.analysis.violations)}
        analyzed.memo[key] = [
            (c.violation, _fix_action(analyzed, c, index[id(c.violation)], style))
            for c in ranked(analyzed.analysis.candidates)
        ]
    return analyzed.memo[key]


def _fix_action(analyzed: Analyzed, c: Candidate, index: int, style: str) -> t.CodeAction:
    return t.CodeAction(
        title=fix_title(c, style),
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[_diagnostic(analyzed, c.violation, index)],
        is_preferred=preferred(c) or None,
        edit=versioned_edit(analyzed, c.fix.edits),
        command=t.Command(
            title="Record that the fix was applied",
            command=RECORD_COMMAND,
            arguments=[outcome_facts(analyzed, c.violation, c, "accepted")],
        ),
    )


def preferred(candidate: Candidate) -> bool:
    """Only a fix the model trusts *and* Ruff calls safe may be the editor's default choice."""
    return candidate.band == AUTO and candidate.fix.applicability == "safe"


def outcome_facts(
    analyzed: Analyzed, v: Violation, c: Candidate | None, outcome: str
) -> dict[str, object]:
    """What the record command gets back: identifiers and numbers, never source text."""
    return {
        "outcome": outcome,
        "uri": analyzed.uri,
        "version": analyzed.version,
        "rule": v.rule,
        "line": v.start.line,
        "score": c.score if c else None,
        "band": c.band if c else "none",
        "applicability": c.fix.applicability if c else "none",
        "model": analyzed.analysis.model_version,
        "features": dict(c.row) if c else {},
        "before": _text_hash(analyzed),
        "syntax_errors": analyzed.analysis.syntax_errors,
        "others": sum(
            1 for o in analyzed.analysis.violations if o.rule not in (v.rule, SYNTAX_ERROR)
        ),
    }


def _text_hash(analyzed: Analyzed) -> str:
    if "hash" not in analyzed.memo:
        analyzed.memo["hash"] = text_hash(analyzed.analysis.text)
    return str(analyzed.memo["hash"])


def noqa_actions(analyzed: Analyzed, start: Position, end: Position) -> list[t.CodeAction]:
    """`# noqa: CODE` for each rule violation in the range, merged into the line's directive."""
    return [a for v, a in _all_noqa(analyzed) if overlaps(v, start, end)]


def _all_noqa(analyzed: Analyzed) -> list[tuple[Violation, t.CodeAction]]:
    if "noqa" in analyzed.memo:
        return analyzed.memo["noqa"]
    analysis = analyzed.analysis
    lines = LineIndex(analysis.text)
    comments = comment_columns(analysis.text)
    fixes = {id(c.violation): c for c in analysis.candidates}
    out = []
    seen: set[tuple[str, int]] = set()
    for i, v in enumerate(analysis.violations):
        edit = noqa_edit(analysis.text, v, lines, comments) if v.rule != SYNTAX_ERROR else None
        if edit is None or (v.rule, edit.start.line) in seen:
            continue
        seen.add((v.rule, edit.start.line))
        action = t.CodeAction(
            title=f"Ignore {v.rule} on this line (# noqa: {v.rule})",
            kind=t.CodeActionKind.QuickFix,
            diagnostics=[_diagnostic(analyzed, v, i)],
            edit=versioned_edit(analyzed, [edit]),
            command=t.Command(
                title="Record that the rule was silenced",
                command=RECORD_COMMAND,
                arguments=[outcome_facts(analyzed, v, fixes.get(id(v)), "suppressed")],
            ),
        )
        out.append((v, action))
    analyzed.memo["noqa"] = out
    return out


def not_useful_actions(analyzed: Analyzed, start: Position, end: Position) -> list[t.CodeAction]:
    """ "This fix is wrong" for each fix in the range: an explicit negative, with no edit."""
    return [a for v, a in _all_not_useful(analyzed) if overlaps(v, start, end)]


def _all_not_useful(analyzed: Analyzed) -> list[tuple[Violation, t.CodeAction]]:
    if "not-useful" not in analyzed.memo:
        index = {id(v): i for i, v in enumerate(analyzed.analysis.violations)}
        analyzed.memo["not-useful"] = [
            (c.violation, _not_useful_action(analyzed, c, index[id(c.violation)]))
            for c in ranked(analyzed.analysis.candidates)
        ]
    return analyzed.memo["not-useful"]


def _not_useful_action(analyzed: Analyzed, c: Candidate, index: int) -> t.CodeAction:
    rule = c.violation.rule
    return t.CodeAction(
        title=f"{NOT_USEFUL_TITLE} ({rule}): surefix will trust it less",
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[_diagnostic(analyzed, c.violation, index)],
        command=t.Command(
            title="Record that the fix is wrong",
            command=RECORD_COMMAND,
            arguments=[outcome_facts(analyzed, c.violation, c, "not-useful")],
        ),
    )


def offers(analyzed: Analyzed, start: Position, end: Position) -> list[Offer]:
    """The fixes a code-action answer showed, for `resolved-otherwise` detection."""
    return [
        Offer(
            c.violation.rule,
            c.violation.start.line,
            c.fix,
            outcome_facts(analyzed, c.violation, c, "resolved-otherwise"),
        )
        for c in analyzed.analysis.candidates
        if overlaps(c.violation, start, end)
    ]


def _diagnostic(analyzed: Analyzed, v: Violation, index: int) -> t.Diagnostic:
    return diagnostic(v, analyzed.positions, diagnostic_data(analyzed.version, index, v))


def diagnostic_data(version: int, index: int, v: Violation) -> dict[str, object]:
    return {"version": version, "index": index, "fixable": v.fix is not None}


def fix_all_action(analyzed: Analyzed, run: FixRun | None, resolvable: bool) -> t.CodeAction:
    """Apply-all-trusted, with its edit when `run` is known; otherwise resolved later (or, for a
    client that cannot resolve, carried out by a command that applies the edit itself)."""
    action = t.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL_KIND)
    if run is not None:
        action.title = fix_all_title(run)
        action.edit = fix_all_edit(analyzed, run)
    elif resolvable:
        action.data = {"uri": analyzed.uri, "version": analyzed.version, "fixAll": True}
    else:
        action.command = t.Command(
            title=FIX_ALL_TITLE,
            command=APPLY_TRUSTED_COMMAND,
            arguments=[{"uri": analyzed.uri, "version": analyzed.version}],
        )
    return action


def fix_all_edit(analyzed: Analyzed, run: FixRun) -> t.WorkspaceEdit:
    return versioned_edit(analyzed, diff_edits(analyzed.analysis.text, run.text))


def fix_all_title(run: FixRun) -> str:
    n = len(run.applied)
    return f"surefix: apply {n} trusted fix{'' if n == 1 else 'es'}"


def dropped_message(run: FixRun) -> str | None:
    if not run.dropped:
        return None
    rules = ", ".join(sorted({c.violation.rule for c in run.dropped}))
    return (
        f"surefix: {len(run.dropped)} trusted fixes ({rules}) were not applied: together they "
        "left the file with a syntax error. The other trusted fixes were applied."
    )
