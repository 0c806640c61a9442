"""What a mined event's project said, and whether a kept fix stayed kept.

Two passes over one repository's mined rows, after its commits were labelled:

* **Project facts.** Every row gets the `featurize.project_row` columns — how the project's own
  configuration treats the rule (by its code, by a prefix, through flake8/isort/pre-commit, only
  by Ruff's default, not at all, ignored), its formatter, line length and target version — from
  the configuration files at the row's commit, read by the very `read_facts` the server reads
  the open file's project with. The files are written to a scratch folder, one per distinct set
  of blobs, so the reading is the server's, byte for byte.
* **Retention.** A fix that was made and then undone was not kept. A kept row becomes a
  *retention negative* (label 0, detail `restored`) when a later commit of the mined window
  brings back the exact old statement (whitespace aside) in the same file and Ruff reports the
  same rule on it again. Bringing back the text alone is not enough: `import os` removed as
  unused and re-added with a use is not a rejected fix.

Both passes read git and run at most one Ruff process per repository; nothing is re-linted.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from surefix.features.document import Document
from surefix.features.featurize import project_row
from surefix.features.project.facts import ProjectFacts, read_facts
from surefix.features.ruff.run import RuffOptions, lint_tree
from surefix.model.mining.git import Commit, Repository
from surefix.model.mining.project import ProjectStyle

# The root files `read_facts` looks at (features/project): Ruff's, flake8's, isort's, black's
# and pre-commit's configurations, the packaging files naming Pythons, requirements files.
CONFIG_NAMES = frozenset(
    {
        "pyproject.toml",
        "ruff.toml",
        ".ruff.toml",
        "setup.cfg",
        "tox.ini",
        ".flake8",
        ".isort.cfg",
        ".pre-commit-config.yaml",
        "setup.py",
    }
)
_REQUIREMENTS = re.compile(r"(.*[-_.])?requirements?([-_.].*)?\.(txt|in)$", re.IGNORECASE)
MIN_FINGERPRINT = 6  # shorter statements (`pass`, `x = 1`) come back for unrelated reasons
RESTORED = "restored"  # a row's detail becomes `restored:<how it was matched>`
# Bumped whenever what counts as undone changes: mined outputs of an older version are
# re-checked (`miner.enrich_mined`). 2: only commits that descend from the fix count.
RETENTION_VERSION = 2
Row = dict[str, object]


class CommitFacts:
    """`ProjectFacts` of the repository's root at a commit, cached on its config blobs."""

    def __init__(self, repo: Repository, defaults: Iterable[str], scratch: Path) -> None:
        self.repo = repo
        self.defaults = frozenset(defaults)
        self.scratch = scratch
        self._by_blobs: dict[tuple[str, ...], ProjectFacts] = {}

    def __call__(self, sha: str) -> ProjectFacts:
        root = self.repo.tree_names(sha)
        names = [n for n in root if n in CONFIG_NAMES or _REQUIREMENTS.match(n)]
        if "requirements" in root:
            names += [
                f"requirements/{n}"
                for n in self.repo.tree_names(sha, "requirements")
                if n.endswith((".txt", ".in"))
            ]
        key = self.repo.blob_ids(sha, names) if names else ()
        if key not in self._by_blobs:
            folder = self.scratch / f"facts{len(self._by_blobs)}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for name in names:
                data = self.repo.read(sha, name)
                if data is not None:
                    (folder / name).parent.mkdir(parents=True, exist_ok=True)
                    (folder / name).write_bytes(data)
            self._by_blobs[key] = read_facts(folder, None, self.defaults)[0]
            shutil.rmtree(folder, ignore_errors=True)
        return self._by_blobs[key]


def add_project_facts(rows: Sequence[Row], facts_at: CommitFacts) -> None:
    """Fill every row's project columns from its commit's configuration."""
    for row in rows:
        row.update(project_row(facts_at(str(row["commit"])), str(row["rule"])))


def fingerprint(text: str, line: int, document: Document | None = None) -> str:
    """The statement at `line`, whitespace removed: what "the old code came back" compares."""
    doc = document or Document(text, "x.py")
    first, last = doc.statement_span(line)
    lines = text.splitlines()[first : last + 1]
    return "".join("".join(lines).split())


@dataclass(frozen=True)
class Restoring:
    """A later version of a file in which a kept fix's old statement is back."""

    row: int  # index into the rows
    commit: str
    path: str
    rule: str
    fingerprint: str


def find_restorings(
    repo: Repository,
    rows: Sequence[Row],
    paths: dict[tuple[str, str], str],
    window: Sequence[Commit],
) -> list[Restoring]:
    """For each kept row, the first later commit of `window` (newest first, as mined) whose
    version of the file holds the statement the fix replaced, where the fix's own commit did
    not. `paths` maps (commit, path_hash) to the file's path."""
    order = {c.sha: i for i, c in enumerate(window)}
    parents = {c.sha: c.parent for c in window}
    touching = _commits_touching(repo, window)
    versions: dict[tuple[str, str], str | None] = {}
    descendants: dict[str, frozenset[str]] = {}

    def descending(fix: str) -> frozenset[str]:
        """The window's commits that have `fix` in their history. A commit on a maintenance
        branch that never merged the fix still has the old code, and undid nothing."""
        if fix not in descendants:
            out = repo.run("rev-list", "--ancestry-path", f"{fix}..{window[0].sha}")
            descendants[fix] = frozenset(out.split())
        return descendants[fix]

    def normalized(sha: str, path: str) -> str | None:
        if (sha, path) not in versions:
            data = repo.read(sha, path)
            text = data.decode("utf-8", "replace") if data is not None else None
            versions[(sha, path)] = "".join(text.split()) if text is not None else None
        return versions[(sha, path)]

    found = []
    for i, row in enumerate(rows):
        sha = str(row["commit"])
        path = paths.get((sha, str(row["path_hash"])))
        if int(str(row["label"])) != 1 or path is None or sha not in order:
            continue
        before = repo.read(parents[sha], path)
        if before is None:
            continue
        mark = fingerprint(before.decode("utf-8", "replace"), int(str(row["p_line"])))
        after = normalized(sha, path)
        if len(mark) < MIN_FINGERPRINT or after is None or mark in after:
            continue
        newer = [c for c in touching.get(path, ()) if order[c] < order[sha]]
        later = [c for c in newer if c in descending(sha)] if newer else []
        for commit in sorted(later, key=order.__getitem__, reverse=True):  # oldest first
            version = normalized(commit, path)
            if version is None:
                break  # deleted: whatever comes back later is another file
            if mark in version:
                found.append(Restoring(i, commit, path, str(row["rule"]), mark))
                break
    return found


def confirm_restorings(
    repo: Repository, restorings: Sequence[Restoring], style: ProjectStyle, scratch: Path
) -> list[Restoring]:
    """The restorings where Ruff reports the fix's rule on the restored statement again: one
    Ruff process for all of them."""
    if not restorings:
        return []
    tree = scratch / "restored"
    shutil.rmtree(tree, ignore_errors=True)
    texts = {}
    for k, restoring in enumerate(restorings):
        data = repo.read(restoring.commit, restoring.path)
        if data is None:
            continue
        target = tree / str(k) / restoring.path
        target.parent.mkdir(parents=True, exist_ok=True)
        text = data.decode("utf-8", "replace")
        target.write_text(text, encoding="utf-8")
        texts[k] = text
    options = RuffOptions(
        isolated=True,
        select=tuple(sorted({r.rule for r in restorings})),
        target_version=style.target_version,
        line_length=style.line_length,
        config_overrides=style.overrides,
        timeout=300,
        env={"RAYON_NUM_THREADS": "1"},
    )
    results = lint_tree(tree, options)
    confirmed = []
    for k, restoring in enumerate(restorings):
        result = results.get(str(Path(str(k)) / restoring.path))
        if k not in texts or result is None:
            continue
        document = Document(texts[k], restoring.path)
        lines = {
            v.start.line
            for v in result.violations
            if v.rule == restoring.rule
            and fingerprint(texts[k], v.start.line, document) == restoring.fingerprint
        }
        if lines:
            confirmed.append(restoring)
    shutil.rmtree(tree, ignore_errors=True)
    return confirmed


def mark_retention(rows: Sequence[Row], confirmed: Sequence[Restoring]) -> Counter[str]:
    """Turn the confirmed restorings' rows into retention negatives; count them per rule."""
    by_rule: Counter[str] = Counter()
    for restoring in confirmed:
        row = rows[restoring.row]
        row["label"] = 0
        row["detail"] = f"{RESTORED}:{row['detail']}"
        by_rule[restoring.rule] += 1
    return by_rule


def unmark_retention(rows: Sequence[Row]) -> int:
    """Undo an earlier retention pass, so a new one starts from the labels the commits gave."""
    undone = 0
    for row in rows:
        detail = str(row["detail"])
        if detail == RESTORED or detail.startswith(f"{RESTORED}:"):
            row["label"] = 1
            row["detail"] = detail.partition(":")[2] or "kept"  # older passes kept no detail
            undone += 1
    return undone


def path_hash(repo: str, path: str) -> str:
    """How rows name a file: never its path, a short hash of `repo:path`."""
    return hashlib.sha256(f"{repo}:{path}".encode()).hexdigest()[:16]


def row_paths(
    repo: Repository, rows: Sequence[Row], window: Sequence[Commit]
) -> dict[tuple[str, str], str]:
    """(commit, path_hash) -> path, for the rows' commits: the rows name files only by hash."""
    by_sha = {c.sha: c for c in window}
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        wanted[str(row["commit"])].add(str(row["path_hash"]))
    paths: dict[tuple[str, str], str] = {}
    for sha, hashes in wanted.items():
        commit = by_sha.get(sha)
        if commit is None:
            continue
        for pair in repo.changed_python_files(commit):
            digest = path_hash(str(rows[0]["repo"]), pair.new_path)
            if digest in hashes:
                paths[(sha, digest)] = pair.new_path
    return paths


def retention(
    repo: Repository,
    rows: Sequence[Row],
    window: Sequence[Commit],
    style: ProjectStyle,
    scratch: Path,
) -> Counter[str]:
    """Find, confirm and mark the retention negatives among `rows`; their count per rule."""
    paths = row_paths(repo, rows, window)
    found = find_restorings(repo, rows, paths, window)
    return mark_retention(rows, confirm_restorings(repo, found, style, scratch))


def _commits_touching(repo: Repository, window: Sequence[Commit]) -> dict[str, list[str]]:
    """path -> the window's commits that changed it (as `git log --name-only` lists them)."""
    if not window:
        return {}
    out = repo.run(
        "log",
        "--no-merges",
        "--format=@%H",
        "--name-only",
        f"{window[-1].parent}..{window[0].sha}",
        "--",
        "*.py",
    )
    touching: dict[str, list[str]] = defaultdict(list)
    wanted = {c.sha for c in window}
    sha = ""
    for line in out.splitlines():
        if line.startswith("@"):
            sha = line[1:]
        elif line and sha in wanted:
            touching[line].append(sha)
    return touching
