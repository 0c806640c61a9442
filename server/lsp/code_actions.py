"""Quick fixes from a cached analysis: trust-badged fixes, "fix all RULE", `# noqa`, "this fix
is wrong".

Every edit is a `TextDocumentEdit` carrying the version it was computed for, so an editor whose
text has moved on rejects it instead of applying it in the wrong place (clients that cannot take
versioned edits get plain `changes`); in a notebook, one per cell the fix changes, each with that
cell's version (`layout`). Every action's command names the server's own offer by id;
see `offers`. A version's actions are built once (editors ask again at every cursor move) and
picked per request: those whose violation overlaps the range, and those of the diagnostics the
client names in `context.diagnostics` (see `diagnostics.diagnostic_data`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lsprotocol import types as t

from surefix.features.ruff.edits import LineIndex
from surefix.features.ruff.findings import SYNTAX_ERROR, Edit, Position, Violation
from surefix.features.ruff.noqa import noqa_edit
from surefix.model.analysis import AUTO, Candidate, ranked
from surefix.server.lsp import fix_rule
from surefix.server.lsp.diagnostics import diagnostic, diagnostic_data
from surefix.server.lsp.documents import Analyzed
from surefix.server.lsp.offers import Offer, Offers
from surefix.server.wording import fix_title

RECORD_COMMAND = "surefix.recordOutcome"
TRUST_COMMAND = "surefix.trustRule"
NOT_USEFUL_TITLE = "This fix is wrong"
RULE_CODE = re.compile(r"^[A-Z]+[0-9]+$")


@dataclass(frozen=True)
class Offered:
    """One violation's actions on one version, with the offer their commands name."""

    index: int  # in the analysis' violations, as in the diagnostic's `data`
    rank: int  # of its fix, most trusted first
    offer: Offer
    fix: t.CodeAction | None
    noqa: t.CodeAction | None
    wrong: t.CodeAction | None
    trust: t.CodeAction | None  # "Trust RULE again", on a rule this user demoted


def wants(kind: str, only: Sequence[str] | None) -> bool:
    """Whether a request's `context.only` asks for `kind` (kinds are dot-separated hierarchies)."""
    if not only:
        return True
    return any(kind == k or kind.startswith(f"{k}.") for k in only)


def overlaps(v: Violation, start: Position, end: Position) -> bool:
    return v.start <= end and start <= v.end


def versioned_edit(analyzed: Analyzed, edits: Sequence[Edit]) -> t.WorkspaceEdit:
    """`edits` of the analysed text as a `WorkspaceEdit` pinned to the analysed version of
    every document they change (see `layout.workspace_edit`)."""
    return analyzed.layout.edit(edits)


def quick_fixes(
    analyzed: Analyzed,
    offers: Offers,
    start: Position,
    end: Position,
    named: set[int],
    style: str,
    resolvable: bool = True,
) -> tuple[list[t.CodeAction], list[Offer]]:
    """The actions for the range and the named diagnostics — fixes most trusted first (one of
    identical fixes on a line), then "Fix all RULE in this file" for their rules with more
    fixes in the file, then `# noqa` in the fixes' order (then those of diagnostics without a
    fix, in file order: the menu names the rules in one order throughout), then one "this fix
    is wrong" and one "trust again" per rule and line — and the offers. `resolvable`: the
    client resolves an action's edit (else "Fix all RULE" carries a command)."""
    picked = [
        o
        for o in offered(analyzed, offers, style)
        if o.index in named or overlaps(o.offer.violation, start, end)
    ]
    by_trust = sorted((o for o in picked if o.fix is not None), key=lambda o: o.rank)
    actions, same = [], set()
    for o in by_trust:
        c = o.offer.candidate
        key = (o.offer.violation.rule, o.offer.violation.start.line, c.fix.edits if c else ())
        if o.fix is not None and key not in same:
            same.add(key)
            actions.append(o.fix)
    actions += rule_fixes(analyzed, by_trust, resolvable)
    actions += [o.noqa for o in by_trust if o.noqa is not None]
    actions += [o.noqa for o in picked if o.fix is None and o.noqa is not None]
    return actions + once_per_rule_and_line(by_trust), [o.offer for o in picked]


def encoded(
    analyzed: Analyzed, actions: Sequence[t.CodeAction], unstructure: Callable[[Any], Any]
) -> list[Any]:
    """`actions` of this version (from `quick_fixes`, built once) in their JSON shape, each
    converted once: the memo keeps the action beside its JSON, so an id is never reused."""
    cache: dict[int, tuple[t.CodeAction, Any]] = analyzed.memo.setdefault("json", {})
    out = []
    for action in actions:
        hit = cache.get(id(action))
        if hit is None or hit[0] is not action:
            hit = cache[id(action)] = (action, unstructure(action))
        out.append(hit[1])
    return out


def rule_fixes(
    analyzed: Analyzed, picked: Sequence[Offered], resolvable: bool
) -> list[t.CodeAction]:
    """ "Fix all RULE in this file", once per rule of the picked fixes that has more than one
    fix in the file, naming the picked diagnostics of that rule."""
    if "rule groups" not in analyzed.memo:
        analyzed.memo["rule groups"] = fix_rule.groups(analyzed.analysis)
    groups: dict[str, bool] = analyzed.memo["rule groups"]
    named: dict[str, list[t.Diagnostic]] = {}
    for o in picked:
        rule = o.offer.violation.rule
        if rule in groups and o.fix is not None:
            named.setdefault(rule, []).extend(o.fix.diagnostics or ())
    built: dict[tuple[Any, ...], t.CodeAction] = analyzed.memo.setdefault("rule actions", {})
    actions = []
    for rule, found in named.items():  # built once per version and diagnostics, as all others
        key = (rule, resolvable, *map(id, found))
        if key not in built:
            built[key] = fix_rule.action(analyzed, rule, groups[rule], found, resolvable)
        actions.append(built[key])
    return actions


def once_per_rule_and_line(picked: Sequence[Offered]) -> list[t.CodeAction]:
    """ "This fix is wrong (RULE)" and "Trust RULE again" answer for a rule on a line, not for
    one diagnostic: two F401 on one import line get one of each."""
    found, seen = [], set()
    for o in picked:
        v = o.offer.violation
        for action in (o.wrong, o.trust):
            key = (action.title if action else "", v.start.line)
            if action is not None and key not in seen:
                seen.add(key)
                found.append(action)
    return found


def offered(analyzed: Analyzed, offers: Offers, style: str) -> list[Offered]:
    """Every violation's actions on this version, in file order, built once."""
    key = ("offered", style)
    if key in analyzed.memo:
        return analyzed.memo[key]
    analysis = analyzed.analysis
    lines, comments = LineIndex(analysis.text), analyzed.comments()
    rank = {id(c.violation): k for k, c in enumerate(ranked(analysis.candidates))}
    out, silenced = [], set()
    for i, v in enumerate(analysis.violations):
        if v.rule == SYNTAX_ERROR:
            continue
        offer = offers.make(analyzed.uri, analyzed.version, analysis, v)
        _, where = analyzed.layout.place(v.start, v.end)
        diag = diagnostic(v, where, diagnostic_data(analyzed.version, i, v))
        c = offer.candidate
        noqa = noqa_edit(analysis.text, v, lines, comments)
        if noqa is not None and (v.rule, noqa.start.line) in silenced:
            noqa = None  # one `# noqa: CODE` per rule and line
        if noqa is not None:
            silenced.add((v.rule, noqa.start.line))
        out.append(
            Offered(
                index=i,
                rank=rank.get(id(v), len(rank)),
                offer=offer,
                fix=_fix_action(analyzed, c, offer, diag, style) if c else None,
                noqa=_noqa_action(analyzed, v, noqa, offer, diag) if noqa else None,
                wrong=_wrong_action(v, offer, diag) if c else None,
                trust=_trust_action(v, diag) if c and c.demoted else None,
            )
        )
    analyzed.memo[key] = out
    return out


def _answer(title: str, offer: Offer, outcome: str) -> t.Command:
    return t.Command(
        title=title, command=RECORD_COMMAND, arguments=[{"offer": offer.id, "outcome": outcome}]
    )


def _fix_action(
    analyzed: Analyzed, c: Candidate, offer: Offer, diag: t.Diagnostic, style: str
) -> t.CodeAction:
    return t.CodeAction(
        title=fix_title(c, style),
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[diag],
        is_preferred=preferred(c) or None,
        edit=versioned_edit(analyzed, c.fix.edits),
        command=_answer("Record that the fix was applied", offer, "accepted"),
    )


def preferred(candidate: Candidate) -> bool:
    """Only a fix the model trusts *and* Ruff calls safe may be the editor's default choice."""
    return candidate.band == AUTO and candidate.fix.applicability == "safe"


def _noqa_action(
    analyzed: Analyzed, v: Violation, edit: Edit, offer: Offer, diag: t.Diagnostic
) -> t.CodeAction:
    return t.CodeAction(
        title=f"Ignore {v.rule} on this line (# noqa: {v.rule})",
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[diag],
        edit=versioned_edit(analyzed, [edit]),
        command=_answer("Record that the rule was silenced", offer, "suppressed"),
    )


def _trust_action(v: Violation, diag: t.Diagnostic) -> t.CodeAction:
    """Reverses a demotion: the rule's fixes may be applied automatically again."""
    return t.CodeAction(
        title=f"Trust {v.rule} again: apply its trusted fixes automatically",
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[diag],
        command=t.Command(
            title=f"Trust {v.rule} again", command=TRUST_COMMAND, arguments=[{"rule": v.rule}]
        ),
    )


def _wrong_action(v: Violation, offer: Offer, diag: t.Diagnostic) -> t.CodeAction:
    """An explicit negative, with no edit."""
    return t.CodeAction(
        title=f"{NOT_USEFUL_TITLE} ({v.rule}): surefix will trust it less",
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[diag],
        command=_answer("Record that the fix is wrong", offer, "not-useful"),
    )
