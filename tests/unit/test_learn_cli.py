"""`surefix retrain`, `model`, `report` and `data` from the command line: one error style, the
editor's JSON lines, and the report they write."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from surefix.model.local.demotion import Policy
from surefix.model.local.registry import Registry
from surefix.model.local.report import write_report
from surefix.model.local.store import Outcome, Store
from surefix.model.scoring.artifact import load_artifact
from surefix.model.scoring.scorer import TrustModel
from surefix.server.cli import main


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("surefix: error: "), err
    return lines[0]


def test_a_retrain_that_cannot_be_done_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retrain", "--data-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    (error,) = err.splitlines()  # too few outcomes is known before any progress line
    assert "more needed" in one_error_line(error)


def test_retrain_json_ends_with_the_error_as_its_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retrain", "--json", "--data-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert all("progress" in line for line in lines[:-1])
    assert set(lines[-1]) == {"result"} and "more needed" in lines[-1]["result"]["error"]
    assert lines[-1]["result"]["error"] in one_error_line(err)


def test_purge_without_a_terminal_needs_yes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["data", "purge", "--data-dir", str(tmp_path)]) == 2
    assert "needs --yes" in one_error_line(capsys.readouterr().err)


def test_the_report_lists_promotions_and_demoted_rules(tmp_path: Path) -> None:
    bundled = load_artifact()
    registry = Registry(tmp_path)
    registry.promote(replace(bundled, manifest={"model_version": "local-x"}), "better on yours")
    store = Store.at(tmp_path)
    rows = [Outcome("F401", "undone", "undo", "auto-apply", "safe", {}, score=0.9)] * 10
    store.record_many(rows)
    try:
        path = write_report(tmp_path, TrustModel(bundled), store, False, Policy(min_outcomes=10))
    finally:
        store.close()
    page = path.read_text(encoding="utf-8")
    assert "<td>local-x</td>" in page and "better on yours" in page
    assert "yes: you rejected 10 of 10 F401 fixes" in page
    assert "Outcome collection is <b>off</b>" in page
