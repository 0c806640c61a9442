"""The shipped pre-commit hooks, run by the real `pre-commit run` in a real git repository.

`.pre-commit-hooks.yaml` is what a user's `.pre-commit-config.yaml` points at; pre-commit would
install surefix into an environment of its own from the repository (tests/install/ does that, at
the cost of an install). Here each shipped hook becomes a `repo: local` hook with the same id,
arguments and file types, run by this interpreter (`language: unsupported`, the hook runs as it
is), so what is tested is the hook's definition and surefix behaving as a hook: the staged files
as arguments, a hook that changes a file failing, and `check`'s usual exit code.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HOOKS = REPO / ".pre-commit-hooks.yaml"
RUFF_TOML = '[lint]\nselect = ["F401", "UP031"]\n'
# F401 (safe) is in the auto-apply band; UP031 (Ruff marks it unsafe) is review-suggested.
MESSY = 'import os\nimport sys\n\n\ndef main() -> None:\n    print("%s" % sys.argv[0])\n'
TRUSTED_ONLY = 'import sys\n\n\ndef main() -> None:\n    print("%s" % sys.argv[0])\n'
CLEAN = 'import sys\n\n\ndef main() -> None:\n    print(f"{sys.argv[0]}")\n'


def shipped_hooks() -> list[dict[str, Any]]:
    hooks = yaml.safe_load(HOOKS.read_text())
    assert isinstance(hooks, list)
    return hooks


def as_local(hook: dict[str, Any]) -> dict[str, Any]:
    """The shipped hook, run by this interpreter instead of an environment pre-commit builds."""
    command, *rest = shlex.split(hook["entry"])
    assert command == "surefix", hook
    entry = shlex.join([sys.executable, "-m", "surefix.server.cli", *rest])
    return {**hook, "entry": entry, "language": "unsupported"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def run(argv: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["PRE_COMMIT_HOME"] = str(home)  # pre-commit's store, never the user's
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def statuses(output: str) -> dict[str, str]:
    """`{"surefix fix": "Failed", ...}` from pre-commit's `name.....Passed` lines."""
    return dict(re.findall(r"^(.+?)\.{3,}(Passed|Failed|Skipped)", output, re.MULTILINE))


def hook_output(output: str, hook_id: str) -> str:
    """What pre-commit printed under one hook's `- hook id:` line, up to the next hook."""
    start = output.index(f"- hook id: {hook_id}")
    end = re.compile(r"^.+\.{3,}(Passed|Failed|Skipped)", re.MULTILINE).search(output, start)
    return output[start : end.start() if end else len(output)]


def test_the_manifest_is_what_a_user_installs() -> None:
    hooks = {h["id"]: h for h in shipped_hooks()}
    assert set(hooks) == {"surefix-fix", "surefix-check"}
    for hook in hooks.values():
        assert hook["language"] == "python"  # pre-commit installs surefix from the repository
        assert hook["types_or"] == ["python", "pyi"]
    assert hooks["surefix-fix"]["entry"] == "surefix fix --exit-non-zero-on-fix"
    assert hooks["surefix-check"]["entry"] == "surefix check"
    checked = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(HOOKS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a messy Python file, a README that reads like Python, and a
    `.pre-commit-config.yaml` running the shipped hooks, fix first."""
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "ruff.toml").write_text(RUFF_TOML)
    (repo / "m.py").write_text(MESSY)
    (repo / "README.md").write_text("import os\n")  # not Python: pre-commit never passes it
    config = {"repos": [{"repo": "local", "hooks": [as_local(h) for h in shipped_hooks()]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    git(repo, "add", "-A")
    return repo


def test_pre_commit_applies_only_trusted_fixes_and_fails_until_clean(
    repo: Path, tmp_path: Path
) -> None:
    home = tmp_path / "pre-commit-home"
    surefix = [sys.executable, "-m", "surefix.server.cli"]
    before = run([*surefix, "check", "m.py", "--format", "json"], repo, home)
    bands = {f["rule"]: f["band"] for f in json.loads(before.stdout)[0]["fixes"]}
    assert bands == {"F401": "auto-apply", "UP031": "review-suggested"}, before.stdout

    first = run([sys.executable, "-m", "pre_commit", "run", "--all-files"], repo, home)
    assert first.returncode == 1, first.stdout + first.stderr
    assert statuses(first.stdout) == {"surefix fix": "Failed", "surefix check": "Failed"}
    fixed = hook_output(first.stdout, "surefix-fix")
    assert "- exit code: 1" in fixed and "- files were modified by this hook" in fixed
    assert "m.py: applied 1 (F401 x1); skipped 1 review-suggested" in fixed
    assert "README.md" not in first.stdout
    assert (repo / "m.py").read_text() == TRUSTED_ONLY  # the unsafe UP031 fix is not applied
    assert (repo / "README.md").read_text() == "import os\n"
    reported = hook_output(first.stdout, "surefix-check")  # run on the fixed file: UP031 is left
    assert "- exit code: 1" in reported and "files were modified" not in reported
    assert "m.py:5:11: UP031" in reported and "F401" not in reported

    second = run([sys.executable, "-m", "pre_commit", "run", "--all-files"], repo, home)
    assert second.returncode == 1, second.stdout + second.stderr
    assert statuses(second.stdout) == {"surefix fix": "Passed", "surefix check": "Failed"}
    assert (repo / "m.py").read_text() == TRUSTED_ONLY

    (repo / "m.py").write_text(CLEAN)
    third = run([sys.executable, "-m", "pre_commit", "run", "--all-files"], repo, home)
    assert third.returncode == 0, third.stdout + third.stderr
    assert statuses(third.stdout) == {"surefix fix": "Passed", "surefix check": "Passed"}
    assert (repo / "m.py").read_text() == CLEAN
