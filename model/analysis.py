"""One analysis of one document version: Ruff's violations, their fixes, scores and bands.

Everything that shows a score — `trustfix check`, `trustfix fix`, the language server — goes
through `analyze`, so the number a user sees in the terminal is the one the editor shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..features.document import Document
from ..features.featurize import FileContext, Row, RuleHistory, featurize
from ..features.project import options_for
from ..features.ruff import Fix, LineIndex, LintResult, RuffOptions, Violation, lint_text
from .artifact import Thresholds
from .scorer import TrustModel

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


@dataclass(frozen=True)
class Analysis:
    """Everything known about one version of a file; `text` is the version it describes."""

    path: str
    text: str
    violations: tuple[Violation, ...]
    candidates: tuple[Candidate, ...]
    errors: tuple[Violation, ...]
    project_ruff_config: bool
    model_version: str | None

    @property
    def syntax_errors(self) -> int:
        return len(self.errors)


def band_of(score: float, applicability: str, thresholds: Thresholds) -> str:
    """Auto-apply needs a high score *and* Ruff's own promise that the fix is safe."""
    if score >= thresholds.auto and applicability == "safe":
        return AUTO
    return REVIEW if score >= thresholds.review else MANUAL


@dataclass(frozen=True)
class Linted:
    """Ruff's findings for one text, before any scoring: enough to publish diagnostics."""

    result: LintResult
    project_ruff_config: bool


def lint(
    text: str, path: Path, ruff: RuffOptions | None = None, default_select: Sequence[str] = ()
) -> Linted:
    """Lint `text` as the file at `path`: its project's Ruff config applies, or the default."""
    options, configured = options_for(path, ruff, default_select)
    where = path.resolve()
    cwd = str(where.parent) if where.parent.is_dir() else None  # Ruff resolves config from here
    return Linted(lint_text(text, str(where), options, cwd=cwd), configured)


def assess(
    text: str,
    path: Path,
    linted: Linted,
    model: TrustModel | None,
    history: Callable[[str], RuleHistory] | None = None,
    thresholds: Thresholds | None = None,
) -> Analysis:
    """Featurize and score every fix Ruff offered. Without a model every fix is `UNSCORED`:
    still offered, never applied automatically."""
    result, configured = linted.result, linted.project_ruff_config
    document = Document(text, str(path))
    ctx = FileContext.build(document, result.violations, configured)
    index = LineIndex(text)
    fixable = [(v, v.fix) for v in result.violations if v.fix is not None]
    rows = [
        featurize(ctx, v, fix, history(v.rule) if history else None, index) for v, fix in fixable
    ]
    if model is None:
        candidates = tuple(
            Candidate(v, fix, row, None, UNSCORED)
            for (v, fix), row in zip(fixable, rows, strict=True)
        )
    else:
        scores = model.score(rows) if rows else np.zeros(0)
        limits = thresholds or model.thresholds
        candidates = tuple(
            Candidate(v, fix, row, float(s), band_of(float(s), fix.applicability, limits))
            for (v, fix), row, s in zip(fixable, rows, scores, strict=True)
        )
    return Analysis(
        path=str(path),
        text=text,
        violations=result.violations,
        candidates=candidates,
        errors=result.errors,
        project_ruff_config=configured,
        model_version=model.version if model is not None else None,
    )


def analyze(
    text: str,
    path: Path,
    model: TrustModel | None,
    ruff: RuffOptions | None = None,
    history: Callable[[str], RuleHistory] | None = None,
    thresholds: Thresholds | None = None,
    default_select: Sequence[str] = (),
) -> Analysis:
    """Lint `text` as the file at `path` and score every fix: `lint` then `assess`."""
    linted = lint(text, path, ruff, default_select)
    return assess(text, path, linted, model, history, thresholds)


def ranked(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Most trusted first; unscored fixes last, in file order."""
    return sorted(
        candidates, key=lambda c: (-(c.score if c.score is not None else -1.0), c.violation.start)
    )
