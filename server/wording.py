"""How trust is worded: badges, quick-fix titles, hover text and explanation lines.

Shared by the language server and the CLI, and free of lsprotocol, so the editor and the terminal
never word the same score differently.
"""

from __future__ import annotations

from collections import Counter

from surefix.model.analysis import AUTO, MANUAL, REVIEW, UNSCORED, Candidate
from surefix.model.autofix import FixRun
from surefix.model.scoring.scorer import FeatureContribution, TrustModel

BADGE_MARKS = {
    "unicode": {AUTO: "✓", REVIEW: "?", MANUAL: "✗", UNSCORED: "·"},
    "ascii": {AUTO: "+", REVIEW: "?", MANUAL: "-", UNSCORED: "."},
    "percent": {AUTO: "", REVIEW: "", MANUAL: "", UNSCORED: ""},
}


SAFETY_NOTES = {
    "safe": "Ruff marks this fix **safe**: it keeps the code's meaning.",
    "unsafe": "Ruff marks this fix **unsafe**: it may change behaviour or drop comments, so it "
    "is never applied automatically.",
    "display-only": "Ruff only **displays** this fix: it is never applied automatically.",
}


def badge(candidate: Candidate, style: str = "unicode") -> str:
    """`✓ 97%`: the band's mark and the score; `· n/a` when no model could be loaded."""
    mark = BADGE_MARKS.get(style, BADGE_MARKS["unicode"])[candidate.band]
    return f"{mark} {percent(candidate.score)}".strip()


def percent(score: float | None) -> str:
    """Whole percent, never 0% or 100%: the model is never certain, so neither is the badge."""
    return "n/a" if score is None else f"{min(99, max(1, round(100 * score)))}%"


def fix_title(candidate: Candidate, style: str) -> str:
    """`✓ 99% Ruff (F401): Remove unused import`: the badge, then the title Ruff's own server
    gives the fix, then why it is not automatic when something other than its score says so."""
    rule = candidate.violation.rule
    fix = candidate.fix.message or f"Fix {rule}"
    title = f"{badge(candidate, style)} Ruff ({rule}): {fix}"
    if candidate.score is None:
        title += f" (trust score unavailable; Ruff: {candidate.fix.applicability})"
    if candidate.not_automatic:
        title += f" (not automatic: {candidate.not_automatic})"
    return title


def applied_words(run: FixRun) -> str:
    """`applied 3 (F401 x2, I001 x1)`: what a fix run did, as `surefix fix` and fix-all say it."""
    applied = Counter(c.violation.rule for c in run.applied)
    said = ", ".join(f"{rule} x{n}" for rule, n in sorted(applied.items()))
    return f"applied {len(run.applied)}" + (f" ({said})" if said else "")


def hover_markdown(candidate: Candidate, model: TrustModel | None, history: str | None) -> str:
    """Rule, score, band, the factors that moved the score (adding up to its log-odds), tier."""
    v = candidate.violation
    rule = f"[{v.rule}]({v.url})" if v.url else v.rule
    name = f" `{v.name}`" if v.name else ""
    fix = candidate.fix.message or "Apply Ruff's fix"
    lines = [f"**{rule}**{name}: {v.message}", ""]
    if candidate.score is None or model is None:
        lines.append(f"**Trust score unavailable** (no model could be loaded) · {fix}")
    else:
        lines.append(
            f"**{badge(candidate)} · {candidate.band}** · {fix}  \n"
            f"P(you keep this fix) = {candidate.score:.3f} · model `{model.version}`"
        )
        lines += ["", *factor_table(candidate, model)]
    lines += ["", SAFETY_NOTES.get(candidate.fix.applicability, "")]
    if candidate.demoted:
        lines += [
            "",
            f"**Not applied automatically for you:** {candidate.demoted}. "
            f'"Trust {v.rule} again" in the quick-fix menu reverses this.',
        ]
    elif candidate.outside:
        lines += ["", f"**Not applied automatically:** {candidate.outside}."]
    if history:
        lines += ["", history]
    return "\n".join(lines).rstrip()


AVERAGE_FIX = "an average fix"  # what the base log-odds stand for: the mean training fix
HOVER_FACTORS = 4  # factors in the hover table; `check --explain` shows the scorer's default (3)


def factor_words(factor: FeatureContribution) -> str:
    """`the fix only deletes: yes raises trust`: one factor and which way it pushed."""
    direction = "raises" if factor.contribution > 0 else "lowers"
    return f"{factor.label} {direction} trust"


def explanation_lines(model: TrustModel, candidate: Candidate) -> list[str]:
    """`surefix check --explain`: the factors that moved a score most, signed in log-odds."""
    e = model.explain(candidate.row)
    return [f"base {e.base:+.2f} ({AVERAGE_FIX})"] + [
        f"{f.contribution:+.2f} {factor_words(f)}" for f in e.top
    ]


def factor_table(candidate: Candidate, model: TrustModel, top: int = HOVER_FACTORS) -> list[str]:
    """The hover's table of the biggest pushes on the log-odds in words; the rows add up
    exactly to the total."""
    e = model.explain(candidate.row, top=top)
    shown = sum(f.contribution for f in e.top)
    rest = e.logit - e.base - shown
    rows = ["| | log-odds |", "| --- | ---: |", f"| {AVERAGE_FIX} | {e.base:+.2f} |"]
    rows += [f"| {factor_words(f)} | {f.contribution:+.2f} |" for f in e.top]
    rows.append(f"| everything else | {rest:+.2f} |")
    if candidate.personal and candidate.history is not None:
        h = candidate.history
        factor = f"your record with this rule: kept {h.kept} of {h.total}"
        rows.append(f"| {factor} | {candidate.personal:+.2f} |")
    total = e.logit + candidate.personal
    rows.append(f"| **total** (= {percent(candidate.score)}) | **{total:+.2f}** |")
    return rows


def held_lines(run: FixRun) -> list[str]:
    """`    not applied (this project does not select SIM300): SIM300 x57`, one line per
    reason, commonest first: what `surefix fix` and the fix-all log say of the fixes left."""
    by_reason: dict[str, Counter[str]] = {}
    for c, reason in run.held:
        by_reason.setdefault(reason, Counter())[c.violation.rule] += 1
    return [
        f"    not applied ({reason}): "
        + ", ".join(rule if n == 1 else f"{rule} x{n}" for rule, n in sorted(rules.items()))
        for reason, rules in sorted(by_reason.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]
