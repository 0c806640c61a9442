"""Hovering a fixable diagnostic explains its score, faithfully to the model."""

from __future__ import annotations

import math
import re

import pytest

from .conftest import Session
from .samples import MESSY, UNUSED_IMPORT

ROW = re.compile(r"^\| (?P<factor>.+?) \| \**(?P<value>[+-]\d+\.\d\d)\** \|$", re.M)


async def test_hover_shows_rule_score_band_factors_and_ruffs_tier(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        hover = await e.hover(uri, 0, 8)
        assert hover is not None
        text = hover.contents.value  # type: ignore[union-attr]
        assert "**[F401](https://docs.astral.sh/ruff/rules/unused-import)**" in text
        assert "Remove unused import: `os`" in text
        assert re.search(r"\*\*[✓?✗] \d+% · (auto-apply|review-suggested|manual-only)\*\*", text)
        assert "Ruff marks this fix **safe**" in text
        assert hover.range is not None and hover.range.start.line == 0


async def test_the_factors_add_up_to_the_scores_log_odds(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("messy.py", MESSY)
        for d in await e.diagnostics(uri):
            if not d.data or not d.data.get("fixable"):
                continue
            hover = await e.hover(uri, d.range.start.line, d.range.start.character)
            assert hover is not None
            text = hover.contents.value  # type: ignore[union-attr]
            section = text.split("\n---\n")[0]
            rows = [(m["factor"], float(m["value"])) for m in ROW.finditer(section)]
            *parts, (total_label, total) = rows
            assert len(parts) >= 3 and total_label.startswith("**total**")
            assert sum(v for _, v in parts) == pytest.approx(total, abs=0.03)
            found = re.search(r"P\(you keep this fix\) = ([0-9.]+)", section)
            assert found is not None
            score = float(found[1])
            assert 1 / (1 + math.exp(-total)) == pytest.approx(score, abs=0.01)


async def test_no_hover_away_from_fixable_diagnostics(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await e.hover(uri, 2, 3) is None
