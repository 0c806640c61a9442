"""How trust is worded: badges, quick-fix titles, hover text and explanation lines.

Shared by the language server and the CLI, and free of lsprotocol, so the editor and the terminal
never word the same score differently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from surefix.features.featurize import GROUPS
from surefix.features.ruff.rules import RuleDoc
from surefix.model.analysis import AUTO, MANUAL, REVIEW, UNSCORED, Candidate, score_percent
from surefix.model.autofix import FixRun
from surefix.model.local.suggestions import IGNORES, UNFIXABLE, Pattern
from surefix.model.scoring.evidence import FAMILY, RULE, Evidence
from surefix.model.scoring.scorer import Explanation, TrustModel
from surefix.server.reasons import number, plural, reasons, share

BADGE_MARKS = {
    "unicode": {AUTO: "✓", REVIEW: "?", MANUAL: "✗", UNSCORED: "·"},
    "ascii": {AUTO: "+", REVIEW: "?", MANUAL: "-", UNSCORED: "."},
    "percent": {AUTO: "", REVIEW: "", MANUAL: "", UNSCORED: ""},
}


def badge(candidate: Candidate, style: str = "unicode") -> str:
    """`✓ 97%`: the band's mark and the score; `· n/a` when no model could be loaded."""
    mark = BADGE_MARKS.get(style, BADGE_MARKS["unicode"])[candidate.band]
    return f"{mark} {percent(candidate.score)}".strip()


def percent(score: float | None) -> str:
    """Whole percent, never 0% or 100%: the model is never certain, so neither is the badge."""
    return "n/a" if score is None else f"{score_percent(score)}%"


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


def rule_fix_title(rule: str, unsafe: bool) -> str:
    """ "Fix all F401 in this file": no badge, since it applies fixes of every score; unsafe
    fixes are named, since Ruff's own fix-all leaves them out unless asked."""
    return f"Fix all {rule} in this file" + (" (unsafe fixes included)" if unsafe else "")


def applied_words(run: FixRun) -> str:
    """`applied 3 (F401 x2, I001 x1)`: what a fix run did, as `surefix fix` and fix-all say it."""
    applied = Counter(c.violation.rule for c in run.applied)
    said = ", ".join(f"{rule} x{n}" for rule, n in sorted(applied.items()))
    return f"applied {len(run.applied)}" + (f" ({said})" if said else "")


HTML, LIST = "html", "list"  # how hover's exact details part is shown (see `details_part`)
TIER_WORDS = {
    "safe": "Ruff: safe, it cannot change behaviour",
    "unsafe": "Ruff: unsafe, it may change behaviour",
    "display-only": "Ruff: display-only, it is never applied for you",
}
START = "start: a typical mined fix"  # what the base log-odds stand for: the mean training fix


def hover_markdown(
    candidate: Candidate, model: TrustModel | None, record: str | None, details: str = LIST
) -> str:
    """One fix explained: what Ruff found; badge, band and fix; the evidence in words; at most
    three reasons; why it is not automatic, if it is not — the main part, at most eight short
    lines, with no table and no HTML — then the exact log-odds in a details part (`details`:
    `HTML` or `LIST`, see `details_part`). `record` is the user's full record with the rule."""
    v = candidate.violation
    rule = f"[{v.rule}]({v.url})" if v.url else v.rule
    name = f" `{v.name}`" if v.name else ""
    fix = candidate.fix.message or "Apply Ruff's fix"
    lines = [f"**{rule}**{name}: {v.message}", ""]
    scored = model if candidate.score is not None else None
    if scored is None:
        lines.append(f"**Trust score unavailable** (no model could be loaded) · {fix}  ")
    else:
        lines.append(f"**{badge(candidate)} · {candidate.band}** · {fix}  ")
    lines.append(evidence_words(candidate, model))
    e = scored.explain(candidate.row) if scored is not None else None
    said = reasons(e, candidate.row, candidate.personal) if e is not None else []
    if said:
        lines += ["", *(f"- {r.direction}: {r.text}" for r in said)]
    if candidate.demoted:
        lines += [
            "",
            f"**Not applied automatically for you:** {candidate.demoted}; "
            f'"Trust {v.rule} again" in the quick-fix menu reverses this.',
        ]
    elif candidate.outside:
        lines += ["", f"**Not applied automatically:** {candidate.outside}."]
    if scored is not None:
        lines += ["", *details_part(candidate, scored, record, details, e)]
    elif record:
        lines += ["", record]
    return "\n".join(lines).rstrip()


def evidence_words(candidate: Candidate, model: TrustModel | None) -> str:
    """`Kept in 97 % of 1,234 such fixes in 52 projects · your record: kept 3 of 4 · Ruff: safe,
    it cannot change behaviour`: what was seen of such fixes (when the model carries evidence),
    what this user did with them (the record that moves the score), what Ruff promises."""
    v = candidate.violation
    parts = []
    evidence = model.evidence if model is not None else None
    seen = kept_words(evidence, v.rule, v.family) if evidence is not None else None
    if seen:
        parts.append(seen)
    h = candidate.history
    if h is not None and h.total:
        parts.append(f"your record: kept {number(h.kept)} of {number(h.total)}")
    tier = candidate.fix.applicability
    parts.append(TIER_WORDS.get(tier, f"Ruff: {tier}"))
    said = " · ".join(parts)
    return said[:1].upper() + said[1:]


def kept_words(evidence: Evidence, rule: str, family: str) -> str | None:
    """`kept in 97 % of 1,234 such fixes in 52 projects`; for a rule with few mined fixes, its
    family's (`kept in 91 % of 2,340 SIM fixes in 40 projects (only 12 were SIM300)`) or every
    rule's; None when there is nothing to count."""
    b = evidence.for_rule(rule, family)
    t = b.tally
    if t.events == 0:
        return None
    rate = f"kept in {share(t.kept, t.events)}"
    where = f"in {plural(t.projects, 'project')}"
    if b.scope == RULE:
        return f"{rate} of {plural(t.events, 'such fix', 'such fixes')} {where}"
    what = f"{family} fixes" if b.scope == FAMILY else "fixes of all rules"
    if b.rule_events == 0:
        own = f"none were {rule}"
    else:
        own = f"only {number(b.rule_events)} {'was' if b.rule_events == 1 else 'were'} {rule}"
    return f"{rate} of {number(t.events)} {what} {where} ({own})"


def log_odds_rows(
    candidate: Candidate, model: TrustModel, e: Explanation | None = None
) -> tuple[list[tuple[str, float]], float]:
    """The exact arithmetic of a score: the start (the mean mined fix), each group of features,
    the user's record; they add up to the returned total, the score's log-odds. `e` is the
    model's explanation of the candidate, when the caller has it already."""
    e = e or model.explain(candidate.row)
    order = [*(g for g in GROUPS if g in e.groups), *(g for g in e.groups if g not in GROUPS)]
    rows = [(START, e.base), *((GROUPS.get(g, g), e.groups[g]) for g in order)]
    if candidate.personal and candidate.history is not None:
        h = candidate.history
        rows.append((f"your record (kept {h.kept} of {h.total})", candidate.personal))
    return rows, e.logit + candidate.personal


def details_part(
    candidate: Candidate,
    model: TrustModel,
    record: str | None,
    style: str = LIST,
    e: Explanation | None = None,
) -> list[str]:
    """The exact log-odds behind a score, for whoever wants the arithmetic.

    `HTML` — a collapsed `<details>` holding a table: for clients that render HTML in hover
    Markdown (VS Code, whose extension asks for it and says so in
    `experimental.surefix.hoverHtml`). Closed, it is one line, so the main part fits the hover.

    `LIST` — for everyone else, Neovim first. Neovim shows hover Markdown as text with syntax
    highlighting: HTML tags stay literal, nothing collapses, and a table is raw pipes. So the
    details come last, after the main part, under an italic caption (not a `---` rule: that
    already separates the fixes of one hover), as a short list of `label +1.23` lines that reads
    as well unrendered. Each is an exact term; the last is their sum.
    """
    rows, total = log_odds_rows(candidate, model, e)
    p = candidate.score if candidate.score is not None else 0.0
    given = f"P(you keep this fix) = {p:.3f} · model `{model.version}`"
    closing = [f"total {total:+.2f} (= {percent(candidate.score)})"]
    tail = [record] if record else []
    if style == HTML:
        return [
            "<details><summary>The exact arithmetic (log-odds)</summary>",
            "",
            given,
            "",
            "| | log-odds |",
            "| --- | ---: |",
            *(f"| {label} | {value:+.2f} |" for label, value in rows),
            f"| **total** (= {percent(candidate.score)}) | **{total:+.2f}** |",
            *(["", *tail] if tail else []),
            "",
            "</details>",
        ]
    return [
        f"*The exact arithmetic, in log-odds* · {given}",
        *(f"- {label} {value:+.2f}" for label, value in rows),
        *(f"- {line}" for line in closing),
        *(["", *tail] if tail else []),
    ]


def explanation_lines(model: TrustModel, candidate: Candidate) -> list[str]:
    """`surefix check --explain`: the evidence and the reasons, as hover's main part says them."""
    said = reasons(model.explain(candidate.row), candidate.row, candidate.personal)
    return [evidence_words(candidate, model), *(f"- {r.direction}: {r.text}" for r in said)]


def nothing_applied(name: str, held: Sequence[tuple[Candidate, str]]) -> str:
    """Why apply-all-trusted would change nothing in the file `name`: the fixes it holds back,
    by reason, commonest first — what an editor shows for a fix-all that did nothing, where a
    bare "nothing to fix" would hide the fixes still offered one by one."""
    if not held:
        return f"fix-all on {name} has nothing to apply: Ruff offers no fix there"
    grouped = held_by_reason(held)
    parts = [f"{rules} ({reason})" for reason, rules in grouped[:3]]
    more = len(grouped) - 3
    rest = f"; {more} other reason{'s' if more > 1 else ''}" if more > 0 else ""
    fixes = f"{len(held)} fix{'es' if len(held) > 1 else ''}"
    return f"fix-all on {name} applied nothing: {fixes} held back: " + "; ".join(parts) + rest


def held_lines(run: FixRun) -> list[str]:
    """`    not applied (this project does not select SIM300): SIM300 x57`, one line per
    reason, commonest first: what `surefix fix` and the fix-all log say of the fixes left."""
    return [f"    not applied ({reason}): {rules}" for reason, rules in held_by_reason(run.held)]


def held_by_reason(held: Sequence[tuple[Candidate, str]]) -> list[tuple[str, str]]:
    """(reason, `SIM300 x57, UP031`) for the fixes held back, the commonest reason first."""
    by_reason: dict[str, Counter[str]] = {}
    for c, reason in held:
        by_reason.setdefault(reason, Counter())[c.violation.rule] += 1
    return [
        (reason, ", ".join(rule if n == 1 else f"{rule} x{n}" for rule, n in sorted(rules.items())))
        for reason, rules in sorted(by_reason.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]


def rule_doc_markdown(code: str, doc: RuleDoc | None, version: str, reader: str | None) -> str:
    """One code of a `# noqa` explained as Ruff's server does on hover: the rule's name and
    code, what it checks (the first paragraph of Ruff's "What it does") and whether Ruff can fix
    it, in Ruff's own words, with a link to its page. Plain Markdown, no table and no HTML, so
    Neovim shows it as it is. A code the Ruff in use does not know is said to be none of its
    rules, naming the tool of the project that reads it (`reader`) when there is one."""
    if doc is None:
        why = f"{reader} reads it" if reader else f"Ruff {version} has no rule {code}"
        return f"**{code}**: not a Ruff rule ({why})."
    head = f"**{doc.name} ({doc.code})**" + (f" · {doc.linter}" if doc.linter else "")
    lines = [f"{head} · [Ruff's documentation]({doc.url})", ""]
    if doc.what:
        lines += [doc.what, ""]
    if doc.preview:
        lines += ["This rule is in preview and is not stable.", ""]
    lines.append(doc.fix or "Ruff does not say whether it can fix this rule.")
    return "\n".join(lines)


def suggestion_reason(pattern: Pattern, place: str | None) -> str:
    """Why a Ruff setting is suggested, from the counts behind it: `you undid, rejected or
    silenced 10 of 10 F841 fixes under `tests/`, and kept 3 of 3 elsewhere`."""
    rule, inside = pattern.rule, pattern.inside
    if pattern.setting == IGNORES:
        said = (
            f"you undid, rejected or silenced {number(inside.hits)} of {number(inside.total)} "
            f"{rule} fixes under `{place}`"
        )
        out = pattern.outside
        if out is not None and out.total:
            said += f", and kept {number(out.total - out.hits)} of {number(out.total)} elsewhere"
        return said
    if pattern.setting == UNFIXABLE:
        kept = inside.total - inside.hits
        return (
            f"you kept {number(kept) if kept else 'none'} of your {number(inside.total)} "
            f"{rule} fixes in this project"
        )
    return f"you kept {number(inside.hits)} of your {number(inside.total)} unsafe {rule} fixes"


def suggestion_markdown(reason: str, setting: str, table: str, file: str, action: str) -> str:
    """A suggested setting in a hover: why, what would be written where, and how."""
    return (
        f"**Suggested Ruff configuration** · {reason[:1].upper()}{reason[1:]}: "
        f"`{setting}` in `{table}` of `{file}`. The quick fix *{action}* shows the change "
        "before it is written."
    )
