"""Moving trustfix's data into surefix's directory: real stores and a real registry in tmp dirs,
never the user's own directories."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from surefix.model.local import legacy
from surefix.model.local.legacy import NOTE_FILE, adopt_legacy_data
from surefix.model.local.registry import Registry
from surefix.model.local.store import Outcome, Store
from surefix.model.scoring.artifact import load_artifact
from surefix.server.cli import main

LOCAL = "local-20260101-000000-abcdef"


def outcome(kind: str = "accepted") -> Outcome:
    return Outcome("F401", kind, "command", "auto-apply", "safe", {"n_edits": 1.0}, score=0.9)


def trustfix_data(old: Path, outcomes: int = 3) -> Path:
    """What trustfix left: a store with outcomes, a promoted model, a report."""
    store = Store.at(old)
    store.record_many([outcome()] * outcomes)
    store.close()
    Registry(old).promote(replace(load_artifact(), manifest={"model_version": LOCAL}), "better")
    (old / "report.html").write_text("<p>old report</p>")
    return old


def assert_adopted(new: Path, outcomes: int = 3) -> None:
    store = Store.at(new)
    try:
        assert store.stats()["events"] == outcomes
    finally:
        store.close()
    assert Registry(new).active() == new / "models" / LOCAL
    assert load_artifact(Registry(new).active()).version == LOCAL
    assert (new / "report.html").read_text() == "<p>old report</p>"


def test_everything_moves_once_into_a_new_directory(tmp_path: Path) -> None:
    old = trustfix_data(tmp_path / "trustfix")
    new = tmp_path / "share" / "surefix"
    said = adopt_legacy_data(new, old)
    assert said is not None and str(old) in said and str(new) in said
    assert "models" in said and "outcomes.sqlite3" in said
    assert_adopted(new)
    assert not old.exists()
    assert adopt_legacy_data(new, old) is None  # idempotent, and quiet the second time


def test_into_an_existing_directory_one_by_one(tmp_path: Path) -> None:
    old = trustfix_data(tmp_path / "trustfix")
    new = tmp_path / "surefix"
    new.mkdir()
    (new / "exports").mkdir()  # something of surefix's own, under another name
    assert adopt_legacy_data(new, old) is not None
    assert_adopted(new)
    assert (new / "exports").is_dir() and not old.exists()


WRITER_KILLED = """
import os, sys
from pathlib import Path
from surefix.model.local.store import Outcome, Store
store = Store.at(Path(sys.argv[1]))
for _ in range(40):
    store.record(Outcome("F401", "undone", "undo", "auto-apply", "safe", {}))
os._exit(0)  # no close: the outcomes are committed to the write-ahead log only
"""


def test_a_store_with_its_write_ahead_log_keeps_every_outcome(tmp_path: Path) -> None:
    old = tmp_path / "trustfix"
    subprocess.run([sys.executable, "-c", WRITER_KILLED, str(old)], check=True)
    assert (old / "outcomes.sqlite3-wal").stat().st_size > 0
    new = tmp_path / "surefix"
    new.mkdir()  # so the entries move one by one, after the log is folded in
    assert adopt_legacy_data(new, old) is not None
    assert sorted(p.name for p in new.iterdir()) == ["outcomes.sqlite3"]  # the log folded in
    store = Store.at(new)
    assert store.stats()["events"] == 40
    store.close()


def test_nothing_is_overwritten_and_the_user_is_told_once(tmp_path: Path) -> None:
    old = trustfix_data(tmp_path / "trustfix")
    new = tmp_path / "surefix"
    store = Store.at(new)
    store.record(outcome("undone"))  # surefix already has a store of its own
    store.close()
    before = {p.name: p.stat().st_mtime_ns for p in old.iterdir()}
    said = adopt_legacy_data(new, old)
    assert said is not None and "not moved" in said and "outcomes.sqlite3" in said
    assert "models" not in said.split("already has")[1]  # only the clash is named
    assert {p.name: p.stat().st_mtime_ns for p in old.iterdir() if p.name != NOTE_FILE} == before
    assert (old / NOTE_FILE).read_text().strip() == said
    assert not (new / "models").exists()  # all or nothing: the models stay with their store
    assert Store.at(new).stats()["events"] == 1
    assert adopt_legacy_data(new, old) is None


def test_missing_empty_or_same_directories_say_nothing(tmp_path: Path) -> None:
    new = tmp_path / "surefix"
    assert adopt_legacy_data(new, tmp_path / "missing") is None
    (tmp_path / "empty").mkdir()
    assert adopt_legacy_data(new, tmp_path / "empty") is None
    old = trustfix_data(tmp_path / "trustfix")
    assert adopt_legacy_data(old, old) is None
    assert not new.exists()


def test_a_new_directory_inside_the_old_one(tmp_path: Path) -> None:
    old = trustfix_data(tmp_path / "trustfix")
    new = old / "surefix"
    assert adopt_legacy_data(new, old) is not None
    assert_adopted(new)
    assert [p.name for p in old.iterdir()] == ["surefix"]


def test_the_data_commands_adopt_into_the_default_directory_and_say_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = trustfix_data(tmp_path / "trustfix")
    new = tmp_path / "surefix"
    monkeypatch.setattr(legacy, "legacy_data_dir", lambda: old)
    monkeypatch.setenv("SUREFIX_DATA_DIR", str(new))
    assert main(["data", "stats", "--json"]) == 0
    out, err = capsys.readouterr()
    assert '"events": 3' in out
    assert err.count("\n") == 1 and err.startswith("surefix: your trustfix data (")
    assert main(["model", "list"]) == 0
    out, err = capsys.readouterr()
    assert f"in use: {LOCAL}" in out and err == ""


def test_an_explicit_data_directory_is_used_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = trustfix_data(tmp_path / "trustfix")
    monkeypatch.setattr(legacy, "legacy_data_dir", lambda: old)
    assert main(["data", "stats", "--data-dir", str(tmp_path / "elsewhere")]) == 0
    assert capsys.readouterr().err == ""
    assert (old / "outcomes.sqlite3").is_file()
