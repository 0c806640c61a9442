"""One feature row per candidate fix: the only description of a fix the trust model ever sees.

The same function serves the history miner (rows for training), the CLI and the language server
(rows for scoring), so what the model learned from is exactly what it is asked about. Rows carry
`SCHEMA_VERSION`; a model trained on another schema refuses them. Every feature has plain words
(`label`) and a group, which is what hover explanations show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from surefix.features.document import Document
from surefix.features.project.facts import ProjectFacts
from surefix.features.ruff.edits import LineIndex
from surefix.features.ruff.findings import Fix, Violation

SCHEMA_VERSION = 2

Row = dict[str, float | str]


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    kind: str  # "categorical" or "numeric"
    group: str
    label: str


GROUPS = {
    "rule": "the rule",
    "tier": "Ruff's safety tier",
    "edit": "the shape of the edit",
    "location": "where the code sits",
    "file": "the file",
    "project": "the project",
    "history": "your history with this rule",
}

FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("rule", "categorical", "rule", "rule"),
    FeatureSpec("family", "categorical", "rule", "rule family"),
    FeatureSpec("applicability", "categorical", "tier", "Ruff's fix safety"),
    FeatureSpec("fix_edits", "numeric", "edit", "separate edits in the fix"),
    FeatureSpec("fix_lines_removed", "numeric", "edit", "lines the fix removes"),
    FeatureSpec("fix_lines_added", "numeric", "edit", "lines the fix adds"),
    FeatureSpec("fix_chars_removed", "numeric", "edit", "characters the fix removes"),
    FeatureSpec("fix_chars_added", "numeric", "edit", "characters the fix adds"),
    FeatureSpec("fix_span_lines", "numeric", "edit", "lines between the fix's first and last edit"),
    FeatureSpec("fix_whitespace_only", "numeric", "edit", "the fix changes only whitespace"),
    FeatureSpec("fix_deletion_only", "numeric", "edit", "the fix only deletes"),
    FeatureSpec("fix_insertion_only", "numeric", "edit", "the fix only inserts"),
    FeatureSpec("fix_removes_lines", "numeric", "edit", "the fix deletes whole lines"),
    FeatureSpec("fix_touches_import", "numeric", "edit", "the fix edits an import"),
    FeatureSpec("fix_far_edit", "numeric", "edit", "the fix edits far from the problem"),
    FeatureSpec("loc_scope", "categorical", "location", "enclosing scope"),
    FeatureSpec("loc_nesting", "numeric", "location", "nesting depth"),
    FeatureSpec("loc_relative_line", "numeric", "location", "position in the file"),
    FeatureSpec("loc_multiline", "numeric", "location", "the flagged code spans several lines"),
    FeatureSpec("file_lines", "numeric", "file", "file length"),
    FeatureSpec("file_fixable_per_100", "numeric", "file", "fixable violations per 100 lines"),
    FeatureSpec("file_same_rule", "numeric", "file", "other violations of this rule in the file"),
    FeatureSpec("file_same_family", "numeric", "file", "violations of this family in the file"),
    FeatureSpec("file_noqa", "numeric", "file", "`# noqa` comments in the file"),
    FeatureSpec("file_is_test", "numeric", "file", "a test file"),
    FeatureSpec("file_is_init", "numeric", "file", "an `__init__.py`"),
    FeatureSpec("project_ruff_config", "numeric", "project", "the project configures Ruff"),
    FeatureSpec("project_choice", "categorical", "project", "how the project selects this rule"),
    FeatureSpec("project_formatter", "categorical", "project", "the project's formatter"),
    FeatureSpec(
        "project_formatter_conflict", "numeric", "project", "the formatter re-lays this rule's fix"
    ),
    FeatureSpec("project_line_length", "numeric", "project", "the project's line length"),
    FeatureSpec("project_target_minor", "numeric", "project", "the oldest Python 3 it supports"),
    FeatureSpec("history_rate", "numeric", "history", "your keep rate for this rule"),
    FeatureSpec("history_n", "numeric", "history", "your past decisions on this rule"),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
CATEGORICAL = tuple(f.name for f in FEATURES if f.kind == "categorical")
NUMERIC = tuple(f.name for f in FEATURES if f.kind == "numeric")

# Prior for the Beta-smoothed keep rate: most fixes of most rules are kept, so an unknown rule
# starts near the overall keep rate and needs a few decisions before it moves far.
HISTORY_PRIOR_MEAN = 0.85
HISTORY_PRIOR_STRENGTH = 4.0


@dataclass(frozen=True)
class RuleHistory:
    """Past decisions on one rule, counted strictly before the fix being scored."""

    kept: int = 0
    total: int = 0

    @property
    def rate(self) -> float:
        prior = HISTORY_PRIOR_MEAN * HISTORY_PRIOR_STRENGTH
        return (self.kept + prior) / (self.total + HISTORY_PRIOR_STRENGTH)


@dataclass(frozen=True)
class FileContext:
    """Per-file numbers shared by every row of one document version (computed once).

    Counts cover fixable violations only: which non-fixable rules run depends on the rule
    selection (the miner selects ALL, a project far fewer), so counting them would make the same
    file look different in training and in the editor.
    """

    document: Document
    rule_counts: Counter[str]
    family_counts: Counter[str]
    violations: int
    noqa: int
    facts: ProjectFacts

    @classmethod
    def build(
        cls, document: Document, violations: Sequence[Violation], facts: ProjectFacts
    ) -> FileContext:
        fixable = [v for v in violations if v.fix is not None]
        return cls(
            document=document,
            rule_counts=Counter(v.rule for v in fixable),
            family_counts=Counter(v.family for v in fixable),
            violations=len(fixable),
            noqa=document.noqa_count(),
            facts=facts,
        )


def featurize(
    ctx: FileContext,
    violation: Violation,
    fix: Fix,
    history: RuleHistory | None = None,
) -> Row:
    """The feature row of `fix` for `violation` in the document described by `ctx`."""
    doc = ctx.document
    history = history or RuleHistory()
    lines = max(doc.line_count, 1)
    location = doc.location(violation.start.line)
    row: Row = {
        "rule": violation.rule,
        "family": violation.family,
        "applicability": fix.applicability,
        **edit_shape(doc, violation, fix, doc.index),
        "loc_scope": location.scope,
        "loc_nesting": float(location.nesting),
        "loc_relative_line": violation.start.line / lines,
        "loc_multiline": float(violation.end.line > violation.start.line),
        "file_lines": float(doc.line_count),
        "file_fixable_per_100": 100.0 * ctx.violations / lines,
        "file_same_rule": float(max(ctx.rule_counts[violation.rule] - 1, 0)),
        "file_same_family": float(max(ctx.family_counts[violation.family] - 1, 0)),
        "file_noqa": float(ctx.noqa),
        "file_is_test": float(doc.is_test),
        "file_is_init": float(doc.is_init),
        **project_row(ctx.facts, violation.rule),
        "history_rate": history.rate,
        "history_n": float(history.total),
    }
    return row


# Ruff's own default when nothing says which Pythons a project supports.
DEFAULT_TARGET_MINOR = 9


def project_row(facts: ProjectFacts, rule: str) -> Row:
    """What the project's configuration says about `rule` (`ProjectFacts`): the miner reads
    the facts at each mined commit, the server for the open file's project."""
    target = facts.target_version or ""
    minor = int(target[3:]) if target[:3] == "py3" and target[3:].isdigit() else None
    return {
        "project_ruff_config": float(facts.configured),
        "project_choice": facts.choice(rule),
        "project_formatter": facts.formatter or "none",
        "project_formatter_conflict": float(facts.conflicts_with_formatter(rule)),
        "project_line_length": float(facts.line_length),
        "project_target_minor": float(minor if minor is not None else DEFAULT_TARGET_MINOR),
    }


def edit_shape(doc: Document, violation: Violation, fix: Fix, index: LineIndex) -> Row:
    """Size and kind of the change a fix makes, measured on the text it would replace."""
    removed_chars = added_chars = removed_lines = added_lines = 0
    whitespace_only = deletion_only = insertion_only = True
    removes_lines = touches_import = far = False
    for edit in fix.edits:
        old = doc.text[index.offset(edit.start) : index.offset(edit.end)]
        new = edit.content
        removed_chars += len(old)
        added_chars += len(new)
        removed_lines += old.count("\n")
        added_lines += new.count("\n")
        whitespace_only &= not old.strip() and not new.strip()
        deletion_only &= not new
        insertion_only &= not old
        removes_lines |= not new and old.count("\n") > 0 and edit.start.column == 0
        touches_import |= "import " in new or doc.import_between(edit.start.line, edit.end.line)
        far |= abs(edit.start.line - violation.start.line) > 3
    first = min(e.start.line for e in fix.edits)
    last = max(e.end.line for e in fix.edits)
    return {
        "fix_edits": float(len(fix.edits)),
        "fix_lines_removed": float(removed_lines),
        "fix_lines_added": float(added_lines),
        "fix_chars_removed": float(removed_chars),
        "fix_chars_added": float(added_chars),
        "fix_span_lines": float(last - first),
        "fix_whitespace_only": float(whitespace_only),
        "fix_deletion_only": float(deletion_only),
        "fix_insertion_only": float(insertion_only),
        "fix_removes_lines": float(removes_lines),
        "fix_touches_import": float(touches_import),
        "fix_far_edit": float(far),
    }
