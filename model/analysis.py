"""One analysis of one document version: Ruff's violations, their fixes, scores and bands.

Everything that shows a score — `surefix check`, `surefix fix`, the language server — goes
through `analyze`, so the number a user sees in the terminal is the one the editor shows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from math import floor
from pathlib import Path
from typing import TYPE_CHECKING

from surefix.features.document import Document
from surefix.features.featurize import HISTORY_PRIOR_MEAN, FileContext, Row, RuleHistory, featurize
from surefix.features.project.facts import ProjectFacts, project_facts
from surefix.features.project.root import resolved
from surefix.features.ruff.edits import longest_new_line
from surefix.features.ruff.findings import Fix, LintResult, Violation
from surefix.features.ruff.noqa import removed_codes
from surefix.features.ruff.notebook import Cells
from surefix.features.ruff.project import run_for
from surefix.features.ruff.run import RuffOptions, default_rules, lint_notebook, lint_text
from surefix.model.scoring.artifact import Thresholds
from surefix.model.scoring.scorer import TrustModel, sigmoid

if TYPE_CHECKING:
    import numpy as np
else:
    from surefix.model.lazy_numpy import np

# Rules whose new findings after a fix mean the fix broke the code: a name it removed is still
# used. Any other finding a fix leaves is a consequence, not a fault: rewriting `Optional[str]`
# as `str | None` leaves `Optional` imported and unused (F401), which its own fix removes.
BREAKING = frozenset({"F821", "F822", "F823"})

AUTO, REVIEW, MANUAL = "auto-apply", "review-suggested", "manual-only"
UNSCORED = "unscored"  # no model could be loaded: Ruff's tier is all there is, nothing is automatic


@dataclass(frozen=True)
class Candidate:
    """A fix offered for a violation, with what the model thinks of it."""

    violation: Violation
    fix: Fix
    row: Row
    score: float | None
    band: str
    personal: float = 0.0  # log-odds this user's record with the rule added to the model's
    history: RuleHistory | None = None
    demoted: str | None = None  # why this rule is never applied automatically for this user
    outside: str | None = None  # why the project's own rules keep this fix from the autopilot

    @property
    def not_automatic(self) -> str | None:
        """Why the user or the project keeps this fix from the autopilot, whatever its score."""
        return self.demoted or self.outside


@dataclass(frozen=True)
class Analysis:
    """Everything known about one version of a file; `text` is the version it describes. For a
    notebook, `text` is its code cells as Ruff joins them, and `cells` the notebook."""

    path: str
    text: str
    violations: tuple[Violation, ...]
    candidates: tuple[Candidate, ...]
    errors: tuple[Violation, ...]
    model_version: str | None
    cells: Cells | None = None

    @property
    def syntax_errors(self) -> int:
        return len(self.errors)

    @cached_property
    def breaking(self) -> Counter[str]:
        """Violations of each `BREAKING` rule, counted once per analysis."""
        return Counter(v.rule for v in self.violations if v.rule in BREAKING)

    def others(self, rule: str) -> int:
        """Violations of `BREAKING` rules other than `rule`: a fix that leaves more of them
        broke the file."""
        return self.breaking.total() - self.breaking[rule]

    @cached_property
    def candidate_of(self) -> dict[int, Candidate]:
        """Each fixable violation's candidate, by the violation's `id`."""
        return {id(c.violation): c for c in self.candidates}


def personal_shift(record: RuleHistory | None) -> float:
    """How far this user's record with a rule moves a score, in log-odds: the Beta-smoothed keep
    rate against the prior it starts from, so no history means no shift and forty undone fixes
    pull a rule far down. Exact and additive, so hover can show it as one more factor."""
    if record is None or record.total == 0:
        return 0.0
    return _logit(record.rate) - _logit(HISTORY_PRIOR_MEAN)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def demote(analysis: Analysis, reasons: Mapping[str, str]) -> Analysis:
    """Take rules this user keeps rejecting out of the auto-apply band (`reasons` by rule)."""
    if not reasons:
        return analysis
    candidates = tuple(
        replace(c, band=REVIEW, demoted=reasons[c.violation.rule])
        if c.band == AUTO and c.violation.rule in reasons
        else c
        for c in analysis.candidates
    )
    return replace(analysis, candidates=candidates)


def outside_reason(facts: ProjectFacts, v: Violation) -> str | None:
    """Why the project itself does not want `v`'s fix applied automatically, if it does not:
    a rule it did not choose, one its formatter undoes, or a `# noqa` another of its tools reads.
    The mined score cannot know any of this: it says how fixes are kept where rules are wanted."""
    reason = facts.why_not(v.rule)
    if reason or v.rule != "RUF100":
        return reason
    if "blanket" in v.message and facts.noqa_tools:  # a bare noqa comment silences every tool
        tools = ", ".join(tool.name for tool in facts.noqa_tools)
        return f"it would remove a bare `# noqa`, which {tools} reads too"
    used = [
        code
        for kind, code in removed_codes(v.message)
        if kind == "unknown" or facts.protects_noqa(code)  # unknown to Ruff: another tool's
    ]
    if used:
        codes = ", ".join(used)
        return f"it would remove `# noqa: {codes}`, which this project's other tools read"
    return None


OFF = ("unselected", "ignored")  # `ProjectFacts.choice` of a rule the project does not check


def too_long(facts: ProjectFacts, v: Violation, lines: Sequence[str]) -> str | None:
    """Why `v`'s fix is not applied automatically where it would make a line longer than the
    project allows — a project that checks line length (E501, flake8's) or lays code out with a
    formatter: the autopilot would leave its check failing, or code its formatter rewrites."""
    if v.fix is None or not (facts.formatter or facts.choice("E501") not in OFF):
        return None
    limit = facts.line_length
    longest = longest_new_line(v.fix.edits, lines, limit)
    if longest is None:
        return None
    return f"it would make a line {longest} characters long, past this project's {limit}"


def band_of(score: float, applicability: str, thresholds: Thresholds) -> str:
    """Auto-apply needs a high score *and* Ruff's own promise that the fix is safe."""
    if score >= thresholds.auto and applicability == "safe":
        return AUTO
    return REVIEW if score >= thresholds.review else MANUAL


@dataclass(frozen=True)
class Linted:
    """Ruff's findings for one text, before any scoring: enough to publish diagnostics. A
    notebook's (`cells`) are in positions of its joined cells."""

    result: LintResult
    facts: ProjectFacts
    cells: Cells | None = None


def lint(
    source: str | Cells,
    path: Path,
    ruff: RuffOptions | None = None,
    default_select: Sequence[str] = (),
    facts: ProjectFacts | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Linted:
    """Lint `source` — a file's text, or a notebook's cells — as the file at `path`, from its
    project's root, as the project runs Ruff: its Ruff configuration, or (without one) the broad
    default plus what its tools declare. A notebook is linted as the `.ipynb` it is: the project
    around it decides its rules as for any file. `meanwhile` runs while Ruff lints a text (after
    it lints a notebook)."""
    facts = facts or project_facts(resolved(path), defaults=default_rules(ruff))
    run = run_for(path, facts, ruff, default_select)
    if isinstance(source, Cells):
        linted = Linted(lint_notebook(source, run.path, run.options, cwd=run.cwd), facts, source)
        if meanwhile is not None:
            meanwhile()
        return linted
    result = lint_text(source, run.path, run.options, cwd=run.cwd, meanwhile=meanwhile)
    return Linted(result, facts)


def assess(
    text: str,
    path: Path,
    linted: Linted,
    model: TrustModel | None,
    history: Callable[[str], RuleHistory] | None = None,
    thresholds: Thresholds | None = None,
    document: Document | None = None,
) -> Analysis:
    """Featurize and score every fix Ruff offered. Without a model every fix is `UNSCORED`:
    still offered, never applied automatically. `document` is `text` already parsed (a fix-all
    round's, `Document.edited`); any other text is parsed here."""
    result = linted.result
    if document is None or document.text != text:
        document = Document(text, str(path)).remember()
    facts = linted.facts
    outside = {
        id(v): outside_reason(facts, v) or too_long(facts, v, document.lines)
        for v in result.violations
        if v.fix
    }
    ctx = FileContext.build(document, result.violations, linted.facts)
    fixable = [(v, v.fix) for v in result.violations if v.fix is not None]
    records = {v.rule: history(v.rule) for v, _ in fixable} if history else {}
    rows = [featurize(ctx, v, fix, records.get(v.rule)) for v, fix in fixable]
    if model is None:
        candidates = tuple(
            Candidate(
                v, fix, row, None, UNSCORED, history=records.get(v.rule), outside=outside[id(v)]
            )
            for (v, fix), row in zip(fixable, rows, strict=True)
        )
    else:
        logits = model.logits(rows) if rows else np.zeros(0)
        limits = thresholds or model.thresholds
        out = []
        for (v, fix), row, logit in zip(fixable, rows, logits, strict=True):
            record = records.get(v.rule)
            shift = personal_shift(record)
            score = float(sigmoid(np.array([logit + shift]))[0])
            band = band_of(score, fix.applicability, limits)
            reason = outside[id(v)]
            if reason and band == AUTO:  # asked for, a fix says it is wanted; automatic, it can't
                band = REVIEW
            out.append(Candidate(v, fix, row, score, band, shift, record, outside=reason))
        candidates = tuple(out)
    return Analysis(
        path=str(path),
        text=text,
        violations=result.violations,
        candidates=candidates,
        errors=result.errors,
        model_version=model.version if model is not None else None,
        cells=linted.cells,
    )


def analyze(
    text: str,
    path: Path,
    model: TrustModel | None,
    ruff: RuffOptions | None = None,
    history: Callable[[str], RuleHistory] | None = None,
    thresholds: Thresholds | None = None,
    default_select: Sequence[str] = (),
    facts: ProjectFacts | None = None,
    parse: Callable[[], Document] | None = None,
) -> Analysis:
    """Lint `text` as the file at `path` and score every fix: `lint` then `assess`. `parse`
    gives `text` parsed (a fix-all round's `Document.edited`, called once): it runs while Ruff
    lints."""
    linted = lint(text, path, ruff, default_select, facts, meanwhile=parse)
    document = parse() if parse is not None else None
    return assess(text, path, linted, model, history, thresholds, document)


def score_percent(score: float) -> int:
    """The whole percent a badge shows, never 0 or 100 (the model is never certain), rounded
    down: a badge never says more than the score, so a 90 % badge is never held back by a
    threshold of 0.9 the score itself is below."""
    return min(99, max(1, floor(100 * score + 1e-9)))


def ranked(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Most trusted first, by the percent the badge shows; fixes whose badges say the same
    percent by rule, then line, then column, so equal badges keep one order however their
    scores jitter in the last digits as the file is edited; unscored fixes last, likewise."""
    return sorted(candidates, key=rank_key)


def rank_key(c: Candidate) -> tuple[int, str, int, int]:
    trust = score_percent(c.score) if c.score is not None else 0
    return (-trust, c.violation.rule, c.violation.start.line, c.violation.start.column)
