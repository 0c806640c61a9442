"""The shipped `.pre-commit-hooks.yaml` as a user's pre-commit runs it: `pre-commit try-repo`
on this checkout installs surefix from it (`language: python`: a fresh environment, `pip install`
of the repository, its dependencies from the package index) and runs both hooks.

Slow: about 35 s, nearly all of it pip installing surefix's dependencies into the hook's
environment (pip's cache, which `make` fills, keeps it from downloading them again; twice that
on a machine busy with other work). One run covers both hooks, which share that environment.
tests/unit/test_pre_commit.py runs the same hook definitions without an install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUFF_TOML = '[lint]\nselect = ["F401", "UP031"]\n'
MESSY = 'import os\nimport sys\n\n\ndef main() -> None:\n    print("%s" % sys.argv[0])\n'
TRUSTED_ONLY = 'import sys\n\n\ndef main() -> None:\n    print("%s" % sys.argv[0])\n'


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="try-repo needs a git checkout")
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_try_repo_installs_the_hooks_and_applies_only_trusted_fixes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "VIRTUAL_ENV"))}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")  # never the user's store
    subprocess.run(["git", "init", "-q"], cwd=project, check=True, timeout=60)
    (project / "ruff.toml").write_text(RUFF_TOML)
    (project / "m.py").write_text(MESSY)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True, timeout=60)

    # No hook id: every hook of the manifest, in order of id (check, then fix).
    tried = run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "--all-files"], project, env
    )
    out = tried.stdout + tried.stderr
    assert tried.returncode == 1, out
    assert (project / "m.py").read_text() == TRUSTED_ONLY, out
    reported = out[out.index("- hook id: surefix-check") : out.index("- hook id: surefix-fix")]
    assert "- exit code: 1" in reported and "files were modified" not in reported, out
    assert "m.py:1:8: F401" in reported and "m.py:6:11: UP031" in reported, out
    fixed = out[out.index("- hook id: surefix-fix") :]
    assert "- exit code: 1" in fixed and "- files were modified by this hook" in fixed, out
    assert "m.py: applied 1 (F401 x1); skipped 1 review-suggested" in fixed, out
