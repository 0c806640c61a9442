"""The miner's labels on small git histories the tests write themselves."""

from __future__ import annotations

import csv
import gzip
import subprocess
from pathlib import Path

import pytest

from trustfix.model.mining.git import GitError, Repository
from trustfix.model.mining.miner import MineConfig, mine_repository

BASE = """import os
import sys


def greet(name):
    return "hello %s" % name


def main():
    print(greet(sys.argv[1]))
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def history(tmp_path: Path, *versions: str) -> Path:
    """A repository whose `pkg/mod.py` goes through `versions`, one commit each."""
    repo = tmp_path / "owner+project"
    (repo / "pkg").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for i, text in enumerate(versions):
        (repo / "pkg" / "mod.py").write_text(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"v{i}", "--date", f"2024-01-{i + 1:02d}T00:00:00")
    return repo / ".git"


def mine(git_dir: Path, out: Path) -> list[dict[str, str]]:
    mine_repository(git_dir, out, MineConfig(workers=1), progress=False)
    (rows,) = out.glob("*.csv.gz")
    with gzip.open(rows, "rt") as fh:
        return list(csv.DictReader(fh))


def labels(rows: list[dict[str, str]], rule: str) -> list[tuple[str, str]]:
    return [(r["label"], r["detail"]) for r in rows if r["rule"] == rule]


def test_exactly_ruffs_fix_is_kept(tmp_path: Path) -> None:
    after = BASE.replace("import os\n", "")
    rows = mine(history(tmp_path, BASE, after), tmp_path / "out")
    assert labels(rows, "F401") == [("1", "exact")]


def test_a_different_spelling_of_the_same_code_is_not_kept(tmp_path: Path) -> None:
    # Ruff's UP031 fix is `"hello {}".format(name)`; the developer wrote an f-string instead.
    after = BASE.replace('"hello %s" % name', 'f"hello {name}"')
    rows = mine(history(tmp_path, BASE, after), tmp_path / "out")
    assert labels(rows, "UP031") == [("0", "rewritten")]


def test_silencing_with_noqa_is_not_kept(tmp_path: Path) -> None:
    after = BASE.replace("import os\n", "import os  # noqa: F401\n")
    rows = mine(history(tmp_path, BASE, after), tmp_path / "out")
    assert labels(rows, "F401") == [("0", "noqa")]


def test_changing_what_the_code_says_is_no_decision(tmp_path: Path) -> None:
    after = BASE.replace('"hello %s" % name', '"goodbye " + name.title()')
    rows = mine(history(tmp_path, BASE, after), tmp_path / "out")
    assert labels(rows, "UP031") == []


def test_deleting_the_function_is_dropped(tmp_path: Path) -> None:
    after = BASE.replace('def greet(name):\n    return "hello %s" % name\n\n\n', "")
    out = tmp_path / "out"
    rows = mine(history(tmp_path, BASE, after), out)
    assert labels(rows, "UP031") == []
    stats = next(out.glob("*.json")).read_text()
    assert '"drop:scope_removed": 1' in stats


def test_rows_carry_provenance_but_no_source_text(tmp_path: Path) -> None:
    after = BASE.replace("import os\n", "")
    rows = mine(history(tmp_path, BASE, after), tmp_path / "out")
    (row,) = rows
    assert row["repo"] == "owner/project" and len(row["commit"]) == 40
    assert "import" not in " ".join(row.values()) and "mod.py" not in " ".join(row.values())


def test_reserved_repositories_are_refused(tmp_path: Path) -> None:
    repo = tmp_path / "pallets+flask"
    repo.mkdir()
    git(repo, "init", "-q")
    with pytest.raises(ValueError, match="reserved"):
        mine_repository(repo / ".git", tmp_path / "out", MineConfig(workers=1), progress=False)


def test_a_folder_that_is_not_git_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not a git repository"):
        Repository(tmp_path)
