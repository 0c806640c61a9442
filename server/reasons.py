"""Why a score is what it is, as plain sentences about this code and this project.

The trust model is additive, so every feature's push on the log-odds is exact
(`TrustModel.explain(...).features`). `reasons` adds those pushes up by *topic* — a feature and
its per-rule slope are one topic, so are the two history features (with the user's own record on
top), and so are the formatter and whether it re-lays this rule's fix — and words the largest
ones, one sentence per feature and value ("5,550 lines in this file", "this project does not
select SIM300"), each with the way it pushed. The rule, its family and Ruff's safety tier are
left to the evidence line that comes before the reasons (how often such fixes were kept, and what
Ruff promises), so the reasons are about what sets this fix apart.

Numbers are written for people: thousands separators, at most one decimal, never `5.55e+03`.
A feature this table does not know (a newer schema) is worded from its label and value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from surefix.features.featurize import FEATURES, HISTORY_PRIOR_MEAN, HISTORY_PRIOR_STRENGTH
from surefix.model.scoring.scorer import Explanation

TOP_REASONS = 3
MIN_PUSH = 0.05  # log-odds: a smaller push does not change what a badge says
SAID_BY_EVIDENCE = frozenset({"rule", "applicability"})  # "Kept in 97 % of …", "Ruff: safe, …"
# Features worded together: what one sentence says covers all of them.
TOPICS = {
    "family": "rule",
    "history_n": "history",
    "history_rate": "history",
    "project_formatter_conflict": "project_formatter",
}

Value = float | str
Row = Mapping[str, Value]


@dataclass(frozen=True)
class Reason:
    """One sentence and the exact log-odds it stands for (the sum over its topic's features)."""

    topic: str
    text: str
    contribution: float

    @property
    def raises(self) -> bool:
        return self.contribution > 0

    @property
    def direction(self) -> str:
        return "Raises trust" if self.raises else "Lowers trust"


def topic_of(feature: str) -> str:
    """The topic a feature-row key is worded under (a slope's base feature is its own key)."""
    return TOPICS.get(feature, feature)


def pushes(explanation: Explanation, personal: float = 0.0) -> dict[str, float]:
    """Every topic's exact push on the log-odds; the user's record (`personal`, added on top of
    the model) belongs to the history topic."""
    out: dict[str, float] = {}
    for f in explanation.features:
        topic = topic_of(f.feature)
        out[topic] = out.get(topic, 0.0) + f.contribution
    if personal:
        out["history"] = out.get("history", 0.0) + personal
    return out


def reasons(
    explanation: Explanation, row: Row, personal: float = 0.0, top: int = TOP_REASONS
) -> list[Reason]:
    """The `top` largest pushes that the evidence line does not already say, as sentences;
    ties by topic name, so the same fix always reads the same."""
    found = [
        (topic, push)
        for topic, push in pushes(explanation, personal).items()
        if topic not in SAID_BY_EVIDENCE and abs(push) >= MIN_PUSH
    ]
    found.sort(key=lambda tp: (-abs(tp[1]), tp[0]))
    return [Reason(topic, sentence(topic, row), push) for topic, push in found[:top]]


# -- numbers for people ----------------------------------------------------------------------


def number(x: float) -> str:
    """`5,550`, `2.5`, `12,345.7`: whole numbers without decimals, others with one."""
    if abs(x - round(x)) < 1e-9:
        return f"{round(x):,}"
    return f"{x:,.1f}"


def plural(n: float, one: str, many: str | None = None) -> str:
    """`1 line`, `5,550 lines`."""
    word = one if n == 1 else (many or f"{one}s")
    return f"{number(n)} {word}"


def share(part: int, whole: int) -> str:
    """`97 %`: whole percent, `100 %` and `0 %` only when it is all or none."""
    if whole <= 0:
        return "0 %"
    pct = round(100 * part / whole)
    if part < whole:
        pct = min(pct, 99)
    if part > 0:
        pct = max(pct, 1)
    return f"{pct} %"


# -- one sentence per feature and value -------------------------------------------------------


def sentence(topic: str, row: Row) -> str:
    words = SENTENCES.get(topic)
    if words is not None:
        return words(row)
    return fallback(topic, row)


def fallback(feature: str, row: Row) -> str:
    """`label: value` for a feature without a sentence of its own."""
    spec = {s.name: s for s in FEATURES}.get(feature)
    label = spec.label if spec else feature.replace("_", " ")
    value = row.get(feature)
    if isinstance(value, int | float):
        return f"{label}: {number(float(value))}"
    return f"{label}: {value}" if value is not None else label


def num(row: Row, name: str) -> float:
    try:
        return float(row.get(name, 0.0))
    except (TypeError, ValueError):
        return 0.0


def flag(yes: str, no: str, name: str) -> Callable[[Row], str]:
    return lambda row: yes if num(row, name) else no


def counted(name: str, none: str, some: Callable[[float], str]) -> Callable[[Row], str]:
    def words(row: Row) -> str:
        n = num(row, name)
        return none if n == 0 else some(n)

    return words


def scope_words(row: Row) -> str:
    scope = str(row.get("loc_scope", ""))
    return {
        "module": "the code is at module level",
        "function": "the code is inside a function",
        "class": "the code is in a class body",
    }.get(scope, f"the code is in a {scope or 'scope'}")


def position_words(row: Row) -> str:
    where = num(row, "loc_relative_line")
    if where < 1 / 3:
        return "the code is near the top of the file"
    if where > 2 / 3:
        return "the code is near the end of the file"
    return "the code is in the middle of the file"


def density_words(row: Row) -> str:
    per_100 = num(row, "file_fixable_per_100")
    return f"{number(round(per_100, 1))} fixable violations per 100 lines in this file"


def same_rule_words(row: Row) -> str:
    n, rule = num(row, "file_same_rule"), row.get("rule", "this rule")
    if n == 0:
        return f"no other {rule} violation in this file"
    return f"{plural(n, f'other {rule} violation')} in this file"


def same_family_words(row: Row) -> str:
    n, family = num(row, "file_same_family"), row.get("family", "this family")
    if n == 0:
        return f"no other {family} violation in this file"
    return f"{plural(n, f'other {family} violation')} in this file"


CHOICE_WORDS = {
    "explicit": "this project selects {rule} by name",
    "prefix": "this project selects {rule} through a prefix",
    "other_tool": "this project's other tools (flake8, isort, pre-commit) ask for {rule}",
    "default": "{rule} is one of Ruff's default rules, which this project keeps",
    "unselected": "this project does not select {rule}",
    "ignored": "this project ignores {rule}",
}


def choice_words(row: Row) -> str:
    choice, rule = str(row.get("project_choice", "")), row.get("rule", "this rule")
    template = CHOICE_WORDS.get(choice, "how this project selects {rule}: " + choice)
    return template.format(rule=rule)


FORMATTERS = {"black": "black", "ruff": "`ruff format`"}
# What a formatter re-lays of each rule's fix (`facts.FORMATTER_CONFLICTS`), by code prefix.
RELAID = (
    ("COM", "commas"),
    ("ISC", "string concatenations"),
    ("Q", "quotes"),
    ("D300", "docstring quotes"),
    ("W191", "indentation"),
    ("E11", "indentation"),
    ("D206", "indentation"),
)


def formatter_words(row: Row) -> str:
    formatter = str(row.get("project_formatter", "none"))
    if formatter in ("", "none"):
        return "this project uses no formatter"
    name = FORMATTERS.get(formatter, formatter)
    if not num(row, "project_formatter_conflict"):
        return f"this project formats with {name}"
    rule = str(row.get("rule", ""))
    what = next((w for prefix, w in RELAID if rule.startswith(prefix)), "edits")
    return f"this project formats with {name}, which re-lays this rule's {what}"


def history_words(row: Row) -> str:
    """From the row's own history features, which are the counts the score saw: the kept count
    is the Beta-smoothed rate undone."""
    n, rule = num(row, "history_n"), row.get("rule", "this rule")
    if n == 0:
        return f"no earlier {rule} decisions of yours to go on"
    rate = num(row, "history_rate")
    kept = round(rate * (n + HISTORY_PRIOR_STRENGTH) - HISTORY_PRIOR_MEAN * HISTORY_PRIOR_STRENGTH)
    fixes = plural(n, f"earlier {rule} fix", f"earlier {rule} fixes")
    return f"you kept {number(max(kept, 0))} of your {fixes}"


def span_words(row: Row) -> str:
    n = num(row, "fix_span_lines")
    return (
        "the fix's edits are all on one line"
        if n == 0
        else f"the fix's edits span {plural(n + 1, 'line')}"
    )


SENTENCES: dict[str, Callable[[Row], str]] = {
    "fix_edits": lambda row: (
        "the fix is one edit"
        if num(row, "fix_edits") == 1
        else f"the fix makes {plural(num(row, 'fix_edits'), 'separate edit')}"
    ),
    "fix_lines_removed": counted(
        "fix_lines_removed",
        "the fix removes no lines",
        lambda n: f"the fix removes {plural(n, 'line')}",
    ),
    "fix_lines_added": counted(
        "fix_lines_added", "the fix adds no lines", lambda n: f"the fix adds {plural(n, 'line')}"
    ),
    "fix_chars_removed": counted(
        "fix_chars_removed",
        "the fix removes no characters",
        lambda n: f"the fix removes {plural(n, 'character')}",
    ),
    "fix_chars_added": counted(
        "fix_chars_added",
        "the fix adds no characters",
        lambda n: f"the fix adds {plural(n, 'character')}",
    ),
    "fix_span_lines": span_words,
    "fix_whitespace_only": flag(
        "the fix changes only whitespace",
        "the fix changes more than whitespace",
        "fix_whitespace_only",
    ),
    "fix_deletion_only": flag(
        "the fix only deletes", "the fix does more than delete", "fix_deletion_only"
    ),
    "fix_insertion_only": flag(
        "the fix only inserts", "the fix does more than insert", "fix_insertion_only"
    ),
    "fix_removes_lines": flag(
        "the fix deletes whole lines", "the fix deletes no whole line", "fix_removes_lines"
    ),
    "fix_touches_import": flag(
        "the fix edits an import", "the fix edits no import", "fix_touches_import"
    ),
    "fix_far_edit": flag(
        "the fix edits lines far from the problem",
        "the fix edits only next to the problem",
        "fix_far_edit",
    ),
    "loc_scope": scope_words,
    "loc_nesting": counted(
        "loc_nesting",
        "the code is not nested in any block",
        lambda n: f"the code is nested {plural(n, 'level')} deep",
    ),
    "loc_relative_line": position_words,
    "loc_multiline": flag(
        "the flagged code spans several lines", "the flagged code is one line", "loc_multiline"
    ),
    "file_lines": lambda row: f"{plural(num(row, 'file_lines'), 'line')} in this file",
    "file_fixable_per_100": density_words,
    "file_same_rule": same_rule_words,
    "file_same_family": same_family_words,
    "file_noqa": counted(
        "file_noqa",
        "no `# noqa` comment in this file",
        lambda n: f"{plural(n, '`# noqa` comment')} in this file",
    ),
    "file_is_test": flag("in a test file", "not in a test file", "file_is_test"),
    "file_is_init": flag("in an `__init__.py`", "not in an `__init__.py`", "file_is_init"),
    "project_ruff_config": flag(
        "this project configures Ruff",
        "this project has no Ruff configuration",
        "project_ruff_config",
    ),
    "project_choice": choice_words,
    "project_formatter": formatter_words,
    "project_line_length": lambda row: (
        f"this project's line length is {number(num(row, 'project_line_length'))}"
    ),
    "project_target_minor": lambda row: (
        f"this project supports Python 3.{number(num(row, 'project_target_minor'))} and later"
    ),
    "history": history_words,
}
