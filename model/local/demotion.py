"""Which rules this user has taken out of the auto-apply band, and why, in words.

Three signals, any one enough: saying a rule's fix is wrong (at once, unless the user turned that
off), undoing its fixes `undo_limit` times (each undo is one decision, however many fixes it
reverted), and the statistical rule — at least 10 % of at least `min_outcomes` outcomes negative.
"Trust RULE again" is a mark too: everything before the last one stops counting, so the user's
word reverses the band at once and only new evidence can demote the rule again. Scores are not
reset by it: the user's record still moves them (see `analysis.personal_shift`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from surefix.model.local.store import NEGATIVE

WRONG, UNDONE, TRUSTED = "wrong", "undone", "trusted"
DEMOTION_RATE = 0.10
DEMOTION_MIN_OUTCOMES = 10  # the default of the `surefix.demotionMinOutcomes` setting
UNDO_LIMIT = 2  # the default of the `surefix.undoLimit` setting


@dataclass(frozen=True)
class Policy:
    """How much it takes, from the settings."""

    min_outcomes: int = DEMOTION_MIN_OUTCOMES
    undo_limit: int = UNDO_LIMIT  # 0: undoing never demotes a rule by itself
    wrong_demotes: bool = True


def demotions(
    records: Mapping[str, Mapping[str, int]],
    marks: Mapping[str, Sequence[tuple[float, str]]],
    policy: Policy,
) -> dict[str, str]:
    """Demoted rules with the reason. `records` are outcome counts since each rule was last
    trusted again (`Store.records_since_trusted`), `marks` every mark per rule, oldest first."""
    out: dict[str, str] = {}
    for rule in set(records) | set(marks):
        reason = _reason(rule, records.get(rule, {}), _since_trusted(marks.get(rule, ())), policy)
        if reason:
            out[rule] = reason
    return out


def _since_trusted(marks: Sequence[tuple[float, str]]) -> list[str]:
    kinds = [kind for _, kind in marks]
    last = max((i for i, kind in enumerate(kinds) if kind == TRUSTED), default=-1)
    return kinds[last + 1 :]


def _reason(rule: str, counts: Mapping[str, int], marks: list[str], policy: Policy) -> str | None:
    if policy.wrong_demotes and WRONG in marks:
        return f"you said a {rule} fix was wrong"
    undos = marks.count(UNDONE)
    if policy.undo_limit and undos >= policy.undo_limit:
        return f"you undid {rule} fixes {undos} times"
    total = sum(counts.values())
    rejected = sum(counts.get(k, 0) for k in NEGATIVE)
    if total >= max(policy.min_outcomes, 1) and rejected / total >= DEMOTION_RATE:
        return f"you rejected {rejected} of {total} {rule} fixes"
    return None
