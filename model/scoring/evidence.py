"""What the training data says about each rule, in counts a person can check.

A trust score is a model's opinion; the evidence under it is how often fixes of the same rule
were kept in the mined projects. The artifact carries it per rule, per rule family and overall
(`Evidence`: events, kept, distinct projects), and hover and `surefix check --explain` lead with
it ("Kept in 97 % of 1,234 such fixes in 52 projects"). A rule with fewer than `MIN_EVENTS`
events speaks through its family, and a family with too few through all rules (`Evidence.for_rule`):
a keep rate over a dozen fixes says little. These are raw counts, not the model's smoothed
rates, so they can be read back from the events table. An artifact written before the section
existed has none, and the phrase is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MIN_EVENTS = 30  # events a keep rate needs before hover quotes it for the rule (or family) alone
RULE, FAMILY, OVERALL = "rule", "family", "overall"


@dataclass(frozen=True)
class Tally:
    """Mined fixes of one rule, one family or all of them: how many, how many kept, in how many
    projects."""

    events: int
    kept: int
    projects: int

    def to_dict(self) -> dict[str, int]:
        return {"events": self.events, "kept": self.kept, "projects": self.projects}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tally:
        tally = cls(int(data["events"]), int(data["kept"]), int(data["projects"]))
        if not (0 <= tally.kept <= tally.events and 0 <= tally.projects <= tally.events):
            raise ValueError(f"evidence counts are inconsistent: {tally.to_dict()}")
        return tally


@dataclass(frozen=True)
class Backing:
    """The tally a score is quoted against: the rule's own (`scope` "rule"), its family's or
    everything's, with how many of those events were the rule itself."""

    scope: str
    name: str  # the rule, the family, or "" for all rules
    tally: Tally
    rule_events: int


@dataclass(frozen=True)
class Evidence:
    overall: Tally
    families: dict[str, Tally] = field(default_factory=dict)
    rules: dict[str, Tally] = field(default_factory=dict)

    def for_rule(self, rule: str, family: str, min_events: int = MIN_EVENTS) -> Backing:
        """The narrowest tally with at least `min_events` events: the rule, its family, or
        every rule."""
        own = self.rules.get(rule)
        n = own.events if own else 0
        if own is not None and own.events >= min_events:
            return Backing(RULE, rule, own, n)
        kin = self.families.get(family)
        if kin is not None and kin.events >= min_events:
            return Backing(FAMILY, family, kin, n)
        return Backing(OVERALL, "", self.overall, n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "families": {k: v.to_dict() for k, v in sorted(self.families.items())},
            "rules": {k: v.to_dict() for k, v in sorted(self.rules.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(
            overall=Tally.from_dict(data["overall"]),
            families={str(k): Tally.from_dict(v) for k, v in data.get("families", {}).items()},
            rules={str(k): Tally.from_dict(v) for k, v in data.get("rules", {}).items()},
        )


def count_evidence(
    rules: Iterable[str], families: Iterable[str], labels: Iterable[int], repos: Iterable[str]
) -> Evidence:
    """Per-rule, per-family and overall counts of aligned training columns (one item per
    event; a label of 1 is kept)."""
    counts: dict[tuple[str, str], list[Any]] = {}  # (scope, key) -> [events, kept, projects]
    for rule, family, label, repo in zip(rules, families, labels, repos, strict=True):
        for key in ((RULE, rule), (FAMILY, family), (OVERALL, "")):
            entry = counts.setdefault(key, [0, 0, set()])
            entry[0] += 1
            entry[1] += int(label)
            entry[2].add(repo)

    def tally(key: tuple[str, str]) -> Tally:
        events, kept, projects = counts.get(key, (0, 0, set()))
        return Tally(events, kept, len(projects))

    return Evidence(
        overall=tally((OVERALL, "")),
        families={k: tally((s, k)) for s, k in counts if s == FAMILY},
        rules={k: tally((s, k)) for s, k in counts if s == RULE},
    )
