"""Ruff settings the user's own record asks for: which rule's fixes they never keep (anywhere, or
under one folder), and which unsafe fixes they always keep.

The record is the outcome store's rows for the rules at hand (`Decision`: rule, outcome, Ruff's
tier, and the salted hashes of the folders above the file). A folder is only ever a hash here;
the server, which knows the open file's path, hashes its folders the same way to ask about
them, and turns a pattern back into a glob.

Three settings, each from its own count:

* `per-file-ignores` for one folder: there the user rejects the rule's fixes (undone, "this fix
  is wrong", silenced with `# noqa`, or the fix broke the file), and outside it they do not. A
  violation resolved by hand counts as kept: the user wanted the rule, just not Ruff's fix.
* `unfixable`: the user keeps almost none of the rule's fixes in the project (whatever became
  of them, only `accepted` is kept), and no one folder explains it.
* `extend-safe-fixes`: the user keeps Ruff's *unsafe* fix of the rule nearly every time.

Why these thresholds. A setting is written into a file the whole project shares, and then acts
on every future violation, so it rests on the user's record only where chance is an unlikely
explanation: at least `MIN_EVENTS` outcomes (the same count a rule needs before the user's
rejections can demote it, `demotion.DEMOTION_MIN_OUTCOMES`), and a 95 % Wilson interval for the
rate (`wilson`) that lies wholly past a level. The Wilson interval stays inside [0, 1] and is
honest at rates near 0 and 1 with a handful of events, where the normal approximation claims
certainty it does not have (10 of 10 gives [0.72, 1], not [1, 1]).

* Rejections: the lower bound above `REJECT_LEVEL` = 1/2, i.e. the user most likely rejects
  more of these fixes than they keep — where keeping and rejecting cost the same, that is the
  point from which offering the fix does more harm than good. 9 of 10 rejected passes (0.60);
  8 of 10 does not (0.49).
* A folder stands out when its rejection interval and that of the rest of the project do not
  overlap (the rest's upper bound is below the folder's lower bound): a cautious two-sample
  test that also needs evidence outside it (10 of 10 rejected in the folder against 2 of 2
  kept elsewhere is enough, against 1 of 1 it is not), so outcomes seen only in one folder
  suggest no per-file ignore (they say nothing about the rest) but may suggest `unfixable`.
* Safe: the lower bound of the keep rate above `SAFE_LEVEL` = 0.8. A safe fix is one Ruff (and
  surefix's autopilot, which auto-applies fixes from about 0.82 of predicted keep rate) may
  apply unasked; the user's record must show, with 95 % confidence, that they keep such a fix at
  least that often: 16 of 16 kept passes, 15 of 15 does not, one rejection needs 24 of 25.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

UNFIXABLE, IGNORES, SAFE = "unfixable", "per-file-ignores", "extend-safe-fixes"
SETTINGS = (UNFIXABLE, IGNORES, SAFE)
Z = 1.96  # a two-sided 95 % interval
MIN_EVENTS = 10
REJECT_LEVEL = 0.5
SAFE_LEVEL = 0.8
KEPT_FIX = frozenset({"accepted"})
KEPT_RULE = frozenset({"accepted", "resolved-otherwise"})  # the violation mattered to the user


@dataclass(frozen=True)
class Decision:
    """One stored outcome as the pattern finder reads it."""

    rule: str
    outcome: str
    applicability: str  # Ruff's tier when it was offered; "none" for a violation without a fix
    folders: frozenset[str]  # hashes of the file's folder and those above it


def wilson(hits: int, total: int, z: float = Z) -> tuple[float, float]:
    """The Wilson score interval of the rate `hits / total`; (0, 1) with no events."""
    if total <= 0:
        return 0.0, 1.0
    p = hits / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    scale = 1 + z * z / total
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


@dataclass(frozen=True)
class Count:
    """`hits` of `total` outcomes, with the Wilson interval of their rate."""

    hits: int
    total: int

    @property
    def low(self) -> float:
        return wilson(self.hits, self.total)[0]

    @property
    def high(self) -> float:
        return wilson(self.hits, self.total)[1]

    def clearly_above(self, level: float) -> bool:
        return self.total >= MIN_EVENTS and self.low > level


@dataclass(frozen=True)
class Pattern:
    """A setting the record asks for. `scope` is the hash of the folder it holds in: the
    folder a per-file ignore names, else the folder of the configuration it goes into.
    `inside` counts what the setting answers (rejections, or unsafe fixes kept) where it holds;
    `outside`, for a per-file ignore, the same count in the rest of the project."""

    setting: str
    rule: str
    scope: str
    inside: Count
    outside: Count | None = None

    @property
    def key(self) -> str:
        """What the store keeps of a user's answer to it: hashes only, no folder's name."""
        return f"{self.setting}:{self.rule}:{self.scope}"


def patterns(
    decisions: Iterable[Decision], rule: str, project: str, folders: Sequence[str]
) -> list[Pattern]:
    """The settings `rule`'s record asks for in the project whose configuration lives in the
    folder hashed `project`. `folders` are the hashes of the folders of the file at hand below
    that one, outermost first: the candidates for a per-file ignore (the outermost that stands
    out wins, so `tests/` rather than `tests/unit/` when all of `tests/` is alike). A per-file
    ignore and `unfixable` exclude each other: the first says the rest of the project keeps
    the fixes."""
    mine = [d for d in decisions if d.rule == rule and project in d.folders]
    found: list[Pattern] = []
    ignore = _folder_pattern(mine, rule, folders)
    if ignore is not None:
        found.append(ignore)
    else:
        fixes = [d for d in mine if d.applicability != "none"]
        never = Count(sum(d.outcome not in KEPT_FIX for d in fixes), len(fixes))
        if never.clearly_above(REJECT_LEVEL):
            found.append(Pattern(UNFIXABLE, rule, project, never))
    unsafe = [d for d in mine if d.applicability == "unsafe"]
    kept = Count(sum(d.outcome in KEPT_FIX for d in unsafe), len(unsafe))
    if kept.clearly_above(SAFE_LEVEL):
        found.append(Pattern(SAFE, rule, project, kept))
    return found


def _folder_pattern(mine: Sequence[Decision], rule: str, folders: Sequence[str]) -> Pattern | None:
    for folder in folders:
        inside = _rejections(d for d in mine if folder in d.folders)
        outside = _rejections(d for d in mine if folder not in d.folders)
        if inside.clearly_above(REJECT_LEVEL) and outside.high < inside.low:
            return Pattern(IGNORES, rule, folder, inside, outside)
    return None


def _rejections(decisions: Iterable[Decision]) -> Count:
    seen = list(decisions)
    return Count(sum(d.outcome not in KEPT_RULE for d in seen), len(seen))
