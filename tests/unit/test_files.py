"""The one way surefix replaces a file: all of the new one, or the old one untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from surefix.model.files import atomic_path, write_json_atomic


def test_a_complete_write_replaces_the_file_and_leaves_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "data.json"  # the parent is created
    write_json_atomic(target, {"b": 1, "a": [1.5]})
    write_json_atomic(target, {"b": 2})
    assert json.loads(target.read_text()) == {"b": 2}
    assert target.read_text() == '{\n "b": 2\n}\n'
    assert [p.name for p in target.parent.iterdir()] == ["data.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "data.json"
    write_json_atomic(target, {"kept": True})
    with pytest.raises(ValueError):
        write_json_atomic(target, {"bad": float("nan")})  # not JSON: refused
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert json.loads(target.read_text()) == {"kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]
