"""Fix all of one rule: the quick fix "Fix all F401 in this file" (ruff-lsp#46).

Offered on a diagnostic whose rule has two fixable violations or more in the file. It applies
every fix of that rule the user could apply one by one — Ruff's unsafe ones too, and the title
says so when there are any; never a display-only one — through the autopilot's loop
(`fix_until_stable` with `autofix.rule_hold`), so fixes that overlap or that a first round
reveals are applied in later rounds, a round that breaks the file is dropped, and the edit is
one versioned set of line diffs. No badge: it applies fixes of every score.

Like apply-all-trusted it is deferred until chosen: a client that resolves gets the edit from
`codeAction/resolve`, any other a command (`surefix.fixAllOfRule`) that applies it through
`workspace/applyEdit`. Each fix applied is an outcome the user chose, `accepted` and detected
`command` as a quick fix taken: recorded once the document shows the run's text (the
autopilot's watch, `OutcomeTracker.computed`), and watched for an undo like any other.
"""

from __future__ import annotations

from collections.abc import Iterable

from lsprotocol import types as t

from surefix.model.analysis import Analysis
from surefix.model.autofix import APPLIED, FixRun
from surefix.server.lsp.documents import Analyzed
from surefix.server.wording import applied_words, held_lines, rule_fix_title

FIX_RULE_COMMAND = "surefix.fixAllOfRule"
DETECTED = "command"  # chosen by the user, as a quick fix taken
MIN_FIXES = 2  # one fix is its own quick fix


def groups(analysis: Analysis) -> dict[str, bool]:
    """The rules with `MIN_FIXES` fixes or more that a user can apply, and whether any of a
    rule's fixes is unsafe."""
    count: dict[str, int] = {}
    unsafe: dict[str, bool] = {}
    for c in analysis.candidates:
        if c.fix.applicability in APPLIED:
            rule = c.violation.rule
            count[rule] = count.get(rule, 0) + 1
            unsafe[rule] = unsafe.get(rule, False) or c.fix.applicability == "unsafe"
    return {rule: unsafe[rule] for rule, n in count.items() if n >= MIN_FIXES}


def action(
    analyzed: Analyzed,
    rule: str,
    unsafe: bool,
    diagnostics: Iterable[t.Diagnostic],
    resolvable: bool,
) -> t.CodeAction:
    """The action, to be resolved (or, for a client that cannot, carried out by a command)."""
    title = rule_fix_title(rule, unsafe)
    found = t.CodeAction(title=title, kind=t.CodeActionKind.QuickFix, diagnostics=[*diagnostics])
    target = {"uri": analyzed.uri, "version": analyzed.version, "rule": rule}
    if resolvable:
        found.data = {**target, "fixRule": True}
    else:
        found.command = t.Command(title=title, command=FIX_RULE_COMMAND, arguments=[target])
    return found


def summary(rule: str, run: FixRun) -> str:
    """The log line of a run: what it applied, and the fixes of the rule it left, and why."""
    mine = FixRun(
        run.text,
        run.final,
        run.applied,
        run.dropped,
        run.rounds,
        held=tuple((c, why) for c, why in run.held if c.violation.rule == rule),
    )
    return "\n".join([f"surefix: fix all {rule} {applied_words(run)}", *held_lines(mine)])


def dropped_message(rule: str, run: FixRun) -> str | None:
    if not run.dropped:
        return None
    return (
        f"surefix: {len(run.dropped)} {rule} fixes were not applied: together they left the "
        f"file with a syntax error. The other {rule} fixes were applied."
    )
