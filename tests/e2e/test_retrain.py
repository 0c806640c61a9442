"""Retraining the model on the user's own outcomes: progress, promotion, refusal, rollback, the
report and the data commands — through the real server, which runs the real retrain process."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

from surefix.model.analysis import analyze
from surefix.model.local.store import Outcome, Store
from surefix.model.scoring.scorer import load_model

from .conftest import Editor, Session, band_of, is_fix, percent_of
from .samples import UNUSED_IMPORT


def record(e: Editor, uri: str, outcomes: list[str]) -> None:
    """A user who already had `outcomes` with the file's F401 fix, oldest first: rows as the
    server writes them (its feature row, score and band for this text), in the real store the
    server and its retrain process read."""
    path = Path(uri.removeprefix("file://"))
    analysis = analyze(path.read_text(), path, load_model())
    (fix,) = [c for c in analysis.candidates if c.violation.rule == "F401"]
    start = time.time() - len(outcomes)
    store = Store.at(e.root.parent / "data")
    try:
        store.record_many(
            Outcome(
                "F401", kind, "command", fix.band, fix.fix.applicability, fix.row, fix.score,
                analysis.model_version, store.project_hash(str(e.root)), start + i,
            )
            for i, kind in enumerate(outcomes)
        )  # fmt: skip
    finally:
        store.close()


async def f401_fix(e: Editor, uri: str) -> dict[str, Any]:
    """The F401 fix as the user sees it now: its badge, and the model hover names."""
    await e.change(uri, UNUSED_IMPORT + "\n" * (len(e.client.diagnostics) + 2))
    fix = next(a for a in await e.code_actions(uri) if is_fix(a))
    hover = await e.hover(uri, 0, 8)
    assert hover is not None
    model = re.search(r"model `([^`]+)`", hover.contents.value)  # type: ignore[union-attr]
    assert model is not None
    return {"percent": percent_of(fix), "band": band_of(fix), "model": model[1]}


def progress_kinds(e: Editor) -> list[list[str]]:
    return [[type(v).__name__ for v in values] for values in e.client.progress_reports.values()]


async def test_too_few_outcomes_says_how_many_more_are_needed(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        record(e, uri, ["accepted"] * 3)
        result = await e.execute("surefix.retrain")
        assert result["promoted"] is False and "47 more needed" in result["message"]
        assert "47 more needed" in await e.message("47 more needed")


async def test_retrain_reports_progress_promotes_and_hover_shows_the_new_version(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        bundled = (await e.hover(uri, 0, 8)).contents.value  # type: ignore[union-attr]
        before = await f401_fix(e, uri)
        record(e, uri, ["undone"] * 60)
        result = await e.execute("surefix.retrain")
        assert result["promoted"] is True, result
        assert result["candidate_log_loss"] < result["current_log_loss"]
        kinds = progress_kinds(e)
        assert kinds and kinds[-1][0] == "WorkDoneProgressBegin"
        assert kinds[-1][-1] == "WorkDoneProgressEnd" and "WorkDoneProgressReport" in kinds[-1]
        assert "promoted" in await e.message("promoted")
        after = await f401_fix(e, uri)
        assert after["percent"] < before["percent"] - 20 and after["band"] != "auto-apply"
        shown = (await e.hover(uri, 0, 8)).contents.value  # type: ignore[union-attr]
        assert result["version"] in shown and result["version"] not in bundled
        assert after["model"] == result["version"]
    active = json.loads((tmp_path / "data" / "models" / "active.json").read_text())
    assert [entry["version"] for entry in active] == [result["version"]]


async def test_a_worse_model_is_refused_with_both_numbers(editor: Session, tmp_path: Path) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        # Kept fixes to learn from, then the newest (held-back) ones all undone: a model that
        # learned "F401 is kept" must lose to the current one on them.
        record(e, uri, ["accepted"] * 48 + ["undone"] * 12)
        result = await e.execute("surefix.retrain")
        assert result["promoted"] is False
        assert result["candidate_log_loss"] > result["current_log_loss"]
        message = await e.message("was worse")
        assert f"{result['candidate_log_loss']:.4f}" in message
        assert f"{result['current_log_loss']:.4f}" in message
    assert not (tmp_path / "data" / "models" / "active.json").exists()


async def test_a_second_retrain_while_one_runs_is_told_already_running(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        record(e, uri, ["undone"] * 50)
        first, second = await asyncio.gather(
            e.execute("surefix.retrain"), e.execute("surefix.retrain")
        )
        assert "already running" in second["message"] or "already running" in first["message"]
        assert first["promoted"] or second["promoted"]


async def test_reset_returns_to_the_previous_model(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        bundled = (await f401_fix(e, uri))["model"]
        record(e, uri, ["undone"] * 60)
        assert (await e.execute("surefix.retrain"))["promoted"]
        assert (await f401_fix(e, uri))["model"] != bundled
        assert await e.execute("surefix.resetModel") == {"model": bundled}
        assert (await f401_fix(e, uri))["model"] == bundled


async def test_a_tampered_retrained_model_falls_back_to_the_bundled_one(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        bundled = (await f401_fix(e, uri))["model"]
        record(e, uri, ["undone"] * 60)
        version = (await e.execute("surefix.retrain"))["version"]
    params = tmp_path / "data" / "models" / version / "params.json"
    params.write_text(params.read_text().replace('"intercept": ', '"intercept": 1'))
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert "cannot load your retrained model" in await e.message("retrained model")
        assert (await f401_fix(e, uri))["model"] == bundled


async def test_the_report_is_written_and_shown(editor: Session, tmp_path: Path) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        record(e, uri, ["accepted"] * 25 + ["not-useful"] * 5)
        result = await e.execute("surefix.showReport")
        assert [d.uri for d in e.client.shown_documents] == [result["uri"]]
    page = Path(result["path"]).read_text()
    assert "F401" in page and "reliability diagram" in page and "Model history" in page
    assert "ROC-AUC" in page and "Ruff tier baseline" in page and "import os" not in page


async def test_data_commands_show_export_and_purge(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        record(e, uri, ["accepted", "suppressed"])
        stats = await e.execute("surefix.dataStats")
        assert stats["events"] == 2 and stats["outcomes"]["suppressed"] == 1
        exported = await e.execute("surefix.dataExport", {"format": "csv"})
        text = Path(exported["path"]).read_text()
        assert len(text.splitlines()) == 3 and "import os" not in text
        assert await e.execute("surefix.dataPurge") == {"purged": 2}
        assert (await e.execute("surefix.dataStats"))["events"] == 0


async def test_the_status_notification_names_the_model_in_use(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        bundled = (await f401_fix(e, uri))["model"]
        record(e, uri, ["undone"] * 60)
        version = (await e.execute("surefix.retrain"))["version"]
        statuses = [(s.model, s.source, s.collecting) for s in e.client.statuses]
        assert statuses[0] == (bundled, "bundled", True)
        assert statuses[-1] == (version, "local", True)
