"""Hover and `surefix check --explain` in a developer's words, on a real trust model.

The model is fitted by the training code on the synthetic event table and written as an artifact
with its evidence, then loaded the way the server loads one; the fixes are Ruff's, on real files.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_model_tables import make_rows

from surefix.features.featurize import FEATURES, RuleHistory
from surefix.features.project.facts import CHOICES
from surefix.model.analysis import Candidate, analyze
from surefix.model.scoring.artifact import Thresholds, load_artifact, save_artifact
from surefix.model.scoring.baselines import RuleRateBaseline, TierBaseline
from surefix.model.scoring.evidence import MIN_EVENTS, Evidence, Tally, count_evidence
from surefix.model.scoring.scorer import TrustModel, load_model
from surefix.model.training.fit import fit_additive
from surefix.server.reasons import (
    SAID_BY_EVIDENCE,
    SENTENCES,
    number,
    pushes,
    reasons,
    sentence,
    share,
    topic_of,
)
from surefix.server.wording import (
    HTML,
    LIST,
    explanation_lines,
    hover_markdown,
    kept_words,
    log_odds_rows,
)

SOURCE = 'import os\nimport sys\nx = "%s" % 1\nif x == None:\n    pass\n'
E_NOTATION = re.compile(r"\d[eE][+-]?\d")


def repos(n: int) -> list[str]:
    return [f"owner/repo{i % 7}" for i in range(n)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An artifact as `surefix train` writes one: the additive fit, baselines, evidence."""
    rows, y = make_rows(600)
    rng = np.random.default_rng(3)
    for row in rows:  # the table's project features are placeholders: give them real values
        row["project_choice"] = str(rng.choice(CHOICES))
        row["project_formatter"] = str(rng.choice(("black", "ruff", "none")))
        row["project_line_length"] = float(rng.choice((79, 88, 100, 120)))
        row["project_target_minor"] = float(rng.integers(8, 14))
    rules = [str(r["rule"]) for r in rows]
    families = [str(r["family"]) for r in rows]
    fit = fit_additive(rows, y, C=1.0)
    tier = TierBaseline.fit([str(r["applicability"]) for r in rows], y)
    art = fit.artifact(
        tier,
        RuleRateBaseline.fit(rules, families, y),
        Thresholds(auto=0.6, review=0.3),
        {"model_version": "wording-1"},
    )
    evidence = count_evidence(rules, families, y.tolist(), repos(len(rows)))
    return save_artifact(replace(art, evidence=evidence), tmp_path_factory.mktemp("m") / "model")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> TrustModel:
    return load_model(model_dir)


@pytest.fixture
def candidates(model: TrustModel, tmp_path: Path) -> list[Candidate]:
    found = analyze(SOURCE, tmp_path / "tests" / "test_m.py", model).candidates
    assert {c.violation.rule for c in found} >= {"F401", "E711"}
    return list(found)


def main_part(text: str) -> list[str]:
    """The lines before the details part (either style)."""
    lines = text.split("\n")
    end = next(
        i for i, line in enumerate(lines) if line.startswith(("<details>", "*The exact arith"))
    )
    return lines[:end]


# -- numbers for people -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [(5550.0, "5,550"), (1234567.0, "1,234,567"), (2.5, "2.5"), (37.837, "37.8"), (0.0, "0")],
)
def test_numbers_have_separators_and_never_an_exponent(value: float, words: str) -> None:
    assert number(value) == words


@pytest.mark.parametrize(
    ("part", "whole", "words"),
    [
        (97, 100, "97 %"),
        (999, 1000, "99 %"),
        (1000, 1000, "100 %"),
        (1, 1000, "1 %"),
        (0, 5, "0 %"),
    ],
)
def test_a_share_says_all_or_none_only_when_it_is(part: int, whole: int, words: str) -> None:
    assert share(part, whole) == words


# -- one sentence per feature and value --------------------------------------------------------


def test_every_feature_has_a_sentence_or_is_said_by_the_evidence() -> None:
    for spec in FEATURES:
        topic = topic_of(spec.name)
        assert topic in SENTENCES or topic in SAID_BY_EVIDENCE, spec.name


ROW = {"rule": "COM812", "family": "COM"}


@pytest.mark.parametrize(
    ("topic", "row", "words"),
    [
        ("file_lines", {"file_lines": 5550.0}, "5,550 lines in this file"),
        ("file_lines", {"file_lines": 1.0}, "1 line in this file"),
        ("file_is_test", {"file_is_test": 1.0}, "in a test file"),
        ("file_is_init", {"file_is_init": 0.0}, "not in an `__init__.py`"),
        ("file_same_rule", {**ROW, "file_same_rule": 3.0},
         "3 other COM812 violations in this file"),
        ("file_noqa", {"file_noqa": 0.0}, "no `# noqa` comment in this file"),
        ("fix_span_lines", {"fix_span_lines": 2.0}, "the fix's edits span 3 lines"),
        ("fix_chars_added", {"fix_chars_added": 0.0}, "the fix adds no characters"),
        ("fix_chars_removed", {"fix_chars_removed": 1234.0}, "the fix removes 1,234 characters"),
        ("fix_removes_lines", {"fix_removes_lines": 1.0}, "the fix deletes whole lines"),
        ("loc_nesting", {"loc_nesting": 1.0}, "the code is nested 1 level deep"),
        ("loc_scope", {"loc_scope": "class"}, "the code is in a class body"),
        ("loc_relative_line", {"loc_relative_line": 0.9}, "the code is near the end of the file"),
        ("project_choice", {"rule": "SIM300", "project_choice": "unselected"},
         "this project does not select SIM300"),
        ("project_choice", {"rule": "F401", "project_choice": "default"},
         "F401 is one of Ruff's default rules, which this project keeps"),
        ("project_formatter", {**ROW, "project_formatter": "black",
                               "project_formatter_conflict": 1.0},
         "this project formats with black, which re-lays this rule's commas"),
        ("project_formatter", {"rule": "Q000", "project_formatter": "ruff",
                               "project_formatter_conflict": 1.0},
         "this project formats with `ruff format`, which re-lays this rule's quotes"),
        ("project_formatter", {**ROW, "project_formatter": "none",
                               "project_formatter_conflict": 0.0},
         "this project uses no formatter"),
        ("project_target_minor", {"project_target_minor": 9.0},
         "this project supports Python 3.9 and later"),
        ("history", {"rule": "F401", "history_n": 0.0, "history_rate": 0.85},
         "no earlier F401 decisions of yours to go on"),
        ("history", {"rule": "F401", "history_n": 4.0, "history_rate": RuleHistory(3, 4).rate},
         "you kept 3 of your 4 earlier F401 fixes"),
        ("file_fixable_per_100", {"file_fixable_per_100": 37.837},
         "37.8 fixable violations per 100 lines in this file"),
        ("project_new_thing", {"project_new_thing": 12345.0}, "project new thing: 12,345"),
    ],
)  # fmt: skip
def test_each_feature_and_value_reads_as_a_plain_sentence(
    topic: str, row: dict[str, float | str], words: str
) -> None:
    assert sentence(topic, row) == words


# -- reasons from the model's exact contributions ----------------------------------------------


def test_reasons_are_the_largest_exact_pushes_the_evidence_does_not_say(
    model: TrustModel, candidates: list[Candidate]
) -> None:
    for c in candidates:
        e = model.explain(c.row)
        topics = pushes(e, c.personal)
        assert e.base + sum(topics.values()) == pytest.approx(e.logit + c.personal, abs=1e-9)
        said = reasons(e, c.row, c.personal)
        assert 1 <= len(said) <= 3
        spoken = {t: p for t, p in topics.items() if t not in SAID_BY_EVIDENCE}
        largest = sorted(spoken.values(), key=abs, reverse=True)[: len(said)]
        assert [r.contribution for r in said] == largest
        for r in said:
            assert r.topic not in ("rule", "applicability")
            assert r.contribution == topics[r.topic]  # the sum over its features, exactly
            assert r.raises == (r.contribution > 0)
            assert r.direction == ("Raises trust" if r.raises else "Lowers trust")
            assert not E_NOTATION.search(r.text)


def test_a_slope_is_worded_with_its_base_feature(
    model: TrustModel, candidates: list[Candidate]
) -> None:
    e = model.explain(candidates[0].row)
    slopes = [f for f in e.features if "|" in f.name]
    assert slopes, "the design has per-rule slopes"
    topics = pushes(e)
    base = slopes[0].feature
    together = sum(f.contribution for f in e.features if f.feature == base)
    assert topics[base] == pytest.approx(together, abs=1e-12)


def test_the_users_record_pushes_in_the_history_reason(
    model: TrustModel, candidates: list[Candidate]
) -> None:
    c = candidates[0]
    e = model.explain(c.row)
    plain = pushes(e).get("history", 0.0)
    assert pushes(e, -2.5)["history"] == pytest.approx(plain - 2.5)
    (first, *_) = reasons(e, c.row, personal=-20.0)
    assert first.topic == "history" and not first.raises


# -- evidence --------------------------------------------------------------------------------------


def test_evidence_counts_events_kept_and_projects_per_rule_family_and_overall() -> None:
    ev = count_evidence(
        ["F401", "F401", "F811", "SIM300"],
        ["F", "F", "F", "SIM"],
        [1, 0, 1, 1],
        ["a/x", "b/y", "a/x", "a/x"],
    )
    assert ev.rules["F401"] == Tally(2, 1, 2)
    assert ev.families["F"] == Tally(3, 2, 2)
    assert ev.overall == Tally(4, 3, 2)
    assert Evidence.from_dict(ev.to_dict()) == ev


def test_a_rule_with_few_fixes_is_quoted_at_its_family_then_overall() -> None:
    ev = Evidence(
        overall=Tally(40_123, 36_000, 150),
        families={"SIM": Tally(2_340, 2_130, 40), "PIE": Tally(5, 5, 2)},
        rules={
            "SIM300": Tally(12, 11, 5), "SIM108": Tally(1_234, 1_197, 52), "PIE790": Tally(1, 1, 1)
        },
    )  # fmt: skip
    assert kept_words(ev, "SIM108", "SIM") == "kept in 97 % of 1,234 such fixes in 52 projects"
    assert (
        kept_words(ev, "SIM300", "SIM")
        == "kept in 91 % of 2,340 SIM fixes in 40 projects (only 12 were SIM300)"
    )
    assert kept_words(ev, "PIE790", "PIE") == (
        "kept in 90 % of 40,123 fixes of all rules in 150 projects (only 1 was PIE790)"
    )
    assert ev.for_rule("NEW1", "NEW").scope == "overall"
    assert "none were NEW1" in str(kept_words(ev, "NEW1", "NEW"))
    assert MIN_EVENTS > 12


def test_the_artifact_keeps_its_evidence_and_an_older_one_loads_without(model_dir: Path) -> None:
    art = load_artifact(model_dir)
    assert art.evidence is not None and art.evidence.overall.events == 600
    assert sum(t.events for t in art.evidence.rules.values()) == 600
    assert art.manifest["evidence"]["overall"]["projects"] == 7
    older = save_artifact(replace(art, evidence=None), model_dir.parent / "older")
    assert "evidence" not in (older / "manifest.json").read_text()
    assert load_artifact(older).evidence is None


# -- the hover ---------------------------------------------------------------------------------


@pytest.mark.parametrize("style", [HTML, LIST])
def test_the_hover_leads_with_evidence_then_reasons_in_a_few_short_lines(
    model: TrustModel, candidates: list[Candidate], style: str
) -> None:
    for c in candidates:
        text = hover_markdown(c, model, None, style)
        main = main_part(text)
        assert len([line for line in main if line.strip()]) <= 8, main
        assert all(len(line) <= 160 for line in main), main
        prose = re.sub(r"`[^`]*`", "", "\n".join(main))  # Ruff's words may hold `X | None`
        assert "|" not in prose and "<" not in prose
        evidence = main[3]
        assert re.fullmatch(
            r"Kept in \d+ % of [\d,]+ (such fixes|\S+ fixes|fixes of all rules) in \d+ projects?"
            r"( \(.*\))? · Ruff: (safe, it cannot|unsafe, it may) change behaviour",
            evidence,
        ), evidence
        listed = [line for line in main[4:] if line.startswith("- ")]
        assert 1 <= len(listed) <= 3
        assert all(re.match(r"- (Raises|Lowers) trust: \S", line) for line in listed)
        for banned in ("an average fix", "everything else", "log-odds"):
            assert banned not in "\n".join(main)
        assert not E_NOTATION.search(text)


def test_vscode_folds_the_exact_table_into_details(
    model: TrustModel, candidates: list[Candidate]
) -> None:
    c = candidates[0]
    text = hover_markdown(c, model, "Your record with F401: kept 1 of 2 fixes (1 undone).", HTML)
    details = text[text.index("<details>") :]
    assert details.startswith("<details><summary>") and details.endswith("</details>")
    assert "| --- | ---: |" in details and "Your record with F401" in details
    assert "P(you keep this fix) = " in details and "model `wording-1`" in details


def test_neovim_gets_plain_markdown_without_html_or_tables(
    model: TrustModel, candidates: list[Candidate]
) -> None:
    for c in candidates:
        text = hover_markdown(c, model, "Your record with F401: kept 1 of 2 fixes.", LIST)
        prose = re.sub(r"`[^`]*`", "", text)
        assert "|" not in prose and "<" not in prose and "\n---\n" not in text
        tail = text.split("\n")[len(main_part(text)) :]
        assert tail[0].startswith("*The exact arithmetic, in log-odds* · P(you keep this fix) = ")
        assert all(line.startswith("- ") for line in tail[1:-2]) and tail[-1].startswith("Your")


def test_the_exact_rows_add_up_to_the_score(model: TrustModel, candidates: list[Candidate]) -> None:
    for c in candidates:
        c = replace(c, personal=-0.75, history=RuleHistory(1, 4))
        rows, total = log_odds_rows(c, model)
        assert rows[0][0] == "start: a typical mined fix"
        assert rows[-1] == ("your record (kept 1 of 4)", -0.75)
        assert sum(value for _, value in rows) == pytest.approx(total, abs=1e-9)
        e = model.explain(c.row)
        assert total == pytest.approx(e.logit - 0.75, abs=1e-12)
        text = hover_markdown(c, model, None, LIST)
        shown = re.findall(r"^- (.+) ([+-]\d+\.\d\d)$", text, re.M)
        assert shown == [(label, f"{value:+.2f}") for label, value in rows]
        assert f"\n- total {total:+.2f} (= " in text


def test_the_users_record_and_ruffs_unsafe_tier_are_in_the_evidence(
    model: TrustModel, candidates: list[Candidate]
) -> None:
    c = next(c for c in candidates if c.fix.applicability == "unsafe")
    c = replace(c, history=RuleHistory(3, 4))
    line = main_part(hover_markdown(c, model, None))[3]
    assert line.endswith(" · your record: kept 3 of 4 · Ruff: unsafe, it may change behaviour")


def test_an_artifact_without_evidence_leaves_the_phrase_out(
    model_dir: Path, candidates: list[Candidate]
) -> None:
    older = TrustModel(replace(load_artifact(model_dir), evidence=None))
    c = next(c for c in candidates if c.fix.applicability == "safe")
    assert main_part(hover_markdown(c, older, None))[3] == "Ruff: safe, it cannot change behaviour"


def test_without_a_model_the_hover_says_so_and_keeps_ruffs_tier(
    candidates: list[Candidate],
) -> None:
    c = replace(candidates[0], score=None, band="unscored")
    text = hover_markdown(c, None, "Your record with F401: kept 1 of 1 fixes.")
    assert (
        "**Trust score unavailable**" in text and "Ruff: safe, it cannot change behaviour" in text
    )
    assert "log-odds" not in text and text.endswith("Your record with F401: kept 1 of 1 fixes.")


def test_check_explain_says_what_hover_says(model: TrustModel, candidates: list[Candidate]) -> None:
    for c in candidates:
        lines = explanation_lines(model, c)
        main = main_part(hover_markdown(c, model, None))
        assert lines[0] == main[3]
        assert lines[1:] == [line for line in main[4:] if line.startswith("- ")]
