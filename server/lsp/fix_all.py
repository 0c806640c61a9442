"""Apply all trusted fixes: the `source.fixAll.surefix` action and `surefix.applyTrustedFixes`.

The fixed point is `model.autofix.fix_until_stable`, the same loop as `surefix fix`, run on the
analysis threads. Its re-linting rounds are worth deferring until chosen, so a client that can
resolve gets the edit lazily; a client that cannot gets a command that applies it through
`workspace/applyEdit`. The result is line-level diff edits, not a whole-document replacement; a
notebook's is one `TextDocumentEdit` per cell it changes, each at that cell's version.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types as t

from surefix.features.ruff.notebook import Joins
from surefix.model.analysis import Analysis, Candidate
from surefix.model.autofix import MAX_ROUNDS, OTHER_RULE, FixRun, Hold, Parse, fix_until_stable
from surefix.server.lsp.analyzer import Analyzer
from surefix.server.lsp.documents import Analyzed
from surefix.server.wording import applied_words, held_lines, nothing_applied

FIX_ALL_KIND = "source.fixAll.surefix"
APPLY_TRUSTED_COMMAND = "surefix.applyTrustedFixes"
FIX_ALL_TITLE = "surefix: apply all trusted fixes"


def worth_offering(analyzed: Analyzed, hold: Hold) -> bool:
    """Only a file with a fix the autopilot would take gets the action: the loop starts from
    those, so without one it could change nothing, and a menu entry that does nothing is noise."""
    text = analyzed.analysis.text
    return any(hold(c, text) is None for c in analyzed.analysis.candidates)


def held_back(analyzed: Analyzed, hold: Hold) -> list[tuple[Candidate, str]]:
    """Every fix of this version that `hold` keeps from the autopilot, with why."""
    text = analyzed.analysis.text
    return [(c, r) for c in analyzed.analysis.candidates if (r := hold(c, text)) is not None]


def why_nothing(
    analyzed: Analyzed, held: Sequence[tuple[Candidate, str]], broke: bool = False
) -> str:
    """Why a fix-all on this version applied nothing: the fixes `held` back, by reason (those
    of other rules left out: "fix all RULE" holds them by design), or that its fixes together
    left a syntax error (`broke`) and were undone."""
    name = analyzed.uri.rsplit("/", 1)[-1]
    if broke:
        return f"fix-all on {name} applied nothing: its fixes left a syntax error"
    return nothing_applied(name, [(c, why) for c, why in held if why != OTHER_RULE])


def disabled(reason: str) -> t.CodeAction:
    """The action, greyed out with `reason`, for an editor that shows why it cannot run."""
    why = t.CodeActionDisabled(reason)
    return t.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL_KIND, disabled=why)


async def run(analyzer: Analyzer, analyzed: Analyzed, hold: Hold) -> FixRun:
    """Apply-all-trusted from the cached analysis (re-linting happens between rounds). A
    notebook's rounds apply edits cell by cell and lint the cells each round made."""
    cells = analyzed.analysis.cells
    if cells is None:

        def relint(text: str, parse: Parse) -> Analysis:
            return analyzer.analyze_blocking(analyzed.uri, text, parse)

        return await analyzer.in_pool(fix_until_stable, analyzed.analysis, relint, hold)
    joins = Joins(cells)

    def relint_cells(text: str, parse: Parse) -> Analysis:
        return analyzer.analyze_blocking(analyzed.uri, joins.cells(text), parse)

    return await analyzer.in_pool(
        fix_until_stable, analyzed.analysis, relint_cells, hold, MAX_ROUNDS, joins.apply
    )


def action(analyzed: Analyzed, run: FixRun | None, resolvable: bool) -> t.CodeAction:
    """Apply-all-trusted, with its edit when `run` is known; otherwise resolved later (or, for a
    client that cannot resolve, carried out by a command that applies the edit itself)."""
    found = t.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL_KIND)
    if run is not None:
        found.title = title(run)
        found.edit = edit(analyzed, run)
    elif resolvable:
        found.data = {"uri": analyzed.uri, "version": analyzed.version, "fixAll": True}
    else:
        found.command = t.Command(
            title=FIX_ALL_TITLE,
            command=APPLY_TRUSTED_COMMAND,
            arguments=[{"uri": analyzed.uri, "version": analyzed.version}],
        )
    return found


def edit(analyzed: Analyzed, run: FixRun) -> t.WorkspaceEdit:
    """The run's result as line edits of each document it changes (every cell it changes)."""
    return analyzed.layout.rewrite(run.text, run.final.cells)


def title(run: FixRun) -> str:
    """`surefix: apply 3 trusted fixes (4 held back)`: what it does, and that it leaves some —
    a fix-all asked for again says why (`why_nothing`)."""
    n, held = len(run.applied), len(run.held)
    back = f" ({held} held back)" if held else ""
    return f"surefix: apply {n} trusted fix{'' if n == 1 else 'es'}{back}"


def summary(run: FixRun) -> str:
    """What a run did and what it left, with the reasons: the log line after every fix-all."""
    return "\n".join([f"surefix: fix-all {applied_words(run)}", *held_lines(run)])


def dropped_message(run: FixRun) -> str | None:
    if not run.dropped:
        return None
    rules = ", ".join(sorted({c.violation.rule for c in run.dropped}))
    return (
        f"surefix: {len(run.dropped)} trusted fixes ({rules}) were not applied: together they "
        "left the file with a syntax error. The other trusted fixes were applied."
    )
