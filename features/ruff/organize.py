"""Organize imports: Ruff's import rules, and only them, applied to a fixed point.

As Ruff's own server organizes imports: I001 (unsorted imports, laid out by the project's isort
settings) and I002 (the project's `isort.required-imports`), whether or not the project selects
them, since someone who asks to organize imports wants them organized; a `# noqa: I001`, a
per-file ignore or `unfixable` still keeps a block as it is. F401's fix (unused imports) only
when the user asks for it: deleting an import is a choice, not a layout. Only fixes Ruff calls
safe are applied (an unused import in `__init__.py` is a re-export, its F401 fix unsafe), and a
round that would leave a syntax error is not taken.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from surefix.features.ruff.edits import apply_edits, non_overlapping
from surefix.features.ruff.findings import Edit, LintResult, Violation

IMPORT_RULES = ("I001", "I002")
UNUSED_IMPORT = "F401"
MAX_ROUNDS = 10  # removing an unused import can unsort a block: two or three rounds settle it


@dataclass(frozen=True)
class Organized:
    """What organizing did: the new text and the fixes applied, or — for a text with a syntax
    error — nothing, and the first error (`unparsable`)."""

    text: str
    applied: tuple[Violation, ...] = ()
    unparsable: Violation | None = None


def organize_rules(remove_unused: bool) -> tuple[str, ...]:
    """The rules organize imports runs: the import rules, and F401 when asked to."""
    return (*IMPORT_RULES, UNUSED_IMPORT) if remove_unused else IMPORT_RULES


def organize(
    text: str,
    lint: Callable[[str], LintResult],
    rules: Collection[str],
    max_rounds: int = MAX_ROUNDS,
) -> Organized:
    """Apply the safe fixes of `rules` that `lint` (Ruff, selecting those rules) reports on
    `text`, round after round, until none is left."""
    result = lint(text)
    if result.errors:
        return Organized(text, unparsable=result.errors[0])
    applied: list[Violation] = []
    for _ in range(max_rounds):
        chosen = non_overlapping((v for v in result.violations if _organizes(v, rules)), _edits_of)
        fixed = apply_edits(text, [e for v in chosen for e in _edits_of(v)])
        if not chosen or fixed == text:
            break
        after = lint(fixed)
        if after.errors:  # a fix Ruff got wrong: keep the text as it was before the round
            break
        applied += chosen
        text, result = fixed, after
    return Organized(text, tuple(applied))


def _organizes(v: Violation, rules: Collection[str]) -> bool:
    return v.rule in rules and v.fix is not None and v.fix.applicability == "safe"


def _edits_of(v: Violation) -> tuple[Edit, ...]:
    return v.fix.edits if v.fix is not None else ()
