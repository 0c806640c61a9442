"""The miner's labels on small git histories the tests write themselves."""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from surefix.model.mining.git import GitError, Repository
from surefix.model.mining.miner import MineConfig, mine_repository

BASE = """import os
import sys


def greet(name):
    return "hello %s" % name


def main():
    print(greet(sys.argv[1]))
"""


def git(repo: Path, *args: str, when: str | None = None) -> None:
    """Run git in `repo`; `when` dates the commit (author and committer) for time order."""
    env = {**os.environ, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when} if when else None
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        env=env,
    )


def history(tmp_path: Path, *versions: str, files: dict[str, str] | None = None) -> Path:
    """A repository whose `pkg/mod.py` goes through `versions`, one commit each; `files` are
    committed at the root with the first version."""
    repo = tmp_path / "owner+project"
    (repo / "pkg").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for name, text in (files or {}).items():
        (repo / name).write_text(text)
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


def test_the_hold_out_set_takes_only_reserved_repositories(tmp_path: Path) -> None:
    repo = tmp_path / "owner+project"
    repo.mkdir()
    git(repo, "init", "-q")
    with pytest.raises(ValueError, match="not a reserved project"):
        mine_repository(
            repo / ".git", tmp_path / "out", MineConfig(workers=1), progress=False, holdout=True
        )


def test_a_folder_that_is_not_git_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not a git repository"):
        Repository(tmp_path)


def rows_for(tmp_path: Path, before: str, after: str) -> tuple[list[dict[str, str]], str]:
    """Mined rows of a one-commit history, and the repository's statistics as text."""
    out = tmp_path / "out"
    rows = mine(history(tmp_path, before, after), out)
    return rows, next(out.glob("*.json")).read_text()


def test_a_noqa_on_another_line_does_not_make_the_fix_not_kept(tmp_path: Path) -> None:
    before = (
        "import sys\n"
        "from contextlib import contextmanager, suppress\n"
        "from typing import Callable\n\n\n"
        "@contextmanager\ndef ctx():\n    yield sys.argv\n"
    )
    after = before.replace(", suppress", "").replace("Callable\n", "Callable  # noqa: F401\n")
    rows, _ = rows_for(tmp_path, before, after)
    by_line = {r["p_line"]: (r["label"], r["detail"]) for r in rows if r["rule"] == "F401"}
    assert by_line == {"1": ("1", "tokens"), "2": ("0", "noqa")}


def test_an_import_moved_under_type_checking_in_another_order_is_kept(tmp_path: Path) -> None:
    before = (
        "from __future__ import annotations\n\n"
        "from pathlib import Path\nfrom shutil import rmtree\n\n\n"
        "def ensure_empty_dir(path: Path) -> None:\n    rmtree(path)\n"
    )
    # Ruff puts the `if TYPE_CHECKING:` block after the other imports; the developer before them.
    after = before.replace(
        "from pathlib import Path\nfrom shutil import rmtree\n",
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from pathlib import Path\n\n"
        "from shutil import rmtree\n",
    )
    rows, _ = rows_for(tmp_path, before, after)
    assert labels(rows, "TC003") == [("1", "canonical")]


def test_a_docstring_fixed_and_joined_onto_one_line_is_kept(tmp_path: Path) -> None:
    before = 'def greet(name):\n    """\n    Say hello to someone.\n    """\n    return name\n'
    after = 'def greet(name):\n    """Say hello to someone."""\n    return name\n'
    rows, _ = rows_for(tmp_path, before, after)
    assert labels(rows, "D212") == [("1", "canonical")]


def test_swapping_one_typing_name_for_another_is_no_decision(tmp_path: Path) -> None:
    # Ruff's UP006 fix is `list[int]`; `Sequence[int]` says something else about the argument.
    before = (
        "from __future__ import annotations\n\nfrom typing import List, Sequence\n\n\n"
        "def total(values: List[int]) -> int:\n    return sum(values)\n"
    )
    rows, stats = rows_for(tmp_path, before, before.replace("List[int]", "Sequence[int]"))
    assert labels(rows, "UP006") == []
    assert '"drop:content_changed": 1' in stats


def test_a_fix_made_inside_a_call_the_formatter_then_wrapped_is_kept(tmp_path: Path) -> None:
    before = 'import warnings\n\n\ndef old():\n    warnings.warn("old", DeprecationWarning)\n'
    after = before.replace(
        '("old", DeprecationWarning)',
        '(\n        "old",\n        DeprecationWarning,\n        stacklevel=2,\n    )',
    )
    rows, _ = rows_for(tmp_path, before, after)
    assert labels(rows, "B028") == [("1", "tokens")]


def test_leaving_part_of_what_the_fix_changes_is_no_decision(tmp_path: Path) -> None:
    # RET504 would return the value directly; the developer kept the variable, only annotated it.
    before = "def epoch(v):\n    result = v.epoch  # type: int\n    return result\n"
    after = "def epoch(v):\n    result: int = v.epoch\n    return result\n"
    rows, stats = rows_for(tmp_path, before, after)
    assert labels(rows, "RET504") == []
    assert '"drop:fix_spot_kept": 1' in stats


def test_a_fix_a_later_commit_undoes_is_not_kept(tmp_path: Path) -> None:
    # The unused import is removed exactly as Ruff would, then put back two commits later.
    fixed = BASE.replace("import os\n", "")
    later = fixed.replace("def main():", "def main():  # entry point")
    rows = mine(history(tmp_path, BASE, fixed, later, BASE), tmp_path / "out")
    first = next(r for r in rows if r["rule"] == "F401")
    assert (first["label"], first["detail"]) == ("0", "restored:exact")
    (stats,) = (tmp_path / "out").glob("*.json")
    data = json.loads(stats.read_text())
    assert data["retention_by_rule"] == {"F401": 1}
    assert data["counts"]["retention_negatives"] == 1


def test_old_code_back_without_the_violation_stays_kept(tmp_path: Path) -> None:
    # `import os` comes back because new code uses it: the fix was right then, and stayed so.
    fixed = BASE.replace("import os\n", "")
    used = BASE + "\n\ndef here():\n    return os.getcwd()\n"
    rows = mine(history(tmp_path, BASE, fixed, used), tmp_path / "out")
    assert labels(rows, "F401")[0] == ("1", "exact")


def test_rows_say_what_the_projects_configuration_chose_at_that_commit(tmp_path: Path) -> None:
    config = '[tool.black]\nline-length = 100\n\n[tool.isort]\nprofile = "black"\n'
    after = BASE.replace("import os\n", "")
    rows = mine(history(tmp_path, BASE, after, files={"pyproject.toml": config}), tmp_path / "out")
    (row,) = [r for r in rows if r["rule"] == "F401"]
    assert row["project_choice"] == "default"  # Ruff's own default selection has F401
    assert row["project_formatter"] == "black"
    assert float(row["project_line_length"]) == 100.0
    assert float(row["project_ruff_config"]) == 0.0


def test_a_maintenance_branch_that_never_had_the_fix_undoes_nothing(tmp_path: Path) -> None:
    # `stable` branches off before the fix and changes another line later; merged into main,
    # its commit still has the old import, but main keeps the fix.
    repo_dir = history(tmp_path, BASE)
    repo = repo_dir.parent
    git(repo, "branch", "stable")
    (repo / "pkg" / "mod.py").write_text(BASE.replace("import os\n", ""))
    git(repo, "commit", "-qam", "fix", when="2024-02-01T00:00:00")
    git(repo, "checkout", "-q", "stable")
    (repo / "pkg" / "mod.py").write_text(BASE.replace("hello", "hi"))
    git(repo, "commit", "-qam", "stable", when="2024-03-01T00:00:00")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "stable", when="2024-03-02T00:00:00")
    assert "import os" not in (repo / "pkg" / "mod.py").read_text()
    rows = mine(repo_dir, tmp_path / "out")
    assert labels(rows, "F401")[0] == ("1", "exact")


def test_labelling_one_file_is_cut_off_at_its_time_limit() -> None:
    from surefix.model.mining.miner import FileTimeout, deadline

    with pytest.raises(FileTimeout), deadline(1):
        while True:  # a labelling step that never ends
            pass
    with deadline(1):  # and the alarm is gone afterwards: this sleep outlives it unharmed
        pass
    time.sleep(1.2)
