"""Read-only git plumbing for the miner: commits, changed files, hunks and blobs.

Blobs come through one long-lived `git cat-file --batch` process per worker, since spawning a
git process per file would cost more than linting the file.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from surefix.model.mining.label import Hunk

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class GitError(RuntimeError):
    """A path that is not a git repository, or a git command that failed."""


@dataclass(frozen=True)
class Commit:
    sha: str
    parent: str
    timestamp: int


@dataclass(frozen=True)
class FilePair:
    old_path: str
    new_path: str


class Repository:
    def __init__(self, git_dir: Path) -> None:
        self.git_dir = Path(git_dir)
        if (self.git_dir / ".git").is_dir():  # a clone with a work tree: its git directory
            self.git_dir = self.git_dir / ".git"
        if not self.git_dir.exists():
            raise GitError(f"{git_dir} does not exist")
        try:
            self.run("rev-parse", "--git-dir")
        except GitError:
            raise GitError(f"{git_dir} is not a git repository") from None
        self._batch: subprocess.Popen[bytes] | None = None

    def run(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", *args], capture_output=True, check=False
        )
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(message[-1] if message else f"git {args[0]} failed")
        return proc.stdout.decode("utf-8", "replace")

    def head(self) -> str:
        return self.run("rev-parse", "HEAD").strip()

    def commits(self, max_count: int, head: str = "HEAD") -> list[Commit]:
        """Newest non-merge commits (with a parent) that touch Python files, from `head`."""
        out = self.run(
            "log",
            "--no-merges",
            f"--max-count={max_count}",
            "--format=%H %P %ct",
            head,
            "--",
            "*.py",
        )
        commits = []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3:
                commits.append(Commit(parts[0], parts[1], int(parts[2])))
        return commits

    def changed_python_files(self, commit: Commit) -> list[FilePair]:
        """Modified (or renamed and modified) .py files; added, deleted and pure renames skipped."""
        out = self.run(
            "diff-tree",
            "-r",
            "-M",
            "--no-commit-id",
            "-z",
            "--name-status",
            commit.parent,
            commit.sha,
        )
        fields = out.split("\0")
        pairs = []
        i = 0
        while i < len(fields) - 1:
            status = fields[i]
            if status.startswith(("R", "C")):
                old, new = fields[i + 1], fields[i + 2]
                i += 3
                if status.startswith("R") and status != "R100":
                    pairs.append(FilePair(old, new))
                continue
            path = fields[i + 1]
            i += 2
            if status == "M":
                pairs.append(FilePair(path, path))
        return [p for p in pairs if p.old_path.endswith(".py") and p.new_path.endswith(".py")]

    def hunks(self, commit: Commit) -> dict[str, list[Hunk]]:
        """Zero-context hunks of every changed .py file, keyed by the new path."""
        out = self.run(
            "diff-tree",
            "-p",
            "-U0",
            "-M",
            "--no-color",
            "--no-ext-diff",
            "--no-commit-id",
            commit.parent,
            commit.sha,
            "--",
            "*.py",
        )
        result: dict[str, list[Hunk]] = {}
        current: list[Hunk] | None = None
        for line in out.splitlines():
            if line.startswith("+++ "):
                name = line[4:]
                current = result.setdefault(name[2:] if name.startswith("b/") else name, [])
            elif line.startswith("@@") and current is not None:
                m = _HUNK.match(line)
                if m:
                    current.append(_hunk(m))
        return result

    def tree_names(self, commit: str, subdir: str = "") -> list[str]:
        try:
            out = self.run("ls-tree", "--name-only", f"{commit}:{subdir}" if subdir else commit)
        except GitError:
            return []
        return out.splitlines()

    def blob_ids(self, commit: str, names: list[str]) -> tuple[str, ...]:
        out = self.run("ls-tree", commit, "--", *names)
        return tuple(sorted(line.split()[2] + line.split("\t")[-1] for line in out.splitlines()))

    def read(self, commit: str, path: str) -> bytes | None:
        """The file's bytes at `commit`, or None when it does not exist there."""
        if self._batch is None:
            self._batch = subprocess.Popen(
                ["git", f"--git-dir={self.git_dir}", "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        assert self._batch.stdin is not None and self._batch.stdout is not None
        self._batch.stdin.write(f"{commit}:{path}\n".encode())
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            return None
        data = self._batch.stdout.read(int(header[2]))
        self._batch.stdout.read(1)
        return data

    def close(self) -> None:
        if self._batch is not None:
            self._batch.kill()
            self._batch.wait()
            self._batch = None


def _hunk(m: re.Match[str]) -> Hunk:
    p_start, p_len = int(m.group(1)), int(m.group(2) or 1)
    c_start, c_len = int(m.group(3)), int(m.group(4) or 1)
    # In a zero-length side git names the line *after which* the change sits (1-based).
    return Hunk(
        p_start if p_len == 0 else p_start - 1, p_len, c_start if c_len == 0 else c_start - 1, c_len
    )
