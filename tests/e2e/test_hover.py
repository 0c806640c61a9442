"""Hovering a fixable diagnostic explains its score, faithfully to the model."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as t

from .conftest import Editor, Session, check_json, is_fix
from .samples import MESSY, UNUSED_IMPORT, broad_ruff_config


@pytest.fixture(autouse=True)
def _chosen_rules(tmp_path: Path) -> None:
    broad_ruff_config(tmp_path / "project")  # the editor's workspace folder


BADGE = re.compile(
    r"^\*\*(?P<badge>[✓?✗] \d+%) · (?P<band>auto-apply|review-suggested|manual-only)\*\*"
)
FACTOR = re.compile(
    r"^\| (?P<factor>.+) (?P<verb>raises|lowers) trust \| (?P<value>[+-]\d+\.\d\d) \|$"
)
VALUE = r"(?P<value>[+-]\d+\.\d\d)"
TIERS = {
    "safe": "Ruff marks this fix **safe**: it keeps the code's meaning.",
    "unsafe": "Ruff marks this fix **unsafe**: it may change behaviour or drop comments, so it "
    "is never applied automatically.",
}
# The rules of the fixes Ruff offers for MESSY, one diagnostic each but F401 (two).
MESSY_FIXABLE = ["F401", "F401", "UP045", "UP006", "UP015", "C416", "C410", "UP031"]


def facts_by_diagnostic(
    actions: list[t.CodeAction], terminal: list[dict[str, Any]]
) -> dict[tuple[int, int], dict[str, Any]]:
    """(line, character) of each fix's diagnostic -> its quick fix's title, with the score, band
    and Ruff tier `surefix check --format json` gives the same fix (ASCII lines: columns agree)."""
    scored = {(f["line"] - 1, f["column"] - 1, f["rule"]): f for f in terminal}
    out = {}
    for a in actions:
        if is_fix(a):
            (d,) = a.diagnostics or ()
            start = d.range.start
            facts = scored[(start.line, start.character, str(d.code))]
            out[(start.line, start.character)] = {**facts, "title": a.title}
    return out


def check_section(section: str, d: t.Diagnostic, facts: dict[str, Any], model: str) -> None:
    """One fix's explanation, line by line: what Ruff found, the score and band the quick fix
    shows, the factors adding up to the score's log-odds, Ruff's safety tier."""
    assert d.code_description is not None
    lines = section.split("\n")
    name = d.code_description.href.rsplit("/", 1)[1]
    assert lines[0] == f"**[{d.code}]({d.code_description.href})** `{name}`: {d.message}"
    assert lines[1] == ""
    badge = BADGE.match(lines[2])
    assert badge is not None, lines[2]
    fix_message = facts["title"][len(f"{badge['badge']} Ruff ({d.code}): ") :]
    assert facts["title"] == f"{badge['badge']} Ruff ({d.code}): {fix_message}"  # its own badge
    assert badge["band"] == facts["band"]
    assert lines[2] == f"**{badge['badge']} · {facts['band']}** · {fix_message}  "
    shown = re.fullmatch(rf"P\(you keep this fix\) = (?P<p>0\.\d{{3}}) · model `{model}`", lines[3])
    assert shown is not None, lines[3]
    assert float(shown["p"]) == pytest.approx(facts["score"], abs=0.0006)  # CLI: 4 decimals
    assert lines[4:7] == ["", "| | log-odds |", "| --- | ---: |"]
    base = re.fullmatch(rf"\| an average fix \| {VALUE} \|", lines[7])
    assert base is not None, lines[7]
    rest_at = next(i for i, line in enumerate(lines) if line.startswith("| everything else |"))
    factors = [FACTOR.match(line) for line in lines[8:rest_at]]
    assert 1 <= len(factors) <= 4 and all(factors), lines[8:rest_at]  # the top four at most
    values = [float(base["value"])]
    for f in factors:
        assert f is not None and (f["verb"] == "raises") == (float(f["value"]) > 0)
        values.append(float(f["value"]))
    rest = re.fullmatch(rf"\| everything else \| {VALUE} \|", lines[rest_at])
    assert rest is not None, lines[rest_at]
    values.append(float(rest["value"]))
    total = re.fullmatch(
        rf"\| \*\*total\*\* \(= (?P<pct>\d+%)\) \| \*\*{VALUE}\*\* \|", lines[rest_at + 1]
    )
    assert total is not None, lines[rest_at + 1]
    assert total["pct"] == badge["badge"][2:]
    # each shown value is rounded to 0.005, the total too
    assert sum(values) == pytest.approx(float(total["value"]), abs=0.005 * (len(values) + 1))
    assert 1 / (1 + math.exp(-float(total["value"]))) == pytest.approx(facts["score"], abs=0.01)
    # Ruff's tier ends it: no demotion, no history line (nothing is recorded yet)
    assert lines[rest_at + 2 :] == ["", TIERS[facts["applicability"]]]


def model_version(e: Editor) -> str:
    return str(e.client.statuses[-1].model)  # type: ignore[attr-defined]


async def test_hover_shows_rule_score_band_factors_and_ruffs_tier(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        (d,) = await e.diagnostics(uri)
        assert d.code == "F401" and d.range == t.Range(
            start=t.Position(line=0, character=7), end=t.Position(line=0, character=9)
        )
        facts = facts_by_diagnostic(await e.code_actions(uri), check_json(e.root / "m.py"))[(0, 7)]
        assert facts["title"].endswith(" Remove unused import: `os`")
        hover = await e.hover(uri, 0, 8)
        assert hover is not None and hover.range == d.range
        assert isinstance(hover.contents, t.MarkupContent)
        assert hover.contents.kind == t.MarkupKind.Markdown
        text = hover.contents.value
        assert "\n---\n" not in text  # one fix here, one explanation
        assert text.startswith(
            "**[F401](https://docs.astral.sh/ruff/rules/unused-import)** `unused-import`: "
            "`os` imported but unused\n\n"
        )
        assert "· Remove unused import: `os`  \n" in text
        check_section(text, d, facts, model_version(e))


async def test_each_fixable_diagnostic_explains_its_score_with_factors_that_add_up(
    editor: Session,
) -> None:
    async with editor() as e:
        uri = await e.open("messy.py", MESSY)
        fixable = [d for d in await e.diagnostics(uri) if d.data and d.data.get("fixable")]
        assert [d.code for d in fixable] == MESSY_FIXABLE  # fails if there is nothing to hover
        facts = facts_by_diagnostic(await e.code_actions(uri), check_json(e.root / "messy.py"))
        model = model_version(e)
        for d in fixable:
            hover = await e.hover(uri, d.range.start.line, d.range.start.character)
            assert hover is not None, d
            assert hover.range == d.range
            assert isinstance(hover.contents, t.MarkupContent)
            assert "\n---\n" not in hover.contents.value  # no two fixes overlap in MESSY
            check_section(
                hover.contents.value, d, facts[(d.range.start.line, d.range.start.character)], model
            )


async def test_no_hover_away_from_fixable_diagnostics(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await e.hover(uri, 2, 3) is None
        messy = await e.open("messy.py", MESSY)
        (unfixable,) = [d for d in await e.diagnostics(messy) if d.code == "UP035"]
        assert unfixable.data == {"version": 1, "index": 2, "fixable": False}
        start = unfixable.range.start
        assert await e.hover(messy, start.line, start.character + 20) is None
