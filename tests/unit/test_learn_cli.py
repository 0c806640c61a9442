"""`surefix retrain`, `model`, `report` and `data` from the command line: one error style, the
editor's JSON lines, and the report written without the language server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    *progress, error = err.splitlines()
    assert progress and all(line.startswith("[") for line in progress)  # `[  5%] reading …`
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
