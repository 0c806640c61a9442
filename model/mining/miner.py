"""Mine fix decisions from a repository's history: `surefix mine`.

For every non-merge commit that modifies Python files, lint each modified file before (P) and
after (C) with one Ruff process per commit, match violations through the diff, and label every
fixable violation the commit resolved (see `label.py`). Output rows carry features, a label and
provenance (repository, commit, hash of the path, rule, position) — never source text.

Work is bounded (newest `max_commits` commits, a time budget per repository), spread over
processes in chunks of commits, and resumable per repository: a finished repository's rows and
statistics are written atomically and skipped on the next run.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from surefix.features.featurize import FEATURE_NAMES, SCHEMA_VERSION, FileContext, featurize
from surefix.features.project.facts import ProjectFacts
from surefix.features.ruff.findings import LintResult, Violation
from surefix.features.ruff.run import (
    RuffOptions,
    default_rules,
    fixable_rules,
    lint_tree,
    ruff_version,
)
from surefix.model.files import atomic_path, write_json_atomic
from surefix.model.mining.enrich import (
    RESTORED,
    RETENTION_VERSION,
    CommitFacts,
    add_project_facts,
    path_hash,
    retention,
    unmark_retention,
)
from surefix.model.mining.git import Commit, FilePair, Repository
from surefix.model.mining.label import Hunk, LineMap, Side, label_resolution
from surefix.model.mining.project import CONFIG_FILES, ProjectStyle, read_style

# Kept aside for independent evaluation of the bundled model: never mined into training data.
RESERVED = frozenset(
    {
        "pallets/flask",
        "psf/requests",
        "encode/httpx",
        "pallets/click",
        "python-attrs/attrs",
        "tiangolo/typer",
        "encode/starlette",
        "Textualize/rich",
    }
)


def check_reserved(name: str, holdout: bool) -> None:
    """Reserved projects are mined only for the hold-out set, and the hold-out set only from
    them, so a mix-up in either direction stops before any work."""
    if holdout and name not in RESERVED:
        raise ValueError(
            f"{name} is not a reserved project; the hold-out set is only {sorted(RESERVED)}"
        )
    if not holdout and name in RESERVED:
        raise ValueError(
            f"{name} is reserved for independent evaluation and is never mined for training"
        )


def reserved_in(repos: Iterable[str]) -> list[str]:
    return sorted(set(repos) & RESERVED)


_VENDORED = re.compile(r"(^|/)(_?vendor(ed)?|third_party|extern|externals|site-packages)(/|$)")
PROVENANCE = ("repo", "commit", "ts", "path_hash", "rule", "p_line", "p_col", "n_same")
COLUMNS = (*PROVENANCE, "label", "detail", *(f for f in FEATURE_NAMES if f not in PROVENANCE))


@dataclass(frozen=True)
class MineConfig:
    max_commits: int = 1500
    max_seconds: float = 900.0
    max_file_bytes: int = 400_000
    max_per_file_rule: int = 20
    chunk: int = 20
    workers: int = max(1, os.cpu_count() or 1)
    select: tuple[str, ...] = ()  # empty: every stable rule that can offer a fix
    defaults: tuple[str, ...] = ()  # Ruff's default selection (`ProjectFacts.defaults`)
    # Labelling one file pair stops after this long (a pathological diff once held a chunk
    # for 15 minutes); the pair is counted as `pairs_timeout` and the commit goes on.
    file_seconds: int = 20


@dataclass
class RepoStats:
    repo: str
    schema_version: int = SCHEMA_VERSION
    head: str = ""
    ruff: str = ""
    commits_listed: int = 0
    commits_scanned: int = 0
    newest: dict[str, object] = field(default_factory=dict)
    oldest: dict[str, object] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    retention_by_rule: dict[str, int] = field(default_factory=dict)
    retention_version: int = 0
    seconds: float = 0.0


def repo_name_of(git_dir: Path) -> str:
    """`owner/name` from a mirror folder `owner+name/...` or a plain `.../name` folder."""
    for part in reversed(Path(git_dir).resolve().parts):
        if "+" in part:
            owner, name = part.split("+", 1)
            return f"{owner}/{name}"
    return Path(git_dir).resolve().name.removesuffix(".git")


def output_paths(out_dir: Path, repo: str) -> tuple[Path, Path]:
    stem = repo.replace("/", "__")
    return out_dir / f"{stem}.csv.gz", out_dir / f"{stem}.json"


def mine_repository(
    git_dir: Path,
    out_dir: Path,
    config: MineConfig,
    progress: bool = True,
    force: bool = False,
    holdout: bool = False,
) -> RepoStats | None:
    """Mine one repository into `out_dir`; returns None when its output already exists.
    `holdout` mines the reserved projects, and only them, for evaluation (never training)."""
    repo = Repository(git_dir)
    name = repo_name_of(git_dir)
    check_reserved(name, holdout)
    stats_path = output_paths(out_dir, name)[1]
    if stats_path.exists() and not force:
        return None
    stats = RepoStats(repo=name, head=repo.head(), ruff=ruff_version())
    if not config.select:
        config = replace(config, select=fixable_rules())
    if not config.defaults:
        config = replace(config, defaults=default_rules())
    commits = repo.commits(config.max_commits)
    stats.commits_listed = len(commits)
    started = time.monotonic()
    rows: list[dict[str, object]] = []
    chunks = [commits[i : i + config.chunk] for i in range(0, len(commits), config.chunk)]
    done = 0
    with ProcessPoolExecutor(max_workers=config.workers) as pool:
        futures = [pool.submit(_mine_chunk, str(git_dir), name, c, config) for c in chunks]
        for chunk, future in zip(chunks, futures, strict=True):
            if time.monotonic() - started > config.max_seconds:
                future.cancel()
                stats.counts["commits_skipped_time_budget"] += len(chunk)
                continue
            chunk_rows, counts = future.result()
            rows.extend(chunk_rows)
            stats.counts.update(counts)
            _note_range(stats, chunk)
            done += len(chunk)
            stats.commits_scanned = done
            if progress:
                _progress(name, done, len(commits), len(rows), started)
    _retain(repo, rows, commits[: stats.commits_scanned], stats, progress)
    stats.seconds = round(time.monotonic() - started, 1)
    return _finish(repo, rows, stats, out_dir, progress)


def enrich_mined(git_dir: Path, out_dir: Path, progress: bool = True) -> RepoStats | None:
    """Bring a repository mined under an older feature schema up to this one without linting
    it again: each row's project columns from its own commit, then the retention pass. None
    when its output is missing or already current."""
    name = repo_name_of(git_dir)
    rows_path, stats_path = output_paths(out_dir, name)
    if not stats_path.exists():
        return None
    data = json.loads(stats_path.read_text(encoding="utf-8"))
    current = data.get("schema_version") == SCHEMA_VERSION
    if current and data.get("retention_version") == RETENTION_VERSION:
        return None
    stats = RepoStats(**{k: v for k, v in data.items() if k in RepoStats.__dataclass_fields__})
    stats.counts = Counter(data.get("counts", {}))
    with gzip.open(rows_path, "rt", newline="") as fh:
        rows: list[dict[str, object]] = [dict(r) for r in csv.DictReader(fh)]
    repo = Repository(git_dir)
    started = time.monotonic()
    window = repo.commits(stats.commits_listed, head=stats.head)[: stats.commits_scanned]
    if progress:
        sys.stderr.write(f"\r{name:<40} reading each commit's configuration" + " " * 20)
    if not current:
        with tempfile.TemporaryDirectory(prefix="surefix-enrich-") as tmp:
            add_project_facts(rows, CommitFacts(repo, default_rules(), Path(tmp)))
    _retain(repo, rows, window, stats, progress)
    stats.seconds = round(stats.seconds + time.monotonic() - started, 1)
    return _finish(repo, rows, stats, out_dir, progress)


def _finish(
    repo: Repository,
    rows: list[dict[str, object]],
    stats: RepoStats,
    out_dir: Path,
    progress: bool,
) -> RepoStats:
    """Write a repository's rows, then its statistics: the statistics file is what marks it
    done, so an interrupted run mines it again."""
    repo.close()
    if progress:
        sys.stderr.write("\n")
    rows_path, stats_path = output_paths(out_dir, stats.repo)
    _write_rows(rows_path, rows)
    write_json_atomic(stats_path, _stats_json(stats))
    return stats


def _retain(
    repo: Repository,
    rows: list[dict[str, object]],
    window: Sequence[Commit],
    stats: RepoStats,
    progress: bool,
) -> None:
    """The retention pass (`enrich.retention`), counted into `stats`. Ruff runs with the
    style at the window's newest commit."""
    if progress:
        sys.stderr.write(
            f"\r{stats.repo:<40} checking which kept fixes were later undone" + " " * 20
        )
    earlier = unmark_retention(rows)
    stats.counts["kept"] += earlier
    stats.counts["not_kept"] -= earlier
    stats.counts.pop(f"detail:{RESTORED}", None)
    with tempfile.TemporaryDirectory(prefix="surefix-retain-") as tmp:
        style = project_style(repo, window[0], {}) if window else ProjectStyle()
        undone = retention(repo, rows, window, style, Path(tmp))
    total = sum(undone.values())
    stats.counts["retention_negatives"] = total
    stats.counts["kept"] -= total
    stats.counts["not_kept"] += total
    stats.counts[f"detail:{RESTORED}"] = total
    stats.retention_by_rule = dict(sorted(undone.items()))
    stats.retention_version = RETENTION_VERSION


def _note_range(stats: RepoStats, chunk: Sequence[Commit]) -> None:
    if not stats.newest:
        stats.newest = {"commit": chunk[0].sha, "ts": chunk[0].timestamp}
    stats.oldest = {"commit": chunk[-1].sha, "ts": chunk[-1].timestamp}


def _progress(name: str, done: int, total: int, rows: int, started: float) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    elapsed = time.monotonic() - started
    sys.stderr.write(
        f"\r{name:<40} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} commits"
        f"  {rows} events  {elapsed:5.0f}s"
    )
    sys.stderr.flush()


def _stats_json(stats: RepoStats) -> dict[str, object]:
    data = asdict(stats)
    data["counts"] = dict(sorted(stats.counts.items()))
    return data


def _write_rows(path: Path, rows: Sequence[dict[str, object]]) -> None:
    with atomic_path(path) as tmp, gzip.open(tmp, "wt", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(row[k]) for k in COLUMNS})


def _fmt(value: object) -> object:
    return round(value, 6) if isinstance(value, float) else value


def _mine_chunk(
    git_dir: str, name: str, commits: Sequence[Commit], config: MineConfig
) -> tuple[list[dict[str, object]], Counter[str]]:
    repo = Repository(Path(git_dir))
    counts: Counter[str] = Counter()
    rows: list[dict[str, object]] = []
    styles: dict[tuple[str, ...], ProjectStyle] = {}
    with tempfile.TemporaryDirectory(prefix="surefix-mine-") as tmp:
        facts_at = CommitFacts(repo, config.defaults, Path(tmp))
        for commit in commits:
            try:
                rows.extend(
                    _mine_commit(repo, name, commit, config, styles, facts_at, Path(tmp), counts)
                )
            except Exception as exc:  # one odd commit must not lose a repository's work
                counts[f"commit_error:{type(exc).__name__}"] += 1
    repo.close()
    return rows, counts


def project_style(
    repo: Repository, commit: Commit, cache: dict[tuple[str, ...], ProjectStyle]
) -> ProjectStyle:
    root = repo.tree_names(commit.sha)
    key = repo.blob_ids(commit.sha, [n for n in CONFIG_FILES if n in root]) + tuple(root)
    if key not in cache:
        packages = [n for n in root if "." not in n]
        if "src" in root:
            packages += [n for n in repo.tree_names(commit.sha, "src") if "." not in n]
        cache[key] = read_style(lambda f: repo.read(commit.sha, f) if f in root else None, packages)
    return cache[key]


def _mine_commit(
    repo: Repository,
    name: str,
    commit: Commit,
    config: MineConfig,
    styles: dict[tuple[str, ...], ProjectStyle],
    facts_at: CommitFacts,
    tmp: Path,
    counts: Counter[str],
) -> Iterator[dict[str, object]]:
    pairs = []
    for pair in repo.changed_python_files(commit):
        if _VENDORED.search(pair.new_path):
            counts["files_vendored"] += 1
            continue
        pairs.append(pair)
    if not pairs:
        return
    counts["commits_with_pairs"] += 1
    texts = _read_pairs(repo, commit, pairs, config, counts)
    if not texts:
        return
    style = project_style(repo, commit, styles)
    facts = facts_at(commit.sha)
    results = lint_pairs(texts, style, config, tmp)
    hunks = repo.hunks(commit)
    for pair, (p_text, c_text) in texts.items():
        p_result = results.get(os.path.join("p", pair.new_path), LintResult(()))
        c_result = results.get(os.path.join("c", pair.new_path), LintResult(()))
        if p_result.syntax_errors or c_result.syntax_errors:
            counts["pairs_syntax_error"] += 1
            continue
        counts["file_pairs"] += 1
        pair_counts: Counter[str] = Counter()
        try:
            with deadline(config.file_seconds):
                rows = list(
                    _label_pair(
                        name,
                        commit,
                        pair,
                        p_text,
                        c_text,
                        p_result,
                        c_result,
                        hunks.get(pair.new_path, []),
                        facts,
                        config,
                        pair_counts,
                    )
                )
        except FileTimeout:
            counts["pairs_timeout"] += 1
            continue
        counts.update(pair_counts)
        yield from rows


class FileTimeout(Exception):
    pass


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Raise `FileTimeout` inside the block after `seconds` (SIGALRM: the miner's workers run
    each chunk on their main thread)."""

    def expire(signum: int, frame: object) -> None:
        raise FileTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _read_pairs(
    repo: Repository,
    commit: Commit,
    pairs: list[FilePair],
    config: MineConfig,
    counts: Counter[str],
) -> dict[FilePair, tuple[str, str]]:
    texts = {}
    for pair in pairs:
        p = repo.read(commit.parent, pair.old_path)
        c = repo.read(commit.sha, pair.new_path)
        if p is None or c is None:
            counts["pairs_unreadable"] += 1
            continue
        if max(len(p), len(c)) > config.max_file_bytes:
            counts["pairs_too_large"] += 1
            continue
        try:
            texts[pair] = (p.decode("utf-8"), c.decode("utf-8"))
        except UnicodeDecodeError:
            counts["pairs_not_utf8"] += 1
    return texts


def lint_pairs(
    texts: dict[FilePair, tuple[str, str]], style: ProjectStyle, config: MineConfig, tmp: Path
) -> dict[str, LintResult]:
    for side in ("p", "c"):
        shutil.rmtree(tmp / side, ignore_errors=True)
    for pair, (p_text, c_text) in texts.items():
        for side, text in (("p", p_text), ("c", c_text)):
            target = tmp / side / pair.new_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    options = RuffOptions(
        isolated=True,
        select=config.select,
        target_version=style.target_version,
        line_length=style.line_length,
        config_overrides=style.overrides,
        timeout=300,
        env={"RAYON_NUM_THREADS": "1"},
    )
    return lint_tree(tmp, options, fixable_rules_only=True)


def _label_pair(
    name: str,
    commit: Commit,
    pair: FilePair,
    p_text: str,
    c_text: str,
    p_result: LintResult,
    c_result: LintResult,
    hunks: list[Hunk],
    facts: ProjectFacts,
    config: MineConfig,
    counts: Counter[str],
) -> Iterator[dict[str, object]]:
    p_fixable = [v for v in p_result.violations if v.fix is not None]
    counts["fixable_seen"] += len(p_fixable)
    if not p_fixable or not hunks:
        counts["persisted"] += len(p_fixable)
        return
    p_side, c_side = Side(p_text, pair.new_path), Side(c_text, pair.new_path)
    line_map = LineMap(hunks, len(p_side.lines), len(c_side.lines))
    matched, new_violations = match_violations(
        p_result.violations, c_result.violations, line_map, p_side
    )
    resolved = [v for v, m in zip(p_result.violations, matched, strict=True) if not m and v.fix]
    counts["persisted"] += len(p_fixable) - len(resolved)
    counts["resolved"] += len(resolved)
    if not resolved:
        return
    ctx = FileContext.build(p_side.document, p_result.violations, facts)
    siblings = [v.fix for v in resolved if v.fix is not None]
    seen: dict[tuple[object, ...], dict[str, object]] = {}
    per_rule: Counter[str] = Counter()
    for violation in resolved:
        assert violation.fix is not None
        key = (violation.rule, violation.fix.edits)
        if key in seen:  # the same edit reported once per occurrence (FA100): one decision
            counts["merged_same_fix"] += 1
            seen[key]["n_same"] = int(seen[key]["n_same"]) + 1  # type: ignore[call-overload]
            continue
        if per_rule[violation.rule] >= config.max_per_file_rule:
            counts["capped_per_file_rule"] += 1
            continue
        per_rule[violation.rule] += 1
        outcome = label_resolution(
            p_side, c_side, line_map, violation, violation.fix, siblings, new_violations
        )
        if outcome.label is None:
            counts[f"drop:{outcome.detail}"] += 1
            continue
        counts["kept" if outcome.label else "not_kept"] += 1
        counts[f"detail:{outcome.detail}"] += 1
        row: dict[str, object] = {
            "repo": name,
            "commit": commit.sha,
            "ts": commit.timestamp,
            "path_hash": path_hash(name, pair.new_path),
            "rule": violation.rule,
            "p_line": violation.start.line,
            "p_col": violation.start.column,
            "n_same": 1,
            "label": outcome.label,
            "detail": outcome.detail,
            **featurize(ctx, violation, violation.fix),
        }
        seen[key] = row
        yield row


def match_violations(
    p_violations: Sequence[Violation],
    c_violations: Sequence[Violation],
    line_map: LineMap,
    p_side: Side,
) -> tuple[list[bool], list[Violation]]:
    """Pair each P violation with the same violation in C, if it survived the commit.

    Cheapest evidence first: same rule on the unchanged line it mapped to; then the same rule
    inside the changed lines where its statement now stands; then the same rule and message
    anywhere (moved code). Returns a matched flag per P violation and C's unmatched violations.
    """
    free: dict[str, list[int]] = {}
    for i, v in enumerate(c_violations):
        free.setdefault(v.rule, []).append(i)
    used: set[int] = set()
    matched = [False] * len(p_violations)

    def take(i: int, j: int) -> None:
        matched[i] = True
        used.add(j)
        free[c_violations[j].rule].remove(j)

    for i, v in enumerate(p_violations):
        target = line_map.unchanged(v.start.line)
        if target is None:
            continue
        candidates = [j for j in free.get(v.rule, []) if c_violations[j].start.line == target]
        if candidates:
            same_col = [j for j in candidates if c_violations[j].start.column == v.start.column]
            take(i, (same_col or candidates)[0])
    for i, v in enumerate(p_violations):
        if matched[i] or line_map.unchanged(v.start.line) is not None:
            continue
        first, last = p_side.document.statement_span(v.start.line)
        c_first, c_last = line_map.c_range(first, last)
        candidates = [
            j for j in free.get(v.rule, []) if c_first <= c_violations[j].start.line <= c_last
        ]
        if candidates:
            same_msg = [j for j in candidates if c_violations[j].message == v.message]
            take(i, (same_msg or candidates)[0])
    for i, v in enumerate(p_violations):
        if matched[i]:
            continue
        candidates = [j for j in free.get(v.rule, []) if c_violations[j].message == v.message]
        if candidates:
            take(i, candidates[0])
    new = [v for j, v in enumerate(c_violations) if j not in used]
    return matched, new
