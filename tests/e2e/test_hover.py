"""Hovering a fixable diagnostic explains its score in words, faithfully to the model.

Each explanation is checked line by line against `surefix check --format json --explain` on the
same file — the same evidence, the same reasons — and its exact log-odds add up to the score.
VS Code (as our extension announces itself: `experimental.surefix.hoverHtml`) gets them in a
collapsed `<details>` table; Neovim, which renders neither HTML nor tables, as a plain list.
"""

from __future__ import annotations

import math
import re
from math import floor
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as t

from surefix.model.scoring.scorer import load_model

from .conftest import Editor, Session, check_json, is_fix
from .samples import MESSY, UNUSED_IMPORT, broad_ruff_config


@pytest.fixture(autouse=True)
def _chosen_rules(tmp_path: Path) -> None:
    broad_ruff_config(tmp_path / "project")  # the editor's workspace folder


# What editors/vscode/src/extension.ts announces; the Neovim plugin announces reportInEditor only.
VSCODE = {"surefix": {"reportInEditor": True, "hoverHtml": True}}
NEOVIM = {"surefix": {"reportInEditor": True}}
CLIENTS = {"vscode": ("visual_studio_code", VSCODE), "neovim": ("neovim", NEOVIM)}

BADGE = re.compile(
    r"^\*\*(?P<badge>[✓?✗] \d+%) · (?P<band>auto-apply|review-suggested|manual-only)\*\*"
)
VALUE = r"(?P<value>[+-]\d+\.\d\d)"
KEPT = (
    r"Kept in \d+ % of [\d,]+ (such fixes|[A-Z]+ fixes|fixes of all rules) in [\d,]+ projects?"
    r"( \(.*\))? · "
)
TIER = r"Ruff: (safe, it cannot|unsafe, it may) change behaviour"
# The bundled model quotes its training evidence if it carries any (an older one does not).
EVIDENCE = re.compile((KEPT if load_model().evidence is not None else "") + TIER)
GIVEN = re.compile(r"P\(you keep this fix\) = (?P<p>0\.\d{3}) · model `(?P<model>[^`]+)`")
# The rules of the fixes Ruff offers for MESSY, one diagnostic each but F401 (two).
MESSY_FIXABLE = ["F401", "F401", "UP045", "UP006", "UP015", "C416", "C410", "UP031"]


def facts_by_diagnostic(
    actions: list[t.CodeAction], terminal: list[dict[str, Any]]
) -> dict[tuple[int, int], dict[str, Any]]:
    """(line, character) of each fix's diagnostic -> its quick fix's title, with the score, band,
    Ruff tier and explanation `surefix check --format json --explain` gives the same fix (ASCII
    lines: columns agree)."""
    scored = {(f["line"] - 1, f["column"] - 1, f["rule"]): f for f in terminal}
    out = {}
    for a in actions:
        if is_fix(a):
            (d,) = a.diagnostics or ()
            start = d.range.start
            facts = scored[(start.line, start.character, str(d.code))]
            out[(start.line, start.character)] = {**facts, "title": a.title}
    return out


def check_main_part(lines: list[str], d: t.Diagnostic, facts: dict[str, Any]) -> int:
    """What Ruff found, the badge and band the quick fix shows, the evidence and the reasons the
    terminal gives: at most eight short lines, no table, no HTML. Returns where it ends."""
    assert d.code_description is not None
    name = d.code_description.href.rsplit("/", 1)[1]
    assert lines[0] == f"**[{d.code}]({d.code_description.href})** `{name}`: {d.message}"
    assert lines[1] == ""
    badge = BADGE.match(lines[2])
    assert badge is not None, lines[2]
    fix_message = facts["title"][len(f"{badge['badge']} Ruff ({d.code}): ") :]
    assert facts["title"] == f"{badge['badge']} Ruff ({d.code}): {fix_message}"  # its own badge
    assert badge["band"] == facts["band"]
    assert lines[2] == f"**{badge['badge']} · {facts['band']}** · {fix_message}  "
    explained = facts["explanation"]
    assert lines[3] == explained["evidence"] and EVIDENCE.fullmatch(lines[3]), lines[3]
    reasons = [
        f"- {'Raises' if r['raises'] else 'Lowers'} trust: {r['text']}"
        for r in explained["reasons"]
    ]
    assert 1 <= len(reasons) <= 3
    assert lines[4:6 + len(reasons)] == ["", *reasons, ""]  # fmt: skip
    end = 6 + len(reasons)
    main = lines[:end]
    shown = [re.sub(r"\]\([^)]*\)", "]", line) for line in main]  # a link shows its text
    assert len([line for line in shown if line]) <= 8 and all(len(line) <= 160 for line in shown)
    text = "\n".join(main)
    prose = re.sub(r"`[^`]*`", "", text)  # Ruff's own words may hold `X | None` in code
    assert "|" not in prose and "<" not in prose
    assert not re.search(r"\d[eE][+-]?\d", text)  # no 5.55e+03
    assert "an average fix" not in text and "everything else" not in text
    return end


def check_sum(values: list[float], total: float, facts: dict[str, Any], pct: str) -> None:
    assert sum(values) == pytest.approx(total, abs=0.005 * (len(values) + 1))  # each to 0.005
    assert 1 / (1 + math.exp(-total)) == pytest.approx(facts["score"], abs=0.01)
    assert pct == f"{min(99, max(1, floor(100 * facts['score'] + 1e-9)))}%"


def check_vscode_details(lines: list[str], facts: dict[str, Any], model: str) -> None:
    """A closed `<details>`: the probability and model, then a table of exact log-odds."""
    assert lines[0] == "<details><summary>The exact arithmetic (log-odds)</summary>"
    assert lines[1] == "" and lines[3] == "" and lines[-1] == "</details>"
    given = GIVEN.fullmatch(lines[2])
    assert given is not None and given["model"] == model, lines[2]
    assert float(given["p"]) == pytest.approx(facts["score"], abs=0.0006)  # CLI: 4 decimals
    assert lines[4:6] == ["| | log-odds |", "| --- | ---: |"]
    end = next(i for i, line in enumerate(lines) if line.startswith("| **total**"))
    rows = [re.fullmatch(rf"\| (?P<label>.+) \| {VALUE} \|", line) for line in lines[6:end]]
    assert all(rows) and rows[0] and rows[0]["label"] == "start: a typical mined fix"
    total = re.fullmatch(rf"\| \*\*total\*\* \(= (?P<pct>\d+%)\) \| \*\*{VALUE}\*\* \|", lines[end])
    assert total is not None, lines[end]
    check_sum([float(r["value"]) for r in rows if r], float(total["value"]), facts, total["pct"])
    assert lines[end + 1 :] == ["", "</details>"]  # nothing recorded yet: no record line


def check_neovim_details(lines: list[str], facts: dict[str, Any], model: str) -> None:
    """The same numbers as a list after an italic caption: no pipes, no tags."""
    caption = "*The exact arithmetic, in log-odds* · "
    assert lines[0].startswith(caption)
    given = GIVEN.fullmatch(lines[0][len(caption) :])
    assert given is not None and given["model"] == model, lines[0]
    rows = [re.fullmatch(rf"- (?P<label>.+) {VALUE}", line) for line in lines[1:-1]]
    assert all(rows) and rows[0] and rows[0]["label"] == "start: a typical mined fix"
    total = re.fullmatch(rf"- total {VALUE} \(= (?P<pct>\d+%)\)", lines[-1])
    assert total is not None, lines[-1]
    check_sum([float(r["value"]) for r in rows if r], float(total["value"]), facts, total["pct"])
    assert "|" not in "\n".join(lines) and "<" not in "\n".join(lines)


def check_section(section: str, d: t.Diagnostic, facts: dict[str, Any], model: str, client: str):
    lines = section.split("\n")
    end = check_main_part(lines, d, facts)
    if client == "vscode":
        check_vscode_details(lines[end:], facts, model)
    else:
        check_neovim_details(lines[end:], facts, model)


def model_version(e: Editor) -> str:
    return str(e.client.statuses[-1].model)  # type: ignore[attr-defined]


@pytest.mark.parametrize("client", CLIENTS)
async def test_hover_leads_with_evidence_and_reasons_then_the_exact_numbers(
    editor: Session, client: str
) -> None:
    preset, experimental = CLIENTS[client]
    async with editor(preset, experimental=experimental) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        (d,) = await e.diagnostics(uri)
        assert d.code == "F401" and d.range == t.Range(
            start=t.Position(line=0, character=7), end=t.Position(line=0, character=9)
        )
        terminal = check_json(e.root / "m.py", explain=True)
        facts = facts_by_diagnostic(await e.code_actions(uri), terminal)[(0, 7)]
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
        assert "Ruff: safe, it cannot change behaviour" in text
        check_section(text, d, facts, model_version(e), client)


@pytest.mark.parametrize("client", CLIENTS)
async def test_each_fixable_diagnostic_explains_its_score_with_numbers_that_add_up(
    editor: Session, client: str
) -> None:
    preset, experimental = CLIENTS[client]
    async with editor(preset, experimental=experimental) as e:
        uri = await e.open("messy.py", MESSY)
        fixable = [d for d in await e.diagnostics(uri) if d.data and d.data.get("fixable")]
        assert [d.code for d in fixable] == MESSY_FIXABLE  # fails if there is nothing to hover
        terminal = check_json(e.root / "messy.py", explain=True)
        facts = facts_by_diagnostic(await e.code_actions(uri), terminal)
        model = model_version(e)
        for d in fixable:
            hover = await e.hover(uri, d.range.start.line, d.range.start.character)
            assert hover is not None, d
            assert hover.range == d.range
            assert isinstance(hover.contents, t.MarkupContent)
            assert "\n---\n" not in hover.contents.value  # no two fixes overlap in MESSY
            at = (d.range.start.line, d.range.start.character)
            check_section(hover.contents.value, d, facts[at], model, client)
        unsafe = [f["explanation"]["evidence"] for f in terminal if f["applicability"] == "unsafe"]
        assert unsafe and all(e.endswith("Ruff: unsafe, it may change behaviour") for e in unsafe)


async def test_a_client_that_says_nothing_gets_the_plain_list(editor: Session) -> None:
    async with editor("minimal") as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        hover = await e.hover(uri, 0, 8)
        assert hover is not None and isinstance(hover.contents, t.MarkupContent)
        assert "<details>" not in hover.contents.value and "| " not in hover.contents.value
        assert "\n*The exact arithmetic, in log-odds* · P(you keep this fix) = " in (
            hover.contents.value
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


async def test_hover_covers_what_the_fix_rewrites_beyond_the_diagnostic(editor: Session) -> None:
    """E713's diagnostic is `p in x`; its fix rewrites `not p in x`: the `not` explains it too,
    and a column the fix leaves alone does not."""
    async with editor() as e:
        (e.root / "ruff.toml").write_text('[lint]\nselect = ["E713"]\n')
        uri = await e.open("m.py", "def f(p, x):\n    if not p in x:\n        return 1\n")
        (found,) = await e.diagnostics(uri)
        assert (found.code, found.range.start.character) == ("E713", 11)
        on_not = await e.hover(uri, 1, 8)
        assert on_not is not None and "E713" in on_not.contents.value
        assert await e.hover(uri, 1, 4) is None  # `if`: not the fix's
